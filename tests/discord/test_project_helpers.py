"""Shared helpers for the /project end-to-end tests (no tests of its own).

Everything goes through the harness (discord.py's real dispatch against the stand-in);
the store is only *read* here, to prove what was and was not written.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.core.state import Event, ProjectStatus, Scope
from bot.core.tracker import Tracker
from bot.discord.bot import PhaseBot
from tests.conftest import PHASE_KEYS
from tests.discord.harness import (
    DEFAULT_MEMBER_PERMISSIONS,
    FakeUser,
    Harness,
    InteractionBuilder,
    InteractionResult,
    World,
)
from tests.discord.standin import snowflake

MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5

MEMBER = DEFAULT_MEMBER_PERMISSIONS
"""A plain member: no Manage Channels, no Manage Server."""
EDITOR = MEMBER | MANAGE_CHANNELS
MANAGER = MEMBER | MANAGE_GUILD
"""Manage Server only (not Manage Channels)."""
OWNER = MEMBER | MANAGE_CHANNELS | MANAGE_GUILD

INFO_COLOUR = 0x5865F2
SUCCESS_COLOUR = 0x57F287
WARNING_COLOUR = 0xFEE75C

PHASES = PHASE_KEYS

NEEDS_EDITOR = (
    "Changing this channel's project needs the Manage Channels permission in this channel. "
    "Nothing was changed."
)
NEEDS_MANAGER = "That needs the Manage Server permission. Nothing was changed."
"""Resetting the project and setting the editor role both need Manage Server."""
AT_LAST = (
    "The project is already in the last phase, Retirement/Phase-out. "
    "There is no next phase; use `/project set` to start over."
)
AT_FIRST = "The project is already in the first phase, Planning. There is no phase before it."
NO_PHASE = "This channel has no project phase yet. Start with `/project set phase:1`."

_TIMESTAMP = re.compile(r"<t:(\d+):R>")


def needs_editor_or_role(role_id: int) -> str:
    return (
        "Changing this channel's project needs the Manage Channels permission in this channel "
        f"or the <@&{role_id}> role. Nothing was changed."
    )


def mention(user: FakeUser) -> str:
    return f"<@{user.id}>"


def uid(user: FakeUser) -> str:
    """The user's id as the core and the database keep it (text)."""
    return str(user.id)


def timestamps(text: str) -> list[int]:
    """The epoch seconds of every ``<t:…:R>`` marker in ``text``."""
    return [int(m) for m in _TIMESTAMP.findall(text)]


def assert_at(text: str, moment: datetime) -> None:
    """``text`` holds at least one relative timestamp, each exactly ``moment`` (the test's
    clock when the change was made)."""
    found = timestamps(text)
    assert found, f"no <t:…:R> in {text!r}"
    assert found == [int(moment.timestamp())] * len(found), (found, moment)


def lines(text: str) -> list[str]:
    return text.split("\n")


# -- where --------------------------------------------------------------------------------


def here(h: Harness) -> Scope:
    """The world's guild channel."""
    return Scope("discord", str(h.world.guild_id), str(h.world.channel_id))


def dm_scope(h: Harness, user: FakeUser) -> Scope:
    """``user``'s DM with the bot (the stand-in creates it on first use)."""
    channel = h.standin.dm_channel(user.payload())["id"]
    return Scope("discord", "", str(channel), private=True)


class Elsewhere:
    """Another channel (same guild by default, or another guild) fed through the same bot."""

    def __init__(self, h: Harness, *, name: str = "design", guild_id: int | None = None) -> None:
        self.h = h
        self.world = World(
            guild_id=h.world.guild_id if guild_id is None else guild_id,
            channel_id=snowflake(),
            channel_name=name,
            owner=h.world.owner,
            user=h.world.user,
        )
        h.standin.add_channel(self.world.guild_channel())
        self.builder = InteractionBuilder(world=self.world, standin=h.standin, tree=h.tree)

    @property
    def scope(self) -> Scope:
        return Scope("discord", str(self.world.guild_id), str(self.world.channel_id))

    async def command(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        user: FakeUser | None = None,
        permissions: int | None = None,
        roles: tuple[int, ...] = (),
    ) -> InteractionResult:
        payload = self.builder.slash(name, options, user=user, permissions=permissions)
        return await self.h.feed(with_roles(payload, *roles))


# -- roles --------------------------------------------------------------------------------


def role_option(role_id: int, name: str = "project-editors") -> dict[str, Any]:
    """A role as the Discord client resolves it for a role option."""
    return {"id": str(role_id), "name": name, "permissions": "0"}


def role_payload(role_id: int, name: str = "project-editors") -> dict[str, Any]:
    """A role as the gateway sends it in GUILD_CREATE and GUILD_ROLE_CREATE."""
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": 1,
        "permissions": "0",
        "managed": False,
        "mentionable": True,
        "flags": 0,
    }


