"""What users write, and what an out-of-date client or a forged payload sends, end to end.

* Words users wrote (notes) are shown as written: they never format, spoil or ping.
* A command Discord's list hasn't caught up with (between a deploy and the next sync) is
  answered with a polite "this command has changed", logged as a warning, not a bug.
* An autocomplete always gets an autocomplete answer (no choices when there are none),
  never a message and never an error in the log.
* Options and button ids are checked by the core: a forged type, range or id gets a
  polite ephemeral refusal, and nothing is written.

Every interaction goes through discord.py's real dispatch against the local stand-in,
whose harness fails any interaction during which discord.py or phasebot logged an error.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest

from bot.config import Settings
from bot.core.actions import StaleAction
from bot.discord.errors import CHANGED
from tests.discord.harness import FakeUser, Harness, InteractionResult
from tests.discord.standin import JSON, snowflake
from tests.discord.test_project_helpers import (
    EDITOR,
    MEMBER,
    OWNER,
    TABLES,
    assert_refused,
    command_with_roles,
    create_role,
    database_rows,
    editor,
    events,
    lines,
    needs_editor_or_role,
    role_option,
    set_phase,
    status,
)

STALE_ACTION = StaleAction().user_message()
NO_PARSE = {"parse": []}
"""``allowed_mentions`` that ping nobody: no users, roles, @everyone or @here."""


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="bot")
    return caplog


def bot_records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("bot") and r.levelno == level]


def assert_no_errors(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing logged as a bug, by discord.py or by phasebot (the harness checks this too)."""
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


# -- words users wrote ----------------------------------------------------------------------

MARKUP = "**x** ||spoiler|| `code` <@&123> @everyone"
MARKUP_SHOWN = r"\*\*x\*\* \|\|spoiler\|\| \`code\` \<@&123> @" + "\u200b" + "everyone"
"""``MARKUP`` as the bot writes it in Discord's markdown: every mark escaped, the role
mention and @everyone defused. Discord shows it as typed."""


async def test_a_note_is_shown_as_written_in_the_move_answer(harness: Harness) -> None:
    moved = await editor(harness, "project set", {"phase": "design", "note": MARKUP})

    assert not moved.ephemeral
    description = lines(moved.embed()["description"])
    assert description[-1] == f"> {MARKUP_SHOWN}"
    assert moved.callback_data["allowed_mentions"] == NO_PARSE
    [event] = await events(harness)
    assert event.note == MARKUP  # stored as written; escaped only where it is shown

    onwards = await editor(harness, "project next", {"note": "||a|| **b**"})
    assert lines(onwards.embed()["description"])[-1] == r"> \|\|a\|\| \*\*b\*\*"
    assert onwards.callback_data["allowed_mentions"] == NO_PARSE


async def test_a_note_is_shown_as_written_in_the_history(harness: Harness) -> None:
    await set_phase(harness, "planning", MARKUP)
    await editor(harness, "project next", {"note": "_under_ ~~gone~~ <#1> <t:1:R>"})

    shown = await harness.command("project history")

    history = lines(shown.embed()["description"])
    assert history[0].endswith(r" · “\_under\_ \~\~gone\~\~ \<#1> \<t:1:R>”")
    assert history[1].endswith(f" · “{MARKUP_SHOWN}”")
    assert shown.callback_data["allowed_mentions"] == NO_PARSE
    # The only timestamps and mentions in the page are the bot's own: two of each.
    description = shown.embed()["description"]
    assert len(re.findall(r"(?<!\\)<t:", description)) == 2
    assert len(re.findall(r"(?<!\\)<@", description)) == 2


# -- a command Discord's list hasn't caught up with ----------------------------------------


def _forged_set(h: Harness, change: Callable[[JSON], None]) -> JSON:
    """``/project set phase:design note:go``, as built from the synced schema, then changed
    the way a client holding an older list of commands would send it."""
    payload = h.builder.slash("project set", {"phase": "design", "note": "go"}, permissions=EDITOR)
    change(payload["data"])
    return payload


def _unknown_command(data: JSON) -> None:
    data["name"] = "roadmap"
    data["id"] = str(snowflake())


