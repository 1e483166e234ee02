"""Which database: a SQLite file or a PostgreSQL URL, named safely and opened.

``DATABASE_URL`` (``postgresql://`` or ``postgres://``) selects PostgreSQL; without it,
the SQLite file at ``DATABASE_PATH``. ``phasebot db`` takes either as an argument. A
URL is kept out of logs and messages: :attr:`Target.name` names its host, port and
database only. asyncpg is imported only when a PostgreSQL database is opened.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.core.tracker import StorageError

if TYPE_CHECKING:
    from bot.storage.postgres import PostgresRepository
    from bot.storage.sqlite import SQLiteRepository

    Opened = SQLiteRepository | PostgresRepository

SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class Target:
    """A database: ``url`` for PostgreSQL (hidden from repr), else ``path`` for SQLite."""

    path: Path | None = None
    url: str | None = field(default=None, repr=False)

    @property
    def postgres(self) -> bool:
        return self.url is not None

    @property
    def name(self) -> str:
        if self.url is not None:
            from bot.storage.pg import describe_url

            return describe_url(self.url)
        return f"SQLite file {self.path}"

    def __str__(self) -> str:
        return self.name


def is_postgres_url(text: str) -> bool:
    return urlsplit(text.strip()).scheme in SCHEMES if "://" in text else False


def target_of(text: str | os.PathLike[str]) -> Target:
    """A ``postgresql://`` URL or a SQLite file's path."""
    if isinstance(text, str) and is_postgres_url(text):
        return Target(url=text.strip())
    return Target(path=Path(text).expanduser().resolve())


def settings_target(url: str | None, path: Path) -> Target:
    return Target(url=url) if url else Target(path=path)


async def open_target(target: Target, *, pool_size: int = 10) -> Opened:
    """Open (and migrate) the database."""
    if target.url is not None:
        try:
            from bot.storage.postgres import PostgresRepository
        except ImportError as exc:  # pragma: no cover - asyncpg is an optional extra
            raise StorageError(
                f"PostgreSQL needs asyncpg ({exc}): "
                "run pip install '.[postgres]' in phasebot's folder"
            ) from None
        return await PostgresRepository.open(target.url, pool_size=pool_size)
    from bot.storage.sqlite import SQLiteRepository

    assert target.path is not None
    return await SQLiteRepository.open(target.path)


async def migrate_target(target: Target) -> tuple[int, int]:
    """Open the database, which migrates it; (its schema version before, after)."""
    async with await open_target(target, pool_size=1) as repository:
        return repository.schema
