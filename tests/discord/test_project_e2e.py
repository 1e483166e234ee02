"""/project status, set, next, back, check and methodology, end to end.

Every interaction goes through discord.py's real dispatch against the local stand-in;
the store is read afterwards to prove what was (and was not) written. Permissions,
history, reset and persistence live in the other ``test_project_*`` files.
"""

from __future__ import annotations

import pytest

from tests.conftest import PHASE_KEYS
from tests.discord.conftest import Clock
from tests.discord.harness import FakeUser, Harness, UnsendableInteraction
from tests.discord.test_project_helpers import (
    AT_FIRST,
    AT_LAST,
    EDITOR,
    INFO_COLOUR,
    NO_PHASE,
    SUCCESS_COLOUR,
    WARNING_COLOUR,
    assert_at,
    assert_refused,
    editor,
    events,
    lines,
    mention,
    set_phase,
    status,
    uid,
)

pytestmark = pytest.mark.store_backends("sqlite", "postgres")

IMPLEMENTATION_CHECKLIST = (
    "☐ Write code according to the specifications.",
    "☐ Conduct unit testing to ensure individual components work as intended.",
    "☐ Implement version control and manage source code.",
)

# -- /project status ----------------------------------------------------------------------


async def test_status_without_a_phase_says_so_and_how_to_start(harness: Harness) -> None:
    result = await harness.command("project status")

    assert result.callback_type == 4
    assert not result.ephemeral
    [embed] = result.embeds
    assert embed["title"] == "No project phase yet"
    assert lines(embed["description"]) == [
        "No SDLC phase is tracked here yet.",
        "Start with `/project set phase:1`, then move on with `/project next`.",
    ]
    assert embed["color"] == INFO_COLOUR
    assert "fields" not in embed
    assert await events(harness) == []


async def test_status_shows_phase_bar_since_who_and_checklist(
    harness: Harness, clock: Clock
) -> None:
    ann, bob, carl = FakeUser.new("ann"), FakeUser.new("bob"), FakeUser.new("carl")
    await set_phase(harness, "implementation", user=ann)
    set_at = clock()
    clock.advance(minutes=5)
    ticked = await editor(harness, "project check", {"activity": "version-control"}, user=bob)
    assert not ticked.ephemeral

    result = await harness.command("project status", user=carl)  # a plain member may read

    assert result.callback_type == 4
    assert not result.ephemeral
    [embed] = result.embeds
    assert embed["title"] == "Phase 4 of 8 · Implementation (Coding)"
    description = lines(embed["description"])
    assert description[0] == "▰▰▰▰▱▱▱▱"
    assert description[1].startswith("Since <t:")
    assert description[1].endswith(f":R> by {mention(ann)}")
    assert_at(description[1], set_at)  # when the phase was set, not when it was ticked
    assert description[2:] == [
        "Methodology: **Waterfall**",
        "**Objective:** Transform the design into actual code.",
    ]
    [checklist] = embed["fields"]
    assert checklist["name"] == "Checklist · 1/3 done"
    assert lines(checklist["value"]) == [
        IMPLEMENTATION_CHECKLIST[0],
        IMPLEMENTATION_CHECKLIST[1],
        f"☑ Implement version control and manage source code. — {mention(bob)}",
    ]
    assert embed["footer"]["text"] == "/project check ticks an activity · /project next moves on"
    assert embed["color"] == INFO_COLOUR


@pytest.mark.parametrize(
    ("phase", "title", "bar", "checklist"),
    [
        ("planning", "Phase 1 of 8 · Planning", "▰▱▱▱▱▱▱▱", "Checklist · 0/5 done"),
        ("testing", "Phase 5 of 8 · Testing", "▰▰▰▰▰▱▱▱", "Checklist · 0/3 done"),
        ("retirement", "Phase 8 of 8 · Retirement/Phase-out", "▰▰▰▰▰▰▰▰", "Checklist · 0/3 done"),
    ],
)
async def test_status_title_and_bar_follow_the_phase(
    harness: Harness, phase: str, title: str, bar: str, checklist: str
) -> None:
    await set_phase(harness, phase)
    embed = (await harness.command("project status")).embed()
    assert embed["title"] == title
    assert lines(embed["description"])[0] == bar
    assert embed["fields"][0]["name"] == checklist


