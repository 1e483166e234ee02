"""The knowledge commands end to end: real discord.py dispatch against the local stand-in.

Every test drives the real bot (``PhaseBot`` with the core's runner, real ``setup_hook``,
commands synced to the stand-in) with interactions shaped like Discord's client sends
them, and asserts what the user sees: the embed's title, fields and values, the
components, and whether it is public.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn

import pytest

from bot.config import Settings
from bot.core.lookup import Catalog
from bot.discord.bot import PhaseBot
from bot.discord.errors import APOLOGY
from bot.services import load_services, make_runner
from bot.storage import SQLiteRepository
from tests.conftest import METHODOLOGY_ASPECTS, PHASE_KEYS
from tests.discord.conftest import BOT_LOGGERS
from tests.discord.harness import Context, Harness, InteractionResult
from tests.discord.standin import JSON

KNOWLEDGE_COMMANDS = ("phase", "phases", "compare", "methodology", "mlops", "ask", "help")
CALLBACK = "POST /interactions/{iid}/{token}/callback"
INFO_COLOUR = 0x5865F2

MLOPS_ASPECTS = [
    "Focus",
    "Primary Goal",
    "Nature of Artifacts",
    "Integration",
    "Iterations",
    "Testing",
    "Tools",
    "Metrics",
    "Collaboration",
    "Environment",
    "Challenges",
    "Examples",
]
PHASE_TITLES = [
    "Phase 1 of 8 · Planning",
    "Phase 2 of 8 · Analysis",
    "Phase 3 of 8 · Design",
    "Phase 4 of 8 · Implementation (Coding)",
    "Phase 5 of 8 · Testing",
    "Phase 6 of 8 · Deployment",
    "Phase 7 of 8 · Maintenance and Support",
    "Phase 8 of 8 · Retirement/Phase-out",
]
PHASE_LABELS = [
    "1 · Planning",
    "2 · Analysis",
    "3 · Design",
    "4 · Implementation (Coding)",
    "5 · Testing",
    "6 · Deployment",
    "7 · Maintenance and Support",
    "8 · Retirement/Phase-out",
]


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def fields(embed: JSON) -> list[tuple[str, str]]:
    return [(f["name"], f["value"]) for f in embed.get("fields") or []]


def footer(embed: JSON) -> str:
    return str((embed.get("footer") or {}).get("text") or "")


def choice_values(result: InteractionResult) -> list[str]:
    assert result.callback_type == 8, "autocomplete must answer with callback type 8"
    assert result.choices is not None
    assert len(result.choices) <= 25
    return [c["value"] for c in result.choices]


def assert_public_answer(result: InteractionResult, title: str) -> JSON:
    """One public message (callback type 4) whose first embed has ``title``."""
    assert result.callback_type == 4
    assert not result.ephemeral
    assert result.content == ""
    embed = result.embed()
    assert embed["title"] == title
    assert embed["color"] == INFO_COLOUR
    assert result.followups == []
    return embed


def assert_refused(result: InteractionResult, *phrases: str) -> str:
    """An ephemeral plain-words refusal and nothing else: no embed, no buttons, no other
    message, no edit of any message."""
    assert result.callback_type == 4
    assert result.ephemeral
    assert result.embeds == []
    assert result.components == []
    assert result.followups == []
    assert [r.route for r in result.requests] == [CALLBACK], "only the refusal may be sent"
    text = result.content
    for phrase in phrases:
        assert phrase in text
    for leak in ("Traceback", "Error", "Exception", 'File "', "bot/"):
        assert leak not in text
    return text


def nav_buttons(result: InteractionResult) -> dict[str, str]:
    """The ◀ / ▶ buttons of a /phase answer (as the message is now): custom_id -> label."""
    return {
        cid: result.component(cid)["label"]
        for cid in result.custom_ids()
        if cid.startswith("pb:phase:")
    }


def select_options(result: InteractionResult, custom_id: str) -> list[tuple[str, str, bool]]:
    select = result.component(custom_id)
    assert select["type"] == 3
    return [(o["label"], o["value"], bool(o.get("default"))) for o in select["options"]]


def public_messages(harness: Harness) -> int:
    return sum(1 for m in harness.standin.messages.values() if not int(m["flags"]) & 64)


# --------------------------------------------------------------------------------------------
# /phase
# --------------------------------------------------------------------------------------------


async def test_phase_shows_number_objective_and_every_activity(harness: Harness) -> None:
    result = await harness.command("phase", {"name": "testing"})
    embed = assert_public_answer(result, "Phase 5 of 8 · Testing")
    assert embed["description"] == (
        "**Objective:** Verify that the software meets the specified requirements "
        "and is free of defects."
    )
    assert fields(embed) == [
        (
            "Activities",
            "• Conduct various levels of testing (unit, integration, system, acceptance).\n"
            "• Identify and fix bugs and issues.\n"
            "• Perform regression testing to ensure changes do not negatively impact "
            "existing functionality.",
        )
    ]
    assert footer(embed) == "◀ 4 · Implementation (Coding) · 6 · Deployment ▶"
    assert nav_buttons(result) == {
        "pb:phase:implementation": "◀ 4 · Implementation (Coding)",
        "pb:phase:deployment": "6 · Deployment ▶",
    }
    assert "pb:setphase:testing" in result.custom_ids()


async def test_every_phase_lists_all_its_activities(harness: Harness, catalog: Catalog) -> None:
    for phase in catalog.phases:
        result = await harness.command("phase", {"name": phase.key})
        embed = assert_public_answer(result, f"Phase {phase.number} of 8 · {phase.name}")
        assert embed["description"] == f"**Objective:** {phase.objective}"
        assert fields(embed) == [("Activities", "\n".join(f"• {a.text}" for a in phase.activities))]


@pytest.mark.parametrize(
    ("typed", "title"),
    [
        ("5", "Phase 5 of 8 · Testing"),
        ("phase 2", "Phase 2 of 8 · Analysis"),
        ("QA", "Phase 5 of 8 · Testing"),
        ("coding", "Phase 4 of 8 · Implementation (Coding)"),
        ("release", "Phase 6 of 8 · Deployment"),
        ("Maintenance and Support", "Phase 7 of 8 · Maintenance and Support"),
        ("sunset", "Phase 8 of 8 · Retirement/Phase-out"),
    ],
)
async def test_phase_takes_numbers_names_and_aliases(
    harness: Harness, typed: str, title: str
) -> None:
    result = await harness.command("phase", {"name": typed})
    assert_public_answer(result, title)


@pytest.mark.parametrize(
    ("typed", "phrases"),
    [
        ("tetsing", ("I don't know a phase called “tetsing”.", "Did you mean “Testing”")),
        ("9", ("no phase 9", "1 to 8")),
        ("lunch", ("I don't know a phase called “lunch”.",)),
    ],
)
async def test_unknown_phase_is_refused_ephemerally(
    harness: Harness, typed: str, phrases: tuple[str, ...]
) -> None:
    result = await harness.command("phase", {"name": typed})
    assert_refused(result, *phrases)


async def test_first_phase_has_no_back_button_and_last_has_no_next(harness: Harness) -> None:
    first = await harness.command("phase", {"name": "1"})
    assert_public_answer(first, "Phase 1 of 8 · Planning")
    assert nav_buttons(first) == {"pb:phase:analysis": "2 · Analysis ▶"}
    assert footer(first.embed()) == "2 · Analysis ▶"

    last = await harness.command("phase", {"name": "8"})
    assert_public_answer(last, "Phase 8 of 8 · Retirement/Phase-out")
    assert nav_buttons(last) == {"pb:phase:maintenance": "◀ 7 · Maintenance and Support"}
    assert footer(last.embed()) == "◀ 7 · Maintenance and Support"


async def test_next_and_back_buttons_edit_the_message_in_place(harness: Harness) -> None:
    sent = await harness.command("phase", {"name": "testing"})
    messages_before = len(harness.standin.messages)

    forward = await harness.click(sent, "pb:phase:deployment")
    assert forward.callback_type == 7
    assert forward.message_id == sent.message_id
    assert not forward.ephemeral
    embed = forward.embed()
    assert embed["title"] == "Phase 6 of 8 · Deployment"
    assert embed["description"] == "**Objective:** Release the software for general use."
    assert fields(embed) == [
        (
            "Activities",
            "• Develop installation procedures.\n"
            "• Deploy the software to production environments.\n"
            "• Monitor and troubleshoot any issues during deployment.",
        )
    ]
    # The stand-in's message, as edited, shows the new phase and the new neighbours.
    assert sent.embed()["title"] == "Phase 6 of 8 · Deployment"
    assert nav_buttons(sent) == {
        "pb:phase:testing": "◀ 5 · Testing",
        "pb:phase:maintenance": "7 · Maintenance and Support ▶",
    }
    assert "pb:setphase:deployment" in sent.custom_ids()

    back = await harness.click(sent, "pb:phase:testing")
    assert back.callback_type == 7
    assert back.message_id == sent.message_id
    assert sent.embed()["title"] == "Phase 5 of 8 · Testing"
    assert len(harness.standin.messages) == messages_before, "no new message, only edits"
    assert [v["embeds"][0]["title"] for v in sent.versions] == [
        "Phase 5 of 8 · Testing",
        "Phase 6 of 8 · Deployment",
        "Phase 5 of 8 · Testing",
    ]


async def test_next_button_walks_every_phase_in_order(harness: Harness) -> None:
    sent = await harness.command("phase", {"name": "planning"})
    seen = [sent.embed()["title"]]
    for key in PHASE_KEYS[1:]:
        (forward,) = [c for c, label in nav_buttons(sent).items() if label.endswith("▶")]
        assert forward == f"pb:phase:{key}"
        clicked = await harness.click(sent, forward)
        assert clicked.callback_type == 7
        seen.append(sent.embed()["title"])
    assert seen == PHASE_TITLES
    assert [label for label in nav_buttons(sent).values()] == ["◀ 7 · Maintenance and Support"]


async def test_phase_buttons_keep_working_after_a_restart(
    harness: Harness, make_bot: Callable[[], PhaseBot]
) -> None:
    sent = await harness.command("phase", {"name": "testing"})
    first_bot = harness.bot
    await first_bot.close()
    assert first_bot.is_closed()

    async with harness.successor(make_bot()) as restarted:
        assert restarted.bot is not first_bot
        forward = await restarted.click(sent.message_id or 0, "pb:phase:deployment")
        assert forward.callback_type == 7
        assert forward.message_id == sent.message_id
        assert sent.embed()["title"] == "Phase 6 of 8 · Deployment"
        back = await restarted.click(sent.message_id or 0, "pb:phase:testing")
        assert back.callback_type == 7
        assert sent.embed()["title"] == "Phase 5 of 8 · Testing"
        assert nav_buttons(sent) == {
            "pb:phase:implementation": "◀ 4 · Implementation (Coding)",
            "pb:phase:deployment": "6 · Deployment ▶",
        }


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("testing", "testing"),  # key
        ("TESTING", "testing"),  # case-insensitive
        ("Maintenance and Support", "maintenance"),  # name
        ("deploy", "deployment"),  # alias
        ("QA", "testing"),  # alias, upper case
        ("eol", "retirement"),  # alias
        ("7", "maintenance"),  # number
        ("phase 2", "analysis"),  # "phase N"
        ("Impl", "implementation"),  # prefix of a name
    ],
)
async def test_phase_autocomplete_finds_keys_names_aliases_and_numbers(
    harness: Harness, typed: str, first: str
) -> None:
    result = await harness.autocomplete("phase", "name", typed)
    values = choice_values(result)
    assert values[0] == first
    assert result.choices is not None
    assert result.choices[0]["name"] == PHASE_LABELS[PHASE_KEYS.index(first)]


async def test_phase_autocomplete_lists_all_phases_in_order_when_empty(harness: Harness) -> None:
    result = await harness.autocomplete("phase", "name", "")
    assert choice_values(result) == list(PHASE_KEYS)
    assert result.choices is not None
    assert [c["name"] for c in result.choices] == PHASE_LABELS


async def test_phase_autocomplete_ranks_best_match_first(harness: Harness) -> None:
    # Names starting with "re" (requirements, release, retire...) come before a name that
    # only contains it ("architecture" -> Design), whatever their order in the life cycle.
    result = await harness.autocomplete("phase", "name", "re")
    assert choice_values(result) == ["analysis", "deployment", "retirement", "design"]
    # A typo still finds the phase, best first.
    assert choice_values(await harness.autocomplete("phase", "name", "tset"))[0] == "testing"
    # Nothing close: no choices rather than random ones; out-of-range numbers likewise.
    assert choice_values(await harness.autocomplete("phase", "name", "zzzz")) == []
    assert choice_values(await harness.autocomplete("phase", "name", "9")) == []


def _many_phases(content_dir: Path, total: int) -> None:
    sdlc = content_dir / "sdlc.toml"
    extra = []
    for number in range(9, total + 1):
        extra.append(
            f'\n[[phases]]\nnumber = {number}\nkey = "extra-{number}"\n'
            f'name = "Extra {number}"\nobjective = "Extra objective {number}."\n'
            f'activities = [{{ key = "do-{number}", text = "Do {number}." }}]\n'
        )
    sdlc.write_text(sdlc.read_text(encoding="utf-8") + "".join(extra), encoding="utf-8")


async def test_phase_autocomplete_offers_at_most_25_choices(
    content_copy: Path, settings: Settings, repository: SQLiteRepository
) -> None:
    _many_phases(content_copy, 30)
    own = settings.model_copy(update={"content_dir": content_copy})
    bot = PhaseBot(own, make_runner(load_services(content_copy), repository))
    async with Harness(bot, sync=True, capture_loggers=BOT_LOGGERS) as h:
        result = await h.autocomplete("phase", "name", "")
        values = choice_values(result)
        assert len(values) == 25
        assert values[:8] == list(PHASE_KEYS)
        assert values[8:] == [f"extra-{n}" for n in range(9, 26)]
        answer = await h.command("phase", {"name": "30"})
        assert_public_answer(answer, "Phase 30 of 30 · Extra 30")


# --------------------------------------------------------------------------------------------
# /phases
# --------------------------------------------------------------------------------------------


async def test_phases_gives_definition_goal_then_every_phase_in_order(
    harness: Harness, catalog: Catalog
) -> None:
    result = await harness.command("phases")
    embed = assert_public_answer(result, "Software Development Life Cycle")
    info = catalog.content.sdlc.sdlc
    description = embed["description"]
    assert description.startswith(
        "Software Development Life Cycle, is a structured and systematic process"
    )
    assert description.index(info.definition) < description.index(info.goal)
    assert "The goal of SDLC is to produce software that meets or exceeds" in description
    assert fields(embed) == [
        ("1 · Planning", "Define the project scope, requirements, budget, and timeline."),
        ("2 · Analysis", "Gather detailed requirements and analyze them for feasibility."),
        ("3 · Design", "Create a blueprint for the software architecture."),
        ("4 · Implementation (Coding)", "Transform the design into actual code."),
        (
            "5 · Testing",
            "Verify that the software meets the specified requirements and is free of defects.",
        ),
        ("6 · Deployment", "Release the software for general use."),
        (
            "7 · Maintenance and Support",
            "Ensure the ongoing functionality and performance of the software.",
        ),
        (
            "8 · Retirement/Phase-out",
            "Decommission the software when it reaches the end of its useful life.",
        ),
    ]
    assert result.components == []


# --------------------------------------------------------------------------------------------
# /compare
# --------------------------------------------------------------------------------------------


async def test_compare_two_methodologies_side_by_side(harness: Harness) -> None:
    result = await harness.command("compare", {"first": "agile", "second": "spiral"})
    embed = assert_public_answer(result, "Agile vs Spiral")
    assert embed["description"] == "SDLC methodologies, aspect by aspect."
    assert footer(embed) == "SDLC methodologies"
    rows = fields(embed)
    assert [name for name, _ in rows] == METHODOLOGY_ASPECTS
    assert rows[1] == ("Flexibility", "**Agile:** High\n**Spiral:** Moderate")
    assert rows[8] == (
        "Testing",
        "**Agile:** Concurrent with development\n**Spiral:** Ongoing throughout",
    )
    assert result.custom_ids() == ["pb:cmp:agile:spiral"]
    options = select_options(result, "pb:cmp:agile:spiral")
    assert options[0] == ("All aspects", "*", True)
    assert [label for label, _, _ in options[1:]] == METHODOLOGY_ASPECTS
    assert not any(default for _, _, default in options[1:])


async def test_compare_mlops_and_devops(harness: Harness) -> None:
    result = await harness.command("compare", {"first": "mlops", "second": "devops"})
    embed = assert_public_answer(result, "MLOps vs DevOps")
    assert footer(embed) == "MLOps vs DevOps"
    rows = fields(embed)
    assert [name for name, _ in rows] == MLOPS_ASPECTS
    assert rows[6] == (
        "Tools",
        "**MLOps:** ML-specific tools (e.g., TensorFlow, PyTorch) and ML frameworks.\n"
        "**DevOps:** General-purpose tools (e.g., Jenkins, Docker) and infrastructure "
        "automation tools.",
    )
    assert [label for label, _, _ in select_options(result, "pb:cmp:mlops:devops")] == [
        "All aspects",
        *MLOPS_ASPECTS,
    ]


@pytest.mark.parametrize(
    ("options", "title", "values"),
    [
        (
            {"first": "waterfall", "second": "v-model", "aspect": "testing"},
            "Waterfall vs V-Model · Testing",
            [
                ("Waterfall", "At the end of the development"),
                ("V-Model", "Parallel with development"),
            ],
        ),
        (
            {"first": "Scrum", "second": "vee", "aspect": "qa"},  # aliases everywhere
            "Agile vs V-Model · Testing",
            [("Agile", "Concurrent with development"), ("V-Model", "Parallel with development")],
        ),
        (
            {"first": "devops", "second": "mlops", "aspect": "Tools"},
            "DevOps vs MLOps · Tools",
            [
                (
                    "DevOps",
                    "General-purpose tools (e.g., Jenkins, Docker) and infrastructure "
                    "automation tools.",
                ),
                ("MLOps", "ML-specific tools (e.g., TensorFlow, PyTorch) and ML frameworks."),
            ],
        ),
    ],
)
async def test_compare_one_aspect_is_one_row(
    harness: Harness, options: dict[str, str], title: str, values: list[tuple[str, str]]
) -> None:
    result = await harness.command("compare", options)
    embed = assert_public_answer(result, title)
    assert fields(embed) == values
    assert all(f["inline"] for f in embed["fields"])
    assert "description" not in embed
    (select,) = result.custom_ids()
    chosen = [value for _, value, default in select_options(result, select) if default]
    assert len(chosen) == 1 and chosen[0] != "*"


async def test_compare_select_switches_aspect_in_place_and_back_to_all(harness: Harness) -> None:
    sent = await harness.command("compare", {"first": "agile", "second": "waterfall"})
    select = "pb:cmp:agile:waterfall"
    messages_before = len(harness.standin.messages)

    one = await harness.select(sent, select, ["flexibility"])
    assert one.callback_type == 7
    assert one.message_id == sent.message_id
    assert not one.ephemeral
    embed = sent.embed()
    assert embed["title"] == "Agile vs Waterfall · Flexibility"
    assert fields(embed) == [("Agile", "High"), ("Waterfall", "Low")]
    assert [v for _, v, default in select_options(sent, select) if default] == ["flexibility"]

    other = await harness.select(sent, select, ["documentation"])
    assert other.callback_type == 7
    assert sent.embed()["title"] == "Agile vs Waterfall · Documentation"
    assert fields(sent.embed()) == [
        ("Agile", "Minimal documentation"),
        ("Waterfall", "Comprehensive documentation"),
    ]

    back = await harness.select(sent, select, ["*"])
    assert back.callback_type == 7
    embed = sent.embed()
    assert embed["title"] == "Agile vs Waterfall"
    assert [name for name, _ in fields(embed)] == METHODOLOGY_ASPECTS
    assert [v for _, v, default in select_options(sent, select) if default] == ["*"]
    assert len(harness.standin.messages) == messages_before, "no new message, only edits"


async def test_compare_select_keeps_working_after_a_restart(
    harness: Harness, make_bot: Callable[[], PhaseBot]
) -> None:
    sent = await harness.command("compare", {"first": "mlops", "second": "devops"})
    await harness.bot.close()
    async with harness.successor(make_bot()) as restarted:
        picked = await restarted.select(sent.message_id or 0, "pb:cmp:mlops:devops", ["metrics"])
        assert picked.callback_type == 7
        assert sent.embed()["title"] == "MLOps vs DevOps · Metrics"
        assert fields(sent.embed())[0] == (
            "MLOps",
            "Involves ML-specific metrics like accuracy, precision, and recall.",
        )


@pytest.mark.parametrize(
    ("options", "phrases"),
    [
        (
            {"first": "agle", "second": "spiral"},
            ("I don't know a methodology called “agle”.", "Did you mean “Agile”"),
        ),
        (
            {"first": "agile", "second": "spirl"},
            ("I don't know a methodology called “spirl”.", "Did you mean “Spiral”"),
        ),
        ({"first": "agile", "second": "agile"}, ("Pick two different ones", "both are Agile")),
        ({"first": "agile", "second": "scrum"}, ("both are Agile",)),
        (
            {"first": "agile", "second": "mlops"},
            ("Agile and MLOps are in different tables and can't be compared.",),
        ),
        (
            {"first": "devops", "second": "waterfall", "aspect": "testing"},
            ("DevOps and Waterfall are in different tables",),
        ),
        (
            {"first": "mlops", "second": "devops", "aspect": "flexibility"},
            ("I don't know an aspect of MLOps vs DevOps called “flexibility”.",),
        ),
        (
            {"first": "agile", "second": "waterfall", "aspect": "tools"},
            ("I don't know an aspect of SDLC methodologies called “tools”.",),
        ),
    ],
)
async def test_compare_refusals_are_ephemeral_and_change_nothing(
    harness: Harness, options: dict[str, str], phrases: tuple[str, ...]
) -> None:
    public_before = public_messages(harness)
    result = await harness.command("compare", options)
    assert_refused(result, *phrases)
    assert public_messages(harness) == public_before


async def test_compare_autocomplete_first_offers_every_subject(harness: Harness) -> None:
    result = await harness.autocomplete("compare", "first", "")
    assert choice_values(result) == ["waterfall", "agile", "spiral", "v-model", "mlops", "devops"]
    assert choice_values(await harness.autocomplete("compare", "first", "V MODEL")) == ["v-model"]
    assert choice_values(await harness.autocomplete("compare", "first", "dev"))[0] == "devops"


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        ("agile", ["waterfall", "spiral", "v-model"]),
        ("mlops", ["devops"]),
        ("devops", ["mlops"]),
        ("v-model", ["waterfall", "agile", "spiral"]),
    ],
)
async def test_compare_autocomplete_second_offers_the_rest_of_the_same_table(
    harness: Harness, first: str, expected: list[str]
) -> None:
    result = await harness.autocomplete("compare", "second", "", {"first": first})
    assert choice_values(result) == expected


@pytest.mark.parametrize("first", ["Agile", "scrum"])
async def test_compare_autocomplete_second_never_offers_first_again(
    harness: Harness, first: str
) -> None:
    result = await harness.autocomplete("compare", "second", "", {"first": first})
    assert choice_values(result) == ["waterfall", "spiral", "v-model"]


MLOPS_ASPECT_KEYS = [
    "focus",
    "primary-goal",
    "nature-of-artifacts",
    "integration",
    "iterations",
    "testing",
    "tools",
    "metrics",
    "collaboration",
    "environment",
    "challenges",
    "examples",
]
METHODOLOGY_ASPECT_KEYS = [
    "development-approach",
    "flexibility",
    "phases",
    "feedback",
    "client-involvement",
    "risk-management",
    "delivery-time",
    "change-management",
    "testing",
    "documentation",
]


@pytest.mark.parametrize(
    ("options", "typed", "expected"),
    [
        ({"first": "mlops"}, "", MLOPS_ASPECT_KEYS),
        ({"first": "devops", "second": "mlops"}, "", MLOPS_ASPECT_KEYS),
        ({"first": "MLOps"}, "to", ["tools", "examples"]),
        ({"first": "mlops"}, "Tool", ["tools", "examples"]),
        ({"first": "agile"}, "", METHODOLOGY_ASPECT_KEYS),
        ({"first": "v-model", "second": "spiral"}, "", METHODOLOGY_ASPECT_KEYS),
        ({"first": "agile"}, "to", ["client-involvement", "delivery-time"]),
        ({"first": "agile"}, "FLEX", ["flexibility"]),
        ({"first": "agile"}, "tools", []),
        ({"first": "mlops"}, "flexibility", []),
    ],
)
async def test_compare_autocomplete_aspect_follows_the_table_of_first(
    harness: Harness, options: dict[str, str], typed: str, expected: list[str]
) -> None:
    result = await harness.autocomplete("compare", "aspect", typed, options)
    assert choice_values(result) == expected
    if typed == "":
        labels = [c["name"] for c in result.choices or []]
        mlops = expected == MLOPS_ASPECT_KEYS
        assert labels == (MLOPS_ASPECTS if mlops else METHODOLOGY_ASPECTS)


async def test_compare_autocomplete_aspect_without_first_offers_methodology_aspects(
    harness: Harness,
) -> None:
    result = await harness.autocomplete("compare", "aspect", "")
    assert [c["name"] for c in result.choices or []] == METHODOLOGY_ASPECTS


# --------------------------------------------------------------------------------------------
# /methodology and /mlops
# --------------------------------------------------------------------------------------------


async def test_methodology_whole_profile(harness: Harness) -> None:
    result = await harness.command("methodology", {"name": "v-model"})
    embed = assert_public_answer(result, "V-Model")
    assert embed["description"] == "V-Model in SDLC methodologies, aspect by aspect."
    assert fields(embed) == [
        ("Development Approach", "Sequential and Parallel"),
        ("Flexibility", "Moderate"),
        ("Phases", "Parallel (V-Shaped)"),
        ("Feedback", "At each stage"),
        ("Client Involvement", "At each stage"),
        ("Risk Management", "At each stage"),
        ("Delivery Time", "Moderate delivery cycles"),
        ("Change Management", "Some flexibility"),
        ("Testing", "Parallel with development"),
        ("Documentation", "Detailed documentation"),
    ]
    assert footer(embed) == "/compare first:v-model second:<another> compares it side by side."


@pytest.mark.parametrize(
    ("options", "title", "value"),
    [
        ({"name": "waterfall", "aspect": "flexibility"}, "Waterfall · Flexibility", "Low"),
        (
            {"name": "Agile", "aspect": "risk"},
            "Agile · Risk Management",
            "Early and continuous assessment",
        ),
        (
            {"name": "boehm", "aspect": "Documentation"},
            "Spiral · Documentation",
            "Ongoing and updated documentation",
        ),
    ],
)
async def test_methodology_one_aspect(
    harness: Harness, options: dict[str, str], title: str, value: str
) -> None:
    result = await harness.command("methodology", options)
    embed = assert_public_answer(result, title)
    assert embed["description"] == value
    assert footer(embed) == "SDLC methodologies"
    assert fields(embed) == []


@pytest.mark.parametrize(
    ("options", "phrases"),
    [
        (
            {"name": "agile", "aspect": "speediness"},
            ("I don't know an aspect of SDLC methodologies called “speediness”.",),
        ),
        (
            {"name": "agile", "aspect": "tools"},
            ("I don't know an aspect of SDLC methodologies called “tools”.",),
        ),
        ({"name": "watrfall"}, ("I don't know a methodology called “watrfall”.", "“Waterfall”")),
        ({"name": "mlops"}, ("I don't know a methodology called “mlops”.",)),
    ],
)
async def test_methodology_refusals_are_ephemeral(
    harness: Harness, options: dict[str, str], phrases: tuple[str, ...]
) -> None:
    assert_refused(await harness.command("methodology", options), *phrases)


async def test_methodology_autocomplete(harness: Harness) -> None:
    names = await harness.autocomplete("methodology", "name", "")
    assert choice_values(names) == ["waterfall", "agile", "spiral", "v-model"]
    assert choice_values(await harness.autocomplete("methodology", "name", "SPI")) == ["spiral"]
    assert choice_values(await harness.autocomplete("methodology", "name", "mlops")) == []
    aspects = await harness.autocomplete("methodology", "aspect", "", {"name": "agile"})
    assert [c["name"] for c in aspects.choices or []] == METHODOLOGY_ASPECTS
    flex = await harness.autocomplete("methodology", "aspect", "Flex", {"name": "agile"})
    assert choice_values(flex) == ["flexibility"]


async def test_mlops_whole_table_both_sides(harness: Harness) -> None:
    result = await harness.command("mlops")
    embed = assert_public_answer(result, "MLOps vs DevOps")
    assert embed["description"] == "MLOps vs DevOps, aspect by aspect."
    rows = fields(embed)
    assert [name for name, _ in rows] == MLOPS_ASPECTS
    assert rows[0] == (
        "Focus",
        "**MLOps:** Machine Learning (ML) model deployment, monitoring, and management.\n"
        "**DevOps:** Software development, deployment, and operations.",
    )
    assert all(value.count("**MLOps:**") == 1 and "**DevOps:**" in value for _, value in rows)
    assert footer(embed) == "MLOps vs DevOps"


@pytest.mark.parametrize(
    ("aspect", "title", "values"),
    [
        (
            "testing",
            "MLOps vs DevOps · Testing",
            [
                ("MLOps", "Involves model testing, validation, and monitoring for accuracy."),
                ("DevOps", "Emphasizes code testing, unit testing, and system testing."),
            ],
        ),
        (
            "kpis",
            "MLOps vs DevOps · Metrics",
            [
                ("MLOps", "Involves ML-specific metrics like accuracy, precision, and recall."),
                (
                    "DevOps",
                    "Focuses on metrics related to software development and deployment speed, "
                    "reliability, and efficiency.",
                ),
            ],
        ),
    ],
)
async def test_mlops_one_aspect(
    harness: Harness, aspect: str, title: str, values: list[tuple[str, str]]
) -> None:
    result = await harness.command("mlops", {"aspect": aspect})
    embed = assert_public_answer(result, title)
    assert fields(embed) == values
    assert footer(embed) == "MLOps vs DevOps"


@pytest.mark.parametrize("aspect", ["flexibility", "pizza"])
async def test_mlops_unknown_aspect_is_refused_ephemerally(harness: Harness, aspect: str) -> None:
    result = await harness.command("mlops", {"aspect": aspect})
    assert_refused(result, f"I don't know an aspect of MLOps vs DevOps called “{aspect}”.")


async def test_mlops_autocomplete(harness: Harness) -> None:
    result = await harness.autocomplete("mlops", "aspect", "")
    assert [c["name"] for c in result.choices or []] == MLOPS_ASPECTS
    assert choice_values(await harness.autocomplete("mlops", "aspect", "TEST")) == ["testing"]
    assert choice_values(await harness.autocomplete("mlops", "aspect", "drift")) == ["challenges"]


# --------------------------------------------------------------------------------------------
# /ask
# --------------------------------------------------------------------------------------------


async def test_ask_names_the_aspect_of_a_methodology(harness: Harness) -> None:
    result = await harness.command("ask", {"question": "how flexible is waterfall?"})
    embed = assert_public_answer(result, "Waterfall · Flexibility")
    assert embed["description"] == "Low"
    assert footer(embed) == "SDLC methodologies"


async def test_ask_compares_two_methodologies(harness: Harness) -> None:
    result = await harness.command("ask", {"question": "agile vs waterfall"})
    assert result.callback_type == 4 and not result.ephemeral
    embed = result.embed()
    assert set(embed["title"].split(" vs ")) == {"Agile", "Waterfall"}
    rows = dict(fields(embed))
    assert "**Agile:** High" in rows["Flexibility"]
    assert "**Waterfall:** Low" in rows["Flexibility"]
    assert [name for name in rows if name != "See also"] == METHODOLOGY_ASPECTS


async def test_ask_how_mlops_differs_on_testing(harness: Harness) -> None:
    result = await harness.command("ask", {"question": "how is testing different in mlops?"})
    embed = assert_public_answer(result, "MLOps vs DevOps · Testing")
    rows = fields(embed)
    assert rows[:2] == [
        ("MLOps", "Involves model testing, validation, and monitoring for accuracy."),
        ("DevOps", "Emphasizes code testing, unit testing, and system testing."),
    ]


async def test_ask_finds_the_phase_from_an_activity(harness: Harness) -> None:
    result = await harness.command("ask", {"question": "when do we archive data"})
    embed = assert_public_answer(result, "Phase 8 of 8 · Retirement/Phase-out")
    assert embed["description"] == (
        "**Objective:** Decommission the software when it reaches the end of its useful life."
    )
    assert "• Archive data and documentation." in dict(fields(embed))["Activities"]


@pytest.mark.parametrize("question", ["can you order me a pizza", "xyzzy plugh", "???"])
async def test_ask_says_honestly_when_nothing_matches(harness: Harness, question: str) -> None:
    result = await harness.command("ask", {"question": question})
    assert result.callback_type == 4
    assert not result.ephemeral
    embed = result.embed()
    assert embed["title"] == "I'm not sure what you're asking"
    assert (
        f"Nothing I know matches “{question}” well enough, so I won't guess."
        in (embed["description"])
    )
    rows = dict(fields(embed))
    assert list(rows) == ["I can answer"], "no guessed answer and no 'see also'"
    listing = rows["I can answer"]
    for command in ("`/phases`", "`/phase name:", "`/methodology name:", "`/compare first:"):
        assert command in listing
    assert "`/mlops`" in listing
    for name in ("Planning", "Retirement/Phase-out", "Waterfall", "V-Model", "MLOps vs DevOps"):
        assert name in listing


# --------------------------------------------------------------------------------------------
# /help
# --------------------------------------------------------------------------------------------


def _mentions(text: str, command: str) -> bool:
    """``/command`` (e.g. "phase" or "project next") as a whole command, not a prefix of
    another ("/phase" must not be found in "/phases")."""
    return re.search(rf"(?<![\w/-])/{re.escape(command)}(?![\w-])", text) is not None


def _help_groups(embed: JSON) -> dict[str, str]:
    """/help's fields by group, a field continued in another taken together."""
    groups: dict[str, str] = {}
    for name, value in fields(embed):
        group = name.removesuffix(" (continued)")
        groups[group] = f"{groups[group]}\n{value}" if group in groups else value
    return groups


