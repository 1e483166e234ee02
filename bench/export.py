"""`/project export` of a long history: time and peak memory for 100,000 events.

The export reads the history a page at a time (``bot.core.team.EVENTS_PAGE``), so its
memory is the file being written plus one page, not the whole history as objects. The
database is filled with plain SQL first (through the repository it would take minutes).

    python bench/export.py [--events 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
import tracemalloc
from pathlib import Path

from bot.core.export import export_answer
from bot.core.state import Scope
from bot.core.tracker import Tracker
from bot.services import load_services
from bot.storage import SQLiteRepository

HERE = Scope("discord", "1", "2")


def fill(path: Path, count: int) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO projects (platform, workspace, channel, version, phase_key, methodology, "
            "iteration, since, set_by_id, set_by_name) VALUES ('discord', '1', '2', ?, 'design', "
            "'waterfall', 1, '2026-01-01T00:00:00.000000+00:00', '7', 'Ann')",
            (count,),
        )
        rows = (
            (
                "discord", "1", "2", "phase", "planning", "design", "7", "Ann",
                f"2026-01-01T00:00:{i % 60:02d}.000000+00:00", f"note {i}", 0, 1, 0, None,
            )
            for i in range(count)
        )  # fmt: skip
        db.executemany(
            "INSERT INTO events (platform, workspace, channel, kind, from_phase, to_phase, "
            "actor_id, actor_name, at, note, rework, iteration, new_iteration, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


async def measure(path: Path, form: str) -> tuple[float, int, int]:
    content = load_services().catalog.content
    async with await SQLiteRepository.open(path) as repository:
        tracker = Tracker(repository, content)
        started = time.perf_counter()
        answer = await export_answer(tracker, HERE, form)
        elapsed = time.perf_counter() - started
        tracemalloc.start()  # (it slows Python down: a second run, for the memory only)
        await export_answer(tracker, HERE, form)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert answer.file is not None
    return elapsed, peak, len(answer.file.data)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.sqlite3"
        async with await SQLiteRepository.open(path):
            pass  # migrated
        fill(path, args.events)
        print(f"export of {args.events:,} events")
        print("| format | time | peak Python memory | file | peak / file |")
        print("|---|---|---|---|---|")
        for form in ("csv", "json", "markdown"):
            elapsed, peak, size = await measure(path, form)
            print(
                f"| {form} | {elapsed:.2f} s | {peak / 2**20:.1f} MiB | {size / 2**20:.1f} MiB "
                f"| {peak / size:.2f}× |"
            )


if __name__ == "__main__":
    asyncio.run(main())
