"""Dispatch overhead: every command end to end, as a ratio to a bare /ping floor.

    python bench/dispatch.py [--rounds 5] [--samples 200] [--total 500] [--quick]

The real bot (``create_bot``) is logged in against the local Discord stand-in, with one
extra benchmark-only command, ``/ping``, added to its tree before the sync: it replies
"pong". That is the floor: gateway parse, command-tree dispatch, one HTTP callback to the
stand-in and its response, with no work of the bot's own.

Measured, interleaved in a shuffled order within each round so that the floor and every
command see the same machine noise:

* latency one at a time (p50, p99) of /phase, /compare, /mlops, /ask, autocomplete on
  /phase name and /compare aspect, /project status, /project next, /project check, and
  of a raw aiosqlite single-row commit (``INSERT`` in autocommit mode on its own file
  with the store's PRAGMAs: WAL, synchronous=FULL);
* throughput with 50 in flight (each write command on 50 channels, one per slot, so
  every call is a real write: /project next alternates with /project back and
  /project check ticks and unticks).

Targets (ratios are the median over rounds of each round's ratio):

* answers and autocomplete: p50 ≤ 1.3× the floor's p50; throughput ≥ 0.8× the floor's;
* /project writes: p50 ≤ 1.3× (floor p50 + raw commit p50); throughput ≥ 0.8× the
  floor-plus-commit reference, 1 / (1/floor throughput + 1/raw commit throughput).

Also shown, as a diagnosis: each figure without the time the stand-in's request handler
ran (the "Discord side", which in production is not on the bot's CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import random
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

INFLIGHT = 50
ANSWER_TARGET = 1.3
WRITE_TARGET = 1.3
THROUGHPUT_TARGET = 0.8

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


def ask_questions() -> list[str]:
    """The questions of tests/core/ask_questions.toml: what teams really type."""
    import tomllib

    data = tomllib.loads((C.ROOT / "tests" / "core" / "ask_questions.toml").read_text("utf-8"))
    return [q["q"] for q in data["question"]]


# -- kinds of call -----------------------------------------------------------------------


@dataclass
class Kind:
    key: str
    label: str
    group: str  # "floor", "answer", "autocomplete", "read", "write", "commit"
    once: Callable[[], Awaitable[C.Fired]]
    """One measured call, one at a time (unmeasured preparation allowed before the clock)."""
    slots: Callable[[int], list[list[tuple[C.JSON, Any]]]] | None = None
    """Payloads for a throughput run, one list per in-flight slot."""
    autocomplete: bool = False
    echo_of: str = ""
    """Diagnostic: the same reply as command ``echo_of``, with no work of the bot's own."""


