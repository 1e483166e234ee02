"""A SQLite file as a side of `phasebot db copy` (see :mod:`bot.storage.transfer`).

The file is opened (so created and migrated) by the repository first; the copy then
uses a connection of its own: reads in one read transaction (one snapshot of the WAL),
writes in one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot.core.tracker import StorageError
from bot.storage.sqlite import BUSY_TIMEOUT_MS, SQLiteRepository
from bot.storage.transfer import BATCH, FLAGS, TABLES, TIMES, Row


class SQLiteSide:
    def __init__(self, db: aiosqlite.Connection, name: str) -> None:
        self._db = db
        self._name = name

    async def counts(self) -> dict[str, int]:
        found = {}
        for table in TABLES:
            rows = await self._db.execute_fetchall(f"SELECT count(*) FROM {table}")
            found[table] = int(next(iter(rows))[0])
        return found

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[SQLiteSide]:
        await self._db.execute("BEGIN")
        try:
            yield self
        finally:
            await self._db.rollback()

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[SQLiteSide]:
        await self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            await self._db.rollback()
            raise
        await self._db.commit()

    async def rows(self, table: str) -> AsyncIterator[list[Row]]:
        columns = TABLES[table]
        convert = [_reader(column) for column in columns]
        async with self._db.execute(f"SELECT {', '.join(columns)} FROM {table}") as cursor:
            while batch := await cursor.fetchmany(BATCH):
                yield [tuple(f(v) for f, v in zip(convert, row, strict=True)) for row in batch]

    async def last_event_id(self) -> int:
        rows = await self._db.execute_fetchall(
            "SELECT max(coalesce((SELECT max(seq) FROM sqlite_sequence WHERE name = 'events'), 0), "
            "coalesce((SELECT max(id) FROM events), 0))"
        )
        return int(next(iter(rows))[0])

    async def insert(self, table: str, rows: Sequence[Row]) -> None:
        columns = TABLES[table]
        convert = [_writer(column) for column in columns]
        await self._db.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            [tuple(f(v) for f, v in zip(convert, row, strict=True)) for row in rows],
        )

    async def keep_event_ids_above(self, last: int) -> None:
        cursor = await self._db.execute(
            "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'events'", (last,)
        )
        if cursor.rowcount == 0 and last > 0:
            await self._db.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('events', ?)", (last,)
            )


@asynccontextmanager
async def sqlite_side(path: Path) -> AsyncIterator[SQLiteSide]:
    repository = await SQLiteRepository.open(path)  # creates and migrates it
    await repository.close()
    try:
        db = await aiosqlite.connect(path, isolation_level=None)
    except (sqlite3.Error, OSError) as exc:
        raise StorageError(f"cannot open the database {path} ({exc})") from exc
    try:
        await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
        await db.execute("PRAGMA synchronous = FULL")
        await db.execute("PRAGMA foreign_keys = ON")
        yield SQLiteSide(db, str(path))
    except sqlite3.Error as exc:
        raise StorageError(f"copying failed on the SQLite file {path} ({exc})") from exc
    finally:
        await db.close()


def _reader(column: str) -> Any:
    if column in TIMES:
        return _parse
    if column in FLAGS:
        return bool
    return _same


def _writer(column: str) -> Any:
    if column in TIMES:
        return _iso
    if column in FLAGS:
        return int
    return _same


def _same(value: Any) -> Any:
    return value


def _parse(text: str | None) -> datetime | None:
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
