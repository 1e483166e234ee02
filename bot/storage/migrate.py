"""Numbered schema migrations, applied in order and tracked in ``PRAGMA user_version``.

Migrations are the files ``migrations/NNNN_name.sql`` shipped as package data of
``bot.storage`` (PostgreSQL's, in ``migrations/postgres/``, are applied by
:mod:`bot.storage.pg_migrate`). Version N is file ``NNNN``; versions run 1, 2, 3...
with no gaps.
Each one runs in its own ``BEGIN IMMEDIATE`` transaction together with the
``user_version`` bump, so a failed migration leaves the database at the version
before it, and two processes opening one file at once apply each migration once.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from functools import cache
from importlib import resources

import aiosqlite

from bot.core.tracker import StorageError

log = logging.getLogger(__name__)

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class SchemaTooNew(StorageError):
    def __init__(self, found: int, known: int) -> None:
        self.found = found
        self.known = known
        super().__init__(
            f"the database is at schema version {found}, but this phasebot knows only "
            f"up to {known}; upgrade phasebot or use another database"
        )


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def statements(self) -> tuple[str, ...]:
        return split_statements(self.sql)


@cache
def load_migrations(dialect: str = "sqlite") -> tuple[Migration, ...]:
    """Every migration shipped with phasebot for ``dialect`` ("sqlite" or "postgres"),
    in version order."""
    folder = resources.files("bot.storage") / "migrations"
    if dialect != "sqlite":
        folder = folder / dialect
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _FILE.match(entry.name)
        if match is None:
            continue
        found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise StorageError(f"migration {migration.name}: expected version {expected:04d}")
    if not found:
        raise StorageError(f"no {dialect} migrations found in bot.storage/migrations")
    return tuple(found)


def latest_version(dialect: str = "sqlite") -> int:
    return load_migrations(dialect)[-1].version


def split_statements(sql: str) -> tuple[str, ...]:
    """Split a script into complete statements (comments and triggers are kept intact)."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    rest = "\n".join(
        line for line in buffer.splitlines() if line.strip() and not line.strip().startswith("--")
    )
    if rest:
        raise StorageError(f"incomplete SQL statement at the end of a migration: {rest[:80]!r}")
    return tuple(statements)


async def user_version(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row is not None else 0


async def migrate(db: aiosqlite.Connection) -> int:
    """Bring the schema to the newest version; returns it.

    ``db`` must be in autocommit mode (``isolation_level=None``) with no open transaction.
    """
    migrations = load_migrations()
    known = migrations[-1].version
    current = await user_version(db)
    if current > known:
        raise SchemaTooNew(current, known)
    for migration in migrations:
        if migration.version <= current:
            continue
        try:
            await db.execute("BEGIN IMMEDIATE")
            # Another process may have migrated while we waited for the write lock.
            current = await user_version(db)
            if current >= migration.version:
                await db.execute("ROLLBACK")
                continue
            for statement in migration.statements:
                await db.execute(statement)
            await db.execute(f"PRAGMA user_version = {migration.version:d}")
            await db.execute("COMMIT")
        except BaseException:
            await db.rollback()  # a no-op when no transaction is open
            raise
        current = migration.version
        log.info("applied migration %s", migration.name)
    return current
