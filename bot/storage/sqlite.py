"""The SQLite repository: each channel's project in one file, through aiosqlite.

Two connections to one file in WAL mode, with ``synchronous=FULL`` (a change is on
disk when the call returns), foreign keys on and a busy timeout: one writes, one
reads. Reads never see a change before it commits, so they need no lock. A change is
one ``BEGIN IMMEDIATE`` transaction on the write connection: the project row is
updated only if its version is still the one the change was planned on, then the event
and the tick are written. So a change is whole or absent, and it fails alone. A busy
or read-only database is reported as such (:class:`~bot.core.tracker.DatabaseBusy`,
:class:`~bot.core.tracker.DatabaseReadOnly`), with nothing written.

All SQL of this backend lives here and in ``migrations/``. It knows no rules: it
writes the state, event and tick the Tracker planned.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import aiosqlite

from bot.core.state import (
    Actor,
    Change,
    Event,
    Place,
    Scope,
    Snapshot,
)
from bot.core.tracker import DatabaseBusy, DatabaseReadOnly, StorageError
from bot.storage import rows as rows_
from bot.storage.migrate import migrate, user_version
from bot.storage.rows import EVENT_COLUMNS, SNAPSHOTS, Pages
from bot.storage.settle import settled

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS: Final = 2000
"""How long a change waits for another process's write lock before "busy": short
enough that Discord's 3-second deadline for an answer is still met."""

_MEMORY: Final = ":memory:"
_KEY: Final = "platform = ? AND workspace = ? AND channel = ?"


