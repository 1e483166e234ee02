"""Who may change a channel's project, end to end.

Reading is open; changing (set, next, back, check, methodology, and the "Set as this
channel's phase" button under /phase) needs Manage Channels in that channel or the
server's editor role; the editor role itself needs Manage Server. A refusal is
ephemeral, says what is needed and writes nothing. In a DM with the bot, the user owns
the DM's progress.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.core.commands import EDITOR_ROLE
from bot.core.state import Place
from tests.discord.harness import FakeUser, Harness, UnsendableInteraction
from tests.discord.standin import snowflake
from tests.discord.test_project_helpers import (
    EDITOR,
    MANAGER,
    MEMBER,
    NEEDS_EDITOR,
    NEEDS_MANAGER,
    SUCCESS_COLOUR,
    TABLES,
    Elsewhere,
    assert_refused,
    click_with_roles,
    command_with_roles,
    create_role,
    dm_scope,
    editor,
    editor_roles,
    events,
    here,
    lines,
    mention,
    needs_editor_or_role,
    role_option,
    set_phase,
    status,
    table_rows,
    tracker_of,
    uid,
)

pytestmark = pytest.mark.store_backends("sqlite", "postgres")

CHANGES: list[tuple[str, dict[str, Any] | None]] = [
    ("project set", {"phase": "testing", "note": "go"}),
    ("project next", {"note": "onwards"}),
    ("project back", None),
    ("project check", {"activity": "user-interfaces"}),
    ("project methodology", {"name": "agile"}),
]
CHANGE_IDS = ["set", "next", "back", "check", "methodology"]
# What each change answers when allowed, starting at Design (Waterfall).
ALLOWED_TITLES = {
    "project set": "Moved to Phase 5 of 8 · Testing",
    "project next": "Moved to Phase 4 of 8 · Implementation (Coding)",
    "project back": "Moved to Phase 2 of 8 · Analysis",
    "project check": "Ticked an activity",
    "project methodology": "Methodology set to Agile",
}

EITHER_ROLE_OR_CLEAR = "Give either `role:` to set the editor role or `clear:true` to remove it."


async def editor_role(h: Harness) -> str | None:
    """The server's editor role as the bot reads it."""
    return await tracker_of(h).setting(Place("discord", str(h.world.guild_id)), EDITOR_ROLE)


async def set_editor_role(h: Harness, role_id: int, manager: FakeUser | None = None) -> None:
    await create_role(h, role_id)
    result = await h.command(
        "project editor-role", {"role": role_option(role_id)}, user=manager, permissions=MANAGER
    )
    assert result.embed()["title"] == "Editor role set", result.content


# -- changing needs Manage Channels -------------------------------------------------------


@pytest.mark.parametrize("permissions", [MEMBER, MANAGER], ids=["member", "manage-server-only"])
@pytest.mark.parametrize(("command", "options"), CHANGES, ids=CHANGE_IDS)
async def test_a_change_without_manage_channels_is_refused_and_writes_nothing(
    harness: Harness, command: str, options: dict[str, Any] | None, permissions: int
) -> None:
    await set_phase(harness, "design")
    before_events, before_status = await events(harness), await status(harness)

    result = await harness.command(command, options, permissions=permissions)

    assert_refused(result, NEEDS_EDITOR)
    assert await events(harness) == before_events
    assert await status(harness) == before_status


@pytest.mark.parametrize(("command", "options"), CHANGES, ids=CHANGE_IDS)
async def test_manage_channels_may_make_each_change(
    harness: Harness, command: str, options: dict[str, Any] | None
) -> None:
    ann = FakeUser.new("ann")
    await set_phase(harness, "design")
    before = len(await events(harness))

    result = await harness.command(command, options, user=ann, permissions=EDITOR)

    assert result.callback_type == 4
    assert not result.ephemeral, result.content
    assert result.embed()["title"] == ALLOWED_TITLES[command]
    history = await events(harness)
    assert len(history) == before + 1
    assert history[0].actor.id == uid(ann)


