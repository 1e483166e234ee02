"""Commands are registered only when their schema changed since the last sync."""

from __future__ import annotations

from collections.abc import Callable

import discord
import pytest
from discord import app_commands

from bot import Settings
from bot.discord import runner
from bot.discord.bot import PhaseBot
from tests.discord.harness import Harness
from tests.discord.standin import StandIn


async def test_sync_only_when_the_schema_changed(make_bot: Callable[[], PhaseBot]) -> None:
    async with Harness(make_bot()) as first:
        assert await first.bot.sync_if_changed() is True
        assert len(first.standin.command_puts) == 1
        assert await first.bot.sync_if_changed() is False  # same schema: no second PUT
        assert len(first.standin.command_puts) == 1
        standin = first.standin

    restarted = make_bot()  # a new process on the same database: the hash is remembered
    async with first.successor(restarted) as second:
        assert await second.bot.sync_if_changed() is False
        assert len(standin.command_puts) == 1

        @app_commands.command(name="extra", description="A command added in a new release.")
        async def extra(interaction: discord.Interaction) -> None:  # pragma: no cover
            await interaction.response.send_message("hi")

        second.bot.tree.add_command(extra)
        assert await second.bot.sync_if_changed() is True
        assert len(standin.command_puts) == 2
        assert "extra" in {c["name"] for c in standin.command_puts[-1][1]}


async def test_dev_guild_gets_a_copy(settings: Settings) -> None:
    dev = Settings(**{**settings.model_dump(), "dev_guild_id": 4242})
    async with Harness(PhaseBot(dev)) as h:
        assert await h.bot.sync_if_changed() is True
        scopes = [scope for scope, _ in h.standin.command_puts]
        assert scopes == [None, 4242]
        guild_names = {c["name"] for c in h.standin.command_puts[1][1]}
        assert {"phase", "compare", "project"} <= guild_names


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