def _unknown_subcommand(data: JSON) -> None:
    data["options"][0]["name"] = "jump"


def _renamed_required_option(data: JSON) -> None:
    data["options"][0]["options"][0]["name"] = "stage"


def _renamed_optional_option(data: JSON) -> None:
    data["options"][0]["options"][1]["name"] = "why"


def _missing_required_option(data: JSON) -> None:
    data["options"][0]["options"].pop(0)


def _group_without_subcommand(data: JSON) -> None:
    data["options"] = []


STALE: list[Callable[[JSON], None]] = [
    _unknown_command,
    _unknown_subcommand,
    _renamed_required_option,
    _renamed_optional_option,
    _missing_required_option,
    _group_without_subcommand,
]


@pytest.mark.parametrize("change", STALE, ids=[f.__name__.strip("_") for f in STALE])
async def test_a_stale_command_gets_a_polite_answer_and_a_warning(
    harness: Harness,
    settings: Settings,
    logs: pytest.LogCaptureFixture,
    change: Callable[[JSON], None],
) -> None:
    await set_phase(harness, "planning")
    before = database_rows(settings.database_path)
    logs.clear()

    result = await harness.feed(_forged_set(harness, change))

    assert_refused(result, CHANGED)
    assert database_rows(settings.database_path) == before
    [warning] = bot_records(logs, logging.WARNING)
    assert warning.name == "bot.discord.errors"
    assert warning.getMessage().startswith("Stale command schema for /")
    assert warning.exc_info is None, "a warning without a traceback"
    assert_no_errors(logs)


async def test_a_stale_autocomplete_gets_no_choices_and_a_warning(
    harness: Harness, logs: pytest.LogCaptureFixture
) -> None:
    payload = harness.builder.slash("phase", {"name": "te"}, focused="name")
    payload["data"]["name"] = "stage"

    result = await harness.feed(payload)

    assert result.callback_type == 8
    assert result.choices == []
    assert result.message is None and result.followups == []
    assert_no_errors(logs)


# -- autocomplete ---------------------------------------------------------------------------


def _focused(payload: JSON) -> JSON:
    """The option being typed in an autocomplete payload (inside its subcommand)."""
    stack = list(payload["data"]["options"])
    while stack:
        option = stack.pop()
        if option.get("focused"):
            return option
        stack += option.get("options") or []
    raise AssertionError("no focused option")


def _focus_on_a_number(payload: JSON) -> None:
    _focused(payload)["value"] = 5


def _focus_on_a_list(payload: JSON) -> None:
    _focused(payload)["value"] = ["te"]


def _focus_on_an_option_without_completion(payload: JSON) -> None:
    _focused(payload)["name"] = "note"


def _focus_on_an_unknown_option(payload: JSON) -> None:
    _focused(payload)["name"] = "stage"


def _focus_on_nothing(payload: JSON) -> None:
    _focused(payload).pop("focused")


FORGED_AUTOCOMPLETE: list[tuple[Callable[[JSON], None], str]] = [
    (_focus_on_a_number, "no completion for /project set phase (typed 5)"),
    (_focus_on_a_list, "no completion for /project set phase (typed ['te'])"),
    (_focus_on_an_option_without_completion, "No autocomplete for /project "),
    (_focus_on_an_unknown_option, "No autocomplete for /project "),
    (_focus_on_nothing, "No autocomplete for /project "),
]


@pytest.mark.parametrize(
    ("change", "debug"),
    FORGED_AUTOCOMPLETE,
    ids=[f.__name__.strip("_") for f, _ in FORGED_AUTOCOMPLETE],
)
async def test_a_forged_autocomplete_gets_no_choices_and_no_error(
    harness: Harness, logs: pytest.LogCaptureFixture, change: Callable[[JSON], None], debug: str
) -> None:
    payload = harness.builder.slash(
        "project set", {"phase": "te"}, focused="phase", permissions=EDITOR
    )
    change(payload)

    result = await harness.feed(payload)

    assert result.callback_type == 8
    assert result.choices == []
    assert result.message is None and result.followups == []
    assert_no_errors(logs)
    assert bot_records(logs, logging.WARNING) == []
    said = [r.getMessage() for r in bot_records(logs, logging.DEBUG)]
    assert any(m.startswith(debug) for m in said), said