async def test_help_shows_each_group_in_one_field(harness: Harness) -> None:
    result = await harness.command("help")
    embed = assert_public_answer(result, "phasebot commands")
    assert [name for name, _ in fields(embed)] == ["Knowledge", "Project tracking", "Team view"]


async def test_help_lists_every_command(harness: Harness) -> None:
    result = await harness.command("help")
    embed = assert_public_answer(result, "phasebot commands")
    rows = _help_groups(embed)
    assert list(rows) == ["Knowledge", "Project tracking", "Team view"]
    synced = harness.synced_payload()
    expected: list[str] = []
    for command in synced:
        subcommands = [o["name"] for o in command.get("options") or [] if o["type"] == 1]
        expected += [f"{command['name']} {sub}" for sub in subcommands] or [command["name"]]
    assert len(expected) >= len(KNOWLEDGE_COMMANDS) + 9
    text = "\n".join(rows.values())
    missing = [name for name in expected if not _mentions(text, name)]
    assert missing == [], f"missing from /help: {missing}"
    for name in KNOWLEDGE_COMMANDS:
        assert _mentions(rows["Knowledge"], name), name
    assert not _mentions(rows["Knowledge"], "project status")
    # Derived from the declarations for Discord: no console-only options, and who may change.
    assert "page:" not in text and "confirm:" not in text
    assert "`/project history [limit:<1-50>]`" in rows["Project tracking"]
    assert footer(embed) == "Changing the project needs Manage Channels or the editor role."
    assert _mentions("`/phases` — x", "phases") and not _mentions("`/phases` — x", "phase")


