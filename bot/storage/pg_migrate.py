"""PostgreSQL's numbered migrations (``migrations/postgres/NNNN_name.sql``).

The schema version is kept in the database, in ``phasebot_schema`` (one row per applied
migration). Migrating holds a session advisory lock, so that processes starting
together wait for each other and each migration is applied once; each migration runs
in its own transaction with its row, so a failed one leaves the version before it.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from bot.storage.migrate import SchemaTooNew, load_migrations
from bot.storage.pg import advisory_lock

log = logging.getLogger(__name__)

DIALECT: Final = "postgres"
LOCK_NAME: Final = "phasebot:migrate"

_SCHEMA_TABLE: Final = (
    "CREATE TABLE IF NOT EXISTS phasebot_schema ("
    "version integer PRIMARY KEY, name text NOT NULL, "
    "applied_at timestamptz NOT NULL DEFAULT now())"
)


def latest_version() -> int:
    return load_migrations(DIALECT)[-1].version


async def schema_version(conn: Any) -> int:
    """The database's schema version; 0 if phasebot never migrated it."""
    exists = await conn.fetchval("SELECT to_regclass('phasebot_schema') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM phasebot_schema"))


async def migrate(conn: Any) -> tuple[int, int]:
    """Bring the schema to the newest version; (the version before, the version after).
    If another process migrated while this one waited for the lock, "before" is the
    version it left (nothing was applied here)."""
    migrations = load_migrations(DIALECT)
    known = migrations[-1].version
    before = await schema_version(conn)
    if before > known:
        raise SchemaTooNew(before, known)
    if before == known:
        return before, before
    async with advisory_lock(conn, LOCK_NAME):
        await conn.execute(_SCHEMA_TABLE)
        current = before = await schema_version(conn)  # another may have migrated meanwhile
        if current > known:
            raise SchemaTooNew(current, known)
        for migration in migrations:
            if migration.version <= current:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO phasebot_schema (version, name) VALUES ($1, $2)",
                    migration.version,
                    migration.name,
                )
            current = migration.version
            log.info("applied migration postgres/%s", migration.name)
    return before, current
