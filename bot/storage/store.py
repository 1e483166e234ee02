"""The progress store: each channel's phase, checklist and history in SQLite.

One aiosqlite connection per store, in WAL mode with ``synchronous=FULL`` (a change
is on disk when the call returns), foreign keys on and a busy timeout.

Every change is one transaction that reads the state, asks a rule from
:mod:`bot.core.progress` and writes the result. An :class:`asyncio.Lock` keeps the
coroutines sharing the connection from interleaving inside a transaction, and
``BEGIN IMMEDIATE`` makes other processes on the same file wait for the write lock.
A refused change raises the rule's :class:`~bot.core.errors.ProgressError` and
rolls back, so it writes nothing.

Keys: (guild_id, channel_id), with guild_id 0 for DMs. Times: UTC, ISO 8601 text.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Final, cast

import aiosqlite

from bot.core.content import DEFAULT_METHODOLOGY
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

_MEMORY = ":memory:"


class ProgressStore:
    """Async access to the progress database. Create with :meth:`open`."""

    def __init__(self, db: aiosqlite.Connection, path: str) -> None:
        self._db: aiosqlite.Connection | None = db
        self._path = path
        self._lock = asyncio.Lock()

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> ProgressStore:
        """Open (creating if needed) the database at ``path`` and migrate it to the newest schema.

        The file's directory is created if missing. ``":memory:"`` gives a private
        in-memory database (no WAL), for tests.
        """
        try:
            target = await asyncio.to_thread(_prepare_path, os.fspath(path))
            db = await aiosqlite.connect(target, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open the database {os.fspath(path)} ({exc})") from exc
        try:
            await _configure(db, in_memory=target == _MEMORY)
            version = await migrate(db)
        except sqlite3.Error as exc:
            await db.close()
            raise StorageError(f"cannot use the database {target} ({exc})") from exc
        except BaseException:
            await db.close()
            raise
        log.info("opened progress store %s (schema version %d)", target, version)
        return cls(db, target)

    async def close(self) -> None:
        """Close the connection; safe to call twice."""
        db, self._db = self._db, None
        if db is not None:
            async with self._lock:
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
        async with self._reading() as db:
            info: dict[str, int | str] = {}
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout"):
                info[name] = await _scalar(db, f"PRAGMA {name}")
            info["user_version"] = await _scalar(db, "PRAGMA user_version")
            return info

    # -- reads -----------------------------------------------------------------------------

    async def status(self, scope: Scope) -> ProjectStatus:
        """The channel's state and the ticks of its current phase and iteration."""
        async with self._reading() as db:
            return await _read_status(db, scope)

    async def history(self, scope: Scope, limit: int, offset: int = 0) -> tuple[list[Event], int]:
        """Up to ``limit`` events from ``offset``, newest first, and the total count."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        async with self._reading() as db:
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
                total = int(
                    await _scalar(
                        db,
                        "SELECT count(*) FROM events WHERE guild_id = ? AND channel_id = ?",
                        _key(scope),
                    )
                )
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
        async with self._reading() as db:
            rows = await _history_rows(db, scope, limit, where, order, anchor)
            if not rows and (older_than is not None or newer_than is not None):
                rows = await _history_rows(db, scope, limit, "", order, ())
            if not rows:
                total = int(
                    await _scalar(
                        db,
                        "SELECT count(*) FROM events WHERE guild_id = ? AND channel_id = ?",
                        _key(scope),
                    )
                )
                return [], total, 0
        rows.sort(key=lambda row: -int(row[0]))
        return [_event(row[:-2]) for row in rows], int(rows[0][-2]), int(rows[0][-1])

    async def editor_role(self, guild_id: int) -> int | None:
        """The role allowed to change progress in ``guild_id``, if one is set."""
        async with self._reading() as db:
            role = await _scalar(
                db, "SELECT editor_role_id FROM guild_settings WHERE guild_id = ?", (guild_id,)
            )
        return None if role is None else int(role)

    async def get_meta(self, key: str) -> str | None:
        async with self._reading() as db:
            value = await _scalar(db, "SELECT value FROM meta WHERE key = ?", (key,))
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
        async with self._transaction() as db:
            state = await _read_state(db, scope)
            move = plan_move(state, kind, content, target_key)
            await db.execute(
                "INSERT INTO projects (guild_id, channel_id, phase_key, methodology, iteration, "
                "since, set_by_id, set_by_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (guild_id, channel_id) DO UPDATE SET "
                "phase_key = excluded.phase_key, iteration = excluded.iteration, "
                "since = excluded.since, set_by_id = excluded.set_by_id, "
                "set_by_name = excluded.set_by_name",
                (
                    *_key(scope),
                    move.to_key,
                    state.methodology,
                    move.iteration_after,
                    _iso(at),
                    actor.id,
                    actor.name,
                ),
            )
            await _insert_event(
                db,
                scope,
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
            status = await _read_status(db, scope)
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
        async with self._transaction() as db:
            before = await _read_status(db, scope)
            check = plan_check(before, activity_key, content)
            key = (*_key(scope), check.iteration, check.phase_key, check.activity_key)
            if check.checked:
                await db.execute(
                    "INSERT INTO ticks (guild_id, channel_id, iteration, phase_key, activity_key, "
                    "actor_id, actor_name, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (*key, actor.id, actor.name, _iso(at)),
                )
            else:
                await db.execute(
                    "DELETE FROM ticks WHERE guild_id = ? AND channel_id = ? AND iteration = ? "
                    "AND phase_key = ? AND activity_key = ?",
                    key,
                )
            await _insert_event(
                db,
                scope,
                "check" if check.checked else "uncheck",
                actor,
                at,
                to_phase=check.phase_key,
                iteration=check.iteration,
                detail=check.activity_key,
            )
            status = await _read_status(db, scope)
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
        async with self._transaction() as db:
            state = await _read_state(db, scope)
            change = plan_methodology(state, methodology_key, content)
            await db.execute(
                "INSERT INTO projects (guild_id, channel_id, methodology) VALUES (?, ?, ?) "
                "ON CONFLICT (guild_id, channel_id) DO UPDATE SET "
                "methodology = excluded.methodology",
                (*_key(scope), change.to_key),
            )
            await _insert_event(
                db,
                scope,
                "methodology",
                actor,
                at,
                iteration=state.iteration,
                detail=change.to_key,
            )
            status = await _read_status(db, scope)
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
        async with self._transaction() as db:
            state = await _read_state(db, scope)
            ticks = await db.execute(
                "DELETE FROM ticks WHERE guild_id = ? AND channel_id = ?", _key(scope)
            )
            events = await db.execute(
                "DELETE FROM events WHERE guild_id = ? AND channel_id = ?", _key(scope)
            )
            cleared = state.phase_key is not None or ticks.rowcount > 0 or events.rowcount > 0
            if state.methodology == DEFAULT_METHODOLOGY:
                await db.execute(
                    "DELETE FROM projects WHERE guild_id = ? AND channel_id = ?", _key(scope)
                )
            else:
                await db.execute(
                    "UPDATE projects SET phase_key = NULL, iteration = 1, since = NULL, "
                    "set_by_id = NULL, set_by_name = NULL WHERE guild_id = ? AND channel_id = ?",
                    _key(scope),
                )
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
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, editor_role_id, set_by_id, set_by_name, "
                "set_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET "
                "editor_role_id = excluded.editor_role_id, set_by_id = excluded.set_by_id, "
                "set_by_name = excluded.set_by_name, set_at = excluded.set_at",
                (guild_id, role_id, actor.id, actor.name, _iso(at)),
            )
        log.info("guild %d: editor role %s set by %s", guild_id, role_id, actor.id)

    async def set_meta(self, key: str, value: str) -> None:
        async with self._transaction() as db:
            await db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- transactions ----------------------------------------------------------------------

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection for one read statement (atomic on its own, so no BEGIN/COMMIT).

        The lock still matters: on this one connection, a read between another
        coroutine's BEGIN and COMMIT would see that change before it is committed.
        """
        async with self._lock:
            db = self._db
            if db is None:
                raise RuntimeError("the progress store is closed")
            yield db

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One transaction: commit when the block ends, roll back when it raises.

        Writes use ``BEGIN IMMEDIATE`` so the write lock is taken before the first read.
        """
        async with self._lock:
            db = self._db
            if db is None:
                raise RuntimeError("the progress store is closed")
            try:
                await db.execute("BEGIN IMMEDIATE")
                yield db
            except BaseException:
                # Queued on the connection's thread after whatever ran before it (even
                # a BEGIN whose awaiting task was cancelled); a no-op outside a transaction.
                await db.rollback()
                raise
            await db.execute("COMMIT")


# -- connection setup ----------------------------------------------------------------------


def _prepare_path(target: str) -> str:
    """Expand ``~`` and create the database file's directory if it is missing."""
    if target == _MEMORY or target.startswith("file:"):
        return target
    path = Path(target).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
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