# --------------------------------------------------------------------------------------------
# Where the knowledge commands work
# --------------------------------------------------------------------------------------------


async def test_knowledge_commands_are_installable_and_usable_everywhere(harness: Harness) -> None:
    synced = {c["name"]: c for c in harness.synced_payload()}
    for name in KNOWLEDGE_COMMANDS:
        assert sorted(synced[name]["integration_types"]) == [0, 1], name
        assert sorted(synced[name]["contexts"]) == [0, 1, 2], name
        registered = harness.standin.registered_command(name)
        assert registered is not None
        assert sorted(registered["integration_types"]) == [0, 1]
        assert sorted(registered["contexts"]) == [0, 1, 2]


EVERYWHERE: list[tuple[str, Mapping[str, Any], str]] = [
    ("phase", {"name": "testing"}, "Phase 5 of 8 · Testing"),
    ("phases", {}, "Software Development Life Cycle"),
    ("compare", {"first": "agile", "second": "spiral"}, "Agile vs Spiral"),
    ("methodology", {"name": "agile", "aspect": "flexibility"}, "Agile · Flexibility"),
    ("mlops", {"aspect": "tools"}, "MLOps vs DevOps · Tools"),
    ("ask", {"question": "how flexible is waterfall?"}, "Waterfall · Flexibility"),
    ("help", {}, "phasebot commands"),
]


