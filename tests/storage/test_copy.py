"""`phasebot db copy`: 1,000 channels with their histories from SQLite into PostgreSQL
and back, verified; a second run is a no-op; a target holding other data is refused; a
copy that fails leaves the target as it was."""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from bot.core.errors import ProgressError
from bot.core.models import Content
from bot.core.state import Actor, Place, Scope
from bot.core.tracker import Repository, Tracker
from bot.storage.bulk_sqlite import sqlite_side
from bot.storage.postgres import PostgresRepository
from bot.storage.sqlite import SQLiteRepository
from bot.storage.transfer import Row
from tests.conftest import PHASE_KEYS
from tests.fakes import MemoryRepository

ACTORS = [Actor(str(100 + n), name) for n, name in enumerate(["Ann", "Bob", "Chloé", "Dev 🚀"])]
PLATFORMS = ["discord", "slack", "console"]


class Clock:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(
            minutes=self.rng.randrange(1, 600), microseconds=self.rng.randrange(10**6)
        )
        return self.now


def scopes(count: int) -> list[Scope]:
    found = []
    for n in range(count):
        platform = PLATFORMS[n % 3]
        workspace = "" if platform == "console" or n % 10 == 1 else f"W{n % 37}"
        found.append(Scope(platform, workspace, f"C{n:05d}", label=f"chan-{n}"))
    return found


async def histories(content: Content, count: int, seed: int) -> MemoryRepository:
    """``count`` channels with the histories teams make: moves with notes, ticks,
    methodologies, new iterations, the odd reset; and some settings."""
    rng = random.Random(seed)
    memory = MemoryRepository()
    tracker = Tracker(memory, content, Clock(rng))
    for scope in scopes(count):
        await tracker.move(scope, rng.choice(ACTORS), "set", rng.choice(PHASE_KEYS[:3]), "kick-off")
        for step in range(rng.randrange(3, 25)):
            actor, roll = rng.choice(ACTORS), rng.random()
            try:
                if roll < 0.4:
                    await tracker.move(
                        scope, actor, "next", note=rng.choice([None, f"step {step}"])
                    )
                elif roll < 0.5:
                    await tracker.move(scope, actor, "back")
                elif roll < 0.85:
                    await tracker.check(scope, actor, str(rng.randint(1, 3)))
                elif roll < 0.98:
                    await tracker.methodology(scope, actor, rng.choice(["agile", "spiral"]))
                else:
                    await tracker.reset(scope, actor)
            except ProgressError:
                continue
        if rng.random() < 0.1:
            place = Place(scope.platform, scope.workspace)
            await memory.set_setting(
                place, "editor_role", str(rng.randrange(10**6)), actor, Clock(rng)()
            )
    return memory


async def write_sqlite(
    memory: MemoryRepository, path: Path, labels: dict[tuple[str, str, str], str]
) -> None:
    """The fake's data, written to a SQLite file in bulk (as the store would have)."""
    projects: list[Row] = []
    events: list[Row] = []
    ticks: list[Row] = []
    for key, channel in memory._channels.items():
        state = channel.snapshot.state
        by = state.set_by
        projects.append((*key, labels[key], channel.snapshot.version, state.phase_key,
                         state.methodology, state.iteration, state.since,
                         by.id if by else None, by.name if by else None))  # fmt: skip
        for e in channel.events:
            events.append((e.id, *key, e.kind, e.from_phase, e.to_phase, e.actor.id,
                           e.actor.name, e.at, e.note, e.rework, e.iteration, e.new_iteration,
                           e.detail))  # fmt: skip
        for (iteration, phase, activity), tick in channel.ticks.items():
            ticks.append(
                (*key, iteration, phase, activity, tick.actor.id, tick.actor.name, tick.at)
            )
    at = datetime(2025, 6, 1, tzinfo=UTC)
    settings = [(*key, "0", "phasebot", at) for key in
                [(*k[:3], k[3], v) for k, v in memory._settings.items()]]  # fmt: skip
    settings.append(("discord", "", "", "command_schema_hash", "abc123", "0", "phasebot", at))
    async with sqlite_side(path) as side, side.writing() as writing:
        for table, rows in (("projects", projects), ("events", events), ("ticks", ticks),
                            ("settings", settings)):  # fmt: skip
            await writing.insert(table, rows)
        await writing.keep_event_ids_above(memory._ids[0])


