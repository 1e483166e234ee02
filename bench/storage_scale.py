"""Storage scale: /project status and /project history on 100,000 channels × 20 events.

    python bench/storage_scale.py [--channels 100000] [--events 20] [--rounds 5] [--quick]

Two databases are created with the store's own migrations (``ProgressStore.open``) and
then filled directly with SQL (one transaction, ``executemany``) in the schema of
``bot/storage/migrations``: the *large* one with ``--channels`` channels of the world's
guild, each with a project row, ``--events`` history events (phase moves with notes,
checks) and the ticks of its current phase; the *small* one with a single channel
made the same way. Both are then used in WAL mode with the store's PRAGMAs.

The real bot answers /project status and /project history (default page) end to end on
the stand-in, one at a time, interleaved in a shuffled order with a /ping floor; for
each call the bot's tracker is pointed at one database or the other (the same cog,
Tracker and ProgressStore code either way, with the store's memory of recent channels
off so every status is read from the file): the large one for a random one of its
channels, the small one for its only channel. Every answer has the same shape.

Target: p99 on the large database ≤ 1.5× p99 on the small ("empty") one, for both
commands (median of per-round ratios; also shown normalized by the floor measured in
the same round). Reported: database size per channel, bulk-load time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

TARGET = 1.5
FIRST_CHANNEL = 10**17  # channel ids of the generated channels: FIRST_CHANNEL + i


def rows_for(
    guild_id: int, channel_id: int, events: int, phases: list[Any], rng: random.Random
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """One channel's project row, events and ticks, as a team would have made them."""
    at = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(500_000))
    actors = [(rng.randrange(10**17, 10**18), f"member{rng.randrange(1000)}") for _ in range(4)]
    phase_i = 0
    phase = phases[0]
    from_key: str | None = None
    since = at
    set_by = actors[0]
    ticked: dict[str, tuple[Any, ...]] = {}
    out: list[tuple[Any, ...]] = []
    for j in range(events):
        at += timedelta(minutes=rng.randrange(5, 3000))
        actor = rng.choice(actors)
        stamp = at.isoformat(timespec="microseconds")
        open_activities = [a for a in phase.activities if a.key not in ticked]
        if j == 0 or not open_activities:
            if j > 0:
                phase_i = min(phase_i + 1, len(phases) - 1)
                phase = phases[phase_i]
                ticked = {}
            note = rng.choice([None, None, "kick-off done", "signed off by the client"])
            out.append(
                (
                    guild_id,
                    channel_id,
                    "phase",
                    from_key,
                    phase.key,
                    actor[0],
                    actor[1],
                    stamp,
                    note,
                    0,
                    1,
                    0,
                    None,
                )
            )
            from_key, since, set_by = phase.key, at, actor
        else:
            activity = rng.choice(open_activities)
            ticked[activity.key] = (actor, stamp)
            out.append(
                (
                    guild_id,
                    channel_id,
                    "check",
                    None,
                    phase.key,
                    actor[0],
                    actor[1],
                    stamp,
                    None,
                    0,
                    1,
                    0,
                    activity.key,
                )
            )
    project = (
        guild_id,
        channel_id,
        phase.key,
        rng.choice(["waterfall", "agile"]),
        1,
        since.isoformat(timespec="microseconds"),
        set_by[0],
        set_by[1],
    )
    ticks = [
        (guild_id, channel_id, 1, phase.key, key, actor[0], actor[1], stamp)
        for key, (actor, stamp) in ticked.items()
    ]
    return project, out, ticks


async def create(path: Path) -> None:
    """An empty database at the newest schema, made by the store itself."""
    from bot.storage import ProgressStore

    store = await ProgressStore.open(path)
    await store.close()


