"""/project reset, end to end: Manage Server, a confirmation only the asker can answer,
Cancel, expiry, and a clear that touches this channel only."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from bot.config import Settings
from bot.core.state import Scope
from tests.discord.conftest import Clock
from tests.discord.harness import FakeUser, Harness, InteractionResult
from tests.discord.standin import snowflake
from tests.discord.test_project_helpers import (
    EDITOR,
    MANAGER,
    MEMBER,
    NEEDS_MANAGER,
    OWNER,
    WARNING_COLOUR,
    Elsewhere,
    OpenBot,
    assert_refused,
    dm_scope,
    editor,
    events,
    here,
    lines,
    mention,
    restarted,
    status,
    table_rows,
)

pytestmark = pytest.mark.store_backends("sqlite", "postgres")

_RESET_ID = re.compile(r"^pb:reset:(yes|no):(\d+):(\d+)$")


async def seed(h: Harness, where: Elsewhere | None = None) -> None:
    """Agile, Planning → Analysis with a tick and a note: rows in every table."""

    async def run(name: str, options: dict[str, Any] | None = None) -> None:
        if where is None:
            result = await editor(h, name, options)
        else:
            result = await where.command(name, options, permissions=EDITOR)
        assert not result.ephemeral, result.content

    await run("project methodology", {"name": "agile"})
    await run("project set", {"phase": "planning", "note": "start"})
    await run("project next")
    await run("project check", {"activity": "1"})


async def snapshot(h: Harness, scope: Scope) -> tuple[Any, ...]:
    return (await status(h, scope), await events(h, scope))


async def ask(h: Harness, user: FakeUser, permissions: int = MANAGER) -> InteractionResult:
    asked = await h.command("project reset", user=user, permissions=permissions)
    assert asked.callback_type == 4 and not asked.ephemeral, asked.content
    return asked


def yes(asked: InteractionResult) -> str:
    return asked.custom_ids()[0]


def no(asked: InteractionResult) -> str:
    return asked.custom_ids()[1]


async def test_reset_asks_first_and_names_who_may_confirm(harness: Harness, clock: Clock) -> None:
    mia = FakeUser.new("mia")
    await seed(harness)
    before = await snapshot(harness, here(harness))

    asked = await harness.command("project reset", user=mia, permissions=MANAGER)

    assert asked.callback_type == 4
    assert not asked.ephemeral
    assert asked.content == (
        "Clear this channel's phase, checklist and history? This can't be undone. "
        f"Only {mention(mia)} can confirm, within 60 seconds."
    )
    assert not asked.embeds
    confirm, cancel = asked.component(yes(asked)), asked.component(no(asked))
    assert (confirm["label"], confirm["style"]) == ("Yes, clear it", 4)
    assert (cancel["label"], cancel["style"]) == ("Cancel", 2)
    for custom_id, answer in ((yes(asked), "yes"), (no(asked), "no")):
        match = _RESET_ID.match(custom_id)
        assert match is not None, custom_id
        assert match[1] == answer and int(match[2]) == mia.id
        assert int(match[3]) == int(clock().timestamp()) + 60
    assert await snapshot(harness, here(harness)) == before  # asking clears nothing


@pytest.mark.parametrize("permissions", [MEMBER, EDITOR], ids=["member", "manage-channels"])
async def test_reset_needs_manage_server(harness: Harness, permissions: int) -> None:
    await seed(harness)
    before = await snapshot(harness, here(harness))

    refused = await harness.command("project reset", permissions=permissions)

    assert_refused(refused, NEEDS_MANAGER)
    assert await snapshot(harness, here(harness)) == before


@pytest.mark.store_backends("sqlite")  # reads the SQLite file itself
async def test_confirming_clears_this_channel_only(harness: Harness, settings: Settings) -> None:
    mia, dana = FakeUser.new("mia"), FakeUser.new("dana")
    other = Elsewhere(harness, name="backend")
    await seed(harness)
    await seed(harness, other)
    await harness.command(
        "project set", {"phase": "design"}, user=dana, context="bot_dm", permissions=0
    )
    other_before = await snapshot(harness, other.scope)
    dm_before = await snapshot(harness, dm_scope(harness, dana))
    asked = await ask(harness, mia)

    confirmed = await harness.click(asked, yes(asked), user=mia, permissions=MANAGER)

    assert confirmed.callback_type == 7
    assert confirmed.message_id == asked.message_id
    assert asked.content == ""
    assert asked.custom_ids() == []  # the buttons are gone
    [embed] = asked.embeds
    assert embed["title"] == "Project progress reset"
    assert embed["description"] == (
        f"{mention(mia)} cleared this project's phase, checklist and history. "
        "The methodology is kept. Start again with `/project set phase:1`."
    )
    assert embed["color"] == WARNING_COLOUR

    cleared = await status(harness)
    assert cleared.state.phase_key is None
    assert cleared.state.methodology == "agile"  # kept
    assert cleared.state.iteration == 1
    assert cleared.ticks == {}
    assert await events(harness) == []
    key = ("discord", str(harness.world.guild_id), str(harness.world.channel_id))
    for table in ("ticks", "events"):
        assert table_rows(
            settings.database_path,
            f"SELECT count(*) FROM {table} WHERE platform = ? AND workspace = ? AND channel = ?",
            key,
        ) == [(0,)], table
    shown = (await harness.command("project status")).embed()
    assert shown["title"] == "No project phase yet"
    assert lines(shown["description"])[-1] == "Methodology: **Agile**"

    assert await snapshot(harness, other.scope) == other_before
    assert await snapshot(harness, dm_scope(harness, dana)) == dm_before
    assert len(other_before[1]) == 4 and other_before[0].ticks


@pytest.mark.parametrize("permissions", [MEMBER, OWNER], ids=["member", "manage-server"])
async def test_someone_else_cannot_answer_the_confirmation(
    harness: Harness, permissions: int
) -> None:
    mia, nico = FakeUser.new("mia"), FakeUser.new("nico")
    await seed(harness)
    before = await snapshot(harness, here(harness))
    asked = await ask(harness, mia)
    buttons = asked.custom_ids()

    for custom_id in buttons:
        refused = await harness.click(asked, custom_id, user=nico, permissions=permissions)
        assert_refused(refused, f"Only {mention(mia)}, who asked for the reset, can answer this.")
        assert refused.message_id != asked.message_id

    assert await snapshot(harness, here(harness)) == before
    assert asked.custom_ids() == buttons  # still there for the asker
    assert len(asked.versions) == 1
    confirmed = await harness.click(asked, yes(asked), user=mia, permissions=MANAGER)
    assert confirmed.embed()["title"] == "Project progress reset"


async def test_cancel_clears_nothing(harness: Harness) -> None:
    mia = FakeUser.new("mia")
    await seed(harness)
    before = await snapshot(harness, here(harness))
    asked = await ask(harness, mia)

    cancelled = await harness.click(asked, no(asked), user=mia, permissions=MANAGER)

    assert cancelled.callback_type == 7
    assert cancelled.message_id == asked.message_id
    assert asked.content == "Reset cancelled. Nothing was cleared."
    assert asked.embeds == [] and asked.custom_ids() == []
    # One edit: the words replace the question, and the buttons and any embeds go.
    assert cancelled.callback_data == {
        "tts": False,
        "content": "Reset cancelled. Nothing was cleared.",
        "embeds": [],
        "components": [],
        "allowed_mentions": {"parse": []},
    }
    assert len(asked.versions) == 2
    assert await snapshot(harness, here(harness)) == before


async def test_an_expired_confirmation_clears_nothing(harness: Harness) -> None:
    mia, nico = FakeUser.new("mia"), FakeUser.new("nico")
    await seed(harness)
    before = await snapshot(harness, here(harness))
    asked = await ask(harness, mia)
    assert asked.message is not None
    old = copy.deepcopy(asked.message)
    old["id"] = str(snowflake())
    for row in old["components"]:
        for button in row["components"]:
            button["custom_id"] = re.sub(r":\d+$", ":1", button["custom_id"])
    harness.standin.add_message(harness.world.channel_id, old, guild_id=harness.world.guild_id)
    expired_yes = f"pb:reset:yes:{mia.id}:1"

    stranger = await harness.click(int(old["id"]), expired_yes, user=nico, permissions=OWNER)
    assert_refused(stranger, f"Only {mention(mia)}, who asked for the reset, can answer this.")

    late = await harness.click(int(old["id"]), expired_yes, user=mia, permissions=OWNER)

    assert late.callback_type == 7
    assert late.message_id == int(old["id"])
    assert late.content == "This reset request expired. Nothing was cleared."
    assert late.custom_ids() == [] and late.embeds == []
    assert late.callback_data == {
        "tts": False,
        "content": "This reset request expired. Nothing was cleared.",
        "embeds": [],
        "components": [],
        "allowed_mentions": {"parse": []},
    }
    assert await snapshot(harness, here(harness)) == before
    assert asked.custom_ids() != []  # the fresh confirmation is not affected


@pytest.mark.parametrize(("seconds", "expired"), [(60, False), (61, True)])
async def test_the_confirmation_expires_after_60_seconds(
    harness: Harness, clock: Clock, seconds: int, expired: bool
) -> None:
    mia = FakeUser.new("mia")
    await seed(harness)
    before = await snapshot(harness, here(harness))
    asked = await ask(harness, mia)
    clock.advance(seconds=seconds)

    late = await harness.click(asked, yes(asked), user=mia, permissions=MANAGER)

    assert late.callback_type == 7 and late.message_id == asked.message_id
    if not expired:  # the 60th second still counts
        assert asked.embed()["title"] == "Project progress reset"
        assert await events(harness) == []
        return
    assert late.content == "This reset request expired. Nothing was cleared."
    assert asked.embeds == [] and asked.custom_ids() == []
    assert await snapshot(harness, here(harness)) == before


async def test_confirming_still_needs_manage_server(harness: Harness) -> None:
    mia = FakeUser.new("mia")
    await seed(harness)
    before = await snapshot(harness, here(harness))
    asked = await ask(harness, mia)

    refused = await harness.click(asked, yes(asked), user=mia, permissions=EDITOR)

    assert_refused(refused, NEEDS_MANAGER)
    assert await snapshot(harness, here(harness)) == before
    assert len(asked.custom_ids()) == 2


async def test_reset_of_an_untouched_channel_says_there_is_nothing(harness: Harness) -> None:
    mia = FakeUser.new("mia")
    asked = await ask(harness, mia)
    confirmed = await harness.click(asked, yes(asked), user=mia, permissions=MANAGER)
    assert asked.embed()["title"] == "Nothing to reset"
    assert asked.embed()["description"] == (
        "No phase, checklist or history is tracked here. Start with `/project set phase:1`."
    )
    assert confirmed.callback_type == 7


async def test_reset_in_a_dm_is_the_users_own(harness: Harness) -> None:
    dana = FakeUser.new("dana")
    await seed(harness)
    server_before = await snapshot(harness, here(harness))
    await harness.command(
        "project set", {"phase": "design"}, user=dana, context="bot_dm", permissions=0
    )

    asked = await harness.command("project reset", user=dana, context="bot_dm", permissions=0)
    assert asked.callback_type == 4 and len(asked.custom_ids()) == 2
    confirmed = await harness.click(asked, yes(asked), user=dana, permissions=0)

    assert confirmed.embed()["title"] == "Project progress reset"
    assert await events(harness, dm_scope(harness, dana)) == []
    assert (await status(harness, dm_scope(harness, dana))).state.phase_key is None
    assert await snapshot(harness, here(harness)) == server_before


async def test_the_confirmation_works_after_a_restart(harness: Harness, open_bot: OpenBot) -> None:
    mia = FakeUser.new("mia")
    await seed(harness)
    asked = await ask(harness, mia)
    message_id = asked.message_id
    assert message_id is not None
    custom_id = yes(asked)

    async with restarted(harness, open_bot) as second:
        assert len(await events(second)) == 4
        confirmed = await second.click(message_id, custom_id, user=mia, permissions=MANAGER)
        assert confirmed.callback_type == 7
        assert confirmed.embed()["title"] == "Project progress reset"
        assert await events(second) == []
