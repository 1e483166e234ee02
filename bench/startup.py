"""Start-up and memory: time to the first answer, and resident memory once loaded.

    python bench/startup.py [--rounds 10] [--quick]

Start-up: wall time from process start to exit of ``phasebot ask "/phase testing"`` (the
console script of this environment, importing this working tree, with a fresh
database in a temporary directory), as a ratio to ``python -c "import discord"`` run the
same way; interleaved, median of per-pair ratios. Target ≤ 1.5×.

Memory: a child process logs a bot in against the Discord stand-in (``Harness``, no
sync) and, once ``setup_hook`` has run, reports its resident set (``VmRSS``) and peak
(``VmHWM``) from /proc: once for a bare ``commands.Bot`` and once for ``create_bot``
(content loaded and indexed, database open, every cog loaded). Target: phasebot's
peak ≤ 1.3× the bare bot's (median over rounds).
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
RSS_TARGET = 1.3


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DEV_GUILD"))}
    env.update(
        PYTHONPATH=str(C.ROOT),
        DATABASE_PATH=str(tmp / "phasebot.sqlite3"),
        CONTENT_DIR="",
        LOG_LEVEL="INFO",
    )
    return env


def phasebot_command() -> list[str]:
    script = Path(sys.executable).parent / "phasebot"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "bot"]


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({done.returncode}):\n{done.stderr}")
    return elapsed, done.stdout


def startup(rounds: int) -> dict[str, Any]:
    with C.workdir("startup") as tmp:
        work = Path(tmp)
        env = _env(work)
        ask = [*phasebot_command(), "ask", "/phase testing"]
        floor = [sys.executable, "-c", "import discord"]
        _, out = timed(ask, env, work)  # warm-up: bytecode caches, the database file
        if "Phase 5 of 8 · Testing" not in out:
            raise AssertionError(f"unexpected answer:\n{out}")
        timed(floor, env, work)
        asks, floors, ratios = [], [], []
        for i in range(rounds):
            pair = [("ask", ask), ("floor", floor)]
            if i % 2:
                pair.reverse()
            got = {name: timed(cmd, env, work)[0] for name, cmd in pair}
            asks.append(got["ask"])
            floors.append(got["floor"])
            ratios.append(got["ask"] / got["floor"])
        importtime = import_profile(env, work)
    ratio = C.median(ratios)
    return {
        "command": " ".join(["phasebot", "ask", '"/phase testing"']),
        "floor_command": 'python -c "import discord"',
        "ask_s": C.median(asks),
        "import_discord_s": C.median(floors),
        "ratio": ratio,
        "target": START_TARGET,
        "pass": ratio <= START_TARGET,
        "rounds": rounds,
        "slowest_imports_ms": importtime,
    }


def import_profile(env: dict[str, str], cwd: Path) -> list[tuple[str, float]]:
    """The heaviest top-level imports of ``phasebot ask`` (python -X importtime)."""
    cmd = [
        sys.executable,
        "-X",
        "importtime",
        "-c",
        "import sys; from bot.cli import main; sys.exit(main(['ask', '/phase testing']))",
    ]
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    rows: list[tuple[str, float]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line[len("import time:") :].split("|"))
        if not cumulative.isdigit():
            continue
        if name == name.lstrip():  # top level (no indent): what the program itself imported
            rows.append((name, int(cumulative) / 1000))
    rows.sort(key=lambda r: -r[1])
    return rows[:8]


# -- memory ----------------------------------------------------------------------------------


def _proc_status() -> dict[str, float]:
    out: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024  # MiB
    return out


async def _child(kind: str, workdir: Path) -> dict[str, float]:
    import gc

    import discord
    from discord.ext import commands

    from tests.discord.harness import Harness

    if kind == "bare":
        intents = discord.Intents.none()
        intents.guilds = True
        bot: Any = commands.Bot(command_prefix=commands.when_mentioned, intents=intents)
    else:
        from bot import create_bot

        bot = create_bot(C.settings(workdir / "phasebot.sqlite3"))
    async with Harness(bot, sync=False):
        gc.collect()
        status = _proc_status()
        commands_loaded = len(bot.tree.get_commands())
    return {**status, "commands": commands_loaded}


def memory(rounds: int) -> dict[str, Any]:
    per: dict[str, list[dict[str, float]]] = {"bare": [], "phasebot": []}
    with C.workdir("memory") as tmp:
        for i in range(rounds):
            order = ["bare", "phasebot"] if i % 2 == 0 else ["phasebot", "bare"]
            for kind in order:
                cmd = [sys.executable, __file__, "--memory-child", kind, "--workdir", tmp]
                done = subprocess.run(cmd, capture_output=True, text=True, check=True)
                per[kind].append(json.loads(done.stdout.strip().splitlines()[-1]))
    out: dict[str, Any] = {}
    for kind, runs in per.items():
        out[kind] = {
            "rss_mib": C.median(r["VmRSS"] for r in runs),
            "peak_mib": C.median(r["VmHWM"] for r in runs),
            "commands": runs[0]["commands"],
        }
    peak = C.median(
        p["VmHWM"] / b["VmHWM"] for p, b in zip(per["phasebot"], per["bare"], strict=True)
    )
    rss = C.median(
        p["VmRSS"] / b["VmRSS"] for p, b in zip(per["phasebot"], per["bare"], strict=True)
    )
    out.update(peak_ratio=peak, rss_ratio=rss, target=RSS_TARGET, pass_=peak <= RSS_TARGET)
    out["pass"] = out.pop("pass_")
    out["rounds"] = rounds
    return out


def render(result: dict[str, Any]) -> str:
    s, m = result["startup"], result["memory"]
    rows = [
        [
            'start-up: phasebot ask "/phase testing"',
            f"{s['ask_s'] * 1000:.0f} ms",
            f"import discord: {s['import_discord_s'] * 1000:.0f} ms",
            s["ratio"],
            f"≤ {s['target']}×",
            C.verdict(s["pass"]),
        ],
        [
            "memory once loaded: peak RSS (VmHWM)",
            f"{m['phasebot']['peak_mib']:.1f} MiB",
            f"bare commands.Bot: {m['bare']['peak_mib']:.1f} MiB",
            m["peak_ratio"],
            f"≤ {m['target']}×",
            C.verdict(m["pass"]),
        ],
        [
            "memory once loaded: RSS (VmRSS)",
            f"{m['phasebot']['rss_mib']:.1f} MiB",
            f"bare commands.Bot: {m['bare']['rss_mib']:.1f} MiB",
            m["rss_ratio"],
            "",
            "",
        ],
    ]
    out = [
        f"Start-up and memory — {s['rounds']} interleaved pairs; {m['rounds']} memory rounds",
        C.table(["measure", "phasebot", "reference", "ratio", "target", "result"], rows),
        "heaviest imports of `phasebot ask` (cumulative ms, -X importtime, one run):",
    ]
    out += [f"  {ms:7.1f}  {name}" for name, ms in s["slowest_imports_ms"]]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="5 rounds")
    parser.add_argument("--memory-child", choices=["bare", "phasebot"], help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        print(json.dumps(asyncio.run(_child(args.memory_child, args.workdir))))
        return 0
    if args.quick:
        args.rounds = 5
    result = {"startup": startup(args.rounds), "memory": memory(max(3, args.rounds // 2))}
    print(C.machine_line())
    print(render(result))
    path = C.write_results("startup", result)
    print(f"written {path.relative_to(C.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
