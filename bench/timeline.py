"""Timeline picture: time to draw 1, 50 and 500 moves, and the PNG sizes.

    python bench/timeline.py [--rounds 15] [--moves 1,50,500] [--profile]

``draw_timeline`` (``bot/core/timeline.py``) on made-up histories
(``tests/core/timeline_data.py``: an iterating project with rework, 8 phases, the
current stay open), in this process once matplotlib is loaded: wall time and CPU time
per drawing, median of ``--rounds`` runs (after one warm-up), and the PNG size. A first
row measures a fresh process's first drawing of 50 moves, matplotlib's import included
(the cost the first /project timeline after a start pays), as the median of 3 processes.

Target: drawing 500 moves < 300 ms (median wall time), PNG < 300 kB.
``--profile`` prints where the time of one 500-move drawing goes (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

from bot.core.timeline import draw_timeline
from tests.core import timeline_data as data

TARGET_MS = 300.0
TARGET_BYTES = 300_000

_FIRST = """
import time
from bot.core.timeline import draw_timeline
from tests.core import timeline_data as data
stays, now = data.history(50)
t = time.perf_counter()
draw_timeline(stays, phases=data.phase_list(), now=now, title="#apollo")
print(time.perf_counter() - t)
"""


def first_drawing_ms() -> float:
    """A fresh process's first drawing of 50 moves: matplotlib's import included."""
    times = []
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", _FIRST], cwd=C.ROOT, capture_output=True, text=True, check=True
        )
        times.append(float(done.stdout.strip()) * 1000)
    return statistics.median(times)


def measure(moves: int, rounds: int) -> dict[str, Any]:
    stays, now = data.history(moves)
    phases = data.phase_list()

    def once() -> bytes:
        return draw_timeline(stays, phases=phases, now=now, title=f"#apollo · {moves} moves")

    png = once()  # warm-up
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        w, c = time.perf_counter(), time.process_time()
        once()
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
    return {
        "moves": moves,
        "rounds": rounds,
        "wall_ms_median": statistics.median(wall),
        "wall_ms_min": min(wall),
        "wall_ms_max": max(wall),
        "cpu_ms_median": statistics.median(cpu),
        "png_bytes": len(png),
    }


def profile(moves: int) -> None:
    stays, now = data.history(moves)
    phases = data.phase_list()
    draw_timeline(stays, phases=phases, now=now, title="warm-up")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(5):
        draw_timeline(stays, phases=phases, now=now, title="profile")
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--moves", default="1,50,500")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    if args.profile:
        profile(500)
        return

    first = first_drawing_ms()
    results = [measure(int(m), args.rounds) for m in args.moves.split(",")]
    rows: list[list[Any]] = [["first in a fresh process (50)", f"{first:.0f}", "", "", "", ""]]
    for r in results:
        rows.append(
            [
                f"{r['moves']} moves",
                f"{r['wall_ms_median']:.1f}",
                f"{r['wall_ms_min']:.1f}-{r['wall_ms_max']:.1f}",
                f"{r['cpu_ms_median']:.1f}",
                f"{r['png_bytes'] / 1000:.1f}",
                "",
            ]
        )
    biggest = max(results, key=lambda r: r["moves"])
    ok = biggest["wall_ms_median"] < TARGET_MS and all(
        r["png_bytes"] < TARGET_BYTES for r in results
    )
    rows[-1][-1] = ok
    print(C.machine_line())
    print(
        C.table(
            ["drawing", "wall ms (median)", "wall ms (range)", "CPU ms", "PNG kB", "target"],
            rows,
        )
    )
    print(
        f"target: {biggest['moves']} moves < {TARGET_MS:.0f} ms (median wall), "
        f"PNG < {TARGET_BYTES // 1000} kB"
    )
    C.write_results(
        "timeline",
        {
            "first_drawing_ms": first,
            "results": results,
            "target_ms": TARGET_MS,
            "target_bytes": TARGET_BYTES,
            "ok": ok,
        },
    )


if __name__ == "__main__":
    main()