def _in_a_private_channel(h: Harness, payload: JSON) -> JSON:
    """A guild interaction payload moved to the user's DM with a friend, where /project
    isn't offered (as from a client that offers it anyway)."""
    private = h.builder.dm_channel(h.world.user, "private_channel")
    for key in ("guild_id", "guild", "guild_locale", "member"):
        payload.pop(key)
    payload.update(
        context=2,
        channel=private,
        channel_id=private["id"],
        user=h.world.user.payload(),
        authorizing_integration_owners={"1": str(h.world.user.id)},
    )
    return payload


async def test_a_project_command_where_projects_are_not_tracked_writes_nothing(
    harness: Harness, settings: Settings, logs: pytest.LogCaptureFixture
) -> None:
    payload = harness.builder.slash("project set", {"phase": "design"}, permissions=OWNER)

    result = await harness.feed(_in_a_private_channel(harness, payload))

    assert_refused(
        result, "Project tracking works in server channels and in DMs with me, not in this chat."
    )
    assert database_rows(settings.database_path) == {t: [] for t in TABLES}
    assert_no_errors(logs)


async def test_activity_autocomplete_where_projects_are_not_tracked_is_empty(
    harness: Harness, logs: pytest.LogCaptureFixture
) -> None:
    """/project isn't offered in other people's DMs; a client that sends its autocomplete
    anyway gets no choices (and a debug line, not an error)."""
    payload = harness.builder.slash("project check", {"activity": ""}, focused="activity")
    _in_a_private_channel(harness, payload)
    await set_phase(harness, "design")  # the server channel has activities to offer

    result = await harness.feed(payload)

    assert result.callback_type == 8
    assert result.choices == []
    assert_no_errors(logs)
    debug = [r.getMessage() for r in bot_records(logs, logging.DEBUG)]
    assert any(m.startswith("no activity completion here") for m in debug), debug


async def test_autocomplete_answers_with_choices_not_a_message(harness: Harness) -> None:
    """The ordinary case, for contrast: choices, and nothing else sent."""
    result = await harness.autocomplete("project set", "phase", "te", permissions=MEMBER)
    assert result.callback_type == 8
    assert result.choices is not None and result.choices[0]["value"] == "testing"
    assert [r.route for r in result.requests] == ["POST /interactions/{iid}/{token}/callback"]


# -- forged options -------------------------------------------------------------------------


def _with_value(name: str, value: Any) -> Callable[[JSON], None]:
    def change(payload: JSON) -> None:
        options = payload["data"]["options"]
        if options and options[0]["type"] == 1:  # a subcommand: its options
            options = options[0]["options"]
        option = next(o for o in options if o["name"] == name)
        option["value"] = value

    return change


FORGED_OPTIONS: list[tuple[str, dict[str, Any], str, Any, str]] = [
    ("phase", {"name": "testing"}, "name", 5, "name must be text."),
    ("phase", {"name": "testing"}, "name", {"a": 1}, "name must be text."),
    ("compare", {"first": "agile", "second": "spiral"}, "second", ["x"], "second must be text."),
    ("project set", {"phase": "design", "note": "go"}, "note", {"x": 1}, "note must be text."),
    ("project set", {"phase": "design", "note": "go"}, "phase", 3, "phase must be text."),
    ("project history", {"limit": 5}, "limit", True, "limit must be a whole number from 1 to 50."),
    ("project history", {"limit": 5}, "limit", 5.5, "limit must be a whole number from 1 to 50."),
    ("project history", {"limit": 5}, "limit", 0, "limit must be a whole number from 1 to 50."),
    ("project history", {"limit": 5}, "limit", 51, "limit must be a whole number from 1 to 50."),
    (
        "project history",
        {"limit": 5},
        "limit",
        2**63,
        "limit must be a whole number from 1 to 50.",
    ),
    ("project history", {"limit": 5}, "limit", "ten", "limit must be a whole number from 1 to 50."),
    (
        "project set",
        {"phase": "design", "note": "go"},
        "note",
        "x" * 201,
        "That note is 201 characters long; keep it to 200 or fewer.",
    ),
    (
        "project set",
        {"phase": "design", "note": "go"},
        "note",
        "bell\x07",
        "That note contains a control character or an unpaired surrogate",
    ),
    (
        "ask",
        {"question": "what is agile"},
        "question",
        "q" * 301,
        "That question is 301 characters long; keep it to 300 or fewer.",
    ),
]