async def test_status_of_an_iterative_project_shows_the_iteration(harness: Harness) -> None:
    await editor(harness, "project methodology", {"name": "spiral"})
    await set_phase(harness, "design")
    embed = (await harness.command("project status")).embed()
    assert lines(embed["description"])[2] == "Methodology: **Spiral** · Iteration **1**"


async def test_status_without_a_phase_mentions_a_chosen_methodology(harness: Harness) -> None:
    await editor(harness, "project methodology", {"name": "agile"})
    embed = (await harness.command("project status")).embed()
    assert embed["title"] == "No project phase yet"
    assert lines(embed["description"])[-1] == "Methodology: **Agile**"


# -- /project set ---------------------------------------------------------------------------


async def test_set_first_time_starts_there_with_the_note(harness: Harness, clock: Clock) -> None:
    ann = FakeUser.new("ann")
    result = await harness.command(
        "project set",
        {"phase": "implementation", "note": "  kick-off done  "},
        user=ann,
        permissions=EDITOR,
    )

    assert result.callback_type == 4
    assert not result.ephemeral
    [embed] = result.embeds
    assert embed["title"] == "Moved to Phase 4 of 8 · Implementation (Coding)"
    description = lines(embed["description"])
    assert description[0] == "Started at **Implementation (Coding)**"
    assert description[1] == "▰▰▰▰▱▱▱▱"
    assert description[2].endswith(f":R> by {mention(ann)}")
    assert_at(description[2], clock())
    assert description[3] == "> kick-off done"
    assert embed["fields"] == [
        {
            "name": "Checklist · Implementation (Coding)",
            "value": "\n".join(IMPLEMENTATION_CHECKLIST),
            "inline": False,
        }
    ]
    assert embed["color"] == SUCCESS_COLOUR

    [event] = await events(harness)
    assert (event.kind, event.from_phase, event.to_phase) == ("phase", None, "implementation")
    assert event.note == "kick-off done"
    assert event.actor.id == uid(ann)
    assert event.at == clock()
    state = (await status(harness)).state
    assert state.phase_key == "implementation"
    assert state.set_by is not None and state.set_by.id == uid(ann)


async def test_set_moves_to_any_phase_and_names_both_ends(harness: Harness) -> None:
    await set_phase(harness, "planning")
    result = await set_phase(harness, "deployment", "skipping ahead")

    embed = result.embed()
    assert embed["title"] == "Moved to Phase 6 of 8 · Deployment"
    description = lines(embed["description"])
    assert description[0] == "Planning → **Deployment**"
    assert description[1] == "▰▰▰▰▰▰▱▱"
    assert description[-1] == "> skipping ahead"
    assert "footer" not in embed  # no marks: forward in Waterfall
    assert [(e.from_phase, e.to_phase) for e in await events(harness)] == [
        ("planning", "deployment"),
        (None, "planning"),
    ]


@pytest.mark.parametrize(
    ("typed", "title"),
    [
        ("5", "Moved to Phase 5 of 8 · Testing"),
        ("qa", "Moved to Phase 5 of 8 · Testing"),
        ("coding", "Moved to Phase 4 of 8 · Implementation (Coding)"),
        ("Retirement/Phase-out", "Moved to Phase 8 of 8 · Retirement/Phase-out"),
    ],
)
async def test_set_understands_numbers_words_and_names(
    harness: Harness, typed: str, title: str
) -> None:
    result = await set_phase(harness, typed)
    assert result.embed()["title"] == title


async def test_set_to_the_current_phase_is_refused_and_writes_nothing(harness: Harness) -> None:
    await set_phase(harness, "testing")
    before = await events(harness)

    result = await editor(harness, "project set", {"phase": "qa", "note": "again"})

    assert_refused(result, "The project is already in Testing. Nothing changed.")
    assert await events(harness) == before


