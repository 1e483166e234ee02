"""Storage scale: /project status and /project history on 100,000 channels × 20 events.

    python bench/storage_scale.py [--channels 100000] [--events 20] [--rounds 5] [--quick]

Two databases are made by the store itself (``SQLiteRepository.open``). In each, 32
channels (1 in the small one) get ``--events`` changes through the bot's own Tracker,
as a team makes them: a phase set, activities ticked, the next phase, with notes now
and then. The large one is then filled to ``--channels`` channels by copying those
channels' rows in SQL under new channel ids (every column the schema has, so the rows
are the store's own).

The bot answers /project status and /project history (first page) end to end on the
stand-in, one at a time, interleaved in a shuffled order: its runner is pointed at the
large database for a random one of its channels, or at the small one for its only
channel. Target: p99 on the large database ≤ 1.5× p99 on the small one, for both
(median of per-round ratios). Also reported: database size per channel.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

TARGET = 1.5
TEMPLATES = 32
FIRST_CHANNEL = 10**17  # the generated channels' ids: FIRST_CHANNEL + i


async def make(path: Path, guild: str, channels: int, events: int, seed: int) -> None:
    """``channels`` channels with ``events`` changes each, made by the Tracker."""
    from bot.core.content import load_content
    from bot.core.state import Actor, Scope
    from bot.core.tracker import Tracker
    from bot.storage import SQLiteRepository

    rng = random.Random(seed)
    content = load_content()
    phases = {p.key: p for p in content.phases}
    moment = [datetime(2024, 1, 1, tzinfo=UTC)]

    def clock() -> datetime:
        moment[0] += timedelta(minutes=rng.randrange(5, 3000))
        return moment[0]

    async with await SQLiteRepository.open(path) as repository:
        tracker = Tracker(repository, content, clock)
        for i in range(channels):
            scope = Scope("discord", guild, str(FIRST_CHANNEL + i))
            actors = [Actor(str(rng.randrange(10**17, 10**18)), f"member{n}") for n in range(4)]
            notes = [None, None, "kick-off done", "signed off"]
            await tracker.move(scope, actors[0], "set", "planning", rng.choice(notes))
            for _ in range(events - 1):
                status = await tracker.status(scope)
                phase = phases[status.state.phase_key or ""]
                open_ = [a.key for a in phase.activities if a.key not in status.ticks]
                if open_:
                    await tracker.check(scope, rng.choice(actors), rng.choice(open_))
                else:
                    await tracker.move(scope, rng.choice(actors), "next", None, rng.choice(notes))


def copy(path: Path, channels: int) -> int:
    """Fill to ``channels`` channels (channel i a copy of template i % TEMPLATES); the
    database's size in bytes."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA synchronous = OFF")  # bulk load only; the store uses FULL
    db.execute("BEGIN")
    db.execute("CREATE TEMP TABLE n (i INTEGER PRIMARY KEY)")
    db.executemany("INSERT INTO n VALUES (?)", ((i,) for i in range(TEMPLATES, channels)))
    for table in ("projects", "events", "ticks"):
        columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})") if row[1] != "id"]
        picked = ", ".join(
            "CAST(:first + n.i AS TEXT)" if c == "channel" else f"t.{c}" for c in columns
        )
        order = ", t.id" if table == "events" else ""
        db.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {picked} FROM n JOIN {table} AS t "
            f"ON t.channel = CAST(:first + n.i % :templates AS TEXT) ORDER BY n.i{order}",
            {"first": FIRST_CHANNEL, "templates": TEMPLATES},
        )
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return sum(os.path.getsize(p) for p in path.parent.glob(f"{path.name}*"))


async def run(channels: int, events: int, rounds: int, samples: int, seed: int) -> dict[str, Any]:
    from bot.core.runner import Runner
    from bot.core.tracker import Tracker
    from bot.storage import SQLiteRepository

    rng = random.Random(seed)
    with C.workdir("storage") as tmp:
        large, small = Path(tmp) / "large.sqlite3", Path(tmp) / "small.sqlite3"
        async with C.running_bot(Path(tmp)) as driver:
            guild = str(driver.harness.world.guild_id)
            started = time.perf_counter()
            await make(large, guild, TEMPLATES, events, seed)
            await make(small, guild, 1, events, seed + 1)
            print(f"  storage: copying to {channels:,} channels…", file=sys.stderr)
            size = await asyncio.to_thread(copy, large, channels)
            filled = time.perf_counter() - started
            bot, app = driver.bot, driver.bot.runner.app
            async with (
                await SQLiteRepository.open(large) as big,
                await SQLiteRepository.open(small) as one,
            ):
                runners = {
                    db: Runner(replace(app, tracker=Tracker(repo, app.tracker.content)))
                    for db, repo in (("large", big), ("small", one))
                }
                own = bot.runner
                try:
                    result = await measure(driver, runners, channels, rounds, samples, rng)
                finally:
                    bot.runner = own
    return result | {
        "channels": channels,
        "events_per_channel": events,
        "bytes_per_channel": size / channels,
        "database_mb": size / 1e6,
        "fill_s": filled,
        "rounds": rounds,
        "samples": samples,
    }


