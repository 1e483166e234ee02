"""Commands are registered only when their schema changed since the last sync."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.config import Settings
from bot.discord import runner
from bot.discord.bot import PhaseBot
from bot.services import Services, make_runner
from bot.storage import SQLiteRepository
from tests.discord.conftest import BOT_LOGGERS, Clock
from tests.discord.harness import Harness
from tests.discord.standin import StandIn
from tests.discord.test_project_helpers import OpenBot, table_rows


def sync_hashes(database: Path) -> list[tuple[Any, ...]]:
    """The stored schema hashes: (key, value, set by id, set by name), straight from the file."""
    return table_rows(
        database,
        "SELECT key, value, set_by_id, set_by_name FROM settings "
        "WHERE platform = 'discord' AND workspace = '' AND channel = '' "
        "AND key LIKE 'command_schema_hash%' ORDER BY key",
    )


async def test_sync_only_when_the_schema_changed(
    make_bot: Callable[[], PhaseBot],
    open_bot: OpenBot,
    settings: Settings,
) -> None:
    async with Harness(make_bot(), capture_loggers=BOT_LOGGERS) as first:
        assert sync_hashes(settings.database_path) == []
        assert await first.bot.sync_if_changed() is True
        assert len(first.standin.command_puts) == 1
        first_hash = first.bot.schema_hash()
        assert sync_hashes(settings.database_path) == [
            ("command_schema_hash", first_hash, "0", "phasebot")
        ]
        assert await first.bot.sync_if_changed() is False  # same schema: no second PUT
        assert len(first.standin.command_puts) == 1
        standin = first.standin

    # A new process on a newly opened database file: the hash is remembered.
    async with open_bot() as restarted, first.successor(restarted) as second:
        assert await second.bot.sync_if_changed() is False
        assert len(standin.command_puts) == 1

        @app_commands.command(name="extra", description="A command added in a new release.")
        async def extra(interaction: discord.Interaction) -> None:  # pragma: no cover
            await interaction.response.send_message("hi")

        second.bot.tree.add_command(extra)
        assert await second.bot.sync_if_changed() is True
        assert len(standin.command_puts) == 2
        assert "extra" in {c["name"] for c in standin.command_puts[-1][1]}
        new_hash = second.bot.schema_hash()
        assert new_hash != first_hash
        assert sync_hashes(settings.database_path) == [
            ("command_schema_hash", new_hash, "0", "phasebot")
        ]


async def test_dev_guild_gets_a_copy(
    settings: Settings, services: Services, repository: SQLiteRepository, clock: Clock
) -> None:
    dev = Settings(**{**settings.model_dump(), "dev_guild_id": 4242})
    bot = PhaseBot(dev, make_runner(services, repository, clock))
    async with Harness(bot, capture_loggers=BOT_LOGGERS) as h:
        assert await h.bot.sync_if_changed() is True
        scopes = [scope for scope, _ in h.standin.command_puts]
        assert scopes == [None, 4242]
        guild_names = {c["name"] for c in h.standin.command_puts[1][1]}
        assert {"phase", "compare", "project"} <= guild_names
        global_hash, guild_hash = bot.schema_hash(), bot.schema_hash(discord.Object(4242))
        assert sync_hashes(settings.database_path) == [
            ("command_schema_hash", global_hash, "0", "phasebot"),
            ("command_schema_hash:4242", guild_hash, "0", "phasebot"),
        ]
        assert await h.bot.sync_if_changed() is False  # both remembered
        assert len(h.standin.command_puts) == 2


async def test_phasebot_sync_registers_now(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    token = Settings(**{**settings.model_dump(), "discord_token": "fake-token"})
    previous = discord.http.Route.BASE
    async with StandIn() as standin:
        discord.http.Route.BASE = standin.base_url
        try:
            assert await runner.sync(token, None) == 0
        finally:
            discord.http.Route.BASE = previous
    assert len(standin.command_puts) == 1
    assert len(standin.command_puts[0][1]) == 8
    assert capsys.readouterr().out.startswith("registered 8 commands globally")
    [(key, _, by, name)] = sync_hashes(settings.database_path)
    assert (key, by, name) == ("command_schema_hash", "0", "phasebot")