async def test_set_an_unknown_phase_is_refused_with_suggestions(harness: Harness) -> None:
    result = await editor(harness, "project set", {"phase": "tetsing"})
    assert result.ephemeral
    assert result.content.startswith("I don't know a phase called “tetsing”.")
    assert "“Testing”" in result.content
    assert not result.embeds
    assert await events(harness) == []
    assert (await status(harness)).state.phase_key is None


@pytest.mark.parametrize("typed", ["", "co", "5", "te", "release"])
async def test_set_autocomplete_offers_what_phase_offers(harness: Harness, typed: str) -> None:
    project = await harness.autocomplete("project set", "phase", typed)
    phase = await harness.autocomplete("phase", "name", typed)

    assert project.callback_type == 8
    assert project.choices == phase.choices
    assert project.choices  # each of these matches something


async def test_set_autocomplete_labels_number_and_name_with_the_key_as_value(
    harness: Harness,
) -> None:
    result = await harness.autocomplete("project set", "phase", "5")
    assert result.choices == [{"name": "5 · Testing", "value": "testing"}]
    everything = await harness.autocomplete("project set", "phase", "")
    assert everything.choices is not None
    assert {c["value"] for c in everything.choices} == set(PHASE_KEYS)


async def test_a_note_longer_than_200_characters_cannot_be_sent(harness: Harness) -> None:
    with pytest.raises(UnsendableInteraction, match="must be 1-200 characters"):
        await editor(harness, "project set", {"phase": "design", "note": "x" * 201})
    accepted = await set_phase(harness, "design", "y" * 200)
    assert lines(accepted.embed()["description"])[-1] == "> " + "y" * 200
    [event] = await events(harness)
    assert event.note == "y" * 200


# -- /project next and back -----------------------------------------------------------------


async def test_next_moves_one_phase_forward_with_a_note(harness: Harness) -> None:
    bob = FakeUser.new("bob")
    await set_phase(harness, "analysis")

    result = await editor(harness, "project next", {"note": "requirements signed"}, user=bob)

    assert result.callback_type == 4
    assert not result.ephemeral
    embed = result.embed()
    assert embed["title"] == "Moved to Phase 3 of 8 · Design"
    description = lines(embed["description"])
    assert description[:2] == ["Analysis → **Design**", "▰▰▰▱▱▱▱▱"]
    assert description[2].endswith(f":R> by {mention(bob)}")
    assert description[3] == "> requirements signed"
    assert embed["fields"][0]["name"] == "Checklist · Design"
    latest = (await events(harness))[0]
    assert (latest.from_phase, latest.to_phase, latest.note) == (
        "analysis",
        "design",
        "requirements signed",
    )
    assert latest.actor.id == uid(bob)


async def test_next_at_the_last_phase_is_refused_and_writes_nothing(harness: Harness) -> None:
    await set_phase(harness, "maintenance")
    moved = await editor(harness, "project next")
    assert moved.embed()["title"] == "Moved to Phase 8 of 8 · Retirement/Phase-out"
    before_events, before_status = await events(harness), await status(harness)

    refused = await editor(harness, "project next", {"note": "beyond"})

    assert_refused(refused, AT_LAST)
    assert await events(harness) == before_events
    assert await status(harness) == before_status


async def test_back_moves_one_phase_back(harness: Harness) -> None:
    await set_phase(harness, "testing")
    result = await editor(harness, "project back", {"note": "found a design flaw"})

    embed = result.embed()
    assert embed["title"] == "Moved to Phase 4 of 8 · Implementation (Coding)"
    assert lines(embed["description"])[:2] == [
        "Testing → **Implementation (Coding)**",
        "▰▰▰▰▱▱▱▱",
    ]
    assert (await status(harness)).state.phase_key == "implementation"


async def test_back_at_the_first_phase_is_refused_and_writes_nothing(harness: Harness) -> None:
    await set_phase(harness, "planning")
    before_events, before_status = await events(harness), await status(harness)

    refused = await editor(harness, "project back", {"note": "before the start"})

    assert_refused(refused, AT_FIRST)
    assert await events(harness) == before_events
    assert await status(harness) == before_status


