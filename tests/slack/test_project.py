"""/project on Slack, end to end: every subcommand, and every button and menu.

Commands come as Slack sends them (one line of text), clicks as block_actions payloads
built from the blocks the edge posted; the store is read afterwards to prove what was
(and was not) written. Changes here are made by a workspace admin (permissions are in
``test_permissions.py``).
"""

from __future__ import annotations

import re

import pytest

from bot.core.state import Event, Scope
from bot.storage import SQLiteRepository
from tests.slack.harness import Clock, Reply, Slack, clicked, forged_button
from tests.slack.standin import CHANNEL_ID, TEAM_ID

SCOPE = Scope("slack", TEAM_ID, CHANNEL_ID)
ADMIN = "U0ADMIN"
DATE = re.compile(r"<!date\^(\d+)\^\{date_short_pretty\} \{time\}\|[0-9-]+ [0-9:]+ UTC>")


async def events(repository: SQLiteRepository, scope: Scope = SCOPE) -> list[Event]:
    return (await repository.history(scope, 1000)).events


async def phase_of(repository: SQLiteRepository, scope: Scope = SCOPE) -> str | None:
    return (await repository.load(scope)).state.phase_key


async def admin(slack: Slack, text: str) -> Reply:
    """``/project TEXT`` by a workspace admin; it must have been answered in the channel."""
    reply = await slack.command("/project", text, user=ADMIN)
    assert reply.ephemeral == [], reply.ephemeral[0].text if reply.ephemeral else None
    assert len(reply.public) >= 1
    return reply


def dated(text: str) -> str:
    return DATE.sub("<date>", text)


# -- status, set, next, back -----------------------------------------------------------------


async def test_status_without_a_phase_says_how_to_start(
    slack: Slack, repository: SQLiteRepository
) -> None:
    reply = await slack.command("/project", "status", user="U0GUEST")
    assert reply.header() == "No project phase yet"
    assert reply.texts()[1] == (
        "No SDLC phase is tracked here yet.\n"
        "Start with `/project set phase:1`, then move on with `/project next`."
    )
    assert await events(repository) == []


async def test_set_then_status_shows_phase_bar_since_who_and_checklist(
    slack: Slack, repository: SQLiteRepository, clock: Clock
) -> None:
    moved = await admin(slack, "set implementation note:kick-off")
    assert moved.header() == "Moved to Phase 4 of 8 · Implementation (Coding)"
    lines = moved.texts()[1].split("\n")
    assert lines[0] == "Started at *Implementation (Coding)*"
    assert lines[1] == "▰▰▰▰▱▱▱▱"
    assert dated(lines[2]) == "Since <date> by <@U0ADMIN>"
    assert int(DATE.search(lines[2]).group(1)) == int(clock().timestamp())  # type: ignore[union-attr]
    assert lines[3] == "&gt; kick-off"
    assert await phase_of(repository) == "implementation"

    status = await slack.command("/project", "status", user="U0GUEST")
    assert status.header() == "Phase 4 of 8 · Implementation (Coding)"
    description = status.texts()[1].split("\n")
    assert description[0] == "▰▰▰▰▱▱▱▱"
    assert dated(description[1]) == "Since <date> by <@U0ADMIN>"
    assert description[3] == "*Objective:* Transform the design into actual code."
    assert status.texts()[2] == (
        "*Checklist · 0/3 done*\n"
        "☐ Write code according to the specifications.\n"
        "☐ Conduct unit testing to ensure individual components work as intended.\n"
        "☐ Implement version control and manage source code."
    )
    assert status.texts()[3] == "/project check ticks an activity · /project next moves on"