@pytest.mark.parametrize("context", ["guild", "bot_dm", "private_channel"])
@pytest.mark.parametrize(("name", "options", "title"), EVERYWHERE, ids=[e[0] for e in EVERYWHERE])
async def test_knowledge_commands_answer_in_servers_dms_and_private_channels(
    harness: Harness, context: Context, name: str, options: Mapping[str, Any], title: str
) -> None:
    result = await harness.command(name, options, context=context)
    assert_public_answer(result, title)
    assert (result.state.guild_id is not None) == (context == "guild")


@pytest.mark.parametrize("context", ["bot_dm", "private_channel"])
async def test_phase_buttons_and_compare_select_work_outside_servers(
    harness: Harness, context: Context
) -> None:
    sent = await harness.command("phase", {"name": "testing"}, context=context)
    clicked = await harness.click(sent, "pb:phase:deployment")
    assert clicked.callback_type == 7
    assert sent.embed()["title"] == "Phase 6 of 8 · Deployment"

    compared = await harness.command(
        "compare", {"first": "agile", "second": "spiral"}, context=context
    )
    picked = await harness.select(compared, "pb:cmp:agile:spiral", ["testing"])
    assert picked.callback_type == 7
    assert compared.embed()["title"] == "Agile vs Spiral · Testing"