@pytest.mark.parametrize("command", ["project next", "project back"])
async def test_next_and_back_without_a_phase_say_how_to_start(
    harness: Harness, command: str
) -> None:
    refused = await editor(harness, command)
    assert_refused(refused, NO_PHASE)
    assert await events(harness) == []


# -- /project check -----------------------------------------------------------------------


async def test_check_ticks_then_unticks_with_who(harness: Harness) -> None:
    ann, bob = FakeUser.new("ann"), FakeUser.new("bob")
    await set_phase(harness, "implementation")

    ticked = await editor(harness, "project check", {"activity": "unit-testing"}, user=ann)

    assert not ticked.ephemeral
    embed = ticked.embed()
    assert embed["title"] == "Ticked an activity"
    assert lines(embed["description"]) == [
        "☑ Conduct unit testing to ensure individual components work as intended.",
        f"by {mention(ann)}",
    ]
    [checklist] = embed["fields"]
    assert checklist["name"] == "Checklist · Implementation (Coding) · 1/3 done"
    assert lines(checklist["value"])[1] == (
        f"☑ Conduct unit testing to ensure individual components work as intended. — {mention(ann)}"
    )
    assert embed["color"] == SUCCESS_COLOUR
    assert set((await status(harness)).ticks) == {"unit-testing"}

    unticked = await editor(harness, "project check", {"activity": "unit-testing"}, user=bob)

    embed = unticked.embed()
    assert embed["title"] == "Unticked an activity"
    assert lines(embed["description"]) == [
        "☐ Conduct unit testing to ensure individual components work as intended.",
        f"by {mention(bob)}",
    ]
    assert embed["fields"][0]["name"] == "Checklist · Implementation (Coding) · 0/3 done"
    assert embed["fields"][0]["value"] == "\n".join(IMPLEMENTATION_CHECKLIST)
    assert (await status(harness)).ticks == {}
    history = await events(harness)
    assert [(e.kind, e.detail, e.actor.id) for e in history[:2]] == [
        ("uncheck", "unit-testing", uid(bob)),
        ("check", "unit-testing", uid(ann)),
    ]


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("3", "version-control"),
        ("Write code according to the specifications.", "write-code"),
        ("version control", "version-control"),
        ("unit", "unit-testing"),
    ],
)
async def test_check_accepts_numbers_and_text(harness: Harness, typed: str, key: str) -> None:
    await set_phase(harness, "implementation")
    result = await editor(harness, "project check", {"activity": typed})
    assert result.embed()["title"] == "Ticked an activity"
    assert set((await status(harness)).ticks) == {key}


async def test_check_an_unknown_activity_is_refused(harness: Harness) -> None:
    await set_phase(harness, "implementation")
    before = await events(harness)

    result = await editor(harness, "project check", {"activity": "9"})

    assert_refused(
        result,
        "Implementation (Coding) has no checklist item 9: its items are numbered 1 to 3.",
    )
    assert await events(harness) == before


async def test_check_without_a_phase_is_refused(harness: Harness) -> None:
    result = await editor(harness, "project check", {"activity": "1"})
    assert_refused(result, NO_PHASE)
    assert await events(harness) == []


async def test_check_autocomplete_lists_the_current_phase_with_its_state(
    harness: Harness,
) -> None:
    await set_phase(harness, "implementation")
    await editor(harness, "project check", {"activity": "write-code"})

    result = await harness.autocomplete("project check", "activity", "")

    assert result.callback_type == 8
    assert result.choices == [
        {"name": "☑ Write code according to the specifications.", "value": "write-code"},
        {
            "name": "☐ Conduct unit testing to ensure individual components work as intended.",
            "value": "unit-testing",
        },
        {"name": "☐ Implement version control and manage source code.", "value": "version-control"},
    ]