async def test_a_note_is_shown_as_written_and_cannot_format_or_ping(
    slack: Slack, repository: SQLiteRepository
) -> None:
    note = "ship it *now* &lt;!here&gt; &lt;@U0OWNER&gt; _really_ &amp; soon"
    reply = await admin(slack, f"set design note:{note}")
    shown = reply.texts()[1].split("\n")[-1]
    zw = "\u200b"
    assert shown == (
        f"&gt; ship it {zw}*{zw}now{zw}*{zw} &lt;!here&gt; &lt;@U0OWNER&gt; "
        f"{zw}_{zw}really{zw}_{zw} &amp; soon"
    )
    (event,) = await events(repository)
    assert event.note == "ship it *now* <!here> <@U0OWNER> _really_ & soon"  # as typed


async def test_next_back_and_their_limits(slack: Slack, repository: SQLiteRepository) -> None:
    await admin(slack, "set 7")
    forward = await admin(slack, "next release notes sent")
    assert forward.header() == "Moved to Phase 8 of 8 · Retirement/Phase-out"
    assert forward.texts()[1].split("\n")[-1] == "&gt; release notes sent"
    last = await slack.command("/project", "next", user=ADMIN)
    assert last.refusal() == (
        "The project is already in the last phase, Retirement/Phase-out. "
        "There is no next phase; use `/project set` to start over."
    )
    back = await admin(slack, "back note:rework needed")
    assert back.header() == "Moved to Phase 7 of 8 · Maintenance and Support"
    assert "↺ Rework: Waterfall is sequential" in back.texts()[1]
    newest_first = [e.to_phase for e in await events(repository)]
    assert newest_first == ["maintenance", "retirement", "maintenance"]


async def test_set_to_the_current_phase_is_refused_and_writes_nothing(
    slack: Slack, repository: SQLiteRepository
) -> None:
    await admin(slack, "set design")
    again = await slack.command("/project", "set design", user=ADMIN)
    assert again.refusal() == "The project is already in Design. Nothing changed."
    assert len(await events(repository)) == 1


async def test_a_subcommand_is_needed_and_named(slack: Slack) -> None:
    bare = await slack.command("/project")
    assert bare.refusal().startswith("/project needs a subcommand: status, set, next,")
    assert "editor-group" in bare.refusal() and "editor-role" not in bare.refusal()
    wrong = await slack.command("/project", "editor-role @leads")
    assert wrong.refusal().startswith("There is no command /project editor-role.")


# -- check, methodology --------------------------------------------------------------------


async def test_check_ticks_and_unticks_by_number_or_words(
    slack: Slack, repository: SQLiteRepository
) -> None:
    await admin(slack, "set implementation")
    ticked = await admin(slack, "check version control")
    assert ticked.header() == "Ticked an activity"
    assert ticked.texts()[1] == "☑ Implement version control and manage source code.\nby <@U0ADMIN>"
    assert "☑ Implement version control and manage source code. — <@U0ADMIN>" in ticked.texts()[2]
    unticked = await admin(slack, "check activity:3")
    assert unticked.header() == "Unticked an activity"
    assert [e.kind for e in await events(repository)] == ["uncheck", "check", "phase"]


async def test_methodology_describes_its_rule(slack: Slack, repository: SQLiteRepository) -> None:
    reply = await admin(slack, "methodology agile")
    assert reply.header() == "Methodology set to Agile"
    assert reply.texts()[1].split("\n")[0] == "Waterfall → *Agile*"
    same = await slack.command("/project", "methodology agile", user=ADMIN)
    assert same.refusal() == "The project already follows Agile. Nothing changed."
    assert (await repository.load(SCOPE)).state.methodology == "agile"


# -- history and its pages -------------------------------------------------------------------


