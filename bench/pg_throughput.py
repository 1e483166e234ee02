"""Write throughput: 1, 2 and 4 phasebot processes on one PostgreSQL database, against
SQLite with one process.

    python bench/pg_throughput.py [--server DSN] [--seconds 8] [--tasks 8] [--quick]

Each process is a worker (this script with ``--worker``) that opens the database the
way phasebot does (``open_target``: the repository, a pool of ``--tasks`` + 2
connections) and runs the Tracker with ``--tasks`` changes in flight, as a bot
answering that many interactions at once: ``/project next`` (``/project set planning``
at the last phase) on a random channel of ``--channels`` (*many*), or all on one
channel (*hot*: every process and task on the same row, so the version guard makes the
losers plan again). All workers start at the same instant and stop after ``--seconds``.
Reported: committed changes per second (all processes), p50/p99 latency of one change
(the Tracker's read, plan and guarded write, with its retries), and conflicts (a write
the guard refused, planned again) per committed change. Each configuration gets a new
database (PostgreSQL) or file (SQLite, in the system's temporary folder, on disk).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _pg

from bot.core.state import Scope

HOT = Scope("discord", "1", "hot")
CONFIGS = "sqlite:1,postgres:1,postgres:2,postgres:4"


class Counting:
    """The repository, counting the writes the version guard refused."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.conflicts = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def append(self, scope: Any, expected: int, change: Any) -> int | None:
        version = await self.inner.append(scope, expected, change)
        if version is None:
            self.conflicts += 1
        return version


async def worker(args: argparse.Namespace) -> dict[str, Any]:
    from bot.core.content import load_content
    from bot.core.errors import AtLastPhase, NoPhaseYet, PhasebotError
    from bot.core.state import Actor, Scope
    from bot.core.tracker import Tracker
    from bot.storage.targets import open_target, target_of

    content = load_content()
    repository = await open_target(target_of(args.db), pool_size=args.tasks + 2)
    counting = Counting(repository)
    tracker = Tracker(counting, content)
    if args.workload == "hot":
        scopes = [HOT]
    else:
        first = args.first_channel
        scopes = [Scope("discord", args.workspace, str(first + n)) for n in range(args.channels)]
    actor = Actor(str(args.seed), f"worker{args.seed}")
    latencies: list[float] = []
    refused: dict[str, int] = {}
    await asyncio.sleep(max(0.0, args.start_at - time.time()))
    end = time.perf_counter() + args.seconds

    async def task(n: int) -> None:
        rng = random.Random(args.seed * 1000 + n)
        while time.perf_counter() < end:
            scope = rng.choice(scopes)
            started = time.perf_counter()
            try:
                if args.workload == "hot":  # tick or untick one of the phase's activities
                    await tracker.check(scope, actor, str(rng.randint(1, 3)))
                else:
                    try:
                        await tracker.move(scope, actor, "next")
                    except (AtLastPhase, NoPhaseYet):
                        await tracker.move(scope, actor, "set", "planning")
                latencies.append(time.perf_counter() - started)
            except PhasebotError as exc:  # another writer got there first, or busy
                refused[type(exc).__name__] = refused.get(type(exc).__name__, 0) + 1

    await asyncio.gather(*(task(n) for n in range(args.tasks)))
    await repository.close()
    return {
        "writes": len(latencies),
        "refused": refused,
        "conflicts": counting.conflicts,
        "latencies": latencies,
    }


def _configs(text: str) -> list[tuple[str, int]]:
    """``sqlite:1,postgres:4``: backends and process counts."""
    return [(kind, int(count)) for kind, _, count in (c.partition(":") for c in text.split(","))]


def _merged(counts: list[dict[str, int]]) -> dict[str, int]:
    merged: dict[str, int] = {}
    for each in counts:
        for name, count in each.items():
            merged[name] = merged.get(name, 0) + count
    return merged


async def prepare(kind: str, server: str, workdir: Path) -> str:
    from bot.core.content import load_content
    from bot.core.state import Actor
    from bot.core.tracker import Tracker
    from bot.storage.targets import open_target, target_of

    if kind == "sqlite":
        db = str(workdir / f"bench-{time.monotonic_ns()}.sqlite3")
    else:
        db = await _pg.new_database(server, "tp")
    async with await open_target(target_of(db), pool_size=1) as repository:
        # Migrated once, before the workers start; the hot channel has a phase.
        await Tracker(repository, load_content()).move(HOT, Actor("0", "bench"), "set", "planning")
    return db


def run_config(db: str, processes: int, workload: str, args: argparse.Namespace) -> dict[str, Any]:
    start_at = time.time() + 3.0  # every worker has imported and connected by then
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--worker",
                "--db",
                db,
                "--workload",
                workload,
                "--seconds",
                str(args.seconds),
                "--tasks",
                str(args.tasks),
                "--channels",
                str(args.channels),
                "--seed",
                str(n),
                "--start-at",
                str(start_at),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(processes)
    ]
    results = []
    for process in workers:
        out, _ = process.communicate(timeout=args.seconds + 120)
        if process.returncode != 0:
            raise SystemExit(f"a worker failed (exit {process.returncode})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    writes = sum(r["writes"] for r in results)
    latencies = [t for r in results for t in r["latencies"]]
    return {
        "writes_per_s": round(writes / args.seconds, 1),
        "per_process": [round(r["writes"] / args.seconds, 1) for r in results],
        "latency_ms": _pg.summary_ms(latencies),
        "conflicts_per_write": round(sum(r["conflicts"] for r in results) / max(writes, 1), 3),
        "refused": _merged([r["refused"] for r in results]),
    }


async def main_async(args: argparse.Namespace) -> None:
    server = _pg.server_dsn(args.server)
    settings = await _pg.server_settings(server)
    print(
        f"PostgreSQL {settings['version']}: "
        + ", ".join(f"{k} {v}" for k, v in settings.items() if k != "version")
    )
    print(
        f"{args.tasks} changes in flight per process, {args.seconds} s per run, "
        f"{os.cpu_count()} CPUs\n"
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="phasebot-tp-", dir="/var/tmp") as workdir:
        for workload in args.workloads.split(","):
            for kind, processes in _configs(args.configs):
                db = await prepare(kind, server, Path(workdir))
                result = await asyncio.to_thread(run_config, db, processes, workload, args)
                if kind == "postgres":
                    await _pg.drop_database(server, db)
                rows.append(
                    {"workload": workload, "backend": kind, "processes": processes, **result}
                )
                lat = result["latency_ms"]
                print(
                    f"{workload:5} {kind:8} ×{processes}: {result['writes_per_s']:8.1f} writes/s "
                    f"{result['per_process']}  p50 {lat['p50']:.2f} ms  p99 {lat['p99']:.2f} ms  "
                    f"conflicts/write {result['conflicts_per_write']}  refused {result['refused']}",
                    flush=True,
                )
    data = {"server": settings, "args": vars(args), "rows": rows}
    print(f"\nwritten to {_pg.write_results('pg_throughput', data)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--workloads", default="many,hot", help="many, hot or both")
    parser.add_argument("--configs", default=CONFIGS, help=f"backend:processes,... ({CONFIGS})")
    parser.add_argument("--quick", action="store_true", help="3 s per run")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--workspace", default="1", help=argparse.SUPPRESS)
    parser.add_argument("--first-channel", type=int, default=1000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.seconds = 3.0
    if args.worker:
        print(json.dumps(asyncio.run(worker(args))))
        return
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
