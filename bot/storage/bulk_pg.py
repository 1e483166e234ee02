"""A PostgreSQL database as a side of `phasebot db copy` (see :mod:`bot.storage.transfer`).

The database is opened (so migrated) by the repository; the copy holds one connection
of its pool: reads in one ``REPEATABLE READ`` read-only transaction (one snapshot),
writes in one transaction with ``COPY`` (``copy_records_to_table``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bot.storage.postgres import PostgresRepository
from bot.storage.transfer import BATCH, TABLES, Row

_SEQUENCE = "events_id_seq"  # the identity sequence of events.id
_GIVEN = f"(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {_SEQUENCE})"


class PostgresSide:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    async def counts(self) -> dict[str, int]:
        return {
            table: int(await self._conn.fetchval(f"SELECT count(*) FROM {table}"))
            for table in TABLES
        }

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[PostgresSide]:
        async with self._conn.transaction(isolation="repeatable_read", readonly=True):
            yield self

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[PostgresSide]:
        async with self._conn.transaction():
            await self._conn.execute("SET LOCAL lock_timeout = 0")
            yield self

    async def rows(self, table: str) -> AsyncIterator[list[Row]]:
        """Needs a transaction (the cursor lives in it): inside reading or writing."""
        cursor = await self._conn.cursor(f"SELECT {', '.join(TABLES[table])} FROM {table}")
        while batch := await cursor.fetch(BATCH):
            yield [tuple(record) for record in batch]

    async def last_event_id(self) -> int:
        return int(
            await self._conn.fetchval(
                f"SELECT greatest(coalesce((SELECT max(id) FROM events), 0), {_GIVEN})"
            )
        )

    async def insert(self, table: str, rows: Sequence[Row]) -> None:
        await self._conn.copy_records_to_table(table, records=rows, columns=TABLES[table])

    async def keep_event_ids_above(self, last: int) -> None:
        if last > 0:
            await self._conn.execute(
                f"SELECT setval('{_SEQUENCE}', greatest($1::bigint, {_GIVEN}))",
                last,
            )


@asynccontextmanager
async def postgres_side(url: str) -> AsyncIterator[PostgresSide]:
    repository = await PostgresRepository.open(url, pool_size=1)
    try:
        async with repository.connection("copying failed") as conn:
            yield PostgresSide(conn)
    finally:
        await repository.close()