def phasebot(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DATABASE_PATH"}}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


async def everything(repository: Repository, channels: list[Scope]) -> list[object]:
    """What the bot can see of every channel: its snapshot and whole history (with ids)."""
    seen: list[object] = []
    for scope in channels:
        seen.append(await repository.load(scope))
        seen.append(await repository.history(scope, 10_000))
        seen.append(await repository.setting(Place(scope.platform, scope.workspace), "editor_role"))
    seen.append(await repository.setting(Place("discord", ""), "command_schema_hash"))
    return seen


def event_ids_above(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(
            db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'events'").fetchone()[0]
        )


@pytest.mark.parametrize("count", [1000])
async def test_a_thousand_channels_round_trip_through_postgresql(
    content: Content, pg_dsn: str, tmp_path: Path, count: int
) -> None:
    channels = scopes(count)
    memory = await histories(content, count, seed=14)
    labels = {scope.key: scope.label for scope in channels}
    source, back = tmp_path / "source.sqlite3", tmp_path / "back.sqlite3"
    await write_sqlite(memory, source, labels)
    events = sum(len(c.events) for c in memory._channels.values())
    assert events > 5 * count

    first = await asyncio.to_thread(phasebot, "db", "copy", str(source), pg_dsn, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith(f"copied {count} projects, {events} events, ")
    assert first.stdout.rstrip().endswith("; verified") and first.stderr == ""

    again = await asyncio.to_thread(phasebot, "db", "copy", str(source), pg_dsn, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "already holds exactly this data" in again.stdout

    home = await asyncio.to_thread(phasebot, "db", "copy", pg_dsn, str(back), cwd=tmp_path)
    assert home.returncode == 0 and home.stdout.startswith(f"copied {count} projects"), home

    async with await SQLiteRepository.open(source) as a:
        expected = await everything(a, channels)
    async with await PostgresRepository.open(pg_dsn) as b:
        assert await everything(b, channels) == expected
    async with await SQLiteRepository.open(back) as c:
        assert await everything(c, channels) == expected

    # A new event gets an id above every id the source ever gave (resets included).
    highest = event_ids_above(source)
    assert highest >= memory._ids[0] and event_ids_above(back) == highest
    async with await PostgresRepository.open(pg_dsn) as b:
        tracker = Tracker(b, content)
        later = Scope("discord", "W0", "after-the-copy")
        await tracker.move(later, ACTORS[0], "set", "design", "after the copy")
        assert (await b.history(later, 1)).events[0].id == highest + 1


async def test_a_target_with_other_data_is_refused_and_kept(
    content: Content, pg_dsn: str, tmp_path: Path
) -> None:
    channels = scopes(20)
    labels = {scope.key: scope.label for scope in channels}
    mine, other = tmp_path / "mine.sqlite3", tmp_path / "other.sqlite3"
    await write_sqlite(await histories(content, 20, seed=1), mine, labels)
    await write_sqlite(await histories(content, 20, seed=2), other, labels)
    assert phasebot("db", "copy", str(mine), pg_dsn, cwd=tmp_path).returncode == 0
    async with await PostgresRepository.open(pg_dsn) as b:
        before = await everything(b, channels)

    refused = phasebot("db", "copy", str(other), pg_dsn, cwd=tmp_path)
    assert refused.returncode == 1 and refused.stdout == ""
    [line] = refused.stderr.splitlines()
    assert line.startswith("phasebot: the target PostgreSQL database phasebot_test_")
    assert (
        line.endswith("copy only into an empty database")
        and "already holds other data (20 projects" in line
    )
    into_file = phasebot("db", "copy", pg_dsn, str(other), cwd=tmp_path)
    assert into_file.returncode == 1 and "already holds other data" in into_file.stderr
    same = phasebot("db", "copy", str(mine), str(mine), cwd=tmp_path)
    assert same.returncode == 1 and "the same database" in same.stderr
    async with await PostgresRepository.open(pg_dsn) as b:
        assert await everything(b, channels) == before


async def test_a_copy_that_fails_writes_nothing(pg_dsn: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.sqlite3"
    async with await SQLiteRepository.open(broken):
        pass
    with sqlite3.connect(broken) as db:  # an event whose project is missing (keys off)
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute(
            "INSERT INTO projects VALUES ('discord', 'W', 'C1', '', 1, 'design', 'waterfall', 1, "
            "NULL, NULL, NULL)"
        )
        db.execute(
            "INSERT INTO events (platform, workspace, channel, kind, actor_id, actor_name, at) "
            "VALUES ('discord', 'W', 'gone', 'phase', '1', 'Ann', '2025-01-01T00:00:00+00:00')"
        )
    failed = phasebot("db", "copy", str(broken), pg_dsn, cwd=tmp_path)
    assert failed.returncode == 1 and len(failed.stderr.splitlines()) == 1, failed.stderr
    assert "copying failed" in failed.stderr and "foreign key" in failed.stderr
    conn = await asyncpg.connect(pg_dsn)
    try:
        for table in ("projects", "events", "ticks", "settings"):
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    finally:
        await conn.close()
