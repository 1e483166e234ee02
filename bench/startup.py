"""Start-up and memory: time to the first answer, and resident memory once loaded.

    python bench/startup.py [--rounds 10] [--quick]

Start-up: wall time from process start to exit of ``phasebot ask "/phase testing"`` (this
environment's console script, importing this checkout, with a fresh database in a
temporary directory), as a ratio to ``python -c "import discord"``; interleaved, median
of per-pair ratios. Target ≤ 1.5×.

Memory: a child process logs a bot in against the Discord stand-in (no sync) and then
reports its resident set (VmRSS) and peak (VmHWM): a bare ``commands.Bot``, or phasebot
built as ``phasebot run`` builds it (content loaded and indexed, database open, every
cog loaded). Target: phasebot's peak ≤ 1.3× the bare bot's (median over rounds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

START_TARGET = 1.5
MEMORY_TARGET = 1.3


def startup(rounds: int) -> dict[str, Any]:
    script = Path(sys.executable).parent / "phasebot"
    ask = [
        str(script) if script.exists() else sys.executable,
        *([] if script.exists() else ["-m", "bot"]),
    ]
    ask += ["ask", "/phase testing"]
    floor = [sys.executable, "-c", "import discord"]
    with C.workdir("startup") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DEV_GUILD"))}
        env |= {
            "PYTHONPATH": str(C.ROOT),
            "DATABASE_PATH": f"{tmp}/phasebot.sqlite3",
            "CONTENT_DIR": "",
        }

        def timed(cmd: list[str]) -> tuple[float, str]:
            started = time.perf_counter()
            done = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True, check=True)
            return time.perf_counter() - started, done.stdout

        answer = timed(ask)[1]  # warm-up: bytecode caches, the database file
        assert "Phase 5 of 8 · Testing" in answer, answer
        timed(floor)
        times: dict[str, list[float]] = {"ask": [], "floor": []}
        for i in range(rounds):
            for name, cmd in [("ask", ask), ("floor", floor)][:: -1 if i % 2 else 1]:
                times[name].append(timed(cmd)[0])
    ratio = C.ratio(times["ask"], times["floor"])
    return {
        "ask_s": C.median(times["ask"]),
        "import_discord_s": C.median(times["floor"]),
        "ratio": ratio,
        "pass": ratio <= START_TARGET,
        "rounds": rounds,
    }


async def child(kind: str, workdir: Path) -> dict[str, float]:
    import gc

    import discord
    from discord.ext import commands

    from tests.discord.harness import Harness

    def status() -> dict[str, float]:
        lines = Path("/proc/self/status").read_text().splitlines()
        fields = dict(line.split(":", 1) for line in lines)
        return {key: int(fields[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}  # MiB

    if kind == "bare":
        intents = discord.Intents.none()
        intents.guilds = True
        async with Harness(commands.Bot(command_prefix=commands.when_mentioned, intents=intents)):
            gc.collect()
            return status()
    from bot.discord.bot import PhaseBot  # only here: the bare bot imports none of phasebot
    from bot.services import load_services, make_runner, open_repository

    config = C.settings(workdir / "phasebot.sqlite3")
    services = load_services()
    async with (
        open_repository(config) as repository,
        Harness(PhaseBot(config, make_runner(services, repository))),
    ):
        gc.collect()
        return status()


def memory(rounds: int) -> dict[str, Any]:
    got: dict[str, list[dict[str, float]]] = {"bare": [], "phasebot": []}
    with C.workdir("memory") as tmp:
        for i in range(rounds):
            for kind in ["bare", "phasebot"][:: -1 if i % 2 else 1]:
                cmd = [sys.executable, __file__, "--memory-child", kind, "--workdir", tmp]
                done = subprocess.run(cmd, capture_output=True, text=True, check=True)
                got[kind].append(json.loads(done.stdout.strip().splitlines()[-1]))
    out: dict[str, Any] = {"rounds": rounds}
    for key in ("VmRSS", "VmHWM"):
        for kind, runs in got.items():
            out[f"{kind}_{key}_mib"] = C.median(r[key] for r in runs)
        out[f"{key}_ratio"] = C.ratio(
            [r[key] for r in got["phasebot"]], [r[key] for r in got["bare"]]
        )
    out["pass"] = out["VmHWM_ratio"] <= MEMORY_TARGET
    return out


def render(result: dict[str, Any]) -> str:
    s, m = result["startup"], result["memory"]
    rows = [
        [
            'start-up: phasebot ask "/phase testing"',
            f"{s['ask_s'] * 1000:.0f} ms",
            f"import discord: {s['import_discord_s'] * 1000:.0f} ms",
            s["ratio"],
            f"≤ {START_TARGET}×",
            s["pass"],
        ]
    ]
    for key, what, target in (("VmHWM", "peak RSS", f"≤ {MEMORY_TARGET}×"), ("VmRSS", "RSS", "")):
        rows.append(
            [
                f"memory once loaded: {what} ({key})",
                f"{m[f'phasebot_{key}_mib']:.1f} MiB",
                f"bare commands.Bot: {m[f'bare_{key}_mib']:.1f} MiB",
                m[f"{key}_ratio"],
                target,
                m["pass"] if target else "",
            ]
        )
    head = f"Start-up and memory — {s['rounds']} interleaved pairs; {m['rounds']} memory rounds"
    return (
        head
        + "\n"
        + C.table(["measure", "phasebot", "reference", "ratio", "target", "result"], rows)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="5 rounds")
    parser.add_argument("--memory-child", choices=["bare", "phasebot"], help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        print(json.dumps(asyncio.run(child(args.memory_child, args.workdir))))
        return 0
    if args.quick:
        args.rounds = 5
    result = {"startup": startup(args.rounds), "memory": memory(max(3, args.rounds // 2))}
    print(C.machine_line())
    print(render(result))
    C.write_results("startup", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
