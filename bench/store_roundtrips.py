"""Why /project is slow, and what one round trip per call would give (a diagnosis).

    python bench/store_roundtrips.py [--samples 300] [--rounds 3]

In-process, without Discord: the real ``ProgressStore`` (aiosqlite; WAL,
synchronous=FULL) on a temporary file, its calls counted in round trips to the
aiosqlite thread (every ``execute``, ``fetchone``/``fetchall`` and cursor ``close`` is
one: the call is queued to the thread and its result posted back to the event loop),
timed one at a time and with 50 in flight, next to:

* a *one-trip* prototype of the same calls — the store's own SQL and rules
  (``plan_move``, ``plan_check``), each call run as one synchronous function on a
  dedicated single-thread executor that owns a ``sqlite3`` connection (same PRAGMAs),
  reads on a second connection and executor so they never queue behind a write's
  fsync, status as one ``LEFT JOIN``, the history page and its count as one query;
* raw references: one aiosqlite ``SELECT 1`` round trip and one single-row commit.

This is what ``bench/dispatch.py`` cannot show: how much of /project's time is the
number of round trips (each a thread hand-off and an event-loop wake-up, and under load
a wait for the loop's turn while the store's lock is held). Nothing here changes the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

INFLIGHT = 50
GUILD = 1234


# -- the one-trip prototype --------------------------------------------------------------


class OneTripStore:
    """The store's calls, each one function on a thread that owns its connection."""

    STATUS = (
        "SELECT p.phase_key, p.methodology, p.iteration, p.since, p.set_by_id, p.set_by_name, "
        "t.activity_key, t.actor_id, t.actor_name, t.at FROM projects p LEFT JOIN ticks t "
        "ON t.guild_id = p.guild_id AND t.channel_id = p.channel_id "
        "AND t.iteration = p.iteration AND t.phase_key = p.phase_key "
        "WHERE p.guild_id = ? AND p.channel_id = ?"
    )
    HISTORY = (
        "SELECT c.total, e.id, e.kind, e.from_phase, e.to_phase, e.actor_id, e.actor_name, "
        "e.at, e.note, e.rework, e.iteration, e.new_iteration, e.detail "
        "FROM (SELECT count(*) AS total FROM events WHERE guild_id = ? AND channel_id = ?) c "
        "LEFT JOIN (SELECT * FROM events WHERE guild_id = ? AND channel_id = ? "
        "ORDER BY id DESC LIMIT ? OFFSET ?) e ORDER BY e.id DESC"
    )

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="store-write")
        self.reader = ThreadPoolExecutor(1, thread_name_prefix="store-read")
        self._w: sqlite3.Connection | None = None
        self._r: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 5000")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA foreign_keys = ON")
        return db

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        self._w = await loop.run_in_executor(self.writer, self._connect)
        self._r = await loop.run_in_executor(self.reader, self._connect)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        if self._w is not None:
            await loop.run_in_executor(self.writer, self._w.close)
        if self._r is not None:
            await loop.run_in_executor(self.reader, self._r.close)
        self.writer.shutdown()
        self.reader.shutdown()

    # -- reads --

    def _status(self, db: sqlite3.Connection, key: tuple[int, int]) -> Any:
        from bot.core.progress import Actor, ProjectState, ProjectStatus, Tick
        from bot.storage.store import _parse

        rows = db.execute(self.STATUS, key).fetchall()
        if not rows:
            return ProjectStatus(ProjectState(), {})
        phase_key, methodology, iteration, since, set_by_id, set_by_name = rows[0][:6]
        state = ProjectState(
            phase_key=phase_key,
            methodology=methodology,
            iteration=int(iteration),
            since=_parse(since) if since is not None else None,
            set_by=Actor(int(set_by_id), set_by_name or "") if set_by_id is not None else None,
        )
        ticks = {
            r[6]: Tick(r[6], Actor(int(r[7]), r[8]), _parse(r[9])) for r in rows if r[6] is not None
        }
        return ProjectStatus(state, ticks if phase_key is not None else {})

    async def status(self, key: tuple[int, int]) -> Any:
        assert self._r is not None
        db = self._r
        return await asyncio.get_running_loop().run_in_executor(self.reader, self._status, db, key)

    def _history(self, key: tuple[int, int], limit: int, offset: int) -> Any:
        from bot.storage.store import _event

        assert self._r is not None
        rows = self._r.execute(self.HISTORY, (*key, *key, limit, offset)).fetchall()
        total = int(rows[0][0]) if rows else 0
        return [_event(r[1:]) for r in rows if r[1] is not None], total

    async def history(self, key: tuple[int, int], limit: int, offset: int = 0) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.reader, self._history, key, limit, offset)

    # -- writes (the store's SQL, one transaction in one call) --

    def _move(self, key: tuple[int, int], actor: Any, kind: str, content: Any) -> Any:
        from bot.core.progress import ProjectState, plan_move
        from bot.storage.store import _iso

        db = self._w
        assert db is not None
        at = datetime.now(UTC)
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute(
                "SELECT phase_key, methodology, iteration FROM projects "
                "WHERE guild_id = ? AND channel_id = ?",
                key,
            ).fetchone()
            state = ProjectState() if row is None else ProjectState(row[0], row[1], int(row[2]))
            move = plan_move(state, kind, content)  # type: ignore[arg-type]
            db.execute(
                "INSERT INTO projects (guild_id, channel_id, phase_key, methodology, iteration, "
                "since, set_by_id, set_by_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (guild_id, channel_id) DO UPDATE SET "
                "phase_key = excluded.phase_key, iteration = excluded.iteration, "
                "since = excluded.since, set_by_id = excluded.set_by_id, "
                "set_by_name = excluded.set_by_name",
                (
                    *key,
                    move.to_key,
                    state.methodology,
                    move.iteration_after,
                    _iso(at),
                    actor.id,
                    actor.name,
                ),
            )
            db.execute(
                "INSERT INTO events (guild_id, channel_id, kind, from_phase, to_phase, actor_id, "
                "actor_name, at, note, rework, iteration, new_iteration, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *key,
                    "phase",
                    move.from_key,
                    move.to_key,
                    actor.id,
                    actor.name,
                    _iso(at),
                    None,
                    int(move.rework),
                    move.iteration_after,
                    int(move.new_iteration),
                    None,
                ),
            )
            status = self._status(db, key)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return move, status

    async def move(self, key: tuple[int, int], actor: Any, kind: str, content: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.writer, self._move, key, actor, kind, content)


