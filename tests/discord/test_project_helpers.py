"""Shared helpers for the /project end-to-end tests (no tests of its own).

Everything goes through the harness (discord.py's real dispatch against the stand-in);
the store is only *read* here, to prove what was and was not written.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.core.progress import Event, ProjectStatus, Scope
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
RESET_NEEDS_MANAGER = (
    "Resetting the project needs the Manage Server permission. Nothing was changed."
)
ROLE_NEEDS_MANAGER = (
    "Setting the editor role needs the Manage Server permission. Nothing was changed."
)
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


def timestamps(text: str) -> list[int]:
    """The epoch seconds of every ``<t:…:R>`` marker in ``text``."""
    return [int(m) for m in _TIMESTAMP.findall(text)]


def assert_recent(text: str, started: float) -> None:
    """``text`` holds at least one relative timestamp, all between ``started`` and now."""
    found = timestamps(text)
    assert found, f"no <t:…:R> in {text!r}"
    for moment in found:
        assert int(started) <= moment <= int(time.time()) + 1, (moment, started)


def lines(text: str) -> list[str]:
    return text.split("\n")


# -- where --------------------------------------------------------------------------------


def here(h: Harness) -> Scope:
    """The world's guild channel."""
    return Scope(guild_id=h.world.guild_id, channel_id=h.world.channel_id)


def dm_scope(h: Harness, user: FakeUser) -> Scope:
    """``user``'s DM with the bot (the stand-in creates it on first use)."""
    return Scope(guild_id=None, channel_id=int(h.standin.dm_channel(user.payload())["id"]))


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
        return Scope(guild_id=self.world.guild_id, channel_id=self.world.channel_id)

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
    found, total = await bot_of(h).store.history(scope or here(h), 1000)
    assert len(found) == total
    return found


async def status(h: Harness, scope: Scope | None = None) -> ProjectStatus:
    return await bot_of(h).store.status(scope or here(h))


def bot_of(h: Harness) -> PhaseBot:
    assert isinstance(h.bot, PhaseBot)
    return h.bot


def table_rows(database: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows straight from the SQLite file, bypassing the bot."""
    with sqlite3.connect(database) as db:
        return list(db.execute(sql, params))


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


@asynccontextmanager
async def restarted(h: Harness, make_bot: Callable[[], PhaseBot]) -> AsyncIterator[Harness]:
    """Stop the bot and start a new one on the same database, stand-in and world."""
    await h.close()
    assert h.bot.is_closed()
    async with h.successor(make_bot()) as second:
        yield second