async def test_set_phase_button_does_not_track_private_channels(harness: Harness) -> None:
    sent = await harness.command("phase", {"name": "design"}, context="private_channel")
    assert_public_answer(sent, "Phase 3 of 8 · Design")
    # Not offered where projects can't be tracked (a forged click on an old message is
    # refused: test_project_permissions), while browsing still works.
    assert sent.custom_ids() == ["pb:phase:analysis", "pb:phase:implementation"]


# --------------------------------------------------------------------------------------------
# Unexpected errors: logged with the command and its options, a short apology to the user
# --------------------------------------------------------------------------------------------


def _boom(*args: object, **kwargs: object) -> NoReturn:
    raise RuntimeError("boom: internal detail")


def _assert_apology(result: InteractionResult) -> None:
    assert result.callback_type == 4
    assert result.ephemeral
    assert result.content == APOLOGY
    assert result.embeds == []
    assert result.components == []
    for leak in ("boom", "RuntimeError", "Traceback"):
        assert leak not in result.content
    # The harness saw the one error the bot logged (and nothing else went wrong).
    assert len(result.errors) == 1, result.errors
    assert "[bot.discord.errors] Unexpected error in " in result.errors[0]
    assert "RuntimeError: boom: internal detail" in result.errors[0]


def _logged(caplog: pytest.LogCaptureFixture, *parts: str) -> logging.LogRecord:
    found = [
        r
        for r in caplog.records
        if r.levelno >= logging.ERROR and all(p in r.getMessage() for p in parts)
    ]
    assert found, f"no error logged with {parts}: {[r.getMessage() for r in caplog.records]}"
    record = found[-1]
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)
    return record