async def test_history_pages_turn_in_place(slack: Slack, repository: SQLiteRepository) -> None:
    await admin(slack, "set planning")
    for _ in range(4):
        await admin(slack, "next")
    first = await slack.command("/project", "history limit:2", user="U0GUEST")
    assert first.header() == "Project history"
    lines = dated(first.texts()[1]).split("\n")
    assert lines == [
        "Implementation (Coding) → *Testing* · <@U0ADMIN> · <date>",
        "Design → *Implementation (Coding)* · <@U0ADMIN> · <date>",
    ]
    assert first.texts()[2] == "Page 1 of 3 · 5 entries · newest first"
    # Slack has no disabled button: on the first page there is no ◀ Newer at all.
    assert [e["text"]["text"] for e in first.elements()] == ["Older ▶"]

    second = await slack.click(first.button("Older"), on=first, user="U0GUEST")
    assert len(second.posts) == 1 and second.posts[0].replace_original
    assert dated(second.texts()[1]).split("\n")[0] == ("Analysis → *Design* · <@U0ADMIN> · <date>")
    assert second.texts()[2] == "Page 2 of 3 · 5 entries · newest first"
    assert [e["text"]["text"] for e in second.elements()] == ["◀ Newer", "Older ▶"]
    third = await slack.click(second.button("Older"), on=second)
    assert third.texts()[2] == "Page 3 of 3 · 5 entries · newest first"
    back = await slack.click(third.button("Newer"), on=third)
    assert back.texts()[2] == "Page 2 of 3 · 5 entries · newest first"


async def test_history_limit_is_checked(slack: Slack) -> None:
    for text, message in [
        ("history limit:0", "limit must be a whole number from 1 to 50."),
        ("history limit:abc", "limit must be a whole number from 1 to 50."),
        ("history 51", "limit must be a whole number from 1 to 50."),
        ("history page:2", "/project history has no option 'page'."),
    ]:
        reply = await slack.command("/project", text)
        assert reply.refusal().startswith(message), text


# -- reset -----------------------------------------------------------------------------------


async def _prompt(slack: Slack, clock: Clock) -> Reply:
    await admin(slack, "set testing")
    prompt = await slack.command("/project", "reset", user=ADMIN)
    (post,) = prompt.posts
    assert post.response_type == "in_channel"
    expires = int(clock().timestamp()) + 60
    assert prompt.texts() == [
        "Clear this channel's phase, checklist and history? This can't be undone. "
        "Only <@U0ADMIN> can confirm, within 60 seconds."
    ]
    assert prompt.action_ids() == [
        f"pb:reset:yes:U0ADMIN:{expires}",
        f"pb:reset:no:U0ADMIN:{expires}",
    ]
    assert prompt.elements()[0]["style"] == "danger"
    return prompt


async def test_reset_confirmed_by_the_asker_clears_the_channel(
    slack: Slack, repository: SQLiteRepository, clock: Clock
) -> None:
    prompt = await _prompt(slack, clock)
    done = await slack.click(prompt.button("Yes"), on=prompt, user=ADMIN)
    (post,) = done.posts
    assert post.replace_original
    assert done.header() == "Project progress reset"
    assert done.texts()[1].startswith("<@U0ADMIN> cleared this project's phase")
    assert await phase_of(repository) is None
    assert await events(repository) == []


async def test_only_the_asker_may_answer_the_reset(
    slack: Slack, repository: SQLiteRepository, clock: Clock
) -> None:
    prompt = await _prompt(slack, clock)
    other = await slack.click(prompt.button("Yes"), on=prompt, user="U0OWNER")
    assert other.refusal() == "Only <@U0ADMIN>, who asked for the reset, can answer this."
    assert await phase_of(repository) == "testing"


async def test_cancel_and_expiry_clear_nothing(
    slack: Slack, repository: SQLiteRepository, clock: Clock
) -> None:
    prompt = await _prompt(slack, clock)
    cancelled = await slack.click(prompt.button("Cancel"), on=prompt, user=ADMIN)
    assert cancelled.posts[0].replace_original
    assert cancelled.posts[0].text == "Reset cancelled. Nothing was cleared."
    clock.advance(seconds=61)
    late = await slack.click(prompt.button("Yes"), on=prompt, user=ADMIN)
    assert late.posts[0].replace_original
    assert late.posts[0].text == "This reset request expired. Nothing was cleared."
    assert await phase_of(repository) == "testing"


async def test_reset_in_an_untouched_channel_says_so(slack: Slack) -> None:
    prompt = await slack.command("/project", "reset", user=ADMIN)
    done = await slack.click(prompt.button("Yes"), on=prompt, user=ADMIN)
    assert done.header() == "Nothing to reset"