@pytest.mark.parametrize(
    ("typed", "values"),
    [
        ("con", ["unit-testing", "version-control"]),  # "Conduct…" starts with it: first
        ("2", ["unit-testing"]),
        ("code", ["write-code", "version-control"]),
        ("deploy", []),  # not an activity of this phase
    ],
)
async def test_check_autocomplete_filters_what_was_typed(
    harness: Harness, typed: str, values: list[str]
) -> None:
    await set_phase(harness, "implementation")
    result = await harness.autocomplete("project check", "activity", typed)
    assert result.choices is not None
    assert [c["value"] for c in result.choices] == values


async def test_check_autocomplete_without_a_phase_is_empty(harness: Harness) -> None:
    result = await harness.autocomplete("project check", "activity", "")
    assert result.callback_type == 8
    assert result.choices == []


async def test_ticks_belong_to_their_phase(harness: Harness) -> None:
    await set_phase(harness, "implementation")
    await editor(harness, "project check", {"activity": "write-code"})
    moved = await editor(harness, "project next")
    assert moved.embed()["fields"][0]["value"].count("☑") == 0

    embed = (await harness.command("project status")).embed()
    assert embed["title"] == "Phase 5 of 8 · Testing"
    assert embed["fields"][0]["name"] == "Checklist · 0/3 done"
    choices = await harness.autocomplete("project check", "activity", "")
    assert choices.choices is not None
    assert all(c["name"].startswith("☐ ") for c in choices.choices)
    assert [c["value"] for c in choices.choices] == [
        "levels-of-testing",
        "fix-bugs",
        "regression-testing",
    ]


# -- /project methodology -----------------------------------------------------------------


async def test_methodology_change_describes_the_rule(harness: Harness) -> None:
    ann = FakeUser.new("ann")
    to_agile = await editor(harness, "project methodology", {"name": "scrum"}, user=ann)

    assert not to_agile.ephemeral
    embed = to_agile.embed()
    assert embed["title"] == "Methodology set to Agile"
    assert lines(embed["description"]) == [
        "Waterfall → **Agile**",
        f"by {mention(ann)}",
        "Iterative: `/project next` from Deployment starts a new iteration at Planning, "
        "with a fresh checklist.",
        "Iteration **1**",
    ]
    assert embed["color"] == SUCCESS_COLOUR

    to_v = await editor(harness, "project methodology", {"name": "v model"}, user=ann)
    assert to_v.embed()["title"] == "Methodology set to V-Model"
    assert lines(to_v.embed()["description"]) == [
        "Agile → **V-Model**",
        f"by {mention(ann)}",
        "Sequential: moving back to an earlier phase is recorded as rework ↺.",
    ]
    history = await events(harness)
    assert [(e.kind, e.detail, e.actor.id) for e in history] == [
        ("methodology", "v-model", uid(ann)),
        ("methodology", "agile", uid(ann)),
    ]


async def test_methodology_already_in_use_is_refused(harness: Harness) -> None:
    result = await editor(harness, "project methodology", {"name": "waterfall"})
    assert_refused(result, "The project already follows Waterfall. Nothing changed.")
    assert await events(harness) == []


@pytest.mark.parametrize("name", ["scrumban", "mlops"])
async def test_methodology_unknown_or_not_a_methodology_is_refused(
    harness: Harness, name: str
) -> None:
    result = await editor(harness, "project methodology", {"name": name})
    assert result.ephemeral
    assert not result.embeds
    assert name in result.content
    assert await events(harness) == []
    assert (await status(harness)).state.methodology == "waterfall"


async def test_methodology_autocomplete_lists_the_four_methodologies(harness: Harness) -> None:
    result = await harness.autocomplete("project methodology", "name", "")
    assert result.choices is not None
    assert sorted(c["value"] for c in result.choices) == ["agile", "spiral", "v-model", "waterfall"]