def fill(path: Path, guild_id: int, channels: int, events: int, seed: int) -> dict[str, Any]:
    from bot.core.content import load_content

    phases = list(load_content().phases)
    rng = random.Random(seed)
    started = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")  # bulk load only; the bot uses FULL
    db.execute("BEGIN")
    # The rows are written as they end up, so the triggers that apply each new event
    # (migration 0003) are set aside for the load and put back after it.
    triggers = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in triggers:
        db.execute(f'DROP TRIGGER "{name}"')
    batch = 5000
    totals = {"projects": 0, "events": 0, "ticks": 0}
    # A few dozen channel histories, each reused (with its own channel id) by many channels:
    # building every row in Python would take longer than SQLite takes to store it.
    templates = [rows_for(guild_id, 0, events, phases, rng) for _ in range(min(channels, 64))]
    for first in range(0, channels, batch):
        projects, evs, ticks = [], [], []
        for i in range(first, min(first + batch, channels)):
            cid = FIRST_CHANNEL + i
            project, e, t = templates[rng.randrange(len(templates))]
            projects.append((guild_id, cid, *project[2:]))
            evs += [(guild_id, cid, *row[2:]) for row in e]
            ticks += [(guild_id, cid, *row[2:]) for row in t]
        db.executemany(
            "INSERT INTO projects (guild_id, channel_id, phase_key, methodology, iteration, "
            "since, set_by_id, set_by_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            projects,
        )
        db.executemany(
            "INSERT INTO events (guild_id, channel_id, kind, from_phase, to_phase, actor_id, "
            "actor_name, at, note, rework, iteration, new_iteration, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            evs,
        )
        db.executemany(
            "INSERT INTO ticks (guild_id, channel_id, iteration, phase_key, activity_key, "
            "actor_id, actor_name, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ticks,
        )
        totals["projects"] += len(projects)
        totals["events"] += len(evs)
        totals["ticks"] += len(ticks)
    for _, sql in triggers:
        db.execute(sql)
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("ANALYZE")
    db.close()
    size = sum(
        os.path.getsize(f"{path}{suffix}")
        for suffix in ("", "-wal", "-shm")
        if os.path.exists(f"{path}{suffix}")
    )
    return {**totals, "seconds": time.perf_counter() - started, "bytes": size}


async def run(channels: int, events: int, rounds: int, samples: int, seed: int) -> dict[str, Any]:
    from bot.core.tracker import Tracker
    from bot.storage import ProgressStore

    rng = random.Random(seed)
    with C.workdir("storage") as tmp:
        work = Path(tmp)
        async with C.running_bot(work) as driver:
            guild_id = driver.harness.world.guild_id
            big_path, small_path = work / "large.sqlite3", work / "small.sqlite3"
            for path in (big_path, small_path):
                await create(path)
            print(f"  storage: filling {channels:,} channels…", file=sys.stderr, flush=True)
            big = await asyncio.to_thread(fill, big_path, guild_id, channels, events, seed)
            small = await asyncio.to_thread(fill, small_path, guild_id, 1, events, seed + 1)
            print(f"  storage: filled in {big['seconds']:.0f} s", file=sys.stderr, flush=True)

            bot = driver.bot
            # remember=0: every status is read from the file (the store otherwise keeps
            # the state of recently used channels in memory, and the small database's
            # only channel would never be read again)
            stores = {
                "large": await ProgressStore.open(big_path, remember=0),
                "small": await ProgressStore.open(small_path, remember=0),
            }
            trackers = {k: Tracker(s, bot.services.catalog) for k, s in stores.items()}
            own_tracker = bot.tracker
            try:
                result = await measure(driver, trackers, channels, rounds, samples, rng)
            finally:
                bot.tracker = own_tracker
                for store in stores.values():
                    await store.close()
    result.update(
        channels=channels,
        events_per_channel=events,
        large_db=big,
        small_db=small,
        bytes_per_channel=big["bytes"] / channels,
        rounds=rounds,
        samples_per_round=samples,
    )
    return result


