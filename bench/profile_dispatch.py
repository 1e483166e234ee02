"""Where an interaction's time goes: cProfile of each command, 50 in flight, by component.

    python bench/profile_dispatch.py [--calls 1000] [--top 12] [--only phase,ask]

Runs the same end-to-end setup as ``dispatch.py`` (real bot, stand-in, gateway parser)
under cProfile and attributes each function's own time ("tottime") to a component:
the bot's core, its Discord layer, discord.py, aiohttp (client and the stand-in's
server), the stand-in's handlers (tests/discord), json, asyncio and the rest. Shown per
call and as the difference to the /ping floor, so the extra cost of each command can be
read off; ``echo_phase`` and ``echo_compare`` send /phase's and /compare's reply without
computing it (see dispatch.py), so the reply's own cost can be told from the bot's work.
cProfile slows everything down (pure-Python calls most), so read the shares and the
differences, not the absolute times. The cyclic GC is off while profiling (its pauses would
be charged to whichever function they interrupt); dispatch.py reports GC time per call.
Writes bench/results/profile_dispatch.json.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import pstats
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C
import dispatch as D

COMMANDS: dict[str, tuple[str, dict[str, Any], str | None, bool]] = {
    "floor": ("ping", {}, None, False),
    "phase": ("phase", {"name": "testing"}, None, False),
    "compare": ("compare", {"first": "waterfall", "second": "agile"}, None, False),
    "mlops": ("mlops", {}, None, False),
    "echo_phase": ("echo-phase", {"name": "testing"}, None, False),
    "echo_compare": ("echo-compare", {"first": "waterfall", "second": "agile"}, None, False),
    "ask": ("ask", {"question": "how flexible is waterfall?"}, None, False),
    "ac_phase": ("phase", {"name": "te"}, "name", False),
    "ac_aspect": (
        "compare",
        {"first": "waterfall", "second": "agile", "aspect": "te"},
        "aspect",
        False,
    ),
    "status": ("project status", {}, None, False),
    "check": ("project check", {"activity": "feasibility-studies"}, None, True),
}

COMPONENTS = (
    ("bot/core/", "bot core"),
    ("bot/discord/", "bot discord layer"),
    ("bot/storage/", "bot storage"),
    ("bot/", "bot other"),
    ("tests/discord/", "stand-in handlers"),
    ("bench/", "benchmark driver"),
    ("site-packages/discord/", "discord.py"),
    ("site-packages/aiohttp/", "aiohttp"),
    ("site-packages/yarl/", "aiohttp"),
    ("site-packages/multidict/", "aiohttp"),
    ("site-packages/aiosqlite/", "aiosqlite"),
    ("/json/", "json"),
    ("/asyncio/", "asyncio"),
    ("<built-in method select.epoll", "asyncio"),
    ("_socket.socket", "sockets"),
    ("site-packages/pydantic", "pydantic"),
)


def component(filename: str, name: str) -> str:
    probe = filename if filename != "~" else name
    for needle, label in COMPONENTS:
        if needle in probe:
            return label
    if "json" in name:
        return "json"
    return "other"


async def profile(calls: int, only: set[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with C.workdir("profile") as tmp:
        async with C.running_bot(Path(tmp), extra_commands=D.add_echo_commands) as driver:
            for s in range(C_INFLIGHT):
                await _set(driver, f"prof-check-{s}")
            for key, (name, options, focused, editor) in COMMANDS.items():
                if only and key not in only and key != "floor":
                    continue
                per = calls // C_INFLIGHT

                def slots(
                    name: str = name,
                    options: dict[str, Any] = options,
                    focused: str | None = focused,
                    editor: bool = editor,
                    per: int = per,
                ) -> list[list[tuple[C.JSON, Any]]]:
                    return [
                        [
                            driver.payload(
                                name,
                                options,
                                focused=focused,
                                editor=editor,
                                channel=f"prof-check-{s}" if editor else None,
                            )
                            for _ in range(per)
                        ]
                        for s in range(C_INFLIGHT)
                    ]

                await driver.fire_concurrently(slots())  # warm up
                driver.forget()
                batch = slots()
                profiler = cProfile.Profile()
                gc.collect()
                gc.disable()  # a collection would be charged to whatever function it interrupts
                try:
                    profiler.enable()
                    seconds, states = await driver.fire_concurrently(batch)
                    profiler.disable()
                finally:
                    gc.enable()
                for state in states:
                    C.check_answer(state, autocomplete=focused is not None, what=key)
                driver.forget()
                stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
                by_component: dict[str, float] = defaultdict(float)
                functions: list[tuple[float, str]] = []
                for (filename, line, fn), (_cc, _nc, tottime, _ct, _callers) in stats.items():
                    label = component(filename, fn)
                    by_component[label] += tottime / len(states)
                    short = filename.split("site-packages/")[-1].replace(str(C.ROOT) + "/", "")
                    functions.append((tottime / len(states), f"{short}:{line}({fn})"))
                functions.sort(reverse=True)
                out[key] = {
                    "per_call_ms_profiled": C.ms(seconds / len(states)),
                    "components_us": {k: v * 1e6 for k, v in by_component.items()},
                    "functions_us": [(f, t * 1e6) for t, f in functions[:40]],
                }
                print(f"  profiled {key}", file=sys.stderr, flush=True)
    return out


C_INFLIGHT = 50


async def _set(driver: C.Driver, channel: str) -> None:
    payload, state = driver.payload(
        "project set", {"phase": "planning"}, channel=channel, editor=True
    )
    await driver.fire(payload, state)
    C.check_answer(state, what="project set")


def render(result: dict[str, Any], top: int) -> str:
    floor = result["floor"]["components_us"]
    labels = sorted({c for r in result.values() for c in r["components_us"]})
    keys = list(result)
    headers = ["component (µs/call, self time)", *keys]
    rows = []
    for label in labels:
        row: list[Any] = [label]
        for key in keys:
            value = result[key]["components_us"].get(label, 0.0)
            diff = value - floor.get(label, 0.0)
            row.append(f"{value:7.1f}" + ("" if key == "floor" else f" ({diff:+.0f})"))
        rows.append(row)
    totals: list[Any] = ["total (profiled)"]
    for key in keys:
        total = sum(result[key]["components_us"].values())
        base = sum(floor.values())
        totals.append(
            f"{total:7.1f}"
            + ("" if key == "floor" else f" ({total - base:+.0f}, ×{total / base:.2f})")
        )
    rows.append(totals)
    text = [C.table(headers, rows), ""]
    for key in keys:
        if key == "floor":
            continue
        text.append(f"{key}: top functions by self time (µs/call)")
        for name, us in result[key]["functions_us"][:top]:
            text.append(f"  {us:7.1f}  {name}")
    return "\n".join(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--only", default="", help="comma-separated keys: " + ",".join(COMMANDS))
    args = parser.parse_args(argv)
    only = set(filter(None, args.only.split(","))) or None
    result = asyncio.run(profile(args.calls, only))
    print(C.machine_line())
    print(render(result, args.top))
    C.write_results("profile_dispatch", {"calls": args.calls, "profiles": result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
