"""What only the SQLite backend has: its file, its migrations, its locks."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.models import Content
from bot.core.state import Actor, Place, Scope
from bot.core.tracker import DatabaseBusy, DatabaseReadOnly, StorageError, Tracker
from bot.storage import SchemaTooNew, SQLiteRepository, latest_version, load_migrations
from bot.storage.migrate import split_statements
from bot.storage.sqlite import BUSY_TIMEOUT_MS
from tests.storage.conftest import Clock

ANN = Actor("111", "Ann")
HERE = Scope("discord", "1001", "2002")
T0 = "2024-05-01T12:00:00.000000+00:00"
TABLES = {"projects", "events", "ticks", "settings"}


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {r[0] for r in rows} - {"sqlite_sequence"}


def test_migrations_are_numbered_and_split() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert latest_version() == migrations[-1].version >= 4
    assert all(m.statements for m in migrations)
    assert split_statements("-- c\nCREATE TABLE a (x);\n-- trailing\n") == (
        "-- c\nCREATE TABLE a (x);",
    )


async def test_open_creates_the_folder_migrates_and_sets_the_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "data" / "progress.sqlite3"
    async with await SQLiteRepository.open(path) as repository:
        info = await repository.pragmas()
    assert path.is_file() and tables(path) == TABLES
    assert info == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": BUSY_TIMEOUT_MS,
        "user_version": latest_version(),
    }


def _version_3(path: Path) -> None:
    """A database as phasebot left it before the plain store, with data in it written
    through that version's triggers."""
    with sqlite3.connect(path) as db:
        for migration in load_migrations()[:3]:
            db.executescript(migration.sql)
        db.execute("PRAGMA user_version = 3")
        rows = [  # guild 7 channel 70; a DM (guild 0); the console (guild 1)
            (7, 70, "phase", None, "testing", 111, "Ann", None, 1, None),
            (7, 70, "check", None, "testing", 222, "Bob", None, 1, "fix-bugs"),
            (7, 70, "phase", "testing", "deployment", 111, "Ann", "go", 1, None),
            (0, 80, "methodology", None, None, 333, "Cy", None, 1, "agile"),
            (0, 80, "phase", None, "planning", 333, "Cy", None, 1, None),
            (1, 90, "phase", None, "design", 0, "me", None, 1, None),
        ]
        for guild, channel, kind, source, target, actor, name, note, iteration, detail in rows:
            db.execute(
                "INSERT INTO events (guild_id, channel_id, kind, from_phase, to_phase, actor_id, "
                "actor_name, at, note, iteration, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (guild, channel, kind, source, target, actor, name, T0, note, iteration, detail),
            )
        db.execute("INSERT INTO guild_settings VALUES (7, 555, 111, 'Ann', ?)", (T0,))
        db.execute("INSERT INTO meta VALUES ('command_schema_hash', 'abc')")


async def test_upgrading_from_version_3_loses_nothing(tmp_path: Path, content: Content) -> None:
    path = tmp_path / "old.sqlite3"
    _version_3(path)
    async with await SQLiteRepository.open(path) as repository:
        assert (await repository.pragmas())["user_version"] == latest_version()
        server = Scope("discord", "7", "70")
        snapshot = await repository.load(server)
        assert snapshot.state.phase_key == "deployment"
        assert snapshot.state.set_by == Actor("111", "Ann")
        assert snapshot.state.since == datetime(2024, 5, 1, 12, tzinfo=UTC)
        assert snapshot.status.ticks == {} and snapshot.version == 3  # the newest event's id
        assert set(snapshot.ticks["testing"]) == {"fix-bugs"}
        back = await Tracker(repository, content, Clock()).move(server, ANN, "back")
        assert set(back[1].ticks) == {"fix-bugs"}  # Bob's tick, found again on rework
        history = await repository.history(server, 10)
        assert [e.id for e in history.events] == [7, 3, 2, 1]
        assert history.events[1].note == "go" and history.events[2].actor.id == "222"
        dm = await repository.load(Scope("discord", "", "80", private=True))
        assert (dm.state.phase_key, dm.state.methodology) == ("planning", "agile")
        console = await repository.load(Scope("console", "", "90"))
        assert console.state.phase_key == "design"
        assert await repository.setting(Place("discord", "7"), "editor_role") == "555"
        assert await repository.setting(Place("discord", ""), "command_schema_hash") == "abc"
    assert tables(path) == TABLES


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {latest_version() + 1}")
    with pytest.raises(SchemaTooNew):
        await SQLiteRepository.open(path)


