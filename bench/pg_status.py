"""`/project status` on a 1,000,000-event database, and what a status cache would buy.

    python bench/pg_status.py [--server DSN] [--channels 50000] [--events 20] [--reads 3000]
                              [--no-sqlite] [--quick]

1. **Scale.** A PostgreSQL database (and, unless ``--no-sqlite``, a SQLite file) is
   migrated and filled in bulk (``COPY``; SQLite: one ``executemany`` transaction)
   with ``--channels`` channels × ``--events`` history events (phase moves with notes)
   and the current phase's ticks; a second database holds one channel made the same
   way. ``/project status`` is then answered through the console's path (parse, the
   Runner, the Tracker, the repository, the answer; no rendering), for a random channel
   of the large database and for the small one's, interleaved; p50/p99 of each, and
   of the repository's ``load`` alone.
2. **Cache.** The real Discord bot (the end-to-end harness of ``tests/discord``: discord.py's
   dispatch and the HTTP reply on a local stand-in) answers ``/project status`` for 100
   channels of a PostgreSQL database while another process (``pg_throughput.py``'s
   worker) writes to the same channels. Alternately with no cache and with a trivial one
   (a dict of snapshots, refreshed only by this process's own writes): p50/p99, and how
   many cached answers were stale (an older version than the database held).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _pg

from bot.console import Console, channel_id_for
from bot.core.content import load_content
from bot.core.state import Scope, Snapshot
from bot.services import load_services, make_runner
from bot.storage.targets import open_target, target_of
from bot.storage.transfer import Row

BATCH = 20_000


def channel_rows(n: int, events: int, phases: list[Any]) -> tuple[Row, list[Row], list[Row]]:
    """Channel ``ch{n}``'s project row, events (ids from 1 within it) and ticks."""
    rng = random.Random(n)
    key = ("console", "", channel_id_for(f"ch{n}"))
    at = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(500_000))
    actor = (str(rng.randrange(10**17, 10**18)), f"member{rng.randrange(1000)}")
    out: list[Row] = []
    index, before = 0, None
    for _ in range(events):
        at += timedelta(minutes=rng.randrange(5, 3000))
        index = (index + 1) % len(phases) if before is not None else rng.randrange(3)
        to = phases[index].key
        note = rng.choice([None, None, "kick-off done", "signed off by the client"])
        out.append((*key, "phase", before, to, *actor, at, note, False, 1, False, None))
        before = to
    phase = phases[index]
    ticks = [(*key, 1, phase.key, a.key, *actor, at) for a in phase.activities[:2]]
    project = (*key, f"ch{n}", events, phase.key, "waterfall", 1, at, *actor)
    return project, out, ticks


async def fill(db: str, channels: range, events: int) -> float:
    """Fill a migrated database in bulk; seconds taken."""
    from bot.storage.transfer import side_of

    phases = list(load_content().phases)
    started = time.perf_counter()
    next_id = 1
    async with side_of(target_of(db)) as side, side.writing() as writing:
        projects: list[Row] = []
        rows: list[Row] = []
        ticks: list[Row] = []
        for n in channels:
            project, history, ticked = channel_rows(n, events, phases)
            projects.append(project)
            ticks += ticked
            for event in history:
                rows.append((next_id, *event))
                next_id += 1
            if len(rows) >= BATCH or n == channels[-1]:
                await writing.insert("projects", projects)
                await writing.insert("events", rows)
                await writing.insert("ticks", ticks)
                projects, rows, ticks = [], [], []
        await writing.keep_event_ids_above(next_id - 1)
    return time.perf_counter() - started


async def scale(args: argparse.Namespace, server: str, workdir: Path) -> list[dict[str, Any]]:
    services = load_services()
    results = []
    kinds = ["postgres"] + ([] if args.no_sqlite else ["sqlite"])
    for kind in kinds:
        dbs = []
        for size in ("large", "small"):
            if kind == "postgres":
                db = await _pg.new_database(server, f"st_{size}")
            else:
                db = str(workdir / f"{size}.sqlite3")
            async with await open_target(target_of(db), pool_size=1):
                pass
            count = args.channels if size == "large" else 1
            took = await fill(db, range(count), args.events)
            print(
                f"{kind} {size}: {count * args.events:,} events loaded in {took:.1f} s", flush=True
            )
            dbs.append(db)
        opened = [await open_target(target_of(db), pool_size=4) for db in dbs]
        timing: dict[str, list[float]] = {
            k: [] for k in ("large", "small", "load_large", "load_small")
        }
        consoles = {}
        rng = random.Random(3)
        for _ in range(args.reads):
            for size, repository, count in (
                ("large", opened[0], args.channels),
                ("small", opened[1], 1),
            ):
                n = rng.randrange(count)
                name = f"ch{n}"
                if (size, name) not in consoles:
                    consoles[size, name] = Console(make_runner(services, repository), name)
                started = time.perf_counter()
                answer = await consoles[size, name].execute("/project status")
                timing[size].append(time.perf_counter() - started)
                assert answer.title, answer
                scope = Scope("console", "", channel_id_for(name))
                started = time.perf_counter()
                snapshot = await repository.load(scope)
                timing[f"load_{size}"].append(time.perf_counter() - started)
                assert snapshot.version == args.events
            if len(consoles) > 2000:
                consoles.clear()
        for repository in opened:
            await repository.close()
        if kind == "postgres":
            for db in dbs:
                await _pg.drop_database(server, db)
        row = {
            "backend": kind,
            "events": args.channels * args.events,
            **{k: _pg.summary_ms(v) for k, v in timing.items()},
        }
        results.append(row)
        large, small = row["large"], row["small"]
        load, load_small = row["load_large"], row["load_small"]
        print(
            f"{kind}: /project status p50 {large['p50']:.3f} ms, p99 {large['p99']:.3f} ms "
            f"(one channel: p99 {small['p99']:.3f} ms); load p99 {load['p99']:.3f} ms "
            f"(one channel {load_small['p99']:.3f} ms)",
            flush=True,
        )
    return results