async def test_reading_is_open_to_every_member(harness: Harness) -> None:
    await set_phase(harness, "design")
    await editor(harness, "project check", {"activity": "user-interfaces"})
    reader = FakeUser.new("reader")

    shown = await harness.command("project status", user=reader, permissions=MEMBER)
    history = await harness.command("project history", user=reader, permissions=MEMBER)
    suggested = await harness.autocomplete(
        "project check", "activity", "", user=reader, permissions=MEMBER
    )

    assert not shown.ephemeral and shown.embed()["title"] == "Phase 3 of 8 · Design"
    assert not history.ephemeral and history.embed()["title"] == "Project history"
    assert suggested.choices is not None and len(suggested.choices) == 5


async def test_the_schema_lets_every_member_see_project(harness: Harness) -> None:
    [project] = [c for c in harness.synced_payload() if c["name"] == "project"]
    assert project.get("default_member_permissions") is None
    assert sorted(o["name"] for o in project["options"]) == [
        "announce",
        "back",
        "check",
        "editor-role",
        "export",
        "history",
        "methodology",
        "next",
        "overview",
        "remind",
        "reset",
        "set",
        "status",
        "timeline",
    ]


# -- the editor role ----------------------------------------------------------------------


@pytest.mark.store_backends("sqlite")  # reads the SQLite file itself
async def test_editor_role_members_may_change_without_manage_channels(
    harness: Harness, settings: Settings
) -> None:
    manager, pat = FakeUser.new("manager"), FakeUser.new("pat")
    role_id = snowflake()
    await create_role(harness, role_id)

    result = await harness.command(
        "project editor-role", {"role": role_option(role_id)}, user=manager, permissions=MANAGER
    )

    assert result.callback_type == 4
    assert not result.ephemeral
    embed = result.embed()
    assert embed["title"] == "Editor role set"
    assert embed["description"] == (
        f"{mention(manager)} set the editor role: members with <@&{role_id}> "
        "can change project progress."
    )
    assert embed["color"] == SUCCESS_COLOUR
    assert editor_roles(settings.database_path) == [
        (str(harness.world.guild_id), str(role_id), uid(manager), "Manager")
    ]
    assert await editor_role(harness) == str(role_id)

    steps: list[tuple[str, dict[str, Any] | None, str]] = [
        ("project set", {"phase": "design"}, "Moved to Phase 3 of 8 · Design"),
        ("project check", {"activity": "1"}, "Ticked an activity"),
        ("project next", None, "Moved to Phase 4 of 8 · Implementation (Coding)"),
        ("project back", None, "Moved to Phase 3 of 8 · Design"),
        ("project methodology", {"name": "spiral"}, "Methodology set to Spiral"),
    ]
    for command, options, title in steps:
        done = await command_with_roles(
            harness, command, options, roles=(snowflake(), role_id), user=pat, permissions=MEMBER
        )
        assert not done.ephemeral, done.content
        assert done.embed()["title"] == title
    assert [e.actor.id for e in await events(harness)] == [uid(pat)] * 5


async def test_without_the_editor_role_the_refusal_names_it(harness: Harness) -> None:
    role_id = snowflake()
    await set_editor_role(harness, role_id)
    await set_phase(harness, "design")
    before = await events(harness)

    other_role = await command_with_roles(
        harness, "project next", roles=(snowflake(),), permissions=MEMBER
    )
    no_role = await harness.command("project next", permissions=MEMBER)

    assert_refused(other_role, needs_editor_or_role(role_id))
    assert_refused(no_role, needs_editor_or_role(role_id))
    assert await events(harness) == before


@pytest.mark.store_backends("sqlite")  # reads the SQLite file itself
async def test_clearing_the_editor_role_takes_the_right_away(
    harness: Harness, settings: Settings
) -> None:
    manager = FakeUser.new("manager")
    role_id = snowflake()
    await set_editor_role(harness, role_id)
    await set_phase(harness, "design")

    cleared = await harness.command(
        "project editor-role", {"clear": True}, user=manager, permissions=MANAGER
    )

    assert not cleared.ephemeral
    assert cleared.embed()["title"] == "Editor role cleared"
    assert cleared.embed()["description"] == (
        f"{mention(manager)} cleared the editor role: the default permissions decide again "
        "who can change project progress."
    )
    assert editor_roles(settings.database_path) == []
    assert await editor_role(harness) is None
    refused = await command_with_roles(
        harness, "project next", roles=(role_id,), permissions=MEMBER
    )
    assert_refused(refused, NEEDS_EDITOR)
    assert (await status(harness)).state.phase_key == "design"


