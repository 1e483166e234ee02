"""Dispatch: every command end to end, as a ratio to a bare /ping floor.

    python bench/dispatch.py [--rounds 5] [--samples 200] [--total 500] [--quick]
    python bench/dispatch.py [--only phase,ask] [--profile [--calls 500] [--top 12]]

The bot runs as ``phasebot run`` builds it, on the Discord stand-in, with benchmark-only
commands: ``/ping`` replies "pong" (the floor: gateway parse, command tree, one HTTP
callback, no work of ours), and ``/echo-phase``, ``/echo-compare``, ``/echo-mlops`` and
``/echo-ask`` send the very reply the command sends for the same options (its embeds,
rendered once and kept, and its buttons or menu) and compute nothing: the reply is
discord.py's cost, and a command over its echo is the bot's own work. The runner keeps
the answers of the commands in ``SAME_ANSWER``; "... computed afresh" runs those on a
runner that has kept nothing, to show what keeping them saves.

Measured in rounds, every kind interleaved in a shuffled order with the others: p50 and
p99 one at a time; then throughput with 50 in flight (writes on 50 channels, one per
slot). References: the floor, and SQLite through aiosqlite on a file of its own with
the store's PRAGMAs (WAL, synchronous=FULL): a single-row commit, an indexed read, and a
change's transaction (BEGIN IMMEDIATE, UPDATE, INSERT, COMMIT). Ratios are medians over
rounds of each round's ratio. Targets: p50 ≤ 1.3× the floor (writes: floor + raw commit);
throughput ≥ 0.8× (writes: 1 / (1/floor's + 1/raw commit's)); each answer ≤ 1.1× its echo.

``--profile``: cProfile (CPU time) of each kind, one at a time, instead: self time per
call by component (our core, our Discord layer, discord.py, aiohttp, the stand-in, ...)
and the top functions. cProfile slows Python down unevenly: compare kinds, don't add up.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import itertools
import pstats
import random
import sys
import time
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

from bot.core.commands import SAME_ANSWER
from bot.core.runner import Runner

INFLIGHT = 50
P50_TARGET, THROUGHPUT_TARGET, ECHO_TARGET = 1.3, 0.8, 1.1
ANSWERS: dict[str, list[dict[str, Any]]] = {
    "phase": [
        {"name": n}
        for n in ("testing", "design", "5", "qa", "implementation", "release", "planning")
    ],
    "compare": [
        {"first": "waterfall", "second": "agile"},
        {"first": "spiral", "second": "v-model"},
        {"first": "agile", "second": "spiral", "aspect": "testing"},
        {"first": "mlops", "second": "devops"},
        {"first": "v-model", "second": "waterfall", "aspect": "flexibility"},
    ],
    "mlops": [{}, {"aspect": "testing"}, {"aspect": "tools"}, {"aspect": "metrics"}],
    "ask": [  # what teams really type
        {"question": q["q"]}
        for q in tomllib.loads((C.ROOT / "tests/core/ask_questions.toml").read_text())["question"]
    ],
}
PHASE_TYPED = ["", "t", "te", "dep", "qa", "impl", "5", "desgn"]
ASPECT_TYPED = ["", "t", "te", "flex", "risk", "doc", "cli", "tset"]
CHECK = {"activity": "feasibility-studies"}  # a Planning activity: ticked, then unticked


@dataclass
class Kind:
    key: str
    label: str
    group: str  # floor, answer, afresh, autocomplete, read, write, echo, raw
    calls: list[tuple[str, dict[str, Any]]]
    """(command, options) in turn."""
    focused: str | None = None
    channel: str | None = None  # a channel of its own

    def call(self, driver: C.Driver, i: int, channel: str | None = None) -> C.Call:
        name, options = self.calls[i % len(self.calls)]
        channel = channel or self.channel
        editor = self.group == "write"
        return driver.payload(name, options, focused=self.focused, channel=channel, editor=editor)

    def slots(self, driver: C.Driver, total: int) -> list[list[C.Call]]:
        """Calls for ``total`` in flight: slot s from calls[s]; or, for writes, each slot
        on a channel of its own, from calls[0], in whole cycles (it ends where it began)."""
        per = total // INFLIGHT
        if self.group != "write":
            return [[self.call(driver, s + i) for i in range(per)] for s in range(INFLIGHT)]
        per -= per % len(self.calls)
        return [
            [self.call(driver, i, f"{self.channel}-{s}") for i in range(per)]
            for s in range(INFLIGHT)
        ]


def kinds(only: set[str] | None = None) -> list[Kind]:
    """Every kind; with ``only``, the floor, those, their echoes and computed afresh."""
    out = [Kind("floor", "/ping (floor)", "floor", [("ping", {})])]
    out += [Kind(k, f"/{k}", "answer", [(k, o) for o in v]) for k, v in ANSWERS.items()]
    out += [
        Kind(f"{k}_afresh", f"/{k}, computed afresh", "afresh", [(k, o) for o in v])
        for k, v in ANSWERS.items()
        if k in SAME_ANSWER
    ]
    typed = [("phase", {"name": t}) for t in PHASE_TYPED]
    out.append(Kind("ac_phase", "autocomplete /phase name", "autocomplete", typed, "name"))
    typed = [
        ("compare", {"first": "waterfall", "second": "agile", "aspect": t}) for t in ASPECT_TYPED
    ]
    out.append(Kind("ac_aspect", "autocomplete /compare aspect", "autocomplete", typed, "aspect"))
    out.append(Kind("status", "/project status", "read", [("project status", {})], None, "status"))
    moves = [("project next", {}), ("project back", {})]
    out.append(Kind("next", "/project next (and back)", "write", moves, None, "next"))
    ticks = [("project check", CHECK)]
    out.append(Kind("check", "/project check (tick, untick)", "write", ticks, None, "check"))
    out += [
        Kind(f"echo_{k}", f"echo of /{k}", "echo", [(f"echo-{k}", o) for o in v])
        for k, v in ANSWERS.items()
    ]
    if only:
        chosen = {"floor", *only} | {f"echo_{o}" for o in only} | {f"{o}_afresh" for o in only}
        out = [k for k in out if k.key in chosen]
    return out


def add_echoes(bot: Any) -> None:
    """The echoes: the reply the command sends for the same options, sent as ``respond``
    sends it. The answer is computed and rendered on the first call and kept; the view is
    built from the kept answer every time, since discord.py takes a view for one message."""
    import discord
    from discord import app_commands

    from bot.discord.render import render_messages, view_of

    kept: dict[Any, Any] = {}

    async def echo(interaction: discord.Interaction[Any], command: str, **options: Any) -> None:
        key = (command, *sorted(options.items()))
        if key not in kept:
            answer = await bot.runner.run(command, options, bot.request(interaction))
            assert not (answer.plain or answer.file or answer.replaces), command
            kept[key] = answer, render_messages(answer, limit=2)
        answer, messages = kept[key]
        assert len(messages) == 1, f"{command} {options}: a reply of several messages"
        view = view_of(answer)
        if view is None:
            await interaction.response.send_message(embeds=messages[0])
        else:
            await interaction.response.send_message(embeds=messages[0], view=view)

    @app_commands.command(name="echo-phase", description="Benchmark: /phase's reply.")
    async def echo_phase(interaction: discord.Interaction[Any], name: str) -> None:
        await echo(interaction, "phase", name=name)

    @app_commands.command(name="echo-compare", description="Benchmark: /compare's reply.")
    async def echo_compare(
        interaction: discord.Interaction[Any], first: str, second: str, aspect: str | None = None
    ) -> None:
        await echo(interaction, "compare", first=first, second=second, aspect=aspect)

    @app_commands.command(name="echo-mlops", description="Benchmark: /mlops's reply.")
    async def echo_mlops(interaction: discord.Interaction[Any], aspect: str | None = None) -> None:
        await echo(interaction, "mlops", aspect=aspect)

    @app_commands.command(name="echo-ask", description="Benchmark: /ask's reply.")
    async def echo_ask(interaction: discord.Interaction[Any], question: str) -> None:
        await echo(interaction, "ask", question=question)

    for command in (echo_phase, echo_compare, echo_mlops, echo_ask):
        bot.tree.add_command(command)


RAW = [
    Kind("commit", "raw aiosqlite commit", "raw", []),
    Kind("read", "raw aiosqlite read", "raw", []),
    Kind("change", "raw aiosqlite change (4 statements)", "raw", []),
]


class Bench:
    """Runs kinds of call against the bot, and the raw SQLite references."""

    def __init__(self, driver: C.Driver, all_kinds: list[Kind]) -> None:
        self.driver = driver
        self.counters = {k.key: itertools.count() for k in all_kinds}

    async def open(self, path: Path) -> None:
        import aiosqlite

        self.db = db = await aiosqlite.connect(path, isolation_level=None)
        for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON"):
            await db.execute(f"PRAGMA {pragma}")
        await db.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, v TEXT)")
        await db.execute("INSERT INTO rows (id, v) VALUES (1, 'x')")

    async def prepare(self, all_kinds: list[Kind]) -> None:
        """Unmeasured: answers checked once; status's channel at Testing with a tick, the
        write channels (and each slot's) at Planning."""
        d = self.driver
        assert "Phase 5 of 8" in (await d.harness.command("phase", {"name": "testing"})).text()
        ac = await d.harness.autocomplete("phase", "name", "te")
        assert ac.choices and ac.choices[0]["value"] == "testing", ac.choices
        steps = [("project set", {"phase": "testing"}, "status")]
        steps += [("project check", {"activity": "1"}, "status")]
        for kind in all_kinds:
            if kind.group == "write":
                for channel in [kind.channel, *(f"{kind.channel}-{s}" for s in range(INFLIGHT))]:
                    steps.append(("project set", {"phase": "planning"}, channel))
        for name, options, channel in steps:
            payload, state = d.payload(name, options, channel=channel, editor=True)
            await d.fire(payload)
            d.check_answer(state, what=f"/{name} in {channel}")
        d.check_and_forget()

    async def once(self, kind: Kind) -> float:
        if kind.group == "raw":
            db, started = self.db, time.perf_counter()
            if kind.key == "commit":
                await db.execute("INSERT INTO rows (v) VALUES ('x')")
            elif kind.key == "read":
                await db.execute_fetchall("SELECT v FROM rows WHERE id = 1")
            else:
                for sql in ("BEGIN IMMEDIATE", "UPDATE rows SET v = 'y' WHERE id = 1"):
                    await db.execute(sql)
                for sql in ("INSERT INTO rows (v) VALUES ('x')", "COMMIT"):
                    await db.execute(sql)
            return time.perf_counter() - started
        bot = self.driver.bot
        payload, state = kind.call(self.driver, next(self.counters[kind.key]))
        own = bot.runner
        if kind.group == "afresh":
            bot.runner = Runner(own.app)  # one that has kept nothing yet
        try:
            seconds = await self.driver.fire(payload)
        finally:
            bot.runner = own
        self.driver.check_answer(state, autocomplete=kind.focused is not None, what=kind.label)
        return seconds

    async def throughput(self, kind: Kind, total: int) -> float:
        """Calls per second with 50 in flight."""
        if kind.key == "commit":
            started = time.perf_counter()
            per = total // INFLIGHT

            async def slot() -> None:
                for _ in range(per):
                    await self.db.execute("INSERT INTO rows (v) VALUES ('x')")

            await asyncio.gather(*(slot() for _ in range(INFLIGHT)))
            return per * INFLIGHT / (time.perf_counter() - started)
        slots = kind.slots(self.driver, total)
        seconds = await self.driver.fire_concurrently(slots)
        for _, state in itertools.chain(*slots):
            self.driver.check_answer(state, autocomplete=kind.focused is not None, what=kind.label)
        return sum(map(len, slots)) / seconds


async def measure(rounds: int, samples: int, total: int, seed: int, only: set[str]) -> Any:
    rng = random.Random(seed)
    timed = [*kinds(only), *RAW]
    lat: dict[str, list[list[float]]] = {k.key: [] for k in timed}  # each round's times
    tput: dict[str, list[float]] = {k.key: [] for k in timed}
    with C.workdir("dispatch") as tmp:
        async with C.running_bot(Path(tmp), extra_commands=add_echoes) as driver:
            bench = Bench(driver, timed)
            await bench.open(Path(tmp) / "raw.sqlite3")
            try:
                await bench.prepare(timed)
                for kind in timed:  # warm-up
                    for _ in range(20):
                        await bench.once(kind)
                driver.check_and_forget()
                started = time.perf_counter()
                for r in range(rounds):
                    schedule = [k for k in timed for _ in range(samples)]
                    rng.shuffle(schedule)
                    times: dict[str, list[float]] = defaultdict(list)
                    for i, kind in enumerate(schedule):
                        if i % 200 == 199:
                            driver.check_and_forget()
                        times[kind.key].append(await bench.once(kind))
                    for key, xs in times.items():
                        lat[key].append(xs)
                    for kind in rng.sample(timed, len(timed)):
                        if kind.group not in ("afresh", "raw") or kind.key == "commit":
                            driver.check_and_forget()
                            gc.collect()  # every run starts from the same heap
                            tput[kind.key].append(await bench.throughput(kind, total))
                    driver.check_and_forget()
                    took = time.perf_counter() - started
                    print(f"  dispatch: round {r + 1}/{rounds} ({took:.0f} s)", file=sys.stderr)
            finally:
                await bench.db.close()
    rows = summarize(timed, lat, tput)
    return {"rows": rows, "rounds": rounds, "samples": samples, "total": total}


def summarize(timed: list[Kind], lat: dict, tput: dict[str, list[float]]) -> list[dict[str, Any]]:
    def per_round(key: str, q: float) -> list[float]:
        return [C.percentile(xs, q) for xs in lat[key]]

    floor = {q: per_round("floor", q) for q in (50, 99)}
    write = {
        q: [f + c for f, c in zip(floor[q], per_round("commit", q), strict=True)] for q in floor
    }
    tput["writes"] = [
        1 / (1 / f + 1 / c) for f, c in zip(tput["floor"], tput["commit"], strict=True)
    ]
    rows = []
    for kind in timed:
        p, thr = {q: per_round(kind.key, q) for q in (50, 99)}, tput[kind.key]
        row: dict[str, Any] = {"key": kind.key, "label": kind.label, "group": kind.group}
        row |= {"p50_ms": C.ms(C.median(p[50])), "p99_ms": C.ms(C.median(p[99]))}
        row["throughput_per_s"] = C.median(thr)
        if kind.group != "raw":
            ref, ref_tput = (
                (write, tput["writes"]) if kind.group == "write" else (floor, tput["floor"])
            )
            row["reference"] = "floor + raw commit" if kind.group == "write" else "floor"
            row |= {"p50_ratio": C.ratio(p[50], ref[50]), "p99_ratio": C.ratio(p[99], ref[99])}
            if thr:
                row["throughput_ratio"] = C.ratio(thr, ref_tput)
        if kind.group in ("answer", "autocomplete", "read", "write"):
            row["pass"] = (
                row["p50_ratio"] <= P50_TARGET and row["throughput_ratio"] >= THROUGHPUT_TARGET
            )
        if kind.group in ("answer", "afresh"):
            echo = f"echo_{kind.key.removesuffix('_afresh')}"
            row["vs_echo_p50"] = C.ratio(p[50], per_round(echo, 50))
            if thr:
                row["vs_echo_throughput"] = C.ratio(thr, tput[echo])
                row["echo_pass"] = row["vs_echo_p50"] <= ECHO_TARGET
        rows.append(row)
    return rows


def render(result: dict[str, Any]) -> str:
    rows = [
        [
            r["label"],
            r["p50_ms"],
            r["p99_ms"],
            r.get("p50_ratio", ""),
            r.get("p99_ratio", ""),
            r["throughput_per_s"],
            r.get("throughput_ratio", ""),
            r.get("vs_echo_p50", ""),
            r.get("reference", "(reference)"),
            r.get("pass", ""),
            r.get("echo_pass", ""),
        ]
        for r in result["rows"]
    ]
    headers = ["call", "p50 ms", "p99 ms", "p50 ×ref", "p99 ×ref", "per s", "per s ×ref"]
    headers += ["p50 ×echo", "reference", "p50, per s target", f"≤ {ECHO_TARGET}× echo"]
    return (
        f"Dispatch — {result['rounds']} rounds × {result['samples']} calls of each kind one at "
        f"a time, {result['total']} with {INFLIGHT} in flight; targets: p50 ≤ {P50_TARGET}×, "
        f"throughput ≥ {THROUGHPUT_TARGET}× the reference\n" + C.table(headers, rows)
    )


# -- profile ---------------------------------------------------------------------------------

LIBRARIES = {"discord": "discord.py", "aiosqlite": "aiosqlite"}
LIBRARIES |= dict.fromkeys(("aiohttp", "yarl", "multidict", "frozenlist", "aiosignal"), "aiohttp")
OURS = [("bot/core/", "bot core"), ("bot/discord/", "bot discord layer"), ("bot/", "bot other")]
OURS += [("tests/discord/", "stand-in"), ("bench/", "benchmark driver")]


def component(filename: str, function: str) -> str:
    """Whose a function's self time is."""
    if "site-packages/" in filename:
        return LIBRARIES.get(filename.split("site-packages/")[-1].split("/")[0], "other libraries")
    if filename.startswith(f"{C.ROOT}/"):
        relative = filename.removeprefix(f"{C.ROOT}/")
        return next((label for prefix, label in OURS if relative.startswith(prefix)), "other")
    probe = function if filename == "~" else filename
    if "json" in probe:
        return "json"
    return (
        "asyncio and sockets"
        if any(w in probe for w in ("asyncio", "epoll", "socket"))
        else "python"
    )


async def profile(calls: int, only: set[str]) -> dict[str, Any]:
    """Each kind's ``calls`` one at a time under cProfile (CPU time: other processes share
    the cores), the collector off (a collection is charged to whatever it interrupts)."""
    out: dict[str, Any] = {}
    with C.workdir("profile") as tmp:
        async with C.running_bot(Path(tmp), extra_commands=add_echoes) as driver:
            chosen = kinds(only)
            bench = Bench(driver, chosen)
            await bench.prepare(chosen)
            for kind in chosen:
                for _ in range(20):
                    await bench.once(kind)
                driver.check_and_forget()
                profiler = cProfile.Profile(time.process_time)
                gc.collect()
                gc.disable()
                try:
                    for _ in range(calls):
                        profiler.enable()
                        await bench.once(kind)
                        profiler.disable()
                finally:
                    gc.enable()
                driver.check_and_forget()
                mine: dict[str, float] = defaultdict(float)
                functions = []
                for (file, line, fn), (*_, self_time, _, _) in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
                    mine[component(file, fn)] += self_time / calls * 1e6
                    short = file.split("site-packages/")[-1].removeprefix(f"{C.ROOT}/")
                    functions.append((self_time / calls * 1e6, f"{short}:{line}({fn})"))
                out[kind.key] = {
                    "components_us": mine,
                    "functions_us": sorted(functions)[::-1][:40],
                }
                print(f"  profiled {kind.key}", file=sys.stderr)
    return out


def render_profile(result: dict[str, Any], top: int) -> str:
    keys = list(result)
    floor = result["floor"]["components_us"]
    rows = []
    for label in [*sorted({c for r in result.values() for c in r["components_us"]}), "total"]:
        row: list[Any] = [label]
        for key in keys:
            got = result[key]["components_us"]
            value = sum(got.values()) if label == "total" else got.get(label, 0.0)
            base = sum(floor.values()) if label == "total" else floor.get(label, 0.0)
            row.append(f"{value:.0f}" + ("" if key == "floor" else f" ({value - base:+.0f})"))
        rows.append(row)
    text = ["CPU self time per call, µs, profiled (difference to the floor)"]
    text.append(C.table(["component", *keys], rows))
    for key in keys[1:]:
        text.append(f"\n{key}: top functions by self time (µs per call)")
        text += [f"  {us:7.1f}  {name}" for us, name in result[key]["functions_us"][:top]]
    return "\n".join(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=200, help="calls of each kind per round")
    parser.add_argument("--total", type=int, default=500, help="calls per throughput run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="3 rounds × 80 calls, 250 in flight")
    parser.add_argument("--only", default="", help="these kinds, with the floor and their echoes")
    parser.add_argument("--profile", action="store_true", help="cProfile each kind instead")
    parser.add_argument("--calls", type=int, default=500, help="--profile: calls of each kind")
    parser.add_argument("--top", type=int, default=12, help="--profile: functions shown")
    args = parser.parse_args(argv)
    only = set(filter(None, args.only.split(",")))
    print(C.machine_line())
    if args.profile:
        result = asyncio.run(profile(args.calls, only))
        print(render_profile(result, args.top))
        C.write_results("dispatch_profile", {"calls": args.calls, "profiles": result})
        return 0
    if args.quick:
        args.rounds, args.samples, args.total = 3, 80, 250
    result = asyncio.run(measure(args.rounds, args.samples, args.total, args.seed, only))
    print(render(result))
    C.write_results("dispatch", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