async def test_unusable_paths_are_storage_errors(tmp_path: Path) -> None:
    (tmp_path / "not-a-db").write_bytes(b"this is not SQLite" * 100)
    for path in (tmp_path, tmp_path / "not-a-db"):
        with pytest.raises(StorageError):
            await SQLiteRepository.open(path)


async def test_a_memory_database_works_on_one_connection(content: Content) -> None:
    async with await SQLiteRepository.open(":memory:") as repository:
        tracker = Tracker(repository, content, Clock())
        await tracker.move(HERE, ANN, "set", "design")
        assert (await tracker.status(HERE)).state.phase_key == "design"


async def test_a_busy_database_says_so_after_a_bounded_wait(
    tmp_path: Path, content: Content
) -> None:
    path = tmp_path / "busy.sqlite3"
    async with await SQLiteRepository.open(path) as repository:
        tracker = Tracker(repository, content, Clock())
        await tracker.move(HERE, ANN, "set", "design")
        locked, release = threading.Event(), threading.Event()

        def hold() -> None:  # another process holding the write lock
            db = sqlite3.connect(path, isolation_level=None)
            db.execute("BEGIN EXCLUSIVE")
            locked.set()
            release.wait(10)
            db.execute("ROLLBACK")
            db.close()

        holder = threading.Thread(target=hold)
        holder.start()
        locked.wait(5)
        try:
            started = asyncio.get_running_loop().time()
            with pytest.raises(DatabaseBusy) as refused:
                await tracker.move(HERE, ANN, "next")
            waited = asyncio.get_running_loop().time() - started
        finally:
            release.set()
            holder.join()
        assert "busy" in refused.value.user_message() and "Nothing was changed" in str(
            refused.value
        )
        assert BUSY_TIMEOUT_MS / 1000 * 0.9 <= waited < 5
        assert (await tracker.status(HERE)).state.phase_key == "design"
        _, status = await tracker.move(HERE, ANN, "next")  # and works once it is free
        assert status.state.phase_key == "implementation"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to a read-only file")
async def test_a_read_only_database_says_so(tmp_path: Path, content: Content) -> None:
    path = tmp_path / "ro.sqlite3"
    async with await SQLiteRepository.open(path) as repository:
        await Tracker(repository, content, Clock()).move(HERE, ANN, "set", "design")
    path.chmod(0o444)
    async with await SQLiteRepository.open(path) as repository:
        tracker = Tracker(repository, content, Clock())
        assert (await tracker.status(HERE)).state.phase_key == "design"
        with pytest.raises(DatabaseReadOnly) as refused:
            await tracker.move(HERE, ANN, "next")
        assert "read-only" in refused.value.user_message()
        assert (await tracker.status(HERE)).state.phase_key == "design"


async def test_a_write_that_fails_fails_alone(tmp_path: Path, content: Content) -> None:
    """Ten moves in ten channels sent together with one whose note can't be stored:
    the ten are written, the one is not."""
    async with await SQLiteRepository.open(tmp_path / "alone.sqlite3") as repository:
        tracker = Tracker(repository, content, Clock())
        scopes = [Scope("discord", "1", str(n)) for n in range(11)]
        notes = ["fine"] * 10 + ["bad\ud800"]
        results = await asyncio.gather(
            *(tracker.move(s, ANN, "set", "design", n) for s, n in zip(scopes, notes, strict=True)),
            return_exceptions=True,
        )
        assert [isinstance(r, BaseException) for r in results] == [False] * 10 + [True]
        for scope in scopes[:10]:
            assert (await tracker.status(scope)).state.phase_key == "design"
        assert (await repository.load(scopes[10])).version == 0
        _, status = await tracker.move(scopes[10], ANN, "set", "design", "good")
        assert status.state.phase_key == "design"