_STATUS_SQL: Final = (
    "SELECT p.phase_key, p.methodology, p.iteration, p.since, p.set_by_id, p.set_by_name, "
    "t.activity_key, t.actor_id, t.actor_name, t.at FROM projects AS p "
    "LEFT JOIN ticks AS t ON t.guild_id = p.guild_id AND t.channel_id = p.channel_id "
    "AND t.iteration = p.iteration AND t.phase_key = p.phase_key "
    "WHERE p.guild_id = ? AND p.channel_id = ?"
)


async def _read_state(db: aiosqlite.Connection, scope: Scope) -> ProjectState:
    return (await _read_status(db, scope)).state


async def _read_status(db: aiosqlite.Connection, scope: Scope) -> ProjectStatus:
    """The state and its current ticks, in one statement (one trip to the database thread)."""
    rows = list(await db.execute_fetchall(_STATUS_SQL, _key(scope)))
    if not rows:
        return ProjectStatus(ProjectState(), {})
    phase_key, methodology, iteration, since, set_by_id, set_by_name = rows[0][:6]
    state = ProjectState(
        phase_key=phase_key,
        methodology=methodology,
        iteration=int(iteration),
        since=_parse(since) if since is not None else None,
        set_by=Actor(int(set_by_id), set_by_name or "") if set_by_id is not None else None,
    )
    ticks = {
        key: Tick(key, Actor(int(actor_id), actor_name), _parse(at))
        for *_, key, actor_id, actor_name, at in rows
        if key is not None
    }
    return ProjectStatus(state, ticks)


async def _insert_event(
    db: aiosqlite.Connection,
    scope: Scope,
    kind: EventKind,
    actor: Actor,
    at: datetime,
    *,
    from_phase: str | None = None,
    to_phase: str | None = None,
    note: str | None = None,
    rework: bool = False,
    iteration: int = 1,
    new_iteration: bool = False,
    detail: str | None = None,
) -> None:
    await db.execute(
        "INSERT INTO events (guild_id, channel_id, kind, from_phase, to_phase, actor_id, "
        "actor_name, at, note, rework, iteration, new_iteration, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            *_key(scope),
            kind,
            from_phase,
            to_phase,
            actor.id,
            actor.name,
            _iso(at),
            note,
            int(rework),
            iteration,
            int(new_iteration),
            detail,
        ),
    )


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