class TrivialCache:
    """A status cache with no invalidation from other processes: what not to ship."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.snapshots: dict[tuple[str, str, str], Snapshot] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def load(self, scope: Scope) -> Snapshot:
        found = self.snapshots.get(scope.key)
        if found is None:
            found = self.snapshots[scope.key] = await self.inner.load(scope)
        return found

    async def append(self, scope: Scope, expected: int, change: Any) -> int | None:
        self.snapshots.pop(scope.key, None)
        return await self.inner.append(scope, expected, change)


async def cache(args: argparse.Namespace, server: str) -> dict[str, Any]:
    from bot.config import Settings
    from bot.discord.bot import PhaseBot
    from tests.discord.harness import Harness

    db = await _pg.new_database(server, "cache")
    repository = await open_target(target_of(db), pool_size=4)
    settings = Settings(_env_file=None, database_url=db)  # type: ignore[call-arg]
    runner = make_runner(load_services(), repository)
    cached = TrivialCache(repository)
    harness = Harness(PhaseBot(settings, runner), sync=True, timeout=30.0)
    guild = harness.world.guild_id
    base = harness.world.channel_id
    writer = subprocess.Popen(  # noqa: ASYNC220 - it runs beside the bot on purpose
        [
            sys.executable,
            str(Path(__file__).with_name("pg_throughput.py")),
            "--worker",
            "--db",
            db,
            "--workload",
            "many",
            "--seconds",
            str(args.cache_seconds + 6),
            "--tasks",
            "1",
            "--channels",
            "100",
            "--seed",
            "9",
            "--start-at",
            str(time.time() + 2),
            "--workspace",
            str(guild),
            "--first-channel",
            str(base),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    timing: dict[str, list[float]] = {"none": [], "trivial": []}
    stale = 0
    tracker = runner.app.tracker
    async with harness as h:
        await asyncio.sleep(3)  # the writer is writing
        end = time.perf_counter() + args.cache_seconds
        rng = random.Random(5)
        while time.perf_counter() < end:
            for mode in rng.sample(["none", "trivial"], 2):
                tracker.repository = cached if mode == "trivial" else repository
                channel = base + rng.randrange(100)
                payload = h.builder.slash("project status")
                payload["channel"] = {**payload["channel"], "id": str(channel)}
                payload["channel_id"] = str(channel)
                started = time.perf_counter()
                await h.feed(payload)
                timing[mode].append(time.perf_counter() - started)
                if mode == "trivial":
                    scope = Scope("discord", str(guild), str(channel))
                    held = cached.snapshots.get(scope.key)
                    fresh = await repository.load(scope)
                    stale += held is not None and held.version != fresh.version
    writer.communicate(timeout=60)
    await repository.close()
    await _pg.drop_database(server, db)
    reads = len(timing["trivial"])
    result = {k: _pg.summary_ms(v) for k, v in timing.items()}
    result["stale_fraction"] = round(stale / max(reads, 1), 3)
    result["reads"] = reads
    none, trivial = result["none"], result["trivial"]
    print(
        f"end-to-end /project status, no cache: p50 {none['p50']:.3f} ms, "
        f"p99 {none['p99']:.3f} ms; trivial cache: p50 {trivial['p50']:.3f} ms, "
        f"p99 {trivial['p99']:.3f} ms; stale answers {result['stale_fraction']:.1%} of {reads}",
        flush=True,
    )
    return result


async def main_async(args: argparse.Namespace) -> None:
    server = _pg.server_dsn(args.server)
    settings = await _pg.server_settings(server)
    print(
        f"PostgreSQL {settings['version']}: fsync {settings['fsync']}, "
        f"shared_buffers {settings['shared_buffers']}\n",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="phasebot-status-", dir="/var/tmp") as workdir:
        rows = [] if args.cache_only else await scale(args, server, Path(workdir))
    cached = await cache(args, server)
    data = {"server": settings, "args": vars(args), "scale": rows, "cache": cached}
    print(f"\nwritten to {_pg.write_results('pg_status', data)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server")
    parser.add_argument("--channels", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--reads", type=int, default=3000)
    parser.add_argument("--cache-seconds", type=float, default=15.0)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--cache-only", action="store_true")
    parser.add_argument("--quick", action="store_true", help="5,000 channels, 1,000 reads")
    args = parser.parse_args()
    if args.quick:
        args.channels, args.reads, args.cache_seconds = 5_000, 1_000, 6.0
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
