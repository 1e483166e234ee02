"""The backends the contract suite runs over: the in-memory fake, SQLite and PostgreSQL
(a new empty database per test, from ``pg_dsn``). Each backend can be opened again on
the same data, which is a restart, or a second process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.models import Content
from bot.core.tracker import Repository, Tracker
from bot.storage import SQLiteRepository
from tests.fakes import MemoryRepository

Opener = Callable[[], AbstractAsyncContextManager[Repository]]


@dataclass(frozen=True)
class Backend:
    name: str
    open: Opener
    durable: bool
    """Its data outlives the process (a crash loses nothing acknowledged)."""


class Clock:
    """A clock that moves a second at every reading."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _memory() -> Opener:
    shared = MemoryRepository()

    @asynccontextmanager
    async def opened() -> AsyncIterator[Repository]:
        yield MemoryRepository(shared)

    return opened


def _sqlite(path: Path) -> Opener:
    @asynccontextmanager
    async def opened() -> AsyncIterator[Repository]:
        async with await SQLiteRepository.open(path) as repository:
            yield repository

    return opened


def _postgres(dsn: str) -> Opener:
    from bot.storage.postgres import PostgresRepository

    @asynccontextmanager
    async def opened() -> AsyncIterator[Repository]:
        async with await PostgresRepository.open(dsn, pool_size=POOL_SIZE) as repository:
            yield repository

    return opened


POOL_SIZE = 10


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "memory":
        return Backend("memory", _memory(), durable=False)
    if request.param == "postgres":
        return Backend("postgres", _postgres(request.getfixturevalue("pg_dsn")), durable=True)
    return Backend("sqlite", _sqlite(tmp_path / "contract.sqlite3"), durable=True)


@pytest.fixture
async def repository(backend: Backend) -> AsyncIterator[Repository]:
    async with backend.open() as repository:
        yield repository


@pytest.fixture
def tracker(repository: Repository, content: Content) -> Tracker:
    return Tracker(repository, content, Clock())