async def create_role(h: Harness, role_id: int, name: str = "project-editors") -> None:
    """The role is created in the world's guild: the bot hears GUILD_ROLE_CREATE, and a
    bot started later gets it in GUILD_CREATE (as from Discord). Members can hold only
    roles their guild has."""
    role = role_payload(role_id, name)
    h.world.roles.append(role)
    await h.dispatch("GUILD_ROLE_CREATE", {"guild_id": str(h.world.guild_id), "role": role})
    guild = h.bot.get_guild(h.world.guild_id)
    assert guild is not None and guild.get_role(role_id) is not None


def with_roles(payload: dict[str, Any], *role_ids: int) -> dict[str, Any]:
    """The interaction as sent by a member who holds ``role_ids`` (guild interactions)."""
    if role_ids:
        payload["member"]["roles"] = [str(r) for r in role_ids]
    return payload


async def command_with_roles(
    h: Harness,
    name: str,
    options: Mapping[str, Any] | None = None,
    *,
    roles: tuple[int, ...],
    user: FakeUser | None = None,
    permissions: int | None = None,
) -> InteractionResult:
    payload = h.builder.slash(name, options, user=user, permissions=permissions)
    return await h.feed(with_roles(payload, *roles))


async def click_with_roles(
    h: Harness,
    result: InteractionResult,
    custom_id: str,
    *,
    roles: tuple[int, ...],
    user: FakeUser | None = None,
    permissions: int | None = None,
) -> InteractionResult:
    message = result.message
    assert message is not None
    payload = h.builder.component(message, custom_id, user=user, permissions=permissions)
    return await h.feed(with_roles(payload, *roles))


# -- reading the store ----------------------------------------------------------------------


async def events(h: Harness, scope: Scope | None = None) -> list[Event]:
    """Every history entry of ``scope`` (default: the world's channel), newest first."""
    page = await tracker_of(h).history(scope or here(h), 1000)
    assert len(page.events) == page.total and page.newer == 0
    return page.events


async def status(h: Harness, scope: Scope | None = None) -> ProjectStatus:
    return await tracker_of(h).status(scope or here(h))


def bot_of(h: Harness) -> PhaseBot:
    assert isinstance(h.bot, PhaseBot)
    return h.bot


def tracker_of(h: Harness) -> Tracker:
    return bot_of(h).runner.app.tracker


def table_rows(database: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows straight from the SQLite file, bypassing the bot."""
    with sqlite3.connect(database) as db:
        return list(db.execute(sql, params))


TABLES = ("projects", "events", "ticks", "settings")
"""Every table of the schema (version 4): projects, their history and ticks, settings."""


def database_rows(database: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, straight from the file: compare before and after to
    prove that nothing was written."""
    return {table: table_rows(database, f"SELECT * FROM {table}") for table in TABLES}


def editor_roles(database: Path) -> list[tuple[Any, ...]]:
    """The editor role settings: (workspace, role id, set by id, set by name)."""
    return table_rows(
        database,
        "SELECT workspace, value, set_by_id, set_by_name FROM settings "
        "WHERE platform = 'discord' AND channel = '' AND key = 'editor_role'",
    )


# -- doing --------------------------------------------------------------------------------


async def set_phase(
    h: Harness, phase: str, note: str | None = None, *, user: FakeUser | None = None
) -> InteractionResult:
    options = {"phase": phase} if note is None else {"phase": phase, "note": note}
    result = await h.command("project set", options, user=user, permissions=EDITOR)
    assert not result.ephemeral, result.content
    return result


async def editor(
    h: Harness, name: str, options: Mapping[str, Any] | None = None, **kwargs: Any
) -> InteractionResult:
    """Run a /project command as a member with Manage Channels."""
    return await h.command(name, options, permissions=EDITOR, **kwargs)


def assert_refused(result: InteractionResult, message: str) -> None:
    """An ephemeral, plain-text refusal with exactly ``message``, and nothing public."""
    assert result.callback_type == 4
    assert result.ephemeral
    assert result.content == message
    assert not result.embeds
    assert not result.custom_ids()
    assert result.followups == []


OpenBot = Callable[[], AbstractAsyncContextManager[PhaseBot]]


@asynccontextmanager
async def restarted(h: Harness, open_bot: OpenBot) -> AsyncIterator[Harness]:
    """Stop the bot and start a new one on a newly opened repository of the same
    database file, with the same stand-in and world: a restart."""
    await h.close()
    assert h.bot.is_closed()
    async with open_bot() as bot, h.successor(bot) as second:
        assert tracker_of(second).repository is not tracker_of(h).repository
        yield second