CRASHES: list[tuple[str, dict[str, str], str, str]] = [
    ("phase", {"name": "testing"}, "knowledge", "phase_answer"),
    ("phases", {}, "knowledge", "phases"),
    (
        "compare",
        {"first": "agile", "second": "spiral", "aspect": "testing"},
        "knowledge",
        "compare",
    ),
    ("methodology", {"name": "agile", "aspect": "flexibility"}, "knowledge", "methodology"),
    ("mlops", {"aspect": "tools"}, "knowledge", "mlops"),
    ("ask", {"question": "how flexible is waterfall?"}, "asker", "ask"),
]


@pytest.mark.parametrize(
    ("name", "options", "service", "method"), CRASHES, ids=[c[0] for c in CRASHES]
)
async def test_unexpected_error_is_logged_and_apologised_for(
    harness: Harness,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    name: str,
    options: dict[str, str],
    service: str,
    method: str,
) -> None:
    bot = harness.bot
    assert isinstance(bot, PhaseBot)
    monkeypatch.setattr(getattr(bot.runner.app, service), method, _boom)
    caplog.set_level(logging.INFO)
    result = await harness.command(name, options, check=False)
    _assert_apology(result)
    record = _logged(caplog, f"/{name}")
    message = record.getMessage()
    for key, value in options.items():
        assert key in message and value in message


