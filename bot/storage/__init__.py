"""Persistence: the aiosqlite progress store. All SQL lives in this package."""

from __future__ import annotations

from bot.storage.migrate import SchemaTooNew, StorageError, latest_version, load_migrations
from bot.storage.store import ProgressStore

__all__ = ["ProgressStore", "SchemaTooNew", "StorageError", "latest_version", "load_migrations"]