@dataclass
class Bench:
    driver: C.Driver
    questions: list[str]
    commit_db: Any = None
    counters: dict[str, itertools.count[int]] = field(default_factory=dict)
    next_phase: int = 0  # where the "next" channel is (0: no phase yet)
    check_ticked: bool = False
    slot_channels_ready: set[str] = field(default_factory=set)

    def n(self, key: str) -> int:
        return next(self.counters.setdefault(key, itertools.count()))

    # -- one at a time ---------------------------------------------------------------

    async def command(
        self, name: str, options: dict[str, Any], *, focused: str | None = None, **kw: Any
    ) -> C.Fired:
        payload, state = self.driver.payload(name, options, focused=focused, **kw)
        fired = await self.driver.fire(payload, state)
        C.check_answer(state, autocomplete=focused is not None, what=f"/{name} {options}")
        return fired

    def kinds(self) -> list[Kind]:
        d = self.driver
        q = self.questions
        editor = {"editor": True}

        def pick(items: list[Any], key: str) -> Any:
            return items[self.n(key) % len(items)]

        async def next_once() -> C.Fired:
            if self.next_phase in (0, 8):  # unmeasured: back to the start, so next moves
                await self.command("project set", {"phase": "planning"}, channel="next", **editor)
                self.next_phase = 1
            fired = await self.command("project next", {}, channel="next", **editor)
            self.next_phase += 1
            return fired

        async def check_once() -> C.Fired:
            fired = await self.command(
                "project check", {"activity": "feasibility-studies"}, channel="check", **editor
            )
            self.check_ticked = not self.check_ticked
            return fired

        def same(name: str, options: dict[str, Any], **kw: Any) -> Callable[[int], Any]:
            def slots(total: int) -> list[list[tuple[C.JSON, Any]]]:
                per = total // INFLIGHT
                return [
                    [d.payload(name, options, **kw) for _ in range(per)] for _ in range(INFLIGHT)
                ]

            return slots

        def rotating(name: str, pool: list[Any], make: Callable[[Any], dict[str, Any]], **kw: Any):
            def slots(total: int) -> list[list[tuple[C.JSON, Any]]]:
                per = total // INFLIGHT
                return [
                    [d.payload(name, make(pool[(s + i) % len(pool)]), **kw) for i in range(per)]
                    for s in range(INFLIGHT)
                ]

            return slots

        def alternating(
            first: tuple[str, dict[str, Any]], second: tuple[str, dict[str, Any]], tag: str
        ):
            def slots(total: int) -> list[list[tuple[C.JSON, Any]]]:
                per = (total // INFLIGHT) // 2 * 2  # even: every channel ends where it began
                out = []
                for s in range(INFLIGHT):
                    channel = f"{tag}-{s}"
                    calls = []
                    for i in range(per):
                        name, options = first if i % 2 == 0 else second
                        calls.append(d.payload(name, options, channel=channel, editor=True))
                    out.append(calls)
                return out

            return slots

        return [
            Kind(
                "floor",
                "/ping (floor)",
                "floor",
                lambda: self.command("ping", {}),
                same("ping", {}),
            ),
            Kind(
                "phase",
                "/phase",
                "answer",
                lambda: self.command("phase", {"name": pick(PHASE_NAMES, "phase")}),
                rotating("phase", PHASE_NAMES, lambda v: {"name": v}),
            ),
            Kind(
                "compare",
                "/compare",
                "answer",
                lambda: self.command("compare", dict(pick(COMPARE_ARGS, "compare"))),
                rotating("compare", COMPARE_ARGS, dict),
            ),
            Kind(
                "mlops",
                "/mlops",
                "answer",
                lambda: self.command("mlops", dict(pick(MLOPS_ARGS, "mlops"))),
                rotating("mlops", MLOPS_ARGS, dict),
            ),
            Kind(
                "ask",
                "/ask",
                "answer",
                lambda: self.command("ask", {"question": pick(q, "ask")}),
                rotating("ask", q, lambda v: {"question": v}),
            ),
            Kind(
                "ac_phase",
                "autocomplete /phase name",
                "autocomplete",
                lambda: self.command(
                    "phase", {"name": pick(PHASE_TYPED, "ac_phase")}, focused="name"
                ),
                rotating("phase", PHASE_TYPED, lambda v: {"name": v}, focused="name"),
                autocomplete=True,
            ),
            Kind(
                "ac_aspect",
                "autocomplete /compare aspect",
                "autocomplete",
                lambda: self.command(
                    "compare",
                    {"first": "waterfall", "second": "agile", "aspect": pick(ASPECT_TYPED, "ac_a")},
                    focused="aspect",
                ),
                rotating(
                    "compare",
                    ASPECT_TYPED,
                    lambda v: {"first": "waterfall", "second": "agile", "aspect": v},
                    focused="aspect",
                ),
                autocomplete=True,
            ),
            Kind(
                "status",
                "/project status",
                "read",
                lambda: self.command("project status", {}, channel="status"),
                same("project status", {}, channel="status"),
            ),
            Kind(
                "next",
                "/project next",
                "write",
                next_once,
                alternating(("project next", {}), ("project back", {}), "tp-next"),
            ),
            Kind(
                "check",
                "/project check",
                "write",
                check_once,
                alternating(
                    ("project check", {"activity": "feasibility-studies"}),
                    ("project check", {"activity": "feasibility-studies"}),
                    "tp-check",
                ),
            ),
            Kind("commit", "raw aiosqlite commit", "commit", self.commit_once, None),
            *self.echo_kinds(pick, rotating),
        ]

    def echo_kinds(self, pick: Callable[..., Any], rotating: Callable[..., Any]) -> list[Kind]:
        q = self.questions
        return [
            Kind(
                "echo_phase",
                "echo of /phase's reply",
                "echo",
                lambda: self.command("echo-phase", {"name": pick(PHASE_NAMES, "echo_phase")}),
                rotating("echo-phase", PHASE_NAMES, lambda v: {"name": v}),
                echo_of="phase",
            ),
            Kind(
                "echo_compare",
                "echo of /compare's reply",
                "echo",
                lambda: self.command("echo-compare", dict(pick(COMPARE_ARGS, "echo_compare"))),
                rotating("echo-compare", COMPARE_ARGS, dict),
                echo_of="compare",
            ),
            Kind(
                "echo_mlops",
                "echo of /mlops's reply",
                "echo",
                lambda: self.command("echo-mlops", dict(pick(MLOPS_ARGS, "echo_mlops"))),
                rotating("echo-mlops", MLOPS_ARGS, dict),
                echo_of="mlops",
            ),
            Kind(
                "echo_ask",
                "echo of /ask's reply",
                "echo",
                lambda: self.command("echo-ask", {"question": pick(q, "echo_ask")}),
                rotating("echo-ask", q, lambda v: {"question": v}),
                echo_of="ask",
            ),
        ]

    # -- the raw commit reference ------------------------------------------------------

    async def open_commit_db(self, path: Path) -> None:
        import aiosqlite

        db = await aiosqlite.connect(path, isolation_level=None)
        await db.execute("PRAGMA busy_timeout = 5000")
        async with db.execute("PRAGMA journal_mode = WAL") as cur:
            mode = (await cur.fetchone())[0]
        assert str(mode).lower() == "wal", mode
        await db.execute("PRAGMA synchronous = FULL")
        await db.execute("PRAGMA foreign_keys = ON")
        await db.execute(
            "CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, channel INTEGER, at TEXT)"
        )
        self.commit_db = db

    async def commit_once(self) -> C.Fired:
        started = time.perf_counter()
        await self.commit_db.execute(
            "INSERT INTO rows (channel, at) VALUES (?, ?)", (self.n("commit"), "now")
        )
        return C.Fired(time.perf_counter() - started, None)

    async def commit_throughput(self, total: int) -> float:
        per = total // INFLIGHT

        async def slot(s: int) -> None:
            for i in range(per):
                await self.commit_db.execute(
                    "INSERT INTO rows (channel, at) VALUES (?, ?)", (s, str(i))
                )

        started = time.perf_counter()
        await asyncio.gather(*(slot(s) for s in range(INFLIGHT)))
        return per * INFLIGHT / (time.perf_counter() - started)

    async def prepare_slot_channels(self) -> None:
        """Unmeasured: every throughput write channel starts at Planning, unticked."""
        for s in range(INFLIGHT):
            for tag in ("tp-next", "tp-check"):
                await self.command(
                    "project set", {"phase": "planning"}, channel=f"{tag}-{s}", editor=True
                )

    async def prepare_status_channel(self) -> None:
        await self.command("project set", {"phase": "testing"}, channel="status", editor=True)
        await self.command("project check", {"activity": "1"}, channel="status", editor=True)
        await self.command("project set", {"phase": "planning"}, channel="check", editor=True)


# -- the echoes: each answer's own reply, with nothing computed --------------------------


def add_echo_commands(bot: Any) -> None:
    """Benchmark-only commands that send the reply /phase, /compare, /mlops or /ask would
    send for the same options, rendered once and cached (the view is built fresh, as it
    must be). Comparing a command with its echo separates the bot's own work (lookup,
    answer, rendering) from what the size of the reply costs in discord.py, the HTTP
    round trip and the stand-in."""
    import discord
    from bot.discord.components import compare_view, phase_view
    from discord import app_commands

    from bot.discord.render import render_messages

    cache: dict[tuple[Any, ...], Any] = {}

    def rendered(key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        found = cache.get(key)
        if found is None:
            found = cache[key] = render_messages(make())[0]
        return found

    @app_commands.command(name="echo-phase", description="Benchmark: /phase's reply, cached.")
    async def echo_phase(interaction: discord.Interaction[Any], name: str) -> None:
        s = bot.services
        phase = cache.get(("phase-of", name))
        if phase is None:
            phase = cache[("phase-of", name)] = s.catalog.phase(name)
        embeds = rendered(("phase", name), lambda: s.knowledge.phase_answer(phase))
        await interaction.response.send_message(embeds=embeds, view=phase_view(interaction, phase))

    @app_commands.command(name="echo-compare", description="Benchmark: /compare's reply, cached.")
    async def echo_compare(
        interaction: discord.Interaction[Any], first: str, second: str, aspect: str | None = None
    ) -> None:
        s = bot.services
        embeds = rendered(
            ("compare", first, second, aspect), lambda: s.knowledge.compare(first, second, aspect)
        )
        view = compare_view(interaction, first, second, aspect)
        await interaction.response.send_message(embeds=embeds, view=view)

    @app_commands.command(name="echo-mlops", description="Benchmark: /mlops's reply, cached.")
    async def echo_mlops(interaction: discord.Interaction[Any], aspect: str | None = None) -> None:
        s = bot.services
        embeds = rendered(("mlops", aspect), lambda: s.knowledge.mlops(aspect))
        await interaction.response.send_message(embeds=embeds)

    @app_commands.command(name="echo-ask", description="Benchmark: /ask's reply, cached.")
    async def echo_ask(interaction: discord.Interaction[Any], question: str) -> None:
        s = bot.services
        embeds = rendered(("ask", question), lambda: s.asker.ask(question))
        await interaction.response.send_message(embeds=embeds)

    for command in (echo_phase, echo_compare, echo_mlops, echo_ask):
        bot.tree.add_command(command)


# -- running -------------------------------------------------------------------------------


async def validate(driver: C.Driver) -> None:
    """Each command once through the harness's own checked ``feed`` (errors, acks)."""
    h = driver.harness
    perms = driver.editor_permissions
    checks = [
        await h.command("ping"),
        await h.command("phase", {"name": "testing"}),
        await h.command("compare", {"first": "waterfall", "second": "agile"}),
        await h.command("mlops", {"aspect": "testing"}),
        await h.command("ask", {"question": "how flexible is waterfall?"}),
        await h.command("project status"),
        await h.command("project set", {"phase": "planning"}, permissions=perms),
        await h.command("project next", permissions=perms),
        await h.command("project check", {"activity": "1"}, permissions=perms),
    ]
    for result in checks:
        if result.ephemeral:
            raise AssertionError(f"{result.payload['data']['name']}: {result.text()}")
    assert "Phase 5 of 8" in checks[1].text()
    ac = await h.autocomplete("phase", "name", "te")
    assert ac.choices and ac.choices[0]["value"] == "testing", ac.choices
    ac = await h.autocomplete("compare", "aspect", "te", {"first": "waterfall", "second": "agile"})
    assert ac.choices and ac.choices[0]["value"] == "testing", ac.choices


async def run(
    rounds: int, samples: int, total: int, seed: int, python_gc: bool = False
) -> dict[str, Any]:
    rng = random.Random(seed)
    with C.workdir("dispatch") as tmp:
        work = Path(tmp)
        async with C.running_bot(
            work, extra_commands=add_echo_commands, python_gc=python_gc
        ) as driver:
            gc_threshold = list(gc.get_threshold())
            await validate(driver)
            bench = Bench(driver, ask_questions())
            await bench.open_commit_db(work / "raw-commit.sqlite3")
            await bench.prepare_status_channel()
            await bench.prepare_slot_channels()
            kinds = bench.kinds()
            by_key = {k.key: k for k in kinds}

            for kind in kinds:  # warm-up: first calls, caches, connection pool
                for _ in range(20):
                    await kind.once()
            driver.forget()

            latency: dict[str, list[list[float]]] = {k.key: [] for k in kinds}
            net: dict[str, list[list[float]]] = {k.key: [] for k in kinds}
            tput: dict[str, list[float]] = {k.key: [] for k in kinds}
            gc_ms: dict[str, list[float]] = {k.key: [] for k in kinds}
            started = time.perf_counter()
            for r in range(rounds):
                schedule = [k.key for k in kinds for _ in range(samples)]
                rng.shuffle(schedule)
                lat: dict[str, list[float]] = {k.key: [] for k in kinds}
                lnet: dict[str, list[float]] = {k.key: [] for k in kinds}
                for i, key in enumerate(schedule):
                    if i % 200 == 199:  # the stand-in keeps every message; drop them
                        check_and_forget(driver)
                    fired = await by_key[key].once()
                    lat[key].append(fired.seconds)
                    lnet[key].append(fired.seconds - fired.server_seconds)
                for key in lat:
                    latency[key].append(lat[key])
                    net[key].append(lnet[key])

                order = list(kinds)
                rng.shuffle(order)
                for kind in order:
                    check_and_forget(driver)
                    gc.collect()  # every run starts from the same heap
                    with C.GcClock() as clock:
                        if kind.key == "commit":
                            rate = await bench.commit_throughput(total)
                            calls = total
                        else:
                            assert kind.slots is not None
                            slots = kind.slots(total)
                            seconds, states = await driver.fire_concurrently(slots)
                            for state in states:
                                C.check_answer(
                                    state, autocomplete=kind.autocomplete, what=kind.label
                                )
                            calls = len(states)
                            rate = calls / seconds
                    tput[kind.key].append(rate)
                    gc_ms[kind.key].append(C.ms(clock.seconds / calls))
                check_and_forget(driver)
                print(
                    f"  dispatch: round {r + 1}/{rounds} done "
                    f"({time.perf_counter() - started:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
            await bench.commit_db.close()
    result = summarize(kinds, latency, net, tput, gc_ms)
    result.update(
        rounds=rounds,
        samples_per_round=samples,
        throughput_calls_per_round=total,
        gc_threshold=gc_threshold,
        gc="python's defaults" if python_gc else "as phasebot run (tune_gc)",
    )
    return result


def check_and_forget(driver: C.Driver) -> None:
    errors = driver.errors()
    if errors:
        raise AssertionError("errors during the run:\n" + "\n".join(errors[:10]))
    driver.forget()


def _ratios(a: list[float], b: list[float]) -> float:
    """Median over rounds of round-by-round ratios a/b."""
    return C.median(x / y for x, y in zip(a, b, strict=True))


def summarize(
    kinds: list[Kind],
    latency: dict[str, list[list[float]]],
    net: dict[str, list[list[float]]],
    tput: dict[str, list[float]],
    gc_ms: dict[str, list[float]],
) -> dict[str, Any]:
    def per_round(key: str, q: float, source: dict[str, list[list[float]]]) -> list[float]:
        return [C.percentile(xs, q) for xs in source[key]]

    floor50 = per_round("floor", 50, latency)
    floor99 = per_round("floor", 99, latency)
    floor50_net = per_round("floor", 50, net)
    commit50 = per_round("commit", 50, latency)
    commit99 = per_round("commit", 99, latency)
    floor_tput = tput["floor"]
    commit_tput = tput["commit"]
    write_ref_tput = [1 / (1 / f + 1 / c) for f, c in zip(floor_tput, commit_tput, strict=True)]
    echo_for = {k.echo_of: k.key for k in kinds if k.echo_of}

    rows: list[dict[str, Any]] = []
    for kind in kinds:
        p50 = per_round(kind.key, 50, latency)
        p99 = per_round(kind.key, 99, latency)
        p50_net = per_round(kind.key, 50, net)
        row: dict[str, Any] = {
            "key": kind.key,
            "label": kind.label,
            "group": kind.group,
            "p50_ms": C.ms(C.median(p50)),
            "p99_ms": C.ms(C.median(p99)),
            "p50_ms_without_standin": C.ms(C.median(p50_net)),
            "throughput_per_s": C.median(tput[kind.key]),
            "gc_ms_per_call_at_50_in_flight": C.median(gc_ms[kind.key]),
        }
        if kind.group == "write":
            ref50 = [f + c for f, c in zip(floor50, commit50, strict=True)]
            ref99 = [f + c for f, c in zip(floor99, commit99, strict=True)]
            ref50_net = [f + c for f, c in zip(floor50_net, commit50, strict=True)]
            row.update(
                reference="floor + raw commit",
                p50_ratio=_ratios(p50, ref50),
                p99_ratio=_ratios(p99, ref99),
                p50_ratio_without_standin=_ratios(p50_net, ref50_net),
                throughput_ratio=_ratios(tput[kind.key], write_ref_tput),
                p50_target=WRITE_TARGET,
            )
        elif kind.group != "commit":
            row.update(
                reference="floor",
                p50_ratio=_ratios(p50, floor50),
                p99_ratio=_ratios(p99, floor99),
                p50_ratio_without_standin=_ratios(p50_net, floor50_net),
                throughput_ratio=_ratios(tput[kind.key], floor_tput),
                p50_target=ANSWER_TARGET,
            )
        if kind.group in ("answer", "autocomplete", "read", "write"):
            row["p50_pass"] = row["p50_ratio"] <= row["p50_target"]
            row["throughput_pass"] = row["throughput_ratio"] >= THROUGHPUT_TARGET
        if kind.key in echo_for:
            echo = echo_for[kind.key]
            row["vs_echo"] = {
                "p50_ratio": _ratios(p50, per_round(echo, 50, latency)),
                "p50_ratio_without_standin": _ratios(p50_net, per_round(echo, 50, net)),
                "throughput_ratio": _ratios(tput[kind.key], tput[echo]),
            }
        rows.append(row)
    return {
        "inflight": INFLIGHT,
        "targets": {
            "answer_p50": ANSWER_TARGET,
            "write_p50": WRITE_TARGET,
            "throughput": THROUGHPUT_TARGET,
        },
        "floor": {
            "p50_ms": C.ms(C.median(floor50)),
            "p99_ms": C.ms(C.median(floor99)),
            "throughput_per_s": C.median(floor_tput),
        },
        "raw_commit": {
            "p50_ms": C.ms(C.median(commit50)),
            "p99_ms": C.ms(C.median(commit99)),
            "throughput_per_s": C.median(commit_tput),
        },
        "write_reference_throughput_per_s": C.median(write_ref_tput),
        "rows": rows,
    }


def render(result: dict[str, Any]) -> str:
    headers = [
        "call",
        "p50 ms",
        "p99 ms",
        "p50 ×ref",
        "p99 ×ref",
        "thr/s",
        "thr ×ref",
        "reference",
        "p50 target",
        "thr target",
    ]
    rows = []
    for row in result["rows"]:
        if row["group"] == "echo":
            continue
        if row["group"] in ("commit", "floor"):
            rows.append(
                [
                    row["label"],
                    row["p50_ms"],
                    row["p99_ms"],
                    "",
                    "",
                    row["throughput_per_s"],
                    "",
                    "(reference)",
                    "",
                    "",
                ]
            )
            continue
        rows.append(
            [
                row["label"],
                row["p50_ms"],
                row["p99_ms"],
                row["p50_ratio"],
                row["p99_ratio"],
                row["throughput_per_s"],
                row["throughput_ratio"],
                row["reference"],
                f"≤ {row['p50_target']}× {C.verdict(row['p50_pass'])}",
                f"≥ {THROUGHPUT_TARGET}× {C.verdict(row['throughput_pass'])}",
            ]
        )
    head = (
        f"Dispatch overhead — {result['rounds']} rounds × {result['samples_per_round']} calls "
        f"per kind one at a time, {result['throughput_calls_per_round']} calls with "
        f"{result['inflight']} in flight; ratios are medians of per-round ratios"
    )
    out = [head, C.table(headers, rows), ""]

    by_key = {r["key"]: r for r in result["rows"]}
    diag_headers = [
        "call",
        "p50 ×floor",
        "p50 ×floor w/o stand-in",
        "reply's echo p50 ×floor",
        "call p50 ×echo",
        "call thr ×echo",
        "GC ms/call (50 in flight)",
    ]
    diag = []
    for row in result["rows"]:
        if row["group"] in ("echo", "commit"):
            continue
        echo = next(
            (
                r
                for r in result["rows"]
                if r["group"] == "echo" and r["key"] == f"echo_{row['key']}"
            ),
            None,
        )
        diag.append(
            [
                row["label"],
                row.get("p50_ratio", 1.0) if row["group"] != "write" else "",
                row.get("p50_ratio_without_standin", 1.0) if row["group"] != "write" else "",
                echo["p50_ratio"] if echo else "",
                row["vs_echo"]["p50_ratio"] if "vs_echo" in row else "",
                row["vs_echo"]["throughput_ratio"] if "vs_echo" in row else "",
                row["gc_ms_per_call_at_50_in_flight"],
            ]
        )
    diag.append(
        [
            "raw aiosqlite commit",
            "",
            "",
            "",
            "",
            "",
            by_key["commit"]["gc_ms_per_call_at_50_in_flight"],
        ]
    )
    out.append(
        "Where the time goes (diagnosis): the stand-in's own handler time removed; each "
        "answer's reply sent by an echo command that computes nothing; GC time "
        f"(garbage collector {result.get('gc', '?')}, threshold {result.get('gc_threshold')})"
    )
    out.append(C.table(diag_headers, diag))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=200, help="calls per kind per round")
    parser.add_argument("--total", type=int, default=500, help="calls per throughput run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--quick", action="store_true", help="3 rounds × 80 calls, 250 calls per throughput run"
    )
    parser.add_argument(
        "--python-gc",
        action="store_true",
        help="diagnosis: keep Python's default garbage collector instead of tuning it as "
        "phasebot run does (results go to bench/results/dispatch_python_gc.json)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.samples, args.total = 3, 80, 250
    result = asyncio.run(run(args.rounds, args.samples, args.total, args.seed, args.python_gc))
    print(C.machine_line())
    print(render(result))
    path = C.write_results("dispatch_python_gc" if args.python_gc else "dispatch", result)
    print(f"written {path.relative_to(C.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
