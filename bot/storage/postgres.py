"""The PostgreSQL repository: every channel's project in one database, through asyncpg.

Any number of phasebot processes may share the database. A change is one statement,
so one transaction: the project row is updated only if its version is still the one
the change was planned on (``UPDATE ... WHERE version = $expected``, or for a channel's
first change ``INSERT ... ON CONFLICT DO UPDATE ... WHERE projects.version = $expected``),
and the event, the tick and a reset's deletes are fed from that row (``FROM p``), so
they are written exactly when the guard let the change through. Under READ COMMITTED
a second writer waits for the first one's row lock and then checks its ``WHERE``
against the row the first one wrote: it writes nothing and the Tracker plans again.

All SQL of this backend lives here, in :mod:`bot.storage.pg_migrate` and in
``migrations/postgres/``. It knows no rules: it writes the state, event and tick the
Tracker planned.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from types import TracebackType
from typing import Any, Final

import asyncpg

from bot.core.state import (
    Actor,
    Change,
    Event,
    Place,
    Scope,
    Snapshot,
)
from bot.core.tracker import StorageError
from bot.storage import rows as rows_
from bot.storage.pg import (
    ACQUIRE_TIMEOUT_SECONDS,
    advisory_lock,
    create_pool,
    describe_url,
    storage_error,
)
from bot.storage.pg_migrate import migrate
from bot.storage.rows import EVENT_COLUMNS, SNAPSHOTS, Pages
from bot.storage.settle import settled

log = logging.getLogger(__name__)

_KEY: Final = "platform = $1 AND workspace = $2 AND channel = $3"
_SAME: Final = "x.platform = p.platform AND x.workspace = p.workspace AND x.channel = p.channel"

_FIRST: Final = (
    "INSERT INTO projects (platform, workspace, channel, label, version, phase_key, "
    "methodology, iteration, since, set_by_id, set_by_name) "
    "VALUES ($1, $2, $3, $4, $5::bigint + 1, $6, $7, $8, $9, $10, $11) "
    "ON CONFLICT (platform, workspace, channel) DO UPDATE SET label = excluded.label, "
    "version = excluded.version, phase_key = excluded.phase_key, "
    "methodology = excluded.methodology, iteration = excluded.iteration, "
    "since = excluded.since, set_by_id = excluded.set_by_id, set_by_name = excluded.set_by_name "
    "WHERE projects.version = $5::bigint "
    "RETURNING platform, workspace, channel, version"
)
_NEXT: Final = (
    "UPDATE projects SET label = $4, version = version + 1, phase_key = $6, "
    "methodology = $7, iteration = $8, since = $9, set_by_id = $10, set_by_name = $11 "
    f"WHERE {_KEY} AND version = $5::bigint "
    "RETURNING platform, workspace, channel, version"
)
_RESET: Final = (
    f", reset_ticks AS (DELETE FROM ticks AS x USING p WHERE {_SAME})"
    f", reset_events AS (DELETE FROM events AS x USING p WHERE {_SAME})"
)
_EVENT: Final = (
    ", event AS (INSERT INTO events (platform, workspace, channel, kind, from_phase, "
    "to_phase, actor_id, actor_name, at, note, rework, iteration, new_iteration, detail) "
    "SELECT p.platform, p.workspace, p.channel, ${0}::text, ${1}::text, ${2}::text, "
    "${3}::text, ${4}::text, ${5}::timestamptz, ${6}::text, ${7}::boolean, ${8}::integer, "
    "${9}::boolean, ${10}::text FROM p)"
)
_TICK: Final = (
    ", tick AS (INSERT INTO ticks (platform, workspace, channel, iteration, phase_key, "
    "activity_key, actor_id, actor_name, at) SELECT p.platform, p.workspace, p.channel, "
    "${0}::integer, ${1}::text, ${2}::text, ${3}::text, ${4}::text, ${5}::timestamptz FROM p "
    "ON CONFLICT (platform, workspace, channel, iteration, phase_key, activity_key) "
    "DO UPDATE SET actor_id = excluded.actor_id, actor_name = excluded.actor_name, "
    "at = excluded.at)"
)
_UNTICK: Final = (
    f", untick AS (DELETE FROM ticks AS x USING p WHERE {_SAME} AND x.iteration = ${{0}}::integer "
    "AND x.phase_key = ${1}::text AND x.activity_key = ${2}::text)"
)


class PostgresRepository(Pages):
    """The repository protocol over PostgreSQL. Create with :meth:`open`."""

    @staticmethod
    def moment(value: Any) -> datetime:
        return value  # type: ignore[no-any-return]  # asyncpg gives aware datetimes

    def __init__(self, pool: asyncpg.Pool, where: str, schema: tuple[int, int] = (0, 0)) -> None:
        self._pool = pool
        self.where = where
        """The database as errors and logs name it (host, port, database; no password)."""
        self.schema = schema
        """The schema version before and after :meth:`open` migrated it."""
        self._closed = False

    @classmethod
    async def open(cls, url: str, *, pool_size: int = 10) -> PostgresRepository:
        """Connect to the database at ``url`` (a pool of up to ``pool_size``
        connections) and migrate it to the newest schema."""
        where = describe_url(url)
        pool = await create_pool(url, pool_size)
        try:
            async with pool.acquire() as conn:
                before, version = await migrate(conn)
        except BaseException as exc:
            await pool.close()
            if isinstance(exc, StorageError):
                raise
            if isinstance(exc, asyncpg.PostgresError | OSError | asyncpg.InterfaceError):
                raise storage_error(exc, where, "cannot migrate the database") from None
            raise
        log.info("opened the %s (schema version %d, was %d)", where, version, before)
        return cls(pool, where, (before, version))

    async def close(self) -> None:
        """Close once the calls under way are done; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        await self._pool.close()
        log.debug("closed the %s", self.where)

    async def __aenter__(self) -> PostgresRepository:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @asynccontextmanager
    async def connection(self, doing: str = "cannot use the database") -> AsyncIterator[Any]:
        """A connection of the pool; driver errors become the core's storage errors."""
        try:
            async with self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS) as conn:
                yield conn
        except (asyncpg.PostgresError, OSError, TimeoutError, asyncpg.InterfaceError) as exc:
            log.debug("%s: %r", doing, exc)
            raise storage_error(exc, self.where, doing) from None

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[None]:
        """Hold the advisory lock ``name`` across every process on this database. Only
        taking it is the database's business: what the block raises is its own."""
        stack = AsyncExitStack()
        try:
            conn = await stack.enter_async_context(
                self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS)
            )
            await stack.enter_async_context(advisory_lock(conn, name))
        except (asyncpg.PostgresError, OSError, TimeoutError, asyncpg.InterfaceError) as exc:
            await stack.aclose()
            raise storage_error(exc, self.where, "cannot lock the database") from None
        async with stack:
            yield

    # -- reads ------------------------------------------------------------------------------

    async def load(self, scope: Scope) -> Snapshot:
        rows = await self._read(f"{SNAPSHOTS} WHERE {_P_KEY} AND p.channel = $3", *scope.key)
        return rows_.snapshot(rows, self.moment) if rows else Snapshot()

    async def channels(self, place: Place) -> list[tuple[Scope, Snapshot]]:
        rows = await self._read(
            f"{SNAPSHOTS} WHERE {_P_KEY} AND p.phase_key IS NOT NULL ORDER BY p.since, p.channel",
            place.platform,
            place.workspace,
        )
        return rows_.channels(place, rows, self.moment)

    async def events(self, scope: Scope, after: int, limit: int) -> list[Event]:
        rows = await self._read(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE {_KEY} AND id > $4 ORDER BY id LIMIT $5",
            *scope.key,
            after,
            limit,
        )
        return [rows_.event(row, self.moment) for row in rows]

    async def places(self, platform: str, key: str) -> list[tuple[Place, str]]:
        rows = await self._read(
            "SELECT workspace, channel, value FROM settings WHERE platform = $1 AND key = $2",
            platform,
            key,
        )
        return [(Place(platform, r[0], r[1]), str(r[2])) for r in rows]

    async def setting(self, place: Place, key: str) -> str | None:
        rows = await self._read(
            f"SELECT value FROM settings WHERE {_KEY} AND key = $4", *_place(place), key
        )
        return str(rows[0][0]) if rows else None

    async def _from(self, scope: Scope, limit: int, offset: int) -> list[Any]:
        return await self._read(
            f"SELECT {EVENT_COLUMNS}, count(*) OVER () FROM events WHERE {_KEY} "
            "ORDER BY id DESC LIMIT $4 OFFSET $5",
            *scope.key,
            limit,
            offset,
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
        """One statement, so the page and its counts come from one snapshot."""
        where, anchor = "", tuple[int, ...]()
        if below is not None:
            where, anchor = " AND id < $5", (below,)
        elif above is not None:
            where, anchor = " AND id > $5", (above,)
        return await self._read(
            f"WITH page AS (SELECT {EVENT_COLUMNS} FROM events WHERE {_KEY}{where} "
            f"ORDER BY id {'ASC' if ascending else 'DESC'} LIMIT $4) "
            "SELECT page.*, counts.total, counts.newer FROM page, "
            "(SELECT count(*) AS total, count(*) FILTER (WHERE id > (SELECT max(id) FROM page)) "
            f"AS newer FROM events WHERE {_KEY}) AS counts",
            *scope.key,
            limit,
            *anchor,
        )

    async def _count(self, scope: Scope) -> int:
        rows = await self._read(f"SELECT count(*) FROM events WHERE {_KEY}", *scope.key)
        return int(rows[0][0])

    async def _read(self, sql: str, *params: Any) -> list[Any]:
        async with self.connection("cannot read the database") as conn:
            return list(await conn.fetch(sql, *params))

    # -- writes -----------------------------------------------------------------------------

    async def append(self, scope: Scope, expected: int, change: Change) -> int | None:
        sql, params = append_statement(scope, expected, change)
        version = await settled(self._write(sql, params))
        return None if version is None else int(version)

    async def _write(self, sql: str, params: list[Any]) -> Any:
        async with self.connection("cannot write to the database; nothing was changed") as conn:
            return await conn.fetchval(sql, *params)

    async def claim(self, place: Place, key: str, value: str, actor: Actor, at: datetime) -> bool:
        sql = f"{_UPSERT_SETTING} WHERE settings.value <> excluded.value RETURNING 1"
        params = [*_place(place), key, value, actor.id, actor.name, aware(at)]
        return await settled(self._write(sql, params)) is not None

    async def set_setting(
        self, place: Place, key: str, value: str | None, actor: Actor, at: datetime
    ) -> None:
        if value is None:
            sql = f"DELETE FROM settings WHERE {_KEY} AND key = $4"
            params: list[Any] = [*_place(place), key]
        else:
            sql = _UPSERT_SETTING
            params = [*_place(place), key, value, actor.id, actor.name, aware(at)]
        await settled(self._write(sql, params))


_UPSERT_SETTING: Final = (
    "INSERT INTO settings (platform, workspace, channel, key, value, set_by_id, "
    "set_by_name, set_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
    "ON CONFLICT (platform, workspace, channel, key) DO UPDATE SET "
    "value = excluded.value, set_by_id = excluded.set_by_id, "
    "set_by_name = excluded.set_by_name, set_at = excluded.set_at"
)
_P_KEY: Final = "p.platform = $1 AND p.workspace = $2"


def append_statement(scope: Scope, expected: int, change: Change) -> tuple[str, list[Any]]:
    """The one statement that writes ``change`` if the channel is at ``expected``; it
    returns the new version, or no row."""
    state, by = change.state, change.state.set_by
    params: list[Any] = [
        *scope.key,
        scope.label,
        expected,
        state.phase_key,
        state.methodology,
        state.iteration,
        aware(state.since) if state.since else None,
        by.id if by else None,
        by.name if by else None,
    ]

    def numbered(template: str, values: tuple[Any, ...]) -> str:
        first = len(params) + 1
        params.extend(values)
        return template.format(*range(first, first + len(values)))

    sql = f"WITH p AS ({_FIRST if expected == 0 else _NEXT})"
    if change.reset:
        sql += _RESET
    event = change.event
    if event is not None:
        sql += numbered(_EVENT, event_values(event))
    tick = change.tick
    if tick is not None:
        where = (tick.iteration, tick.phase_key, tick.activity_key)
        if tick.tick is None:
            sql += numbered(_UNTICK, where)
        else:
            actor = tick.tick.actor
            sql += numbered(_TICK, (*where, actor.id, actor.name, aware(tick.tick.at)))
    return sql + " SELECT version FROM p", params


def event_values(event: Event) -> tuple[Any, ...]:
    return (
        event.kind,
        event.from_phase,
        event.to_phase,
        event.actor.id,
        event.actor.name,
        aware(event.at),
        event.note,
        event.rework,
        event.iteration,
        event.new_iteration,
        event.detail,
    )


def aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must be timezone-aware (UTC)")
    return moment


def _place(place: Place) -> tuple[str, str, str]:
    return (place.platform, place.workspace, place.channel)