async def measure(
    driver: C.Driver,
    trackers: dict[str, Any],
    channels: int,
    rounds: int,
    samples: int,
    rng: random.Random,
) -> dict[str, Any]:
    bot = driver.bot
    kinds = ["floor", "status:small", "status:large", "history:small", "history:large"]

    async def once(kind: str) -> tuple[float, Any]:
        if kind == "floor":
            payload, state = driver.payload("ping", {})
        else:
            command, db = kind.split(":")
            bot.tracker = trackers[db]
            channel = FIRST_CHANNEL + (rng.randrange(channels) if db == "large" else 0)
            payload, state = driver.payload(f"project {command}", {}, channel_id=channel)
        fired = await driver.fire(payload, state)
        C.check_answer(state, what=kind)
        return fired.seconds, state

    # the answers on both databases have the same shape (a phase, a full history page)
    for kind in kinds[1:]:
        _, state = await once(kind)
        embed = state.callback["data"]["embeds"][0]
        if kind.startswith("status") and not embed["title"].startswith("Phase "):
            raise AssertionError(f"{kind}: {embed['title']}")
        if kind.startswith("history") and embed["description"].count("\n") < 9:
            raise AssertionError(f"{kind}: short history page: {embed['description']!r}")
    for kind in kinds:
        for _ in range(20):
            await once(kind)
    driver.forget()

    p50: dict[str, list[float]] = {k: [] for k in kinds}
    p99: dict[str, list[float]] = {k: [] for k in kinds}
    for r in range(rounds):
        schedule = [k for k in kinds for _ in range(samples)]
        rng.shuffle(schedule)
        times: dict[str, list[float]] = {k: [] for k in kinds}
        for kind in schedule:
            seconds, _ = await once(kind)
            times[kind].append(seconds)
        for kind, xs in times.items():
            p50[kind].append(C.percentile(xs, 50))
            p99[kind].append(C.percentile(xs, 99))
        errors = driver.errors()
        if errors:
            raise AssertionError("\n".join(errors[:5]))
        driver.forget()
        print(f"  storage: round {r + 1}/{rounds} done", file=sys.stderr, flush=True)

    def ratio(a: list[float], b: list[float]) -> float:
        return C.median(x / y for x, y in zip(a, b, strict=True))

    rows = []
    for command in ("status", "history"):
        large, small = f"{command}:large", f"{command}:small"
        p99_ratio = ratio(p99[large], p99[small])
        rows.append(
            {
                "command": f"/project {command}",
                "small_p50_ms": C.ms(C.median(p50[small])),
                "small_p99_ms": C.ms(C.median(p99[small])),
                "large_p50_ms": C.ms(C.median(p50[large])),
                "large_p99_ms": C.ms(C.median(p99[large])),
                "p50_ratio": ratio(p50[large], p50[small]),
                "p99_ratio": p99_ratio,
                "p99_ratio_floor_normalized": ratio(
                    [a / f for a, f in zip(p99[large], p99["floor"], strict=True)],
                    [a / f for a, f in zip(p99[small], p99["floor"], strict=True)],
                ),
                "target": TARGET,
                "pass": p99_ratio <= TARGET,
            }
        )
    return {
        "floor_p50_ms": C.ms(C.median(p50["floor"])),
        "floor_p99_ms": C.ms(C.median(p99["floor"])),
        "rows": rows,
    }


def render(result: dict[str, Any]) -> str:
    big = result["large_db"]
    head = (
        f"Storage scale — {result['channels']:,} channels × {result['events_per_channel']} "
        f"events ({big['events']:,} events, {big['ticks']:,} ticks): "
        f"{big['bytes'] / 1e6:.0f} MB, {result['bytes_per_channel']:.0f} bytes per channel, "
        f"bulk-loaded in {big['seconds']:.1f} s; "
        f"{result['rounds']} rounds × {result['samples_per_round']} calls per kind; "
        f"/ping floor p50 {result['floor_p50_ms']:.2f} ms, p99 {result['floor_p99_ms']:.2f} ms"
    )
    headers = [
        "command",
        "1 channel p50 / p99 ms",
        "large p50 / p99 ms",
        "p50 ×",
        "p99 ×",
        "p99 × (floor-normalized)",
        "target",
        "result",
    ]
    rows = [
        [
            r["command"],
            f"{r['small_p50_ms']:.2f} / {r['small_p99_ms']:.2f}",
            f"{r['large_p50_ms']:.2f} / {r['large_p99_ms']:.2f}",
            r["p50_ratio"],
            r["p99_ratio"],
            r["p99_ratio_floor_normalized"],
            f"p99 ≤ {r['target']}×",
            C.verdict(r["pass"]),
        ]
        for r in result["rows"]
    ]
    return head + "\n" + C.table(headers, rows)


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
    path = C.write_results("storage_scale", result)
    print(f"written {path.relative_to(C.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