async def test_unexpected_error_in_help_is_apologised_for(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys.modules["bot.core.commands"], "help_answer", _boom)
    result = await harness.command("help", check=False)
    _assert_apology(result)
    _logged(caplog, "/help")


async def test_unexpected_error_in_a_button_leaves_the_message_alone(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sent = await harness.command("phase", {"name": "testing"})
    bot = harness.bot
    assert isinstance(bot, PhaseBot)
    monkeypatch.setattr(bot.runner.app.knowledge, "phase_answer", _boom)
    clicked = await harness.click(sent, "pb:phase:deployment", check=False)
    _assert_apology(clicked)
    assert clicked.message_id != sent.message_id
    assert sent.embed()["title"] == "Phase 5 of 8 · Testing", "the answer was not edited"
    assert len(sent.versions) == 1
    _logged(caplog, "pb:phase:deployment")


async def test_unexpected_error_in_the_select_leaves_the_message_alone(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    sent = await harness.command("compare", {"first": "agile", "second": "spiral"})
    bot = harness.bot
    assert isinstance(bot, PhaseBot)
    monkeypatch.setattr(bot.runner.app.knowledge, "compare", _boom)
    picked = await harness.select(sent, "pb:cmp:agile:spiral", ["testing"], check=False)
    _assert_apology(picked)
    assert sent.embed()["title"] == "Agile vs Spiral"
    assert len(sent.versions) == 1
    _logged(caplog, "pb:cmp:agile:spiral", "testing")


async def test_unexpected_error_in_autocomplete_is_logged_with_what_was_typed(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bot = harness.bot
    assert isinstance(bot, PhaseBot)
    monkeypatch.setattr(bot.runner.app.catalog, "complete_phase", _boom)
    result = await harness.autocomplete("phase", "name", "tes", check=False)
    assert result.callback_type == 8, "answered (with no choices) instead of failing"
    assert result.choices == []
    _logged(caplog, "/phase", "tes")