async def test_agile_next_from_deployment_starts_iteration_two(harness: Harness) -> None:
    ann = FakeUser.new("ann")
    await editor(harness, "project methodology", {"name": "agile"})
    await set_phase(harness, "planning")
    await editor(harness, "project check", {"activity": "feasibility-studies"})
    await set_phase(harness, "deployment")

    looped = await editor(harness, "project next", {"note": "sprint 1 shipped"}, user=ann)

    embed = looped.embed()
    assert embed["title"] == "Moved to Phase 1 of 8 · Planning"
    description = lines(embed["description"])
    assert description[:2] == ["Deployment → **Planning**", "▰▱▱▱▱▱▱▱"]
    assert "🔁 Iteration **2** starts with a fresh checklist." in description
    assert description[-1] == "> sprint 1 shipped"
    assert embed["footer"]["text"] == "iteration 2"
    assert "☑" not in embed["fields"][0]["value"]

    shown = (await harness.command("project status")).embed()
    assert shown["title"] == "Phase 1 of 8 · Planning"
    assert lines(shown["description"])[2] == "Methodology: **Agile** · Iteration **2**"
    assert shown["fields"][0]["name"] == "Checklist · 0/5 done"  # iteration 1's tick stays behind

    latest = (await events(harness))[0]
    assert (latest.from_phase, latest.to_phase) == ("deployment", "planning")
    assert latest.new_iteration and latest.iteration == 2 and not latest.rework
    history = (await harness.command("project history")).embed()["description"]
    assert lines(history)[0].endswith(" · “sprint 1 shipped” · iteration 2")


async def test_spiral_set_from_testing_to_planning_starts_a_new_iteration(
    harness: Harness,
) -> None:
    await editor(harness, "project methodology", {"name": "spiral"})
    await set_phase(harness, "testing")
    moved = await set_phase(harness, "planning")
    assert moved.embed()["footer"]["text"] == "iteration 2"
    assert (await status(harness)).state.iteration == 2
    # Back through Analysis -> Planning is not an iteration boundary.
    await editor(harness, "project next")
    again = await editor(harness, "project back")
    assert "footer" not in again.embed()
    assert (await status(harness)).state.iteration == 2


async def test_going_back_in_an_iterative_methodology_is_not_rework(harness: Harness) -> None:
    await editor(harness, "project methodology", {"name": "agile"})
    await set_phase(harness, "design")
    moved = await editor(harness, "project back")
    embed = moved.embed()
    assert "footer" not in embed
    assert not any(line.startswith("↺") for line in lines(embed["description"]))
    assert embed["color"] == SUCCESS_COLOUR
    assert not (await events(harness))[0].rework


@pytest.mark.parametrize(
    ("methodology", "name"), [("waterfall", "Waterfall"), ("v-model", "V-Model")]
)
async def test_sequential_back_is_rework_and_finds_the_old_ticks(
    harness: Harness, methodology: str, name: str
) -> None:
    if methodology != "waterfall":
        await editor(harness, "project methodology", {"name": methodology})
    await set_phase(harness, "analysis")
    await editor(harness, "project check", {"activity": "use-cases-and-specs"})
    await editor(harness, "project next")

    moved = await editor(harness, "project back", {"note": "missing requirements"})

    embed = moved.embed()
    assert embed["title"] == "Moved to Phase 2 of 8 · Analysis"
    assert f"↺ Rework: {name} is sequential, so going back is recorded as rework." in lines(
        embed["description"]
    )
    assert embed["footer"]["text"] == "rework ↺"
    assert embed["color"] == WARNING_COLOUR
    assert (
        "☑ Create use cases, user stories, and system specifications."
        in (embed["fields"][0]["value"])
    )
    latest = (await events(harness))[0]
    assert latest.rework and not latest.new_iteration
    history = (await harness.command("project history")).embed()["description"]
    assert lines(history)[0].startswith("Design → **Analysis** · ")
    assert lines(history)[0].endswith(" · “missing requirements” · rework ↺")


async def test_waterfall_next_from_deployment_goes_on_to_maintenance(harness: Harness) -> None:
    await set_phase(harness, "deployment")
    moved = await editor(harness, "project next")
    assert moved.embed()["title"] == "Moved to Phase 7 of 8 · Maintenance and Support"
    assert (await status(harness)).state.iteration == 1