class SQLiteRepository(Pages):
    """The repository protocol over SQLite. Create with :meth:`open`."""

    @staticmethod
    def moment(value: Any) -> datetime:
        return _parse(value)

    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection, path: str):
        self._writer = writer
        self._reader = reader
        self._path = path
        self.schema = (0, 0)
        """The schema version before and after :meth:`open` migrated it."""
        self._lock = asyncio.Lock()  # one transaction at a time on the write connection
        self._closed = False

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> SQLiteRepository:
        """Open (creating if needed, with its folder) the database at ``path`` and
        migrate it to the newest schema. ``":memory:"``: a private database, for tests."""
        target = os.fspath(path)
        opened: list[aiosqlite.Connection] = []
        try:
            target = await asyncio.to_thread(_prepare_path, target)
            opened.append(await aiosqlite.connect(target, isolation_level=None))
            await _configure(opened[0], in_memory=target == _MEMORY)
            before = await user_version(opened[0])
            version = await migrate(opened[0])
            if target != _MEMORY:  # a second connection to ":memory:" is another database
                opened.append(await aiosqlite.connect(target, isolation_level=None))
                await _configure(opened[1], in_memory=False)
                await opened[1].execute("PRAGMA query_only = ON")
        except BaseException as exc:
            for db in opened:
                await db.close()
            if isinstance(exc, sqlite3.Error | OSError):
                raise _storage_error(exc, f"cannot open the database {target}") from exc
            raise
        log.info("opened the SQLite store %s (schema version %d)", target, version)
        repository = cls(opened[0], opened[-1], target)
        repository.schema = (before, version)
        return repository

    async def close(self) -> None:
        """Close once the change under way is written; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        async with self._lock:
            await self._writer.close()
            if self._reader is not self._writer:
                await self._reader.close()
        log.debug("closed the SQLite store %s", self._path)

    async def __aenter__(self) -> SQLiteRepository:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def pragmas(self) -> dict[str, int | str]:
        """The write connection's settings and schema version, for checks and tests."""
        info: dict[str, int | str] = {}
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout", "user_version"):
            rows = await self._writer.execute_fetchall(f"PRAGMA {name}")
            info[name] = next(iter(rows))[0]
        return info

    # -- reads ------------------------------------------------------------------------------

    async def load(self, scope: Scope) -> Snapshot:
        rows = await self._read(f"{SNAPSHOTS} WHERE {_P_KEY} AND p.channel = ?", scope.key)
        return rows_.snapshot(rows, _parse) if rows else Snapshot()

    async def channels(self, place: Place) -> list[tuple[Scope, Snapshot]]:
        rows = await self._read(
            f"{SNAPSHOTS} WHERE {_P_KEY} AND p.phase_key IS NOT NULL ORDER BY p.since, p.channel",
            (place.platform, place.workspace),
        )
        return rows_.channels(place, rows, _parse)

    async def events(self, scope: Scope, after: int, limit: int) -> list[Event]:
        rows = await self._read(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE {_KEY} AND id > ? ORDER BY id LIMIT ?",
            (*scope.key, after, limit),
        )
        return [rows_.event(row, _parse) for row in rows]

    async def places(self, platform: str, key: str) -> list[tuple[Place, str]]:
        rows = await self._read(
            "SELECT workspace, channel, value FROM settings WHERE platform = ? AND key = ?",
            (platform, key),
        )
        return [(Place(platform, workspace, channel), value) for workspace, channel, value in rows]

    async def setting(self, place: Place, key: str) -> str | None:
        rows = await self._read(
            f"SELECT value FROM settings WHERE {_KEY} AND key = ?", (*_place(place), key)
        )
        return str(rows[0][0]) if rows else None

    async def _from(self, scope: Scope, limit: int, offset: int) -> list[Any]:
        return await self._read(
            f"SELECT {EVENT_COLUMNS}, count(*) OVER () FROM events WHERE {_KEY} "
            "ORDER BY id DESC LIMIT ? OFFSET ?",
            (*scope.key, limit, offset),
        )

    async def _around(
        self,
        scope: Scope,
        limit: int,
        below: int | None,
        above: int | None,
        *,
        ascending: bool,
    ) -> list[Any]:
        columns = ", ".join(f"e.{c.strip()}" for c in EVENT_COLUMNS.split(","))
        same = "platform = e.platform AND workspace = e.workspace AND channel = e.channel"
        where, anchor = "", tuple[int, ...]()
        if below is not None:
            where, anchor = " AND e.id < ?", (below,)
        elif above is not None:
            where, anchor = " AND e.id > ?", (above,)
        return await self._read(
            f"SELECT {columns}, (SELECT count(*) FROM events WHERE {same}), "
            f"(SELECT count(*) FROM events WHERE {same} AND id > e.id) FROM events AS e "
            f"WHERE e.platform = ? AND e.workspace = ? AND e.channel = ?{where} "
            f"ORDER BY e.id {'ASC' if ascending else 'DESC'} LIMIT ?",
            (*scope.key, *anchor, limit),
        )

    async def _count(self, scope: Scope) -> int:
        rows = await self._read(f"SELECT count(*) FROM events WHERE {_KEY}", scope.key)
        return int(rows[0][0])

    async def _read(self, sql: str, params: Iterable[Any]) -> list[Any]:
        try:
            return list(await self._reader.execute_fetchall(sql, tuple(params)))
        except sqlite3.Error as exc:
            raise _storage_error(exc, "cannot read the database") from exc

    # -- writes -----------------------------------------------------------------------------

    async def append(self, scope: Scope, expected: int, change: Change) -> int | None:
        state = change.state
        by = state.set_by
        row = (
            *scope.key,
            scope.label,
            expected + 1,
            state.phase_key,
            state.methodology,
            state.iteration,
            _iso(state.since) if state.since else None,
            by.id if by else None,
            by.name if by else None,
        )
        async with self._transaction() as db:
            if expected == 0:  # the first change of a channel creates its row
                cursor = await db.execute(_CREATE_OR_UPDATE, (*row, expected))
            else:
                cursor = await db.execute(_UPDATE, (*row[3:], *scope.key, expected))
            if cursor.rowcount != 1:
                return None  # changed since it was read: nothing written
            if change.reset:
                await db.execute(f"DELETE FROM ticks WHERE {_KEY}", scope.key)
                await db.execute(f"DELETE FROM events WHERE {_KEY}", scope.key)
            if change.event is not None:
                await db.execute(_INSERT_EVENT, (*scope.key, *_event_row(change.event)))
            tick = change.tick
            if tick is not None:
                where = (*scope.key, tick.iteration, tick.phase_key, tick.activity_key)
                if tick.tick is None:
                    await db.execute(
                        f"DELETE FROM ticks WHERE {_KEY} AND iteration = ? AND phase_key = ? "
                        "AND activity_key = ?",
                        where,
                    )
                else:
                    actor = tick.tick.actor
                    await db.execute(
                        "INSERT OR REPLACE INTO ticks (platform, workspace, channel, iteration, "
                        "phase_key, activity_key, actor_id, actor_name, at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (*where, actor.id, actor.name, _iso(tick.tick.at)),
                    )
        return expected + 1

    async def set_setting(
        self, place: Place, key: str, value: str | None, actor: Actor, at: datetime
    ) -> None:
        async with self._transaction() as db:
            if value is None:
                await db.execute(
                    f"DELETE FROM settings WHERE {_KEY} AND key = ?", (*_place(place), key)
                )
            else:
                await db.execute(
                    "INSERT OR REPLACE INTO settings (platform, workspace, channel, key, value, "
                    "set_by_id, set_by_name, set_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (*_place(place), key, value, actor.id, actor.name, _iso(at)),
                )

    async def claim(self, place: Place, key: str, value: str, actor: Actor, at: datetime) -> bool:
        async with self._transaction() as db:
            cursor = await db.execute(
                "INSERT INTO settings (platform, workspace, channel, key, value, set_by_id, "
                "set_by_name, set_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (platform, workspace, channel, key) DO UPDATE SET "
                "value = excluded.value, set_by_id = excluded.set_by_id, "
                "set_by_name = excluded.set_by_name, set_at = excluded.set_at "
                "WHERE settings.value <> excluded.value",
                (*_place(place), key, value, actor.id, actor.name, _iso(at)),
            )
            return cursor.rowcount == 1

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: committed whole, or rolled back whole (also when the
        caller is cancelled: the rollback is shielded)."""
        async with self._lock:
            db = self._writer
            try:
                await db.execute("BEGIN IMMEDIATE")
                yield db
                await settled(db.execute("COMMIT"))
            except BaseException as exc:
                await asyncio.shield(db.rollback())  # a no-op when none is open
                if isinstance(exc, sqlite3.Error):
                    raise _storage_error(
                        exc, "cannot write to the database; nothing was changed"
                    ) from exc
                raise


_P_KEY: Final = "p.platform = ? AND p.workspace = ?"


_COLUMNS: Final = (
    "platform, workspace, channel, label, version, phase_key, methodology, iteration, since, "
    "set_by_id, set_by_name"
)
_CREATE_OR_UPDATE: Final = (
    f"INSERT INTO projects ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (platform, workspace, channel) DO UPDATE SET label = excluded.label, "
    "version = excluded.version, phase_key = excluded.phase_key, "
    "methodology = excluded.methodology, iteration = excluded.iteration, "
    "since = excluded.since, set_by_id = excluded.set_by_id, set_by_name = excluded.set_by_name "
    "WHERE projects.version = ?"
)
_UPDATE: Final = (
    "UPDATE projects SET label = ?, version = ?, phase_key = ?, methodology = ?, iteration = ?, "
    f"since = ?, set_by_id = ?, set_by_name = ? WHERE {_KEY} AND version = ?"
)
_INSERT_EVENT: Final = (
    "INSERT INTO events (platform, workspace, channel, kind, from_phase, to_phase, actor_id, "
    "actor_name, at, note, rework, iteration, new_iteration, detail) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _event_row(event: Event) -> tuple[Any, ...]:
    return (
        event.kind,
        event.from_phase,
        event.to_phase,
        event.actor.id,
        event.actor.name,
        _iso(event.at),
        event.note,
        int(event.rework),
        event.iteration,
        int(event.new_iteration),
        event.detail,
    )


def _place(place: Place) -> tuple[str, str, str]:
    return (place.platform, place.workspace, place.channel)


def _storage_error(exc: BaseException, doing: str) -> StorageError:
    """What a user is told: busy and read-only in plain words, anything else with the
    database's own message."""
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return DatabaseBusy()
    if name.startswith("SQLITE_READONLY"):
        return DatabaseReadOnly()
    return StorageError(f"{doing} ({exc})")


# -- connection setup ------------------------------------------------------------------------


def _prepare_path(target: str) -> str:
    """Expand ``~``, create the file's folder if missing and check that SQLite can open
    the file (creating it), so a bad path fails before aiosqlite starts its thread."""
    if target == _MEMORY or target.startswith("file:"):
        return target
    path = Path(target).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    sqlite3.connect(path).close()
    return str(path)


async def _configure(db: aiosqlite.Connection, *, in_memory: bool) -> None:
    await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
    mode = str(next(iter(await db.execute_fetchall("PRAGMA journal_mode = WAL")))[0]).lower()
    if mode != "wal" and not in_memory:
        log.warning("SQLite refused WAL mode (journal_mode is %s)", mode)
    await db.execute("PRAGMA synchronous = FULL")
    await db.execute("PRAGMA foreign_keys = ON")


# -- time ------------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware (UTC)")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:  # written by hand; the store always writes an offset
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
