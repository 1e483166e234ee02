"""The progress store on its own: round trips to the database thread and time per call.

    python bench/store_roundtrips.py [--samples 300] [--rounds 3]

In-process, without Discord: the real ``ProgressStore`` (aiosqlite; WAL,
synchronous=FULL) on a temporary file, its calls counted in round trips to the
aiosqlite thread (every call queued to the thread and its result posted back to the
event loop is one), timed one at a time and with 50 in flight, next to two raw
references: one aiosqlite ``SELECT 1`` round trip and one single-row commit.

``status`` is shown twice: answered from the store's memory of the channel (the usual
case: the bot changed or read that channel before) and read from the database (a
channel not in memory). A change is one statement (migration 0003's triggers), so
one at a time ``move`` and ``toggle_check`` should cost about one raw commit; with 50
in flight the store's writer commits the changes that arrive together in one
transaction, so they can go faster than one raw commit each. This is what
``bench/dispatch.py`` cannot show; nothing here changes the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

INFLIGHT = 50
GUILD = 1234


# -- measuring ---------------------------------------------------------------------------


def count_round_trips(store: Any) -> list[int]:
    """Count calls the store's aiosqlite connections (reads, writes) queue to their threads."""
    counter = [0]
    for db in {id(c): c for c in (store._db, store._writer.db)}.values():
        original = db._execute

        async def counted(fn: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            counter[0] += 1
            return await _original(fn, *args, **kwargs)

        db._execute = counted
    return counter


async def run(samples: int, rounds: int) -> dict[str, Any]:
    import aiosqlite

    from bot.core.content import load_content
    from bot.core.progress import Actor, Scope
    from bot.storage import ProgressStore

    content = load_content()
    actor = Actor(42, "bench")
    rng = random.Random(4)
    with C.workdir("roundtrips") as tmp:
        store = await ProgressStore.open(Path(tmp) / "progress.sqlite3")
        raw = await aiosqlite.connect(Path(tmp) / "raw.sqlite3", isolation_level=None)
        for pragma in ("journal_mode = WAL", "synchronous = FULL"):
            await raw.execute(f"PRAGMA {pragma}")
        await raw.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, v TEXT)")
        trips = count_round_trips(store)

        def scope(i: int) -> Any:
            return Scope(guild_id=GUILD, channel_id=1000 + i)

        for i in range(3 * INFLIGHT):  # channels at Planning with a tick and history
            await store.move(scope(i), actor, "set", content, target_key="planning")
            await store.toggle_check(scope(i), actor, "1", content)
            for _ in range(5):
                await store.move(scope(i), actor, "next", content)
                await store.move(scope(i), actor, "back", content)
        steps: dict[int, itertools.count[int]] = {}

        async def from_database(s: int) -> Any:
            store._snapshots.drop((GUILD, 1000 + s))  # forget it: read it from the file
            return await store.status(scope(s))

        async def move(s: int) -> Any:
            kind = "next" if next(steps.setdefault(s, itertools.count())) % 2 == 0 else "back"
            return await store.move(scope(INFLIGHT + s), actor, kind, content)

        # each op takes the slot number s (0..49) so 50 in flight use 50 channels
        ops: dict[str, Callable[[int], Any]] = {
            "store.status (in memory)": lambda s: store.status(scope(s)),
            "store.status (from the database)": from_database,
            "store.history (10)": lambda s: store.history(scope(s), 10),
            "store.move (next/back)": move,
            "store.toggle_check": lambda s: store.toggle_check(
                scope(2 * INFLIGHT + s), actor, "1", content
            ),
            "aiosqlite SELECT 1": lambda s: raw.execute_fetchall("SELECT 1"),
            "aiosqlite single-row commit": lambda s: raw.execute(
                "INSERT INTO rows (v) VALUES ('x')"
            ),
        }
        round_trips: dict[str, int] = {}
        for name, op in ops.items():
            before = trips[0]
            await op(0)
            round_trips[name] = trips[0] - before
        round_trips = {k: v if k.startswith("store") else 1 for k, v in round_trips.items()}
        p50: dict[str, list[float]] = {k: [] for k in ops}
        p99: dict[str, list[float]] = {k: [] for k in ops}
        tput: dict[str, list[float]] = {k: [] for k in ops}
        for _ in range(rounds):
            schedule = [k for k in ops for _ in range(samples)]
            rng.shuffle(schedule)
            times: dict[str, list[float]] = {k: [] for k in ops}
            for name in schedule:
                t0 = time.perf_counter()
                await ops[name](0)
                times[name].append(time.perf_counter() - t0)
            for name, xs in times.items():
                p50[name].append(C.percentile(xs, 50))
                p99[name].append(C.percentile(xs, 99))
            for name, op in ops.items():
                tput[name].append(await throughput(op))
        await store.close()
        await raw.close()
    rows = [
        {
            "operation": name,
            "round_trips": round_trips[name],
            "p50_ms": C.ms(C.median(p50[name])),
            "p99_ms": C.ms(C.median(p99[name])),
            "throughput_per_s": C.median(tput[name]),
        }
        for name in ops
    ]
    return {"samples_per_round": samples, "rounds": rounds, "inflight": INFLIGHT, "rows": rows}


async def throughput(op: Callable[[int], Any]) -> float:
    """Calls per second with 50 in flight (slot s works on its own channel)."""
    per = 10

    async def slot(s: int) -> None:
        for _ in range(per):
            await op(s)

    t0 = time.perf_counter()
    await asyncio.gather(*(slot(s) for s in range(INFLIGHT)))
    return per * INFLIGHT / (time.perf_counter() - t0)


def render(result: dict[str, Any]) -> str:
    headers = ["operation", "round trips", "p50 ms", "p99 ms", f"per s ({INFLIGHT} in flight)"]
    rows = [
        [r["operation"], r["round_trips"], r["p50_ms"], r["p99_ms"], r["throughput_per_s"]]
        for r in result["rows"]
    ]
    return (
        f"Progress store — {result['rounds']} rounds × {result['samples_per_round']} calls, "
        "one at a time (interleaved), then 500 calls with 50 in flight\n" + C.table(headers, rows)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.samples, args.rounds))
    print(C.machine_line())
    print(render(result))
    path = C.write_results("store_roundtrips", result)
    print(f"written {path.relative_to(C.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
