"""Dispatch: every command end to end, as a ratio to a bare /ping floor.

    python bench/dispatch.py [--rounds 5] [--samples 200] [--total 500] [--quick]
    python bench/dispatch.py --only phase,ask [--profile [--top 12]]

The bot runs as ``phasebot run`` builds it, on the Discord stand-in, with benchmark-only
commands added to its tree: ``/ping`` replies "pong" (the floor: gateway parse, command
tree, one HTTP callback, no work of ours), and ``/echo-phase``, ``/echo-compare``,
``/echo-mlops``, ``/echo-ask`` send the very reply the command would send (its embeds,
rendered once and kept, and its buttons or menu) and compute nothing. The reply is
discord.py's cost; a command over its echo is the bot's own work.

Measured, interleaved in a shuffled order within each round so that every kind sees the
same machine noise: p50 and p99 one at a time of each command, of autocomplete, of the
echoes and of a raw aiosqlite single-row commit (WAL, synchronous=FULL, on its own
file); then throughput with 50 in flight (writes on 50 channels, one per slot).
Ratios are medians over rounds of each round's ratio. Targets: p50 ≤ 1.3× the floor
(writes: the floor + one raw commit), throughput ≥ 0.8× (writes:
1 / (1/floor throughput + 1/commit throughput)), and each command ≤ 1.1× its echo.

``--profile`` runs cProfile over each kind with 50 in flight instead, and shows self
time per call by component (our core, our Discord layer, discord.py, aiohttp, the
stand-in, ...) next to the floor's and the echo's: where a command's time goes.
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
P50_TARGET = 1.3
THROUGHPUT_TARGET = 0.8
ECHO_TARGET = 1.1

PHASE_NAMES = ["testing", "design", "5", "qa", "implementation", "release", "planning"]
COMPARE_ARGS = [
    {"first": "waterfall", "second": "agile"},
    {"first": "spiral", "second": "v-model"},
    {"first": "agile", "second": "spiral", "aspect": "testing"},
    {"first": "mlops", "second": "devops"},
    {"first": "v-model", "second": "waterfall", "aspect": "flexibility"},
]
MLOPS_ARGS = [{}, {"aspect": "testing"}, {"aspect": "tools"}, {"aspect": "metrics"}]
PHASE_TYPED = ["", "t", "te", "dep", "qa", "impl", "5", "desgn"]
ASPECT_TYPED = ["", "t", "te", "flex", "risk", "doc", "cli", "tset"]
QUESTIONS = [
    q["q"]
    for q in tomllib.loads((C.ROOT / "tests/core/ask_questions.toml").read_text("utf-8"))[
        "question"
    ]
]
CHECK = {"activity": "feasibility-studies"}  # a Planning activity: ticked, then unticked


@dataclass
class Kind:
    key: str
    label: str
    group: str  # floor, answer, afresh, autocomplete, read, write, echo
    calls: list[tuple[str, dict[str, Any]]]
    """(command, options) in turn: calls[i % len] is the i-th call of a slot."""
    focused: str | None = None
    channel: str | None = None  # a channel of its own

    def payloads(self, driver: C.Driver, start: int, count: int) -> list[Any]:
        return self._payloads(driver, start, count, self.channel)

    def per_slot(self, total: int) -> int:
        """Calls per slot for ``total`` in flight; writes in whole cycles (each slot's
        channel ends where it began)."""
        per = total // INFLIGHT
        return per - per % len(self.calls) if self.group == "write" else per

    def slots(self, driver: C.Driver, per: int) -> list[list[Any]]:
        """Payloads for a throughput run: slot s starts at calls[s], or writes each on
        a channel of the slot's own, from calls[0]."""
        if self.group == "write":
            return [self._payloads(driver, 0, per, f"{self.channel}-{s}") for s in range(INFLIGHT)]
        return [self._payloads(driver, s, per, self.channel) for s in range(INFLIGHT)]

    def _payloads(self, driver: C.Driver, start: int, count: int, channel: str | None) -> list[Any]:
        editor = self.group == "write"
        return [
            driver.payload(
                *self.calls[i % len(self.calls)],
                focused=self.focused,
                channel=channel,
                editor=editor,
            )
            for i in range(start, start + count)
        ]


