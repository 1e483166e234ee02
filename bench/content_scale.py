"""Content scale: load time, autocomplete p99 and /ask p99 with 1×, 10×, 100×, 1000× content.

    python bench/content_scale.py [--factors 1,10,100,1000] [--rounds 5] [--no-e2e] [--quick]

For each factor a synthetic pack (``synthetic.py``: the bundled content plus generated
phases, activities, aspects and aliases) is written to a temporary directory, and a
fresh worker process measures:

* load time: ``load_services`` on the pack (TOML, validation, indexes), best of 2-3;
* core calls: ``Catalog.complete_phase`` and ``complete_aspect`` over what users type
  (prefixes, whole names, aliases, typos, nonsense), and ``Asker.ask`` over
  tests/core/ask_questions.toml plus questions naming generated entries: p50 and p99
  per round, median of rounds;
* end to end (unless ``--no-e2e``): the bot loaded with the pack, on the stand-in:
  /phase autocomplete and /ask, interleaved with the /ping floor.

Targets at 1000×: autocomplete p99 < 5 ms and /ask p99 < 20 ms end to end (on the core
calls with ``--no-e2e``); growth no worse than linear: log(cost_1000 / cost_100) /
log(10) ≤ 1.1 for load time, autocomplete p99 and /ask p99, on the core figures (the
end-to-end ones carry the fixed cost of a reply, which would flatter the exponent).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import random
import subprocess
import sys
import time
import tomllib
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C
import synthetic

AUTOCOMPLETE_P99_MS = 5.0
ASK_P99_MS = 20.0
GROWTH_LIMIT = 1.1
TYPED = [
    "",
    "t",
    "te",
    "tes",
    "test",
    "testing",
    "qa",
    "dep",
    "impl",
    "5",
    "pla",
    "maint",
    "desgn",
    "tetsing",
    "deploymnt",
    "zzzz",
    "xq",
    "review",
    "arch",
    "ri",
    "flex",
    "doc",
    "client",
    "cli",
    "risk",
    "tset",
    "documentaton",
    "speed",
]


def typed_and_asked(pack: Path, rng: random.Random) -> tuple[list[str], list[str]]:
    """What users type into the autocomplete box, and what they ask: bundled words and
    generated names."""

    def typo(word: str) -> str:
        if len(word) < 4:
            return word + "x"
        i = rng.randrange(1, len(word) - 2)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]

    names = synthetic.sample_names(pack, rng, 40)
    typed = list(TYPED)
    for name in names["phases"][:20] + names["aspects"][:20]:
        word = name.lower()
        typed += [word[:2], word[:4], word[:7], word, typo(word.split()[0])]
    data = tomllib.loads((C.ROOT / "tests/core/ask_questions.toml").read_text("utf-8"))
    asked = [q["q"] for q in data["question"]]
    names = synthetic.sample_names(pack, rng, 20)
    for phase, aspect in zip(names["phases"], names["aspects"], strict=True):
        asked += [
            f"what happens in the {phase.lower()} phase?",
            f"how does {aspect.lower()} work in agile",
            f"{phase.split()[0].lower()} activities",
        ]
    return typed, asked


# -- the worker (one size, a fresh process) --------------------------------------------------


def worker(pack: Path, rounds: int, e2e: bool) -> dict[str, Any]:
    from bot.services import load_services

    loads = []
    big = sum(f.stat().st_size for f in pack.glob("*.toml")) > 5_000_000
    for _ in range(2 if big else 3):
        services = None  # the previous load's objects go first
        started = time.perf_counter()
        services = load_services(pack)
        loads.append(time.perf_counter() - started)
    assert services is not None
    catalog, asker = services.catalog, services.asker
    rng = random.Random(11)
    typed, asked = typed_and_asked(pack, rng)
    completions = [
        catalog.complete_phase,
        partial(catalog.complete_aspect, catalog.methodologies),
        partial(catalog.complete_aspect, catalog.mlops),
    ]
    calls = [(f, q) for q in typed for f in completions] + [(asker.ask, q) for q in asked]
    for f, q in calls:  # warm-up
        f(q)
    assert catalog.complete_phase("te")[0].value == "testing"
    per: dict[str, list[list[float]]] = {"autocomplete": [], "ask": []}
    for _ in range(rounds):
        rng.shuffle(calls)
        times: dict[str, list[float]] = {"autocomplete": [], "ask": []}
        for f, q in calls:
            started = time.perf_counter()
            f(q)
            times["ask" if f == asker.ask else "autocomplete"].append(time.perf_counter() - started)
        for key, xs in times.items():
            per[key].append(xs)
    result: dict[str, Any] = {"load_s": min(loads)}
    for key, xs in per.items():
        result[f"{key}_p50_ms"] = C.ms(C.median(C.percentile(x, 50) for x in xs))
        result[f"{key}_p99_ms"] = C.ms(C.median(C.percentile(x, 99) for x in xs))
    del services, catalog, asker, completions, calls
    if e2e:
        result["e2e"] = asyncio.run(end_to_end(pack, typed, asked, rounds))
    return result


async def end_to_end(pack: Path, typed: list[str], asked: list[str], rounds: int) -> dict[str, Any]:
    """/ping, /phase autocomplete and /ask through the bot loaded with the pack."""
    rng = random.Random(5)
    with C.workdir("scale-e2e") as tmp:
        async with C.running_bot(Path(tmp), content_dir=pack) as driver:
            pools = {"ac": itertools.cycle(typed), "ask": itertools.cycle(asked)}

            async def fire(kind: str) -> float:
                if kind == "floor":
                    payload, state = driver.payload("ping", {})
                elif kind == "ac":
                    name = next(pools["ac"])[:100]
                    payload, state = driver.payload("phase", {"name": name}, focused="name")
                else:
                    payload, state = driver.payload("ask", {"question": next(pools["ask"])})
                seconds = await driver.fire(payload)
                assert state.callback_type is not None, f"{kind}: not acknowledged"
                return seconds

            for kind in ("floor", "ac", "ask") * 10:
                await fire(kind)
            per: dict[str, list[list[float]]] = {"floor": [], "ac": [], "ask": []}
            for _ in range(min(rounds, 3)):
                schedule = [k for k in per for _ in range(200)]
                rng.shuffle(schedule)
                times: dict[str, list[float]] = {k: [] for k in per}
                for kind in schedule:
                    times[kind].append(await fire(kind))
                for kind, xs in times.items():
                    per[kind].append(xs)
                driver.check_and_forget()
    out: dict[str, Any] = {}
    for kind, xs in per.items():
        for q in (50, 99):
            out[f"{kind}_p{q}_ms"] = C.ms(C.median(C.percentile(x, q) for x in xs))
    return out


# -- the driver ------------------------------------------------------------------------------


def run(factors: list[int], rounds: int, e2e: bool) -> dict[str, Any]:
    sizes: dict[int, dict[str, Any]] = {}
    with C.workdir("content-scale") as tmp:
        for factor in factors:
            pack, out = Path(tmp) / f"x{factor}", Path(tmp) / f"x{factor}.json"
            size = synthetic.write_pack(pack, factor)
            cmd = [sys.executable, __file__, "--worker", str(pack), "--json", str(out)]
            cmd += ["--rounds", str(rounds), *([] if e2e else ["--no-e2e"])]
            started = time.perf_counter()
            subprocess.run(cmd, check=True)
            sizes[factor] = json.loads(out.read_text()) | {"entries": size.entries}
            print(
                f"  content scale: {factor}× ({time.perf_counter() - started:.0f} s)",
                file=sys.stderr,
            )
    checks: dict[str, Any] = {}
    if 1000 in sizes:
        top = sizes[1000]
        where = "end to end" if "e2e" in top else "core call"
        for kind, limit in (("autocomplete", AUTOCOMPLETE_P99_MS), ("ask", ASK_P99_MS)):
            value = (
                top["e2e"][f"{'ac' if kind == 'autocomplete' else kind}_p99_ms"]
                if e2e
                else top[f"{kind}_p99_ms"]
            )
            checks[f"{kind} p99 ms at 1000× ({where})"] = (value, f"< {limit}", value < limit)
    for lo, hi in itertools.pairwise(sorted(sizes)):
        for key in ("load_s", "autocomplete_p99_ms", "ask_p99_ms"):
            growth = math.log(sizes[hi][key] / sizes[lo][key]) / math.log(hi / lo)
            sizes[hi][f"growth_{key}"] = growth
            if hi == max(sizes) and hi >= 100:
                checks[f"growth of {key} {lo}×→{hi}×"] = (
                    growth,
                    f"≤ {GROWTH_LIMIT}",
                    growth <= GROWTH_LIMIT,
                )
    return {"rounds": rounds, "sizes": sizes, "checks": checks}


def render(result: dict[str, Any]) -> str:
    headers = ["content", "entries", "load s", "autocomplete p50 / p99 ms", "/ask p50 / p99 ms"]
    headers += ["growth (load, ac, ask)", "e2e /ping p50", "e2e autocomplete p99", "e2e /ask p99"]
    rows = []
    for factor, s in result["sizes"].items():
        e = s.get("e2e", {})
        growth = [s.get(f"growth_{k}") for k in ("load_s", "autocomplete_p99_ms", "ask_p99_ms")]
        rows.append(
            [
                f"{factor}×",
                f"{s['entries']:,}",
                s["load_s"],
                f"{s['autocomplete_p50_ms']:.3f} / {s['autocomplete_p99_ms']:.3f}",
                f"{s['ask_p50_ms']:.3f} / {s['ask_p99_ms']:.3f}",
                ", ".join(f"{g:.2f}" for g in growth) if growth[0] is not None else "",
                *(e.get(k, math.nan) for k in ("floor_p50_ms", "ac_p99_ms", "ask_p99_ms")),
            ]
        )
    checks = [[name, *check] for name, check in result["checks"].items()]
    return "\n".join(
        [
            "Content scale — core calls and end to end (ms; medians of per-round percentiles)",
            C.table(headers, rows),
            "",
            C.table(["check", "value", "target", "result"], checks),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--factors", default="1,10,100,1000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-e2e", dest="e2e", action="store_false")
    parser.add_argument("--quick", action="store_true", help="3 rounds")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds = 3
    if args.worker:
        args.json.write_text(json.dumps(worker(args.worker, args.rounds, args.e2e)))
        return 0
    result = run([int(f) for f in args.factors.split(",")], args.rounds, args.e2e)
    print(C.machine_line())
    print(render(result))
    C.write_results("content_scale", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