async def test_the_console_confirm_option_is_not_offered(slack: Slack) -> None:
    reply = await slack.command("/project", "reset confirm:yes", user=ADMIN)
    assert reply.refusal() == "/project reset takes no options. Example: /project reset"


# -- buttons and the menu under knowledge answers -----------------------------------------


async def test_phase_arrows_browse_in_place(slack: Slack) -> None:
    testing = await slack.command("/phase", "testing")
    after = await slack.click(testing.button("Deployment ▶"), on=testing)
    (post,) = after.posts
    assert post.replace_original and post.response_type == "in_channel"
    assert after.header() == "Phase 6 of 8 · Deployment"
    before = await slack.click(after.button("◀ 5"), on=after)
    assert before.header() == "Phase 5 of 8 · Testing"


async def test_set_as_this_channels_phase(slack: Slack, repository: SQLiteRepository) -> None:
    shown = await slack.command("/phase", "design")
    moved = await slack.click(shown.button("Set as this"), on=shown, user=ADMIN)
    (post,) = moved.posts
    assert not post.replace_original  # a new message; the phase card stays
    assert moved.header() == "Moved to Phase 3 of 8 · Design"
    assert await phase_of(repository) == "design"


async def test_the_aspect_menu_switches_aspects_in_place(slack: Slack) -> None:
    whole = await slack.command("/compare", "agile spiral")
    menu = whole.element("pb:cmp:agile:spiral")
    one = await slack.click(clicked(menu, "risk-management"), on=whole)
    assert one.posts[0].replace_original
    assert one.header() == "Agile vs Spiral · Risk Management"
    assert one.element("pb:cmp:agile:spiral")["initial_option"]["value"] == "risk-management"
    again = await slack.click(clicked(one.element("pb:cmp:agile:spiral"), "*"), on=one)
    assert again.header() == "Agile vs Spiral"
    assert again.posts[0].body["blocks"] == whole.posts[0].body["blocks"]


@pytest.mark.parametrize(
    "action",
    [
        forged_button("pb:phase:../../etc/passwd"),
        forged_button("pb:hist:older:1:0"),
        forged_button("pb:hist:older:99999999999999999999:10"),
        forged_button("pb:reset:yes:U0ADMIN:soon"),
        forged_button("pb:nothing:here"),
        forged_button("somebody-elses-button"),
        forged_button(""),
        forged_button(5),
        forged_button(None),
        {"type": "button"},
        {"type": "overflow", "action_id": "pb:cmp:agile:spiral", "selected_option": [1]},
        {"type": "static_select", "action_id": "pb:cmp:agile:spiral", "selected_option": 5},
        {"type": "static_select", "action_id": "pb:cmp:agile:spiral", "selected_option": None},
        {"type": "static_select", "action_id": "pb:cmp:agile:spiral", "selected_option": {}},
    ],
)
async def test_forged_clicks_are_refused_politely(
    slack: Slack, repository: SQLiteRepository, action: dict[str, object]
) -> None:
    reply = await slack.click(action, user=ADMIN)
    assert reply.refusal() == (
        "That button or menu isn't one I can use (it may be from an older version of "
        "phasebot). Run the command again for a fresh one."
    )
    assert await events(repository) == []


async def test_a_forged_menu_value_gets_the_cores_refusal(slack: Slack) -> None:
    action = {
        "type": "static_select",
        "action_id": "pb:cmp:agile:spiral",
        "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": "lunch"},
    }
    reply = await slack.click(action)
    assert reply.refusal().startswith(
        "I don't know an aspect of SDLC methodologies called “lunch”."
    )


async def test_a_forged_set_phase_for_an_unknown_phase_writes_nothing(
    slack: Slack, repository: SQLiteRepository
) -> None:
    reply = await slack.click(forged_button("pb:setphase:lunch"), user=ADMIN)
    assert reply.refusal().startswith("I don't know a phase called “lunch”.")
    assert await events(repository) == []