def kinds(only: set[str] | None = None) -> list[Kind]:
    """Every kind; with ``only``, the floor, those and their echoes."""
    ask = [{"question": q} for q in QUESTIONS]
    aspects = [{"first": "waterfall", "second": "agile", "aspect": t} for t in ASPECT_TYPED]
    answers = {
        "phase": [{"name": n} for n in PHASE_NAMES],
        "compare": COMPARE_ARGS,
        "mlops": MLOPS_ARGS,
        "ask": ask,
    }
    out = [Kind("floor", "/ping (floor)", "floor", [("ping", {})])]
    out += [Kind(k, f"/{k}", "answer", [(k, o) for o in v]) for k, v in answers.items()]
    out += [
        Kind(f"{k}_afresh", f"/{k}, computed afresh", "afresh", [(k, o) for o in answers[k]])
        for k in answers
        if k in SAME_ANSWER
    ]
    out += [
        Kind(
            "ac_phase",
            "autocomplete /phase name",
            "autocomplete",
            [("phase", {"name": t}) for t in PHASE_TYPED],
            "name",
        ),
        Kind(
            "ac_aspect",
            "autocomplete /compare aspect",
            "autocomplete",
            [("compare", a) for a in aspects],
            "aspect",
        ),
        Kind("status", "/project status", "read", [("project status", {})], channel="status"),
        Kind(
            "next",
            "/project next (and back)",
            "write",
            [("project next", {}), ("project back", {})],
            channel="next",
        ),
        Kind(
            "check",
            "/project check (tick, untick)",
            "write",
            [("project check", CHECK)],
            channel="check",
        ),
    ]
    out += [
        Kind(f"echo_{k}", f"echo of /{k}", "echo", [(f"echo-{k}", o) for o in v])
        for k, v in answers.items()
    ]
    if only:
        chosen = {"floor", *only, *(f"echo_{o}" for o in only), *(f"{o}_afresh" for o in only)}
        out = [k for k in out if k.key in chosen]
    return out


# -- the echoes ------------------------------------------------------------------------------


def add_echoes(bot: Any) -> None:
    """``/echo-phase``, ``/echo-compare``, ``/echo-mlops``, ``/echo-ask``: the reply the
    command sends for the same options, sent as ``respond`` sends it. The answer is
    computed and its embeds rendered on the first call and kept; the view is built from
    the kept answer on every call, since discord.py takes a view for one message."""
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


# -- the raw commit reference ----------------------------------------------------------------


