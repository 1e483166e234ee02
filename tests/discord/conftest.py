"""The real phasebot bot, logged in against the local Discord stand-in.

``harness`` builds the bot with ``create_bot(Settings(...))`` on a temporary
database, logs it in (so ``setup_hook`` really runs), syncs its commands to the
stand-in and hands back a :class:`~tests.discord.harness.Harness` to send it
interactions. ``make_bot`` builds more bots on the same settings, e.g. to restart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot import Settings, create_bot
from bot.discord.bot import PhaseBot
from tests.discord.harness import Harness


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token=None,
        database_path=tmp_path / "phasebot.sqlite3",
        content_dir=None,
        dev_guild_id=None,
        log_level="INFO",
    )


@pytest.fixture
def make_bot(settings: Settings) -> Callable[[], PhaseBot]:
    return lambda: create_bot(settings)


@pytest.fixture
async def harness(make_bot: Callable[[], PhaseBot]) -> AsyncIterator[Harness]:
    async with Harness(make_bot(), sync=True) as h:
        yield h