async def test_a_new_editor_role_replaces_the_old_one(harness: Harness) -> None:
    old, new = snowflake(), snowflake()
    await set_editor_role(harness, old)
    await set_editor_role(harness, new)
    await set_phase(harness, "design")

    refused = await command_with_roles(harness, "project next", roles=(old,), permissions=MEMBER)
    allowed = await command_with_roles(harness, "project next", roles=(new,), permissions=MEMBER)

    assert_refused(refused, needs_editor_or_role(new))
    assert allowed.embed()["title"] == "Moved to Phase 4 of 8 · Implementation (Coding)"


@pytest.mark.store_backends("sqlite")  # reads the SQLite file itself
@pytest.mark.parametrize("permissions", [MEMBER, EDITOR], ids=["member", "manage-channels"])
async def test_setting_the_editor_role_needs_manage_server(
    harness: Harness, settings: Settings, permissions: int
) -> None:
    for options in ({"role": role_option(snowflake())}, {"clear": True}):
        refused = await harness.command("project editor-role", options, permissions=permissions)
        assert_refused(refused, NEEDS_MANAGER)
    assert editor_roles(settings.database_path) == []


@pytest.mark.parametrize(
    "options",
    [{}, {"clear": False}, {"role": "ROLE", "clear": True}],
    ids=["nothing", "clear-false", "role-and-clear"],
)
@pytest.mark.store_backends("sqlite")  # reads the SQLite file itself
async def test_editor_role_needs_exactly_a_role_or_clear(
    harness: Harness, settings: Settings, options: dict[str, Any]
) -> None:
    if "role" in options:
        options = {**options, "role": role_option(snowflake())}
    refused = await harness.command("project editor-role", options, permissions=MANAGER)
    assert_refused(refused, EITHER_ROLE_OR_CLEAR)
    assert editor_roles(settings.database_path) == []


@pytest.mark.store_backends("sqlite")  # reads the SQLite file itself
async def test_editor_role_in_a_dm_is_refused(harness: Harness, settings: Settings) -> None:
    refused = await harness.command(
        "project editor-role", {"clear": True}, context="bot_dm", user=FakeUser.new("dana")
    )
    assert_refused(refused, "Editor roles exist only in servers; in a DM the progress is yours.")
    assert editor_roles(settings.database_path) == []


async def test_the_editor_role_counts_in_every_channel_of_its_server_only(
    harness: Harness,
) -> None:
    role_id = snowflake()
    await set_editor_role(harness, role_id)
    same_server = Elsewhere(harness, name="backend")
    other_server = Elsewhere(harness, name="general", guild_id=snowflake())

    allowed = await same_server.command(
        "project set", {"phase": "analysis"}, permissions=MEMBER, roles=(role_id,)
    )
    refused = await other_server.command(
        "project set", {"phase": "analysis"}, permissions=MEMBER, roles=(role_id,)
    )

    assert allowed.embed()["title"] == "Moved to Phase 2 of 8 · Analysis"
    assert_refused(refused, NEEDS_EDITOR)
    assert await events(harness, other_server.scope) == []
    assert (await status(harness, same_server.scope)).state.phase_key == "analysis"


async def test_the_editor_role_does_not_allow_reset_or_editor_role(harness: Harness) -> None:
    role_id = snowflake()
    await set_editor_role(harness, role_id)
    reset = await command_with_roles(harness, "project reset", roles=(role_id,), permissions=MEMBER)
    role = await command_with_roles(
        harness, "project editor-role", {"clear": True}, roles=(role_id,), permissions=MEMBER
    )
    assert_refused(reset, NEEDS_MANAGER)
    assert_refused(role, NEEDS_MANAGER)
    assert await editor_role(harness) == str(role_id)


async def test_everyone_as_the_editor_role_lets_every_member_change(harness: Harness) -> None:
    everyone = harness.world.guild_id
    announced = await harness.command(
        "project editor-role",
        {"role": role_option(everyone, "@everyone")},
        permissions=MANAGER,
    )
    assert announced.embed()["title"] == "Editor role set"

    result = await harness.command("project set", {"phase": "planning"}, permissions=MEMBER)

    assert not result.ephemeral, result.content
    assert (await status(harness)).state.phase_key == "planning"


