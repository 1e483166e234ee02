"""Several real phasebot processes on one PostgreSQL database: four consoles write to
one channel, and to a channel each, all at once; a console is killed with SIGKILL in
the middle of its writes. Afterwards the events form an unbroken chain, every
acknowledged write is stored (and, where every process ended cleanly, nothing else),
and the status equals replaying the history."""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from bot.console import channel_id_for
from tests.cli.test_cli import _SETTINGS
from tests.cli.test_hardening import KILLS, Acks, console, kill_among_writes, writes

PROCESSES = 4
WRITES = 150
"""Per process: each is a `/project set` to design or testing, with a numbered note."""


@dataclass(frozen=True)
class Stored:
    events: list[tuple[int, str | None, str | None, str | None]]
    """(id, from_phase, to_phase, note) of every phase event, oldest first."""
    phase: str | None
    version: int

    @property
    def notes(self) -> list[int]:
        return [int(note[1:]) for *_, note in self.events if note]


def stored(dsn: str, channel: str) -> Stored:
    async def read() -> Stored:
        conn = await asyncpg.connect(dsn)
        try:
            key = ("console", "", channel_id_for(channel))
            rows = await conn.fetch(
                "SELECT id, from_phase, to_phase, note FROM events WHERE platform = $1 "
                "AND workspace = $2 AND channel = $3 AND kind = 'phase' ORDER BY id",
                *key,
            )
            project = await conn.fetchrow(
                "SELECT phase_key, version FROM projects WHERE platform = $1 "
                "AND workspace = $2 AND channel = $3",
                *key,
            )
        finally:
            await conn.close()
        phase, version = (project["phase_key"], project["version"]) if project else (None, 0)
        return Stored([tuple(row) for row in rows], phase, version)  # type: ignore[misc]

    return asyncio.run(read())


def assert_consistent(found: Stored) -> None:
    """An unbroken chain, and the status is what replaying the history gives."""
    for before, after in itertools.pairwise(found.events):
        assert after[1] == before[2], f"the history forks at {before} -> {after}"
    assert found.phase == (found.events[-1][2] if found.events else None)
    assert found.version == len(found.events)  # every change was one of these moves


def migrated(dsn: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SETTINGS}
    env["DATABASE_URL"] = dsn
    subprocess.run(
        [sys.executable, "-m", "bot", "db", "migrate"], env=env, cwd=tmp_path, check=True,
        capture_output=True, timeout=60,
    )  # fmt: skip
    return {"DATABASE_URL": dsn}


def run_consoles(tmp_path: Path, env: dict[str, str], channels: list[str]) -> list[list[int]]:
    """One console per channel name, each fed WRITES moves at once; their acks."""
    processes = [console(tmp_path, "--channel", name, env=env) for name in channels]
    readers = [Acks(process) for process in processes]
    for n, process in enumerate(processes):
        assert process.stdin is not None
        process.stdin.write(writes(WRITES, start=n * 100_000))  # fits in the pipe's buffer
        process.stdin.close()
    codes = [process.wait(120) for process in processes]
    errors = [process.stderr.read().decode() for process in processes if process.stderr]
    assert codes == [0] * len(processes), errors
    return [reader.join() for reader in readers]


@pytest.mark.parametrize("layout", ["one channel", "a channel each"])
def test_four_processes_writing_at_once_lose_and_fork_nothing(
    pg_dsn: str, tmp_path: Path, layout: str
) -> None:
    env = migrated(pg_dsn, tmp_path)
    channels = ["hot"] * PROCESSES if layout == "one channel" else [f"c{n}" for n in range(4)]
    acks = run_consoles(tmp_path, env, channels)
    acknowledged = sorted(itertools.chain.from_iterable(acks))
    found = [stored(pg_dsn, name) for name in sorted(set(channels))]
    for each in found:
        assert_consistent(each)
    notes = sorted(itertools.chain.from_iterable(each.notes for each in found))
    assert notes == acknowledged  # every acknowledged write, and nothing else
    if layout == "one channel":
        # Refused moves ("already in Design") are answered, not acknowledged: some of
        # each process's writes landed, interleaved with the others'.
        assert all(acks) and len(acknowledged) >= WRITES
        writers = [note // 100_000 for note in found[0].notes]
        turns = sum(a != b for a, b in itertools.pairwise(writers))
        assert turns >= PROCESSES, f"the processes took turns only {turns} times"
    else:
        assert [len(a) for a in acks] == [WRITES] * PROCESSES


def test_kill_9_in_a_stream_of_writes_loses_nothing_acknowledged(
    pg_dsn: str, tmp_path: Path
) -> None:
    env = migrated(pg_dsn, tmp_path)
    rng = random.Random(14)
    acknowledged: list[int] = []
    for kill in range(KILLS):
        process = console(tmp_path, env=env)
        acks = Acks(process)
        assert process.stdin is not None
        try:
            process.stdin.write(writes(2000, start=kill * 100_000))
            process.stdin.flush()
        except BrokenPipeError:
            pass
        kill_among_writes(process, acks, rng)
        acknowledged += acks.join()
        found = stored(pg_dsn, "console")
        assert set(acknowledged) <= set(found.notes), "an acknowledged write was lost"
        assert_consistent(found)
    assert len(acknowledged) > KILLS  # the kills landed among writes, not before them
