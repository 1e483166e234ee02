"""The real phasebot bot, logged in against the local Discord stand-in.

``harness`` builds the bot as ``phasebot run`` does (content, then the repository the
settings name, then ``PhaseBot`` with the runner), logs it in (so ``setup_hook``
really runs), syncs its commands to the stand-in and hands back a
:class:`~tests.discord.harness.Harness` to send it interactions. ``make_bot`` builds
more bots on the same repository; ``open_bot`` opens a new repository on the same
database (a restart).

The repository is SQLite on a temporary file. A module (or test) marked
``@pytest.mark.store_backends("sqlite", "postgres")`` runs once on each: on PostgreSQL
with a new database of its own (``pg_dsn``); a test that reads the SQLite file itself
narrows it again with ``@pytest.mark.store_backends("sqlite")``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core.tracker import Repository
from bot.discord.bot import PhaseBot
from bot.services import Services, load_services, make_runner, open_repository
from tests.discord.harness import Harness

BACKENDS_MARKER = "store_backends"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{BACKENDS_MARKER}(*names): run the test's bot on each repository named "
        "(sqlite, postgres); default sqlite",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker(BACKENDS_MARKER)
    if marker is not None and "store_backend" in metafunc.fixturenames:
        metafunc.parametrize(
            "store_backend",
            [
                pytest.param(name, marks=pytest.mark.postgres) if name == "postgres" else name
                for name in marker.args
            ],
        )


@pytest.fixture
def store_backend() -> str:
    """Which repository the bot gets: "sqlite" unless a store_backends marker says more."""
    return "sqlite"


class Clock:
    """A clock the test moves: ``clock.advance(seconds=61)``."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def settings(tmp_path: Path, store_backend: str, request: pytest.FixtureRequest) -> Settings:
    url = request.getfixturevalue("pg_dsn") if store_backend == "postgres" else None
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token=None,
        database_path=tmp_path / "phasebot.sqlite3",
        database_url=url,
        shard_count=None,
        shard_ids=None,
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
async def repository(settings: Settings) -> AsyncIterator[Repository]:
    async with open_repository(settings) as repository:
        yield repository


@pytest.fixture
def make_bot(
    settings: Settings, services: Services, repository: Repository, clock: Clock
) -> Callable[[], PhaseBot]:
    return lambda: PhaseBot(settings, make_runner(services, repository, clock))


@pytest.fixture
def open_bot(
    settings: Settings, services: Services, clock: Clock
) -> Callable[[], AsyncIterator[PhaseBot]]:
    """A bot on its own, newly opened repository of the same database: a restart."""

    @asynccontextmanager
    async def opened() -> AsyncIterator[PhaseBot]:
        async with open_repository(settings) as repository:
            yield PhaseBot(settings, make_runner(services, repository, clock))

    return opened  # type: ignore[return-value]


BOT_LOGGERS = ("discord", "bot")
"""Loggers whose errors fail an interaction: discord.py's and phasebot's own."""


@pytest.fixture
async def harness(make_bot: Callable[[], PhaseBot]) -> AsyncIterator[Harness]:
    async with Harness(make_bot(), sync=True, capture_loggers=BOT_LOGGERS) as h:
        yield h