@pytest.mark.parametrize(
    ("command", "options", "option", "value", "refusal"),
    FORGED_OPTIONS,
    ids=[f"{c[0]}-{c[2]}-{c[3]!r}"[:40] for c in FORGED_OPTIONS],
)
async def test_a_forged_option_is_refused_politely_and_writes_nothing(
    harness: Harness,
    settings: Settings,
    logs: pytest.LogCaptureFixture,
    command: str,
    options: dict[str, Any],
    option: str,
    value: Any,
    refusal: str,
) -> None:
    await set_phase(harness, "planning")
    before = database_rows(settings.database_path)
    payload = harness.builder.slash(command, options, permissions=OWNER)
    _with_value(option, value)(payload)

    result = await harness.feed(payload)

    assert result.callback_type == 4 and result.ephemeral
    assert result.content.startswith(refusal), result.content
    assert result.embeds == [] and result.components == [] and result.followups == []
    assert database_rows(settings.database_path) == before
    assert_no_errors(logs)


# -- forged buttons and menus ---------------------------------------------------------------


async def _message_with(h: Harness, *components: JSON) -> int:
    """A copy of a /phase answer in the world's channel whose only row holds
    ``components``: a message from an older release, or a forged one."""
    sent = await h.command("phase", {"name": "testing"})
    assert sent.message is not None
    forged = copy.deepcopy(sent.message)
    forged["id"] = str(snowflake())
    forged["components"] = [{"type": 1, "components": list(components)}]
    h.standin.add_message(h.world.channel_id, forged, guild_id=h.world.guild_id)
    return int(forged["id"])


def _button(custom_id: str) -> JSON:
    return {"type": 2, "style": 2, "label": "Old button", "custom_id": custom_id}


def _select(custom_id: str, *values: str) -> JSON:
    options = [{"label": v, "value": v} for v in values]
    return {"type": 3, "custom_id": custom_id, "options": options, "max_values": len(values)}


FORGED_BUTTONS = [
    "pb:hist:newer:9223372036854775808:5",  # an anchor past 64 bits
    "pb:hist:older:12:0",  # a page of no entries
    "pb:hist:older:12:51",  # a page longer than /project history allows
    "pb:hist:sideways:12:5",
    "pb:reset:yes:not-an-id!:99999999999",
    "pb:reset:maybe:1:99999999999",
    "pb:phase:Testing",  # keys are lower case
    "pb:phase:testing:extra",
    "pb:setphase:",
    "pb:roadmap:1",  # no such action
    "pb:",
]


@pytest.mark.parametrize("custom_id", FORGED_BUTTONS)
async def test_a_forged_button_is_refused_politely_and_writes_nothing(
    harness: Harness, settings: Settings, logs: pytest.LogCaptureFixture, custom_id: str
) -> None:
    await set_phase(harness, "planning")
    message = await _message_with(harness, _button(custom_id))
    before = database_rows(settings.database_path)
    versions = list(harness.standin.message_history[message])

    clicked = await harness.click(message, custom_id, permissions=OWNER)

    assert_refused(clicked, STALE_ACTION)
    assert clicked.message_id != message
    assert harness.standin.message_history[message] == versions, "the message is untouched"
    assert database_rows(settings.database_path) == before
    assert_no_errors(logs)