# -- the "Set as this channel's phase" button under /phase --------------------------------


async def test_the_set_phase_button_moves_the_channel_for_an_editor(harness: Harness) -> None:
    reader, ann = FakeUser.new("reader"), FakeUser.new("ann")
    await set_phase(harness, "design")
    shown = await harness.command("phase", {"name": "testing"}, user=reader)
    assert "pb:setphase:testing" in shown.custom_ids()
    assert shown.component("pb:setphase:testing")["label"] == "Set as this channel's phase"

    clicked = await harness.click(shown, "pb:setphase:testing", user=ann, permissions=EDITOR)

    assert clicked.callback_type == 4  # a new public answer; the /phase message stays
    assert not clicked.ephemeral
    embed = clicked.embed()
    assert embed["title"] == "Moved to Phase 5 of 8 · Testing"
    assert lines(embed["description"])[0] == "Design → **Testing**"
    assert lines(embed["description"])[2].endswith(f":R> by {mention(ann)}")
    assert shown.embed()["title"] == "Phase 5 of 8 · Testing"
    latest = (await events(harness))[0]
    assert (latest.from_phase, latest.to_phase, latest.actor.id) == (
        "design",
        "testing",
        uid(ann),
    )


@pytest.mark.parametrize("permissions", [MEMBER, MANAGER], ids=["member", "manage-server-only"])
async def test_the_set_phase_button_refuses_without_manage_channels(
    harness: Harness, permissions: int
) -> None:
    await set_phase(harness, "design")
    before = await events(harness)
    shown = await harness.command("phase", {"name": "testing"})

    clicked = await harness.click(shown, "pb:setphase:testing", permissions=permissions)

    assert_refused(clicked, NEEDS_EDITOR)
    assert clicked.message_id != shown.message_id
    assert "pb:setphase:testing" in shown.custom_ids()  # the /phase answer is untouched
    assert await events(harness) == before


async def test_the_set_phase_button_works_for_the_editor_role(harness: Harness) -> None:
    role_id = snowflake()
    await set_editor_role(harness, role_id)
    shown = await harness.command("phase", {"name": "2"})

    refused = await harness.click(shown, "pb:setphase:analysis", permissions=MEMBER)
    clicked = await click_with_roles(
        harness, shown, "pb:setphase:analysis", roles=(role_id,), permissions=MEMBER
    )

    assert_refused(refused, needs_editor_or_role(role_id))
    assert clicked.embed()["title"] == "Moved to Phase 2 of 8 · Analysis"
    assert (await status(harness)).state.phase_key == "analysis"


async def test_the_set_phase_button_follows_the_browsed_phase(harness: Harness) -> None:
    shown = await harness.command("phase", {"name": "testing"})
    browsed = await harness.click(shown, "pb:phase:deployment")
    assert browsed.callback_type == 7
    assert shown.embed()["title"] == "Phase 6 of 8 · Deployment"

    clicked = await harness.click(shown, "pb:setphase:deployment", permissions=EDITOR)

    assert clicked.embed()["title"] == "Moved to Phase 6 of 8 · Deployment"
    assert (await status(harness)).state.phase_key == "deployment"


async def test_the_set_phase_button_on_the_current_phase_is_refused(harness: Harness) -> None:
    await set_phase(harness, "testing")
    before = await events(harness)
    shown = await harness.command("phase", {"name": "qa"})

    clicked = await harness.click(shown, "pb:setphase:testing", permissions=EDITOR)

    assert_refused(clicked, "The project is already in Testing. Nothing changed.")
    assert await events(harness) == before


# -- DMs with the bot ---------------------------------------------------------------------