# -- measuring ---------------------------------------------------------------------------


def count_round_trips(store: Any) -> list[int]:
    """Count calls the store's aiosqlite connection queues to its thread."""
    counter = [0]
    db = store._db
    original = db._execute

    async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
        counter[0] += 1
        return await original(fn, *args, **kwargs)

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
        path = Path(tmp) / "progress.sqlite3"
        store = await ProgressStore.open(path)
        proto = OneTripStore(path)
        await proto.open()
        raw = await aiosqlite.connect(Path(tmp) / "raw.sqlite3", isolation_level=None)
        for pragma in ("journal_mode = WAL", "synchronous = FULL"):
            await raw.execute(f"PRAGMA {pragma}")
        await raw.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, v TEXT)")
        trips = count_round_trips(store)

        def scope(i: int) -> Any:
            return Scope(guild_id=GUILD, channel_id=1000 + i)

        for i in range(2 * INFLIGHT + 2):  # channels at Planning with a tick and history
            await store.move(scope(i), actor, "set", content, target_key="planning")
            await store.toggle_check(scope(i), actor, "1", content)
            for _ in range(5):
                await store.move(scope(i), actor, "next", content)
                await store.move(scope(i), actor, "back", content)
        position = {"store": 0, "proto": 0}

        async def store_move() -> None:
            kind = "next" if position["store"] % 2 == 0 else "back"
            position["store"] += 1
            await store.move(scope(0), actor, kind, content)

        async def proto_move() -> None:
            kind = "next" if position["proto"] % 2 == 0 else "back"
            position["proto"] += 1
            await proto.move((GUILD, 1001), actor, kind, content)

        ops: dict[str, Any] = {
            "store.status": lambda: store.status(scope(2)),
            "one-trip status": lambda: proto.status((GUILD, 1002)),
            "store.history (10)": lambda: store.history(scope(2), 10),
            "one-trip history (10)": lambda: proto.history((GUILD, 1002), 10),
            "store.move (next/back)": store_move,
            "one-trip move (next/back)": proto_move,
            "aiosqlite SELECT 1": lambda: raw.execute_fetchall("SELECT 1"),
            "aiosqlite single-row commit": lambda: raw.execute("INSERT INTO rows (v) VALUES ('x')"),
        }
        # results agree
        a, b = await store.status(scope(2)), await proto.status((GUILD, 1002))
        assert a.state.phase_key == b.state.phase_key and set(a.ticks) == set(b.ticks)
        (ea, ta), (eb, tb) = (
            await store.history(scope(2), 10),
            await proto.history((GUILD, 1002), 10),
        )
        assert ta == tb and [e.kind for e in ea] == [e.kind for e in eb]

        round_trips: dict[str, int] = {}
        for name, op in ops.items():
            if name.startswith("store."):
                before = trips[0]
                await op()
                round_trips[name] = trips[0] - before
        p50: dict[str, list[float]] = {k: [] for k in ops}
        p99: dict[str, list[float]] = {k: [] for k in ops}
        tput: dict[str, list[float]] = {k: [] for k in ops}
        for _ in range(rounds):
            schedule = [k for k in ops for _ in range(samples)]
            rng.shuffle(schedule)
            times: dict[str, list[float]] = {k: [] for k in ops}
            for name in schedule:
                t0 = time.perf_counter()
                await ops[name]()
                times[name].append(time.perf_counter() - t0)
            for name, xs in times.items():
                p50[name].append(C.percentile(xs, 50))
                p99[name].append(C.percentile(xs, 99))
            for name in ops:
                tput[name].append(await throughput(name, store, proto, raw, actor, content))
        await proto.close()
        await store.close()
        await raw.close()
    rows = [
        {
            "operation": name,
            "round_trips": round_trips.get(name, 1),
            "p50_ms": C.ms(C.median(p50[name])),
            "p99_ms": C.ms(C.median(p99[name])),
            "throughput_per_s": C.median(tput[name]),
        }
        for name in ops
    ]
    return {"samples_per_round": samples, "rounds": rounds, "inflight": INFLIGHT, "rows": rows}


async def throughput(
    name: str, store: Any, proto: Any, raw: Any, actor: Any, content: Any
) -> float:
    """Calls per second with 50 in flight (writes on 50 channels, next/back alternating)."""
    from bot.core.progress import Scope

    per = 10

    async def slot(s: int) -> None:
        for i in range(per):
            kind = "next" if i % 2 == 0 else "back"
            if name == "store.status":
                await store.status(Scope(GUILD, 1002))
            elif name == "one-trip status":
                await proto.status((GUILD, 1002))
            elif name == "store.history (10)":
                await store.history(Scope(GUILD, 1002), 10)
            elif name == "one-trip history (10)":
                await proto.history((GUILD, 1002), 10)
            elif name == "store.move (next/back)":
                await store.move(Scope(GUILD, 1002 + s), actor, kind, content)
            elif name == "one-trip move (next/back)":
                await proto.move((GUILD, 1002 + INFLIGHT + s), actor, kind, content)
            elif name == "aiosqlite SELECT 1":
                await raw.execute_fetchall("SELECT 1")
            else:
                await raw.execute("INSERT INTO rows (v) VALUES ('x')")

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
        f"Store round trips — {result['rounds']} rounds × {result['samples_per_round']} calls, "
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