async def test_a_forged_menu_pick_is_refused_politely(
    harness: Harness, settings: Settings, logs: pytest.LogCaptureFixture
) -> None:
    menu = "pb:cmp:agile:spiral"
    message = await _message_with(harness, _select(menu, "testing", "flexibility", "tools"))
    before = database_rows(settings.database_path)

    two = await harness.select(message, menu, ["testing", "flexibility"])
    unknown = await harness.select(message, menu, ["tools"])

    assert_refused(two, STALE_ACTION)
    assert_refused(
        unknown,
        "I don't know an aspect of SDLC methodologies called “tools”. Nothing is close; I know "
        "Development Approach, Flexibility, Phases, Feedback, Client Involvement, "
        "Risk Management, Delivery Time, Change Management, Testing, Documentation.",
    )
    assert database_rows(settings.database_path) == before
    assert_no_errors(logs)


async def test_a_forged_history_button_of_an_empty_channel_shows_the_empty_history(
    harness: Harness, settings: Settings
) -> None:
    """A well-formed id with an anchor that doesn't exist: the page nearest to it."""
    message = await _message_with(harness, _button("pb:hist:older:9223372036854775807:5"))
    clicked = await harness.click(message, "pb:hist:older:9223372036854775807:5")
    assert clicked.callback_type == 7
    assert clicked.embed()["description"] == (
        "Nothing has happened here yet. Start with `/project set phase:1`."
    )
    assert database_rows(settings.database_path)["events"] == []


# -- the editor role is a role of the server ------------------------------------------------


async def test_the_editor_role_counts_while_the_server_has_it(
    harness: Harness, settings: Settings
) -> None:
    """Membership is read from discord.py's cache of the server, which Discord keeps up
    to date: a role the server doesn't have (not yet created, or deleted) counts for no one."""
    role_id, pat = snowflake(), FakeUser.new("pat")
    manager = await harness.command(
        "project editor-role", {"role": role_option(role_id)}, permissions=OWNER
    )
    assert manager.embed()["title"] == "Editor role set"
    await set_phase(harness, "planning")

    async def next_with_the_role() -> InteractionResult:
        return await command_with_roles(
            harness, "project next", roles=(role_id,), user=pat, permissions=MEMBER
        )

    assert_refused(await next_with_the_role(), needs_editor_or_role(role_id))
    await create_role(harness, role_id)
    assert not (await next_with_the_role()).ephemeral
    assert (await status(harness)).state.phase_key == "analysis"

    await harness.dispatch(
        "GUILD_ROLE_DELETE", {"guild_id": str(harness.world.guild_id), "role_id": str(role_id)}
    )
    before = database_rows(settings.database_path)
    assert_refused(await next_with_the_role(), needs_editor_or_role(role_id))
    assert database_rows(settings.database_path) == before


@pytest.mark.parametrize("value", ["", "abc", "-1", 1.5, True, None, {"id": 1}])
async def test_a_forged_id_option_is_refused_before_discord_py_reads_it(
    harness: Harness, settings: Settings, logs: pytest.LogCaptureFixture, value: Any
) -> None:
    """discord.py turns a channel, role or user option into an object by its id, and
    fails on one that isn't a number, before any handler runs: phasebot refuses it first."""
    payload = harness.builder.slash(
        "project announce", {"channel": harness.world.guild_channel()}, permissions=OWNER
    )
    payload["data"]["options"][0]["options"][0]["value"] = value
    before = database_rows(settings.database_path)
    result = await harness.feed(payload)
    assert_refused(
        result, "I couldn't read the value given for one of the options. Nothing was changed."
    )
    assert database_rows(settings.database_path) == before
    assert_no_errors(logs)


async def test_a_forged_channel_the_payload_does_not_resolve_is_refused(
    harness: Harness, logs: pytest.LogCaptureFixture
) -> None:
    """A well-formed id the payload doesn't resolve (a client always sends the channel):
    discord.py's transformer would fail on it, so it is refused before."""
    payload = harness.builder.slash(
        "project timeline", {"channel": harness.world.guild_channel()}, permissions=OWNER
    )
    payload["data"]["options"][0]["options"][0]["value"] = "0"
    result = await harness.feed(payload)
    assert_refused(
        result, "I couldn't read the value given for one of the options. Nothing was changed."
    )
    assert_no_errors(logs)
