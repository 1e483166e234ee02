"""Run every benchmark and print one combined table (what the README's Performance quotes).

    python bench/run_all.py [--quick] [--only dispatch,content_scale,storage_scale,startup]

Each benchmark runs in its own process, in turn (dispatch.py, slack_dispatch.py,
content_scale.py, storage_scale.py, startup.py), prints its own tables and writes
bench/results/<name>.json; this script then writes bench/results/summary.json and
bench/results/summary.md (the combined table, with the machine it ran on). The full run
takes about 3 minutes on 2 cores; ``--quick`` about 1.5. ``--diagnose`` adds
store_roundtrips.py and profile_dispatch.py (where /project's and each answer's time goes).
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
DIAGNOSES = ("store_roundtrips", "profile_dispatch")


def rows_of(name: str, data: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    if name == "dispatch":
        floor = data["floor"]
        rows.append(
            [
                "dispatch",
                "/ping floor (reference)",
                f"p50 {floor['p50_ms']:.2f} ms, {floor['throughput_per_s']:.0f}/s",
                "",
                "",
            ]
        )
        commit = data["raw_commit"]
        rows.append(
            [
                "dispatch",
                "raw aiosqlite commit (reference)",
                f"p50 {commit['p50_ms']:.2f} ms, {commit['throughput_per_s']:.0f}/s",
                "",
                "",
            ]
        )
        for row in data["rows"]:
            if row["group"] not in ("answer", "autocomplete", "read", "write"):
                continue
            ref = "floor + commit" if row["group"] == "write" else "floor"
            rows.append(
                [
                    "dispatch",
                    f"{row['label']} p50 (one at a time)",
                    f"{row['p50_ratio']:.2f}× {ref} ({row['p50_ms']:.2f} ms)",
                    f"≤ {row['p50_target']}×",
                    C.verdict(row["p50_pass"]),
                ]
            )
            rows.append(
                [
                    "dispatch",
                    f"{row['label']} throughput ({data['inflight']} in flight)",
                    f"{row['throughput_ratio']:.2f}× {ref} ({row['throughput_per_s']:.0f}/s)",
                    f"≥ {data['targets']['throughput']}×",
                    C.verdict(row["throughput_pass"]),
                ]
            )
    elif name == "slack_dispatch":
        p50 = data["p50_ms"]
        rows.append(
            [
                "slack",
                "/phase testing over HTTP to its response_url, p50",
                f"{data['ratio']['phase']:.2f}× a bare /ping ({p50['phase']:.2f} vs "
                f"{p50['ping']:.2f} ms)",
                f"≤ {data['target']}×",
                C.verdict(data["pass"]),
            ]
        )
    elif name == "content_scale":
        for size in data["sizes"]:
            e2e = size.get("e2e")
            end_to_end = (
                f"; end to end {e2e['ac_p99_ms']:.2f} ms, {e2e['ask_p99_ms']:.2f} ms" if e2e else ""
            )
            rows.append(
                [
                    "content scale",
                    f"{size['factor']}× content ({size['entries']:,} entries)",
                    f"load {size['load_s']['total']:.2f} s; autocomplete, /ask p99: core "
                    f"{size['autocomplete_p99_ms']:.2f} ms, {size['ask_p99_ms']:.2f} ms"
                    + end_to_end,
                    "",
                    "",
                ]
            )
        for key, check in data["checks"].items():
            measured = f" ({check['measured']})" if "measured" in check else ""
            rows.append(
                [
                    "content scale",
                    key.replace("_", " ") + measured,
                    f"{check['value']:.2f}",
                    check["target"],
                    C.verdict(check["pass"]),
                ]
            )
    elif name == "storage_scale":
        rows.append(
            [
                "storage scale",
                f"database size ({data['channels']:,} channels × "
                f"{data['events_per_channel']} events)",
                f"{data['bytes_per_channel']:.0f} bytes per channel "
                f"({data['large_db']['bytes'] / 1e6:.0f} MB)",
                "",
                "",
            ]
        )
        for row in data["rows"]:
            rows.append(
                [
                    "storage scale",
                    f"{row['command']} p99, large vs 1-channel database",
                    f"{row['p99_ratio']:.2f}× ({row['large_p99_ms']:.2f} vs "
                    f"{row['small_p99_ms']:.2f} ms)",
                    f"≤ {row['target']}×",
                    C.verdict(row["pass"]),
                ]
            )
    elif name == "startup":
        s, m = data["startup"], data["memory"]
        rows.append(
            [
                "start-up",
                'phasebot ask "/phase testing" vs python -c "import discord"',
                f"{s['ratio']:.2f}× ({s['ask_s'] * 1000:.0f} vs "
                f"{s['import_discord_s'] * 1000:.0f} ms)",
                f"≤ {s['target']}×",
                C.verdict(s["pass"]),
            ]
        )
        rows.append(
            [
                "memory",
                "peak RSS once loaded vs a bare commands.Bot",
                f"{m['peak_ratio']:.2f}× ({m['phasebot']['peak_mib']:.1f} vs "
                f"{m['bare']['peak_mib']:.1f} MiB)",
                f"≤ {m['target']}×",
                C.verdict(m["pass"]),
            ]
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    parser.add_argument(
        "--diagnose",
        action="store_true",
        help="also run the diagnoses (store_roundtrips.py, profile_dispatch.py; ~40 s)",
    )
    args = parser.parse_args(argv)
    chosen = [b for b in args.only.split(",") if b]
    timings: dict[str, float] = {}
    started = time.perf_counter()
    for name in chosen:
        if name not in BENCHMARKS:
            parser.error(f"unknown benchmark {name!r}")
        cmd = [sys.executable, str(Path(__file__).with_name(f"{name}.py"))]
        if args.quick:
            cmd.append("--quick")
        print(f"\n=== {name} ===", flush=True)
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        timings[name] = time.perf_counter() - t0
    if args.diagnose:
        for name in DIAGNOSES:
            print(f"\n=== {name} (diagnosis) ===", flush=True)
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, str(Path(__file__).with_name(f"{name}.py"))], check=True
            )
            timings[name] = time.perf_counter() - t0
    total = time.perf_counter() - started

    rows: list[list[Any]] = []
    results: dict[str, Any] = {}
    for name in chosen:
        data = json.loads((C.RESULTS / f"{name}.json").read_text())
        results[name] = data
        rows += rows_of(name, data)
    info = C.machine()
    table = C.table(["area", "measure", "result", "target", "pass"], rows)
    passed = sum(1 for r in rows if r[4] == "pass")
    failed = sum(1 for r in rows if r[4] == "FAIL")
    head = (
        f"phasebot benchmarks — {C.machine_line(info)}\n"
        f"code: {C.code_version()}; total {total:.0f} s "
        f"({', '.join(f'{k} {v:.0f} s' for k, v in timings.items())}); "
        f"{passed} targets met, {failed} missed"
    )
    print("\n" + head)
    print(table)
    C.write_results("summary", {"rows": rows, "seconds": timings, "quick": args.quick})
    (C.RESULTS / "summary.md").write_text(head + "\n\n" + table + "\n", encoding="utf-8")
    print(f"written {(C.RESULTS / 'summary.md').relative_to(C.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