async def measure(
    driver: C.Driver,
    runners: dict[str, Any],
    channels: int,
    rounds: int,
    samples: int,
    rng: random.Random,
) -> dict[str, Any]:
    kinds = ["status:small", "status:large", "history:small", "history:large"]

    async def once(kind: str) -> tuple[float, Any]:
        command, db = kind.split(":")
        driver.bot.runner = runners[db]
        channel = FIRST_CHANNEL + (rng.randrange(channels) if db == "large" else 0)
        payload, state = driver.payload(f"project {command}", {}, channel_id=channel)
        seconds = await driver.fire(payload)
        driver.check_answer(state, what=kind)
        return seconds, state

    for kind in kinds:  # both databases give answers of the same shape
        embed = (await once(kind))[1].callback["data"]["embeds"][0]
        if kind.startswith("status") and not embed["title"].startswith("Phase "):
            raise AssertionError(f"{kind}: {embed['title']}")
        if kind.startswith("history") and embed["description"].count("\n") < 9:
            raise AssertionError(f"{kind}: a short history page: {embed['description']!r}")
        for _ in range(20):
            await once(kind)
    driver.check_and_forget()
    times: dict[str, list[list[float]]] = {k: [] for k in kinds}
    for r in range(rounds):
        schedule = [k for k in kinds for _ in range(samples)]
        rng.shuffle(schedule)
        got: dict[str, list[float]] = {k: [] for k in kinds}
        for kind in schedule:
            got[kind].append((await once(kind))[0])
        for kind, xs in got.items():
            times[kind].append(xs)
        driver.check_and_forget()
        print(f"  storage: round {r + 1}/{rounds}", file=sys.stderr)
    rows = []
    for command in ("status", "history"):
        p = {
            (db, q): [C.percentile(xs, q) for xs in times[f"{command}:{db}"]]
            for db in ("small", "large")
            for q in (50, 99)
        }
        p99_ratio = C.ratio(p["large", 99], p["small", 99])
        rows.append(
            {
                "command": f"/project {command}",
                **{f"{db}_p{q}_ms": C.ms(C.median(xs)) for (db, q), xs in p.items()},
                "p50_ratio": C.ratio(p["large", 50], p["small", 50]),
                "p99_ratio": p99_ratio,
                "pass": p99_ratio <= TARGET,
            }
        )
    return {"rows": rows}


def render(result: dict[str, Any]) -> str:
    head = (
        f"Storage scale — {result['channels']:,} channels × {result['events_per_channel']} events: "
        f"{result['database_mb']:.0f} MB, {result['bytes_per_channel']:.0f} bytes per channel "
        f"(made in {result['fill_s']:.0f} s); {result['rounds']} rounds × {result['samples']} "
        "calls of each"
    )
    headers = [
        "command",
        "1 channel p50 / p99 ms",
        "large p50 / p99 ms",
        "p50 ×",
        "p99 ×",
        "target",
    ]
    rows = [
        [
            r["command"],
            f"{r['small_p50_ms']:.2f} / {r['small_p99_ms']:.2f}",
            f"{r['large_p50_ms']:.2f} / {r['large_p99_ms']:.2f}",
            r["p50_ratio"],
            r["p99_ratio"],
            r["pass"],
        ]
        for r in result["rows"]
    ]
    return head + "\n" + C.table(headers, rows) + f"\ntarget: p99 ≤ {TARGET}× the one channel's"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="3 rounds × 150 calls")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.samples = 3, 150
    result = asyncio.run(run(args.channels, args.events, args.rounds, args.samples, args.seed))
    print(C.machine_line())
    print(render(result))
    C.write_results("storage_scale", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
