"""Run every benchmark and print one combined table (what the README's Performance quotes).

    python bench/run_all.py [--quick] [--only dispatch,slack_dispatch,content_scale,...]

Each benchmark runs in its own process, in turn, prints its own tables and writes
bench/results/<name>.json; this script then writes bench/results/summary.md, the
combined table with the machine it ran on.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

BENCHMARKS = ("dispatch", "slack_dispatch", "content_scale", "storage_scale", "startup")


def rows_of(name: str, data: dict[str, Any]) -> list[list[Any]]:
    """(measure, result, target, pass) rows of one benchmark's results."""
    rows: list[list[Any]] = []
    if name == "dispatch":
        by = {r["key"]: r for r in data["rows"]}
        refs = ", ".join(f"{by[k]['label']} {by[k]['p50_ms']:.2f}" for k in ("floor", "commit"))
        rows.append(["p50 ms of the references", refs, "", ""])
        for r in data["rows"]:
            if "pass" in r:
                ref = "floor + commit" if r["group"] == "write" else "floor"
                result = f"{r['p50_ratio']:.2f}× · {r['throughput_ratio']:.2f}× {ref}"
                rows.append([f"{r['label']}: p50 · per s", result, "≤ 1.3× · ≥ 0.8×", r["pass"]])
            if "vs_echo_p50" in r:
                target, ok = ("≤ 1.1×", r["echo_pass"]) if r["group"] == "answer" else ("", "")
                rows.append(
                    [f"{r['label']}: p50 over its echo", f"{r['vs_echo_p50']:.2f}×", target, ok]
                )
    elif name == "slack_dispatch":
        p50 = data["p50_ms"]
        result = f"{data['ratio']['phase']:.2f}× ({p50['phase']:.2f} vs {p50['ping']:.2f} ms)"
        target = f"≤ {data['target']}×"
        rows.append(["Slack /phase over HTTP vs a bare /ping, p50", result, target, data["pass"]])
    elif name == "content_scale":
        for factor, s in data["sizes"].items():
            e2e = s.get("e2e")
            end = f"; end to end {e2e['ac_p99_ms']:.2f}, {e2e['ask_p99_ms']:.2f}" if e2e else ""
            core = f"core {s['autocomplete_p99_ms']:.2f}, {s['ask_p99_ms']:.2f}"
            rows.append(
                [
                    f"{factor}× content ({s['entries']:,} entries): load; ac, /ask p99 ms",
                    f"{s['load_s']:.2f} s; {core}{end}",
                    "",
                    "",
                ]
            )
        rows += [
            [key, f"{value:.2f}", target, ok] for key, (value, target, ok) in data["checks"].items()
        ]
    elif name == "storage_scale":
        size = f"{data['bytes_per_channel']:.0f} bytes per channel ({data['database_mb']:.0f} MB)"
        rows.append(
            [f"{data['channels']:,} channels × {data['events_per_channel']} events", size, "", ""]
        )
        for r in data["rows"]:
            result = (
                f"{r['p99_ratio']:.2f}× ({r['large_p99_ms']:.2f} vs {r['small_p99_ms']:.2f} ms)"
            )
            rows.append([f"{r['command']} p99, large vs one channel", result, "≤ 1.5×", r["pass"]])
    elif name == "startup":
        s, m = data["startup"], data["memory"]
        times = f"{s['ask_s'] * 1000:.0f} vs {s['import_discord_s'] * 1000:.0f} ms"
        rows.append(
            [
                'phasebot ask vs python -c "import discord"',
                f"{s['ratio']:.2f}× ({times})",
                "≤ 1.5×",
                s["pass"],
            ]
        )
        mib = f"{m['phasebot_VmHWM_mib']:.1f} vs {m['bare_VmHWM_mib']:.1f} MiB"
        rows.append(
            [
                "peak RSS vs a bare commands.Bot",
                f"{m['VmHWM_ratio']:.2f}× ({mib})",
                "≤ 1.3×",
                m["pass"],
            ]
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    args = parser.parse_args(argv)
    chosen = [b for b in args.only.split(",") if b]
    if unknown := set(chosen) - set(BENCHMARKS):
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    seconds: dict[str, float] = {}
    for name in chosen:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        cmd = [sys.executable, str(Path(__file__).with_name(f"{name}.py"))]
        subprocess.run(cmd + (["--quick"] if args.quick else []), check=True)
        seconds[name] = time.perf_counter() - started
    rows = []
    for name in chosen:
        data = json.loads((C.RESULTS / f"{name}.json").read_text())
        rows += [[name.replace("_", " "), *row] for row in rows_of(name, data)]
    missed = sum(1 for r in rows if r[-1] is False)
    head = (
        f"phasebot benchmarks — {C.machine_line()}\ncommit {C.commit()}; "
        f"{', '.join(f'{k} {v:.0f} s' for k, v in seconds.items())}; "
        f"{sum(1 for r in rows if r[-1] is True)} targets met, {missed} missed"
    )
    text = head + "\n\n" + C.table(["area", "measure", "result", "target", "pass"], rows) + "\n"
    print("\n" + text)
    (C.RESULTS / "summary.md").write_text(text, encoding="utf-8")
    print(f"written {(C.RESULTS / 'summary.md').relative_to(C.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