@pytest.mark.store_backends("sqlite")  # reads the SQLite file itself
async def test_in_a_dm_the_user_owns_the_progress(harness: Harness, settings: Settings) -> None:
    dana, eve = FakeUser.new("dana"), FakeUser.new("eve")

    steps: list[tuple[str, dict[str, Any] | None, str]] = [
        ("project set", {"phase": "planning", "note": "side project"}, "Moved to Phase 1"),
        ("project check", {"activity": "1"}, "Ticked an activity"),
        ("project next", None, "Moved to Phase 2"),
        ("project back", None, "Moved to Phase 1"),
        ("project methodology", {"name": "agile"}, "Methodology set to Agile"),
    ]
    for command, options, title in steps:
        done = await harness.command(command, options, user=dana, context="bot_dm", permissions=0)
        assert not done.ephemeral, done.content
        assert done.embed()["title"].startswith(title)

    shown = await harness.command("project status", user=dana, context="bot_dm")
    assert shown.embed()["title"] == "Phase 1 of 8 · Planning"
    assert lines(shown.embed()["description"])[1].endswith(f":R> by {mention(dana)}")
    assert shown.embed()["fields"][0]["name"] == "Checklist · 1/5 done"

    mine = dm_scope(harness, dana)
    assert [e.actor.id for e in await events(harness, mine)] == [uid(dana)] * 5
    stored = table_rows(
        settings.database_path,
        "SELECT platform, workspace, channel, phase_key, methodology FROM projects",
    )
    assert stored == [("discord", "", mine.channel, "planning", "agile")]

    # Someone else's DM and the server channel know nothing of it.
    theirs = await harness.command("project status", user=eve, context="bot_dm")
    server = await harness.command("project status")
    assert theirs.embed()["title"] == "No project phase yet"
    assert server.embed()["title"] == "No project phase yet"
    assert await events(harness, here(harness)) == []


async def test_the_set_phase_button_in_a_dm_sets_the_dm_progress(harness: Harness) -> None:
    dana = FakeUser.new("dana")
    shown = await harness.command("phase", {"name": "design"}, user=dana, context="bot_dm")

    clicked = await harness.click(shown, "pb:setphase:design", user=dana, permissions=0)

    assert clicked.embed()["title"] == "Moved to Phase 3 of 8 · Design"
    assert (await status(harness, dm_scope(harness, dana))).state.phase_key == "design"
    assert (await status(harness)).state.phase_key is None


async def test_project_is_not_offered_in_other_peoples_dms(harness: Harness) -> None:
    with pytest.raises(UnsendableInteraction, match="not allowed in context private_channel"):
        await harness.command("project status", context="private_channel")


@pytest.mark.store_backends("sqlite")  # reads the SQLite file itself
async def test_the_set_phase_button_in_other_peoples_dms_writes_nothing(
    harness: Harness, settings: Settings
) -> None:
    dana = FakeUser.new("dana")
    shown = await harness.command("phase", {"name": "design"}, user=dana, context="private_channel")
    assert shown.message is not None and shown.message_id is not None
    assert "pb:setphase:design" not in shown.custom_ids()  # not offered where /project isn't

    # A message from an older release still carries the button: the click is refused.
    old = copy.deepcopy(shown.message)
    old["id"] = str(int(shown.message["id"]) + 1)
    old["components"][0]["components"].append(
        {
            "type": 2,
            "style": 1,
            "label": "Set as this channel's phase",
            "custom_id": "pb:setphase:design",
        }
    )
    meta = harness.standin.message_meta[shown.message_id]
    harness.standin.add_message(meta.channel_id, old, guild_id=meta.guild_id)
    clicked = await harness.click(int(old["id"]), "pb:setphase:design", user=dana)

    assert clicked.ephemeral
    assert not clicked.embeds
    assert "Project tracking works in server channels and in DMs with me" in clicked.content
    assert table_rows(settings.database_path, "SELECT * FROM events") == []


@pytest.mark.store_backends("sqlite")  # reads the SQLite file itself
async def test_refusals_in_one_guild_channel_leave_the_database_untouched(
    harness: Harness, settings: Settings
) -> None:
    """Straight from the file: a refused change writes no row anywhere."""
    for command, options in CHANGES:
        assert_refused(await harness.command(command, options, permissions=MEMBER), NEEDS_EDITOR)
    refused = await harness.command("project editor-role", {"clear": True}, permissions=EDITOR)
    assert_refused(refused, NEEDS_MANAGER)
    for table in TABLES:
        assert table_rows(Path(settings.database_path), f"SELECT * FROM {table}") == [], table
