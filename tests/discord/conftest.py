"""The real phasebot bot, logged in against the local Discord stand-in.

``harness`` builds the bot as ``phasebot run`` does (content, then the SQLite
repository on a temporary file, then ``PhaseBot`` with the runner), logs it in (so
``setup_hook`` really runs), syncs its commands to the stand-in and hands back a
:class:`~tests.discord.harness.Harness` to send it interactions. ``make_bot`` builds
more bots on the same repository; ``open_bot`` opens a new repository on the same file
(a restart).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.discord.bot import PhaseBot
from bot.services import Services, load_services, make_runner
from bot.storage import SQLiteRepository
from tests.discord.harness import Harness


class Clock:
    """A clock the test moves: ``clock.advance(seconds=61)``."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


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


@pytest.fixture(scope="session")
def services() -> Services:
    return load_services()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def repository(settings: Settings) -> AsyncIterator[SQLiteRepository]:
    async with await SQLiteRepository.open(settings.database_path) as repository:
        yield repository


@pytest.fixture
def make_bot(
    settings: Settings, services: Services, repository: SQLiteRepository, clock: Clock
) -> Callable[[], PhaseBot]:
    return lambda: PhaseBot(settings, make_runner(services, repository, clock))


@pytest.fixture
def open_bot(
    settings: Settings, services: Services, clock: Clock
) -> Callable[[], AsyncIterator[PhaseBot]]:
    """A bot on its own, newly opened repository of the same file: a restart."""

    @asynccontextmanager
    async def opened() -> AsyncIterator[PhaseBot]:
        async with await SQLiteRepository.open(settings.database_path) as repository:
            yield PhaseBot(settings, make_runner(services, repository, clock))

    return opened  # type: ignore[return-value]


BOT_LOGGERS = ("discord", "bot")
"""Loggers whose errors fail an interaction: discord.py's and phasebot's own."""


@pytest.fixture
async def harness(make_bot: Callable[[], PhaseBot]) -> AsyncIterator[Harness]:
    async with Harness(make_bot(), sync=True, capture_loggers=BOT_LOGGERS) as h:
        yield h
