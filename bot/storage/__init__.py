"""Persistence: the repository protocol's implementations. All SQL lives in this package."""

from __future__ import annotations

from bot.storage.migrate import SchemaTooNew, latest_version, load_migrations
from bot.storage.sqlite import SQLiteRepository

__all__ = ["SQLiteRepository", "SchemaTooNew", "latest_version", "load_migrations"]
