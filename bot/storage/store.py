"""The progress store: each channel's phase, checklist and history in SQLite.

Two aiosqlite connections to one file in WAL mode, with ``synchronous=FULL`` (a change
is on disk when the call returns), foreign keys on and a busy timeout: one for reads,
one for writes. (A ``":memory:"`` database has one connection, for both.)

Every change is one SQL statement: the change is recorded by inserting its event, and
the schema's triggers (migration 0003) apply it to the channel's state in the same
statement. All statements that write go through :class:`_Writer`: one arriving alone
commits on its own, in one round trip to the database thread; those arriving while
others are written are committed together, in one transaction, so that many channels
changing at once share a sync to disk. Reads never see a transaction before it commits
(WAL isolation between the two connections), so they need no lock.

The store remembers the state of the channels it used last (a snapshot: the state,
the current iteration's ticks and the version, the id of the channel's newest event).
A change plans on the snapshot with a rule from :mod:`bot.core.progress` and appends
its event only if the channel is still at that version (and methodology); the new
state is computed from the snapshot and the change (``after_move`` and friends), not
read back. Changes to one channel take turns on an :class:`asyncio.Lock`; different
channels don't wait for each other. A refused change raises the rule's
:class:`~bot.core.errors.ProgressError` and writes nothing.

One bot process owns a database file (the console keeps to its own channels). Should
another process change a channel anyway, the next change here finds the version moved,
reads the channel again and plans anew, and a refusal is only given on a fresh read;
``status`` answers from memory until then.

Keys: (guild_id, channel_id), with guild_id 0 for DMs. Times: UTC, ISO 8601 text.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import sqlite3
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Generic, TypeVar, cast

import aiosqlite

from bot.core.content import DEFAULT_METHODOLOGY
from bot.core.errors import PhasebotError
from bot.core.models import Content
from bot.core.progress import (
    EVENT_KINDS,
    MOVE_KINDS,
    Actor,
    Check,
    Event,
    EventKind,
    MethodologyChange,
    Move,
    MoveKind,
    ProjectState,
    ProjectStatus,
    Scope,
    Tick,
    after_check,
    after_methodology,
    after_move,
    clean_note,
    plan_check,
    plan_methodology,
    plan_move,
)
from bot.storage.migrate import StorageError, migrate

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS: Final = 5000
DM_GUILD_ID: Final = 0
"""The guild_id stored for DMs (Discord ids are never 0)."""

CHANGE_ATTEMPTS: Final = 10
"""How often a change is planned again when another process changed the channel first."""
CHANGE_BACKOFF_SECONDS: Final = 0.002
"""The longest pause before the second attempt (it grows with each attempt)."""

SNAPSHOT_CACHE_SIZE: Final = 1024
"""Channels whose state is kept in memory (the most recently used ones)."""

_MEMORY = ":memory:"

T = TypeVar("T")


class ConcurrentChange(StorageError):
    def __init__(self) -> None:
        super().__init__(
            "This channel's project was being changed somewhere else at the same moment. "
            "Nothing was changed; please try again."
        )


class ProgressStore:
    """Async access to the progress database. Create with :meth:`open`."""

    def __init__(
        self,
        writer: _Writer,
        reader: aiosqlite.Connection,
        path: str,
        *,
        remember: int = SNAPSHOT_CACHE_SIZE,
    ) -> None:
        self._writer = writer
        self._db: aiosqlite.Connection | None = reader
        self._path = path
        self._channels = _ChannelLocks()
        self._snapshots = _SnapshotCache(remember)

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    async def open(
        cls, path: str | os.PathLike[str], *, remember: int = SNAPSHOT_CACHE_SIZE
    ) -> ProgressStore:
        """Open (creating if needed) the database at ``path`` and migrate it to the newest schema.

        The file's directory is created if missing. ``":memory:"`` gives a private
        in-memory database (no WAL), for tests. ``remember``: how many channels' state
        to keep in memory (0: read every status from the database).
        """
        in_memory = os.fspath(path) == _MEMORY
        opened: list[aiosqlite.Connection] = []
        try:
            target = await asyncio.to_thread(_prepare_path, os.fspath(path))
            opened.append(await aiosqlite.connect(target, isolation_level=None))
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open the database {os.fspath(path)} ({exc})") from exc
        try:
            await _configure(opened[0], in_memory=in_memory)
            version = await migrate(opened[0])
            if not in_memory:  # a second connection to ":memory:" would be another database
                opened.append(await aiosqlite.connect(target, isolation_level=None))
                await _configure(opened[1], in_memory=False)
                await opened[1].execute("PRAGMA query_only = ON")
        except BaseException as exc:
            for db in opened:
                await db.close()
            if isinstance(exc, sqlite3.Error | OSError):
                raise StorageError(f"cannot use the database {target} ({exc})") from exc
            raise
        log.info("opened progress store %s (schema version %d)", target, version)
        writer = _Writer(opened[0], grouped=not in_memory)
        return cls(writer, opened[-1], target, remember=remember)

    async def close(self) -> None:
        """Close the connection once the changes under way are done; safe to call twice."""
        if self._db is None:
            return
        await self._channels.idle()
        db, self._db = self._db, None
        self._snapshots.clear()
        if db is not None:
            await self._writer.close()
            if db is not self._writer.db:
                await db.close()
            log.debug("closed progress store %s", self._path)

    async def __aenter__(self) -> ProgressStore:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def path(self) -> str:
        return self._path

    @property
    def closed(self) -> bool:
        return self._db is None

    async def connection_info(self) -> dict[str, int | str]:
        """The connection's PRAGMAs and schema version, for health checks and tests."""
        db = self._connection()
        info: dict[str, int | str] = {}
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout"):
            info[name] = await _scalar(db, f"PRAGMA {name}")
        info["user_version"] = await _scalar(db, "PRAGMA user_version")
        return info

    # -- reads -----------------------------------------------------------------------------

    async def status(self, scope: Scope) -> ProjectStatus:
        """The channel's state and the ticks of its current phase and iteration."""
        key = _key(scope)
        cached = self._snapshots.get(key)
        if cached is not None:
            return cached.status
        async with self._channels.hold(key):
            return (await self._snapshot(scope)).status

    async def history(self, scope: Scope, limit: int, offset: int = 0) -> tuple[list[Event], int]:
        """Up to ``limit`` events from ``offset``, newest first, and the total count."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        db = self._connection()
        # One statement gives the page and the total, so both come from one snapshot.
        rows = list(
            await db.execute_fetchall(
                "SELECT id, kind, from_phase, to_phase, actor_id, actor_name, at, note, "
                "rework, iteration, new_iteration, detail, count(*) OVER () FROM events "
                "WHERE guild_id = ? AND channel_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
                (*_key(scope), limit, offset),
            )
        )
        if rows:
            total = int(rows[0][-1])
        else:  # past the last page: count on its own
            total = await _count_events(db, scope)
        return [_event(row[:-1]) for row in rows], total

    async def history_near(
        self,
        scope: Scope,
        limit: int,
        *,
        older_than: int | None = None,
        newer_than: int | None = None,
    ) -> tuple[list[Event], int, int]:
        """A page anchored on an event id rather than a position, so pages don't shift
        when someone changes the project between two clicks.

        ``older_than``: the ``limit`` events just older than that event id; ``newer_than``:
        the ``limit`` just newer; neither: the newest. Returns the events newest first,
        the total count, and how many events are newer than the page. An anchor past the
        end (the history got shorter) gives the oldest or the newest page instead.
        """
        if limit < 1:
            raise ValueError("limit must be positive")
        where, order, anchor = "", "DESC", tuple[int, ...]()
        if older_than is not None:
            where, anchor = " AND e.id < ?", (older_than,)
        elif newer_than is not None:
            where, order, anchor = " AND e.id > ?", "ASC", (newer_than,)
        db = self._connection()
        rows = await _history_rows(db, scope, limit, where, order, anchor)
        if not rows and (older_than is not None or newer_than is not None):
            rows = await _history_rows(db, scope, limit, "", order, ())
        if not rows:
            return [], await _count_events(db, scope), 0
        rows.sort(key=lambda row: -int(row[0]))
        return [_event(row[:-2]) for row in rows], int(rows[0][-2]), int(rows[0][-1])

    async def editor_role(self, guild_id: int) -> int | None:
        """The role allowed to change progress in ``guild_id``, if one is set."""
        role = await _scalar(
            self._connection(),
            "SELECT editor_role_id FROM guild_settings WHERE guild_id = ?",
            (guild_id,),
        )
        return None if role is None else int(role)

    async def get_meta(self, key: str) -> str | None:
        value = await _scalar(self._connection(), "SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    # -- changes ---------------------------------------------------------------------------

    async def move(
        self,
        scope: Scope,
        actor: Actor,
        kind: MoveKind,
        content: Content,
        target_key: str | None = None,
        note: str | None = None,
        now: datetime | None = None,
    ) -> tuple[Move, ProjectStatus]:
        """``set`` (to ``target_key``), ``next`` or ``back``; returns the move and the new status.

        Raises the rule's :class:`~bot.core.errors.ProgressError` (nothing written),
        or :class:`~bot.core.progress.NoteTooLong`.
        """
        if kind not in MOVE_KINDS:
            raise ValueError(f"unknown move kind {kind!r}")
        note = clean_note(note)
        at = _utc(now)

        def plan(snapshot: _Snapshot) -> _Planned[Move]:
            move = plan_move(snapshot.status.state, kind, content, target_key)
            ticks = {} if move.new_iteration else snapshot.iteration_ticks
            status = after_move(snapshot.status, move, actor, at, ticks.get(move.to_key, {}))
            event = _NewEvent(
                "phase",
                actor,
                at,
                from_phase=move.from_key,
                to_phase=move.to_key,
                note=note,
                rework=move.rework,
                iteration=move.iteration_after,
                new_iteration=move.new_iteration,
            )
            return _Planned(move, event, status, ticks)

        move, status = await self._change(scope, plan)
        log.info(
            "%s: %s %s -> %s by %s (rework=%s, iteration=%d)",
            _describe(scope),
            kind,
            move.from_key,
            move.to_key,
            actor.id,
            move.rework,
            move.iteration_after,
        )
        return move, status

    async def toggle_check(
        self,
        scope: Scope,
        actor: Actor,
        activity_key: str,
        content: Content,
        now: datetime | None = None,
    ) -> tuple[Check, ProjectStatus]:
        """Tick an activity of the current phase, or untick it; returns it and the new status.

        ``activity_key`` may be anything :func:`~bot.core.progress.resolve_activity` accepts.
        """
        at = _utc(now)

        def plan(snapshot: _Snapshot) -> _Planned[Check]:
            check = plan_check(snapshot.status, activity_key, content)
            status = after_check(snapshot.status, check, actor, at)
            event = _NewEvent(
                "check" if check.checked else "uncheck",
                actor,
                at,
                to_phase=check.phase_key,
                iteration=check.iteration,
                detail=check.activity_key,
            )
            ticks = {**snapshot.iteration_ticks, check.phase_key: status.ticks}
            return _Planned(check, event, status, ticks)

        check, status = await self._change(scope, plan)
        log.info(
            "%s: %s %s/%s by %s",
            _describe(scope),
            "check" if check.checked else "uncheck",
            check.phase_key,
            check.activity_key,
            actor.id,
        )
        return check, status

    async def set_methodology(
        self,
        scope: Scope,
        actor: Actor,
        methodology_key: str,
        content: Content,
        now: datetime | None = None,
    ) -> tuple[MethodologyChange, ProjectStatus]:
        """Switch the channel's methodology (phase, iteration and ticks stay)."""
        at = _utc(now)

        def plan(snapshot: _Snapshot) -> _Planned[MethodologyChange]:
            state = snapshot.status.state
            change = plan_methodology(state, methodology_key, content)
            event = _NewEvent(
                "methodology", actor, at, iteration=state.iteration, detail=change.to_key
            )
            status = after_methodology(snapshot.status, change)
            return _Planned(change, event, status, snapshot.iteration_ticks)

        change, status = await self._change(scope, plan)
        log.info(
            "%s: methodology %s -> %s by %s",
            _describe(scope),
            change.from_key,
            change.to_key,
            actor.id,
        )
        return change, status

    async def reset(self, scope: Scope, actor: Actor) -> bool:
        """Clear the channel's phase, ticks and history (the methodology stays).

        Returns False when there was nothing to clear.
        """
        key = _key(scope)
        async with self._channels.hold(key):
            before = await self._snapshot(scope)
            self._snapshots.drop(key)
            # One statement: the projects_reset trigger clears the ticks and the history.
            await self._write(
                "UPDATE projects SET phase_key = NULL, iteration = 1, since = NULL, "
                "set_by_id = NULL, set_by_name = NULL WHERE guild_id = ? AND channel_id = ?",
                key,
            )
        cleared = before.status.state.phase_key is not None or before.version is not None
        log.info(
            "%s: progress reset by %s (%s, cleared=%s)",
            _describe(scope),
            actor.id,
            actor.name,
            cleared,
        )
        return cleared

    async def set_editor_role(
        self, guild_id: int, role_id: int | None, actor: Actor, now: datetime | None = None
    ) -> None:
        """Set (or clear, with None) the role allowed to change progress in a guild."""
        at = _utc(now)
        await self._write(
            "INSERT INTO guild_settings (guild_id, editor_role_id, set_by_id, set_by_name, "
            "set_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
            "editor_role_id = excluded.editor_role_id, set_by_id = excluded.set_by_id, "
            "set_by_name = excluded.set_by_name, set_at = excluded.set_at",
            (guild_id, role_id, actor.id, actor.name, _iso(at)),
        )
        log.info("guild %d: editor role %s set by %s", guild_id, role_id, actor.id)

    async def set_meta(self, key: str, value: str) -> None:
        await self._write(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- plumbing --------------------------------------------------------------------------

    def _connection(self) -> aiosqlite.Connection:
        """The connection for reads."""
        db = self._db
        if db is None:
            raise RuntimeError("the progress store is closed")
        return db

    async def _write(self, sql: str, params: tuple[Any, ...]) -> tuple[int, int | None]:
        """Run one writing statement (committed when this returns): (rowcount, lastrowid)."""
        self._connection()  # refuse once closed
        return await self._writer.run(sql, params)

    async def _snapshot(self, scope: Scope) -> _Snapshot:
        """The channel as last read or changed here. Call it holding the channel's lock:
        a read racing a change to the same channel could remember the state before it."""
        key = _key(scope)
        found = self._snapshots.get(key)
        if found is None:
            found = await _read_snapshot(self._connection(), scope)
            self._snapshots.put(key, found)
        return found

    async def _change(
        self, scope: Scope, plan: Callable[[_Snapshot], _Planned[T]]
    ) -> tuple[T, ProjectStatus]:
        """Plan the change on the channel's snapshot and append its event if the channel
        is still at the snapshot's version; then remember the new snapshot.

        Returns what ``plan`` decided and the new status. ``plan`` raising (a refused
        change) writes nothing; a refusal is only final on a snapshot just read, since
        a remembered one may predate a change made by another process.
        """
        key = _key(scope)
        async with self._channels.hold(key):
            for attempt in range(1, CHANGE_ATTEMPTS + 1):
                remembered = key in self._snapshots
                snapshot = await self._snapshot(scope)
                try:
                    planned = plan(snapshot)
                except PhasebotError:
                    if not remembered:
                        raise
                    self._snapshots.drop(key)
                    continue
                try:
                    version = await _append_event(
                        self._write, scope, planned.event, expected=snapshot
                    )
                except BaseException:
                    # Cancelled or failed while the database thread had the statement: it
                    # may have been applied, so the snapshot can't be trusted any more.
                    self._snapshots.drop(key)
                    raise
                if version is not None:
                    self._snapshots.put(
                        key, _Snapshot(planned.status, version, planned.iteration_ticks)
                    )
                    return planned.result, planned.status
                # Another process changed the channel since the snapshot: read it again,
                # after a short random pause so two processes don't keep colliding.
                self._snapshots.drop(key)
                log.info("%s changed elsewhere meanwhile; planning again", _describe(scope))
                await asyncio.sleep(random.uniform(0, CHANGE_BACKOFF_SECONDS * attempt))
        raise ConcurrentChange()


class _Writer:
    """Runs the store's writing statements, one at a time, on its own connection.

    Statements that arrive while others are being written are committed together, in
    one transaction (one sync to disk for all of them): with many channels changing at
    once, the database thread would otherwise spend its time syncing. Each caller gets
    its statement's result once the transaction that holds it is committed; if that
    transaction fails, every statement in it fails and none is written. A statement
    that arrives alone runs on its own (autocommit), in one round trip. Reads use
    another connection, so they never see a transaction that is not committed yet.
    """

    def __init__(self, db: aiosqlite.Connection, *, grouped: bool) -> None:
        self.db = db
        self._grouped = grouped
        self._pending: list[
            tuple[str, tuple[Any, ...], asyncio.Future[tuple[int, int | None]]]
        ] = []
        self._task: asyncio.Task[None] | None = None
        self.transactions = 0
        """Grouped transactions committed so far (for tests and benchmarks)."""

    async def run(self, sql: str, params: tuple[Any, ...]) -> tuple[int, int | None]:
        future: asyncio.Future[tuple[int, int | None]] = asyncio.get_running_loop().create_future()
        self._pending.append((sql, params, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._work(), name="phasebot-store-writer")
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # The caller gives up, but the statement is on its way and may be written:
            # let it settle first (however often the caller is cancelled meanwhile), so
            # nothing reads the channel around it while the caller holds its lock.
            while not future.done():
                try:
                    await asyncio.wait({future})
                except asyncio.CancelledError:
                    continue
            raise

    async def close(self) -> None:
        """Finish what is pending, then close the connection."""
        while self._task is not None and not self._task.done():
            await asyncio.wait({self._task})  # its callers get its errors, not close()
        await self.db.close()

    async def _work(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                if len(batch) == 1 or not self._grouped:
                    for sql, params, future in batch:
                        await self._one(sql, params, future)
                else:
                    await self._together(batch)
            except Exception as exc:
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            except BaseException:  # the task itself is cancelled (the loop is closing)
                # A statement already on the database thread may still be written; its
                # caller hears "cancelled" all the same (only at shutdown).
                left, self._pending = [*batch, *self._pending], []
                for _, _, future in left:
                    future.cancel()
                raise

    async def _one(
        self, sql: str, params: tuple[Any, ...], future: asyncio.Future[tuple[int, int | None]]
    ) -> None:
        try:
            cursor = await self.db.execute(sql, params)
        except Exception as exc:
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result((cursor.rowcount, cursor.lastrowid))

    async def _together(
        self, batch: list[tuple[str, tuple[Any, ...], asyncio.Future[tuple[int, int | None]]]]
    ) -> None:
        results: list[tuple[int, int | None]] = []
        try:
            await self.db.execute("BEGIN IMMEDIATE")
            for sql, params, _ in batch:
                cursor = await self.db.execute(sql, params)
                results.append((cursor.rowcount, cursor.lastrowid))
            await self.db.execute("COMMIT")
        except BaseException:
            # Queued after whatever the thread still has (even a BEGIN whose wait was
            # cancelled); shielded, so a second cancellation can't skip it. A no-op when
            # no transaction is open.
            await asyncio.shield(self.db.rollback())
            raise
        self.transactions += 1
        for (_, _, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)


class _ChannelLocks:
    """One :class:`asyncio.Lock` per channel with a change under way (dropped when free),
    so changes to one channel take turns and changes to different channels don't wait."""

    def __init__(self) -> None:
        self._locks: dict[tuple[int, int], tuple[asyncio.Lock, int]] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    @asynccontextmanager
    async def hold(self, key: tuple[int, int]) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        self._idle.clear()
        try:
            async with lock:
                yield
        finally:
            _, users = self._locks[key]
            if users > 1:
                self._locks[key] = (lock, users - 1)
            else:
                del self._locks[key]
                if not self._locks:
                    self._idle.set()

    async def idle(self) -> None:
        """Wait until no change is under way."""
        await self._idle.wait()


# -- connection setup ----------------------------------------------------------------------


def _prepare_path(target: str) -> str:
    """Expand ``~``, create the database file's directory if it is missing and check
    that SQLite can open the file (creating it). Raises OSError or sqlite3.Error."""
    if target == _MEMORY or target.startswith("file:"):
        return target
    path = Path(target).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Open it once here, so that a file SQLite refuses (a directory, /proc, no permission)
    # fails before aiosqlite starts its thread: after a failed connect aiosqlite stops
    # that thread without waiting for it, and it may then report to a closed event loop
    # (a traceback as the program exits).
    sqlite3.connect(path).close()
    return str(path)


async def _configure(db: aiosqlite.Connection, *, in_memory: bool) -> None:
    await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
    mode = str(await _scalar(db, "PRAGMA journal_mode = WAL")).lower()
    if mode != "wal" and not in_memory:
        log.warning("SQLite refused WAL mode (journal_mode is %s)", mode)
    await db.execute("PRAGMA synchronous = FULL")
    await db.execute("PRAGMA foreign_keys = ON")


async def _scalar(db: aiosqlite.Connection, sql: str, params: tuple[Any, ...] = ()) -> Any:
    rows = list(await db.execute_fetchall(sql, params))  # one trip to the database thread
    return rows[0][0] if rows else None


# -- rows ----------------------------------------------------------------------------------


def _key(scope: Scope) -> tuple[int, int]:
    return (DM_GUILD_ID if scope.guild_id is None else scope.guild_id, scope.channel_id)


def _describe(scope: Scope) -> str:
    if scope.guild_id is None:
        return f"dm {scope.channel_id}"
    return f"guild {scope.guild_id} channel {scope.channel_id}"


async def _history_rows(
    db: aiosqlite.Connection,
    scope: Scope,
    limit: int,
    where: str,
    order: str,
    anchor: tuple[int, ...],
) -> list[Any]:
    """Events of a channel with the total and, per row, how many events are newer."""
    return list(
        await db.execute_fetchall(
            "SELECT e.id, e.kind, e.from_phase, e.to_phase, e.actor_id, e.actor_name, e.at, "
            "e.note, e.rework, e.iteration, e.new_iteration, e.detail, "
            "(SELECT count(*) FROM events WHERE guild_id = e.guild_id "
            "AND channel_id = e.channel_id), "
            "(SELECT count(*) FROM events WHERE guild_id = e.guild_id "
            "AND channel_id = e.channel_id AND id > e.id) "
            f"FROM events AS e WHERE e.guild_id = ? AND e.channel_id = ?{where} "
            f"ORDER BY e.id {order} LIMIT ?",
            (*_key(scope), *anchor, limit),
        )
    )


async def _count_events(db: aiosqlite.Connection, scope: Scope) -> int:
    return int(
        await _scalar(
            db, "SELECT count(*) FROM events WHERE guild_id = ? AND channel_id = ?", _key(scope)
        )
    )


@dataclass(frozen=True, slots=True)
class _Snapshot:
    """A channel as one statement read it."""

    status: ProjectStatus
    version: int | None
    """The id of the channel's newest event (None: no history). Every change appends an
    event and ids are never reused; a reset deletes them all, which leaves only the
    methodology, so a change is guarded by the version and the methodology."""
    iteration_ticks: Mapping[str, Mapping[str, Tick]]
    """The current iteration's ticks of every phase, by phase key and activity key."""


_SNAPSHOT_SQL: Final = (
    "SELECT p.phase_key, p.methodology, p.iteration, p.since, p.set_by_id, p.set_by_name, "
    "v.version, t.phase_key, t.activity_key, t.actor_id, t.actor_name, t.at "
    "FROM projects AS p "
    "CROSS JOIN (SELECT max(id) AS version FROM events "
    "WHERE guild_id = ?1 AND channel_id = ?2) AS v "
    "LEFT JOIN ticks AS t ON t.guild_id = p.guild_id AND t.channel_id = p.channel_id "
    "AND t.iteration = p.iteration "
    "WHERE p.guild_id = ?1 AND p.channel_id = ?2"
)


async def _read_snapshot(db: aiosqlite.Connection, scope: Scope) -> _Snapshot:
    """The channel's state, version and current ticks in one statement (one trip)."""
    rows = list(await db.execute_fetchall(_SNAPSHOT_SQL, _key(scope)))
    if not rows:  # events and ticks need a projects row, so there is nothing else
        return _Snapshot(ProjectStatus(ProjectState(), {}), None, {})
    phase_key, methodology, iteration, since, set_by_id, set_by_name, version = rows[0][:7]
    state = ProjectState(
        phase_key=phase_key,
        methodology=methodology,
        iteration=int(iteration),
        since=_parse(since) if since is not None else None,
        set_by=Actor(int(set_by_id), set_by_name or "") if set_by_id is not None else None,
    )
    ticks: dict[str, dict[str, Tick]] = {}
    for *_, tick_phase, key, actor_id, actor_name, at in rows:
        if key is not None:
            ticks.setdefault(tick_phase, {})[key] = Tick(
                key, Actor(int(actor_id), actor_name), _parse(at)
            )
    current = ticks.get(phase_key, {}) if phase_key is not None else {}
    return _Snapshot(
        ProjectStatus(state, current), None if version is None else int(version), ticks
    )


@dataclass(frozen=True, slots=True)
class _NewEvent:
    kind: EventKind
    actor: Actor
    at: datetime
    from_phase: str | None = None
    to_phase: str | None = None
    note: str | None = None
    rework: bool = False
    iteration: int = 1
    new_iteration: bool = False
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class _Planned(Generic[T]):
    """A change a rule allowed: what to tell the caller, the event to append, and the
    channel's status and current-iteration ticks once it is applied."""

    result: T
    event: _NewEvent
    status: ProjectStatus
    iteration_ticks: Mapping[str, Mapping[str, Tick]]


class _SnapshotCache:
    """The most recently used channels' snapshots. This process changes its channels
    only through the store, which keeps the entries current; a change made by another
    process is noticed by the version check of the next change here (see ``_change``)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[int, int], _Snapshot] = OrderedDict()

    def get(self, key: tuple[int, int]) -> _Snapshot | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: tuple[int, int], snapshot: _Snapshot) -> None:
        self._entries[key] = snapshot
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def drop(self, key: tuple[int, int]) -> None:
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._entries.clear()

    def __contains__(self, key: tuple[int, int]) -> bool:
        return key in self._entries


_APPEND_SQL: Final = (
    "INSERT INTO events (guild_id, channel_id, kind, from_phase, to_phase, actor_id, "
    "actor_name, at, note, rework, iteration, new_iteration, detail) "
    "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13 "
    "WHERE (SELECT max(id) FROM events WHERE guild_id = ?1 AND channel_id = ?2) IS ?14 "
    "AND coalesce((SELECT methodology FROM projects WHERE guild_id = ?1 AND channel_id = ?2), "
    "?15) = ?16"
)


async def _append_event(
    write: Callable[[str, tuple[Any, ...]], Awaitable[tuple[int, int | None]]],
    scope: Scope,
    event: _NewEvent,
    *,
    expected: _Snapshot,
) -> int | None:
    """Append the event, and so apply it (the triggers of migration 0003), in one
    statement, if the channel is still as ``expected``; returns the new event's id (the
    channel's new version). None: the channel changed since it was read, and nothing
    was written.

    "Still as expected": the same newest event and the same methodology. The event id
    alone would miss a reset made elsewhere (it deletes the history, so a channel can
    be back at no events) after a methodology change (which a reset keeps)."""
    rowcount, lastrowid = await write(
        _APPEND_SQL,
        (
            *_key(scope),
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
            expected.version,
            DEFAULT_METHODOLOGY,
            expected.status.state.methodology,
        ),
    )
    return lastrowid if rowcount == 1 else None


def _event(row: sqlite3.Row | tuple[Any, ...]) -> Event:
    (
        event_id,
        kind,
        from_phase,
        to_phase,
        actor_id,
        actor_name,
        at,
        note,
        rework,
        iteration,
        new_iteration,
        detail,
    ) = tuple(row)
    if kind not in EVENT_KINDS:  # the table's CHECK constraint makes this unreachable
        raise ValueError(f"unknown event kind {kind!r} in event {event_id}")
    return Event(
        id=int(event_id),
        kind=cast(EventKind, kind),
        from_phase=from_phase,
        to_phase=to_phase,
        actor=Actor(int(actor_id), actor_name),
        at=_parse(at),
        note=note,
        rework=bool(rework),
        iteration=int(iteration),
        new_iteration=bool(new_iteration),
        detail=detail,
    )


# -- time ----------------------------------------------------------------------------------


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("times must be timezone-aware (UTC)")
    return now.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:  # written by hand; the store always writes an offset
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