class RawCommit:
    """One single-row INSERT in autocommit mode, with the store's PRAGMAs."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def __aenter__(self) -> RawCommit:
        import aiosqlite

        self.db = await aiosqlite.connect(self.path, isolation_level=None)
        for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON"):
            await self.db.execute(f"PRAGMA {pragma}")
        await self.db.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, v TEXT)")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.db.close()

    async def once(self) -> C.Fired:
        started = time.perf_counter()
        await self.db.execute("INSERT INTO rows (v) VALUES ('x')")
        return C.Fired(time.perf_counter() - started, None)

    async def throughput(self, total: int) -> float:
        async def slot() -> None:
            for _ in range(total // INFLIGHT):
                await self.db.execute("INSERT INTO rows (v) VALUES ('x')")

        started = time.perf_counter()
        await asyncio.gather(*(slot() for _ in range(INFLIGHT)))
        return total // INFLIGHT * INFLIGHT / (time.perf_counter() - started)


# -- running ---------------------------------------------------------------------------------


async def prepare(driver: C.Driver, all_kinds: list[Kind]) -> None:
    """Unmeasured: each kind answers once as it should; the project channels are set up
    (status: Testing with a tick; write channels, and each slot's: Planning)."""
    h = driver.harness
    assert "Phase 5 of 8" in (await h.command("phase", {"name": "testing"})).text()
    ac = await h.autocomplete("phase", "name", "te")
    assert ac.choices and ac.choices[0]["value"] == "testing", ac.choices

    async def call(name: str, options: dict[str, Any], channel: str) -> None:
        payload, state = driver.payload(name, options, channel=channel, editor=True)
        await driver.fire(payload, state)
        driver.check_answer(state, what=f"{name} in {channel}")

    await call("project set", {"phase": "testing"}, "status")
    await call("project check", {"activity": "1"}, "status")
    for kind in all_kinds:
        if kind.group == "write":
            for channel in [kind.channel, *(f"{kind.channel}-{s}" for s in range(INFLIGHT))]:
                await call("project set", {"phase": "planning"}, channel or "")
    driver.check_and_forget()


async def measure(
    rounds: int, samples: int, total: int, seed: int, only: set[str]
) -> dict[str, Any]:
    rng = random.Random(seed)
    all_kinds = kinds(only)
    with C.workdir("dispatch") as tmp:
        async with (
            C.running_bot(Path(tmp), extra_commands=add_echoes) as driver,
            RawCommit(Path(tmp) / "raw-commit.sqlite3") as raw,
        ):
            await prepare(driver, all_kinds)
            counters = {k.key: itertools.count() for k in all_kinds}

            async def once(kind: Kind) -> C.Fired:
                if kind.key == "commit":
                    return await raw.once()
                [(payload, state)] = kind.payloads(driver, next(counters[kind.key]), 1)
                if kind.group == "afresh":  # a runner of its own, that has kept nothing yet
                    own = driver.bot.runner
                    driver.bot.runner = Runner(own.app)
                    try:
                        fired = await driver.fire(payload, state)
                    finally:
                        driver.bot.runner = own
                else:
                    fired = await driver.fire(payload, state)
                driver.check_answer(state, autocomplete=kind.focused is not None, what=kind.label)
                return fired

            timed = [*all_kinds, Kind("commit", "raw aiosqlite commit", "commit", [])]
            for kind in timed:  # warm-up
                for _ in range(20):
                    await once(kind)
            driver.check_and_forget()
            lat = {k.key: [] for k in timed}  # per round: every call's seconds
            net = {k.key: [] for k in timed}  # the same without the stand-in's handler time
            tput: dict[str, list[float]] = {k.key: [] for k in timed}
            started = time.perf_counter()
            for r in range(rounds):
                schedule = [k for k in timed for _ in range(samples)]
                rng.shuffle(schedule)
                times: dict[str, list[C.Fired]] = defaultdict(list)
                for i, kind in enumerate(schedule):
                    if i % 200 == 199:
                        driver.check_and_forget()
                    times[kind.key].append(await once(kind))
                for key, fired in times.items():
                    lat[key].append([f.seconds for f in fired])
                    net[key].append([f.seconds - f.standin_seconds for f in fired])
                order = list(timed)
                rng.shuffle(order)
                for kind in order:
                    driver.check_and_forget()
                    gc.collect()  # every run starts from the same heap
                    if kind.key == "commit":
                        tput["commit"].append(await raw.throughput(total))
                        continue
                    if kind.group == "afresh":
                        continue  # (one at a time only: 50 in flight would share answers)
                    per = kind.per_slot(total)
                    slots = kind.slots(driver, per)
                    seconds = await driver.fire_concurrently(slots)
                    for _, state in itertools.chain(*slots):
                        driver.check_answer(
                            state, autocomplete=kind.focused is not None, what=kind.label
                        )
                    tput[kind.key].append(per * INFLIGHT / seconds)
                driver.check_and_forget()
                print(
                    f"  dispatch: round {r + 1}/{rounds} ({time.perf_counter() - started:.0f} s)",
                    file=sys.stderr,
                )
    return summarize(timed, lat, net, tput) | {"rounds": rounds, "samples": samples, "total": total}


def summarize(
    timed: list[Kind], lat: dict, net: dict, tput: dict[str, list[float]]
) -> dict[str, Any]:
    def per_round(key: str, q: float, source: dict = lat) -> list[float]:
        return [C.percentile(xs, q) for xs in source[key]]

    floor50, floor99, floor_net = (
        per_round("floor", 50),
        per_round("floor", 99),
        per_round("floor", 50, net),
    )
    commit50, commit99 = per_round("commit", 50), per_round("commit", 99)
    write_tput = [1 / (1 / f + 1 / c) for f, c in zip(tput["floor"], tput["commit"], strict=True)]
    rows = []
    for kind in timed:
        p50, p99, thr = per_round(kind.key, 50), per_round(kind.key, 99), tput[kind.key]
        row: dict[str, Any] = {
            "key": kind.key,
            "label": kind.label,
            "group": kind.group,
            "p50_ms": C.ms(C.median(p50)),
            "p99_ms": C.ms(C.median(p99)),
            "throughput_per_s": C.median(thr),
        }
        if kind.group == "write":
            row["reference"] = "floor + raw commit"
            row["p50_ratio"] = C.ratio(p50, [f + c for f, c in zip(floor50, commit50, strict=True)])
            row["p99_ratio"] = C.ratio(p99, [f + c for f, c in zip(floor99, commit99, strict=True)])
            row["throughput_ratio"] = C.ratio(thr, write_tput)
        elif kind.group != "commit":
            row["reference"] = "floor"
            row["p50_ratio"] = C.ratio(p50, floor50)
            row["p99_ratio"] = C.ratio(p99, floor99)
            row["p50_ratio_without_standin"] = C.ratio(per_round(kind.key, 50, net), floor_net)
            if thr:
                row["throughput_ratio"] = C.ratio(thr, tput["floor"])
        if kind.group in ("answer", "autocomplete", "read", "write"):
            row["pass"] = (
                row["p50_ratio"] <= P50_TARGET and row["throughput_ratio"] >= THROUGHPUT_TARGET
            )
        if kind.group in ("answer", "afresh"):
            echo = f"echo_{kind.key.removesuffix('_afresh')}"
            row["vs_echo_p50"] = C.ratio(p50, per_round(echo, 50))
            row["vs_echo_p50_without_standin"] = C.ratio(
                per_round(kind.key, 50, net), per_round(echo, 50, net)
            )
            if thr:
                row["vs_echo_throughput"] = C.ratio(thr, tput[echo])
            row["echo_pass"] = row["vs_echo_p50"] <= ECHO_TARGET
        rows.append(row)
    return {
        "rows": rows,
        "targets": {"p50": P50_TARGET, "throughput": THROUGHPUT_TARGET, "echo": ECHO_TARGET},
    }


def render(result: dict[str, Any]) -> str:
    headers = [
        "call",
        "p50 ms",
        "p99 ms",
        "p50 ×ref",
        "p99 ×ref",
        "per s",
        "per s ×ref",
        "reference",
        "target",
    ]
    rows = []
    for r in result["rows"]:
        ratios = [
            r.get("p50_ratio", ""),
            r.get("p99_ratio", ""),
            r["throughput_per_s"],
            r.get("throughput_ratio", "") if r["group"] != "afresh" else "",
        ]
        target = r.get("pass", "")
        rows.append(
            [
                r["label"],
                r["p50_ms"],
                r["p99_ms"],
                *ratios,
                r.get("reference", "(reference)"),
                target,
            ]
        )
    head = (
        f"Dispatch — {result['rounds']} rounds × {result['samples']} calls of each kind one at a "
        f"time, {result['total']} with {INFLIGHT} in flight; target p50 ≤ {P50_TARGET}×, "
        f"throughput ≥ {THROUGHPUT_TARGET}× the reference"
    )
    echo_rows = [
        [
            r["label"],
            r["p50_ratio_without_standin"],
            r["vs_echo_p50"],
            r["vs_echo_p50_without_standin"],
            r.get("vs_echo_throughput", ""),
            r["echo_pass"] if r["group"] == "answer" else "",
        ]
        for r in result["rows"]
        if "vs_echo_p50" in r
    ]
    echo_headers = [
        "answer",
        "p50 ×floor w/o stand-in",
        "p50 ×echo",
        "p50 ×echo w/o stand-in",
        "per s ×echo",
        f"≤ {ECHO_TARGET}× echo",
    ]
    return "\n".join(
        [
            head,
            C.table(headers, rows),
            "",
            "Over the echo of the same reply (the bot's own work)",
            C.table(echo_headers, echo_rows),
        ]
    )


# -- profile ---------------------------------------------------------------------------------

LIBRARIES = {"discord": "discord.py", "aiosqlite": "aiosqlite"}
LIBRARIES |= dict.fromkeys(("aiohttp", "yarl", "multidict", "frozenlist", "aiosignal"), "aiohttp")
OURS = (
    ("bot/core/", "bot core"),
    ("bot/discord/", "bot discord layer"),
    ("bot/", "bot other"),
    ("tests/discord/", "stand-in"),
    ("bench/", "benchmark driver"),
)


def component(filename: str, function: str) -> str:
    """Who a function's self time belongs to."""
    if "site-packages/" in filename:
        package = filename.split("site-packages/")[-1].split("/")[0]
        return LIBRARIES.get(package, "other libraries")
    if filename.startswith(f"{C.ROOT}/"):
        relative = filename[len(f"{C.ROOT}/") :]
        return next((label for prefix, label in OURS if relative.startswith(prefix)), "other")
    probe = function if filename == "~" else filename
    if "json" in probe:
        return "json"
    if "asyncio" in probe or "epoll" in probe or "_socket" in probe:
        return "asyncio and sockets"
    return "python"


async def profile(calls: int, only: set[str]) -> dict[str, Any]:
    """cProfile of each kind with 50 in flight: self time per call, by component and by
    function. The collector is off while profiling (a collection would be charged to
    whichever function it interrupts); cProfile slows Python code down, so read the
    shares and the differences, not the absolute times."""
    out: dict[str, Any] = {}
    with C.workdir("profile") as tmp:
        async with C.running_bot(Path(tmp), extra_commands=add_echoes) as driver:
            chosen = kinds(only)
            await prepare(driver, chosen)
            for kind in chosen:
                per = kind.per_slot(calls)
                await driver.fire_concurrently(kind.slots(driver, per))
                driver.check_and_forget()
                slots = kind.slots(driver, per)
                profiler = cProfile.Profile(
                    time.process_time
                )  # CPU time: other processes share the cores
                gc.collect()
                gc.disable()
                try:
                    profiler.enable()
                    seconds = await driver.fire_concurrently(slots)
                    profiler.disable()
                finally:
                    gc.enable()
                driver.check_and_forget()
                n = per * INFLIGHT
                by_component: dict[str, float] = defaultdict(float)
                functions = []
                for (filename, line, fn), (_, _, self_time, _, _) in pstats.Stats(
                    profiler
                ).stats.items():  # type: ignore[attr-defined]
                    by_component[component(filename, fn)] += self_time / n * 1e6
                    short = filename.split("site-packages/")[-1].replace(f"{C.ROOT}/", "")
                    functions.append((self_time / n * 1e6, f"{short}:{line}({fn})"))
                functions.sort(reverse=True)
                out[kind.key] = {
                    "per_call_us_profiled": seconds / n * 1e6,
                    "components_us": dict(by_component),
                    "functions_us": functions[:40],
                }
                print(f"  profiled {kind.key}", file=sys.stderr)
    return out


def render_profile(result: dict[str, Any], top: int) -> str:
    keys = list(result)
    labels = sorted({c for r in result.values() for c in r["components_us"]})
    floor = result["floor"]["components_us"]
    rows = []
    for label in [*labels, "total"]:
        row: list[Any] = [label]
        for key in keys:
            got = result[key]["components_us"]
            value = sum(got.values()) if label == "total" else got.get(label, 0.0)
            base = sum(floor.values()) if label == "total" else floor.get(label, 0.0)
            row.append(f"{value:.0f}" + ("" if key == "floor" else f" ({value - base:+.0f})"))
        rows.append(row)
    text = [
        "Self time per call, µs, profiled (difference to the floor)",
        C.table(["component", *keys], rows),
    ]
    for key in keys:
        if key != "floor":
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
    parser.add_argument("--profile", action="store_true", help="cProfile each kind instead")
    parser.add_argument("--calls", type=int, default=1000, help="--profile: calls per kind")
    parser.add_argument("--only", default="", help="these kinds only (and the floor, echoes)")
    parser.add_argument("--top", type=int, default=12, help="--profile: functions shown per kind")
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
