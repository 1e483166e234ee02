"""Soak: many mixed interactions in one running bot, and whether anything grows.

    python bench/soak.py [--interactions 20000] [--every 1000] [--seed 7]

The bot runs as ``phasebot run`` builds it, on the Discord stand-in (see README). It
answers a mix of what a team sends: every answer command, autocomplete, ``/ask`` (the
question set, and random junk of up to 300 characters), ``/project`` changes on 40
channels, status, history and clicks on its page buttons, overview, timeline and
export, and refusals (bad phases, a move past the last phase). After every ``--every``
interactions it collects garbage and records the resident set (VmRSS), the asyncio
tasks, the open file descriptors and discord.py's view store, and fails if anything was
logged or raised. The stand-in's own records are dropped at each checkpoint, so what
grows is the bot's.

Figures: each measure halfway through (every kind has run, matplotlib is loaded, the
word caches are full) and at the end. Targets over that second half: tasks, descriptors
and views do not grow; RSS grows by at most 3 MiB, about what SQLite's page caches (up to
2 MiB for each of the two connections) may take as the file grows.

What the stand-in keeps between checkpoints (every request and message) raises RSS for
good (freed memory is seldom given back to the system), so compare runs with the same
``--every``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import string
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

RSS_GROWTH_MIB = 3.0
CHANNELS = 40
PHASES = ("testing", "design", "5", "qa", "planning", "deployment", "maintenance", "🚀", "nope")


def rss_mib() -> float:
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024


def junk(rng: random.Random) -> str:
    letters = string.ascii_letters + string.digits + "  ?'-éü"
    return "".join(rng.choice(letters) for _ in range(rng.randint(1, 300))).strip() or "x"


class Mix:
    """The next interaction's payload, drawn from a team's usual traffic."""

    def __init__(self, driver: C.Driver, rng: random.Random) -> None:
        self.driver, self.rng = driver, rng
        path = C.ROOT / "tests/core/ask_questions.toml"
        self.questions = [q["q"] for q in tomllib.loads(path.read_text())["question"]]
        self.history: dict[str, Any] = {}  # channel -> the last history message

    def channel(self) -> str:
        return f"soak-{self.rng.randrange(CHANNELS)}"

    def next(self, count: int) -> tuple[str, Any]:
        d, rng = self.driver, self.rng
        if count % 500 == 0:
            kind = ("timeline", "export")[count // 500 % 2]
            options = {} if kind == "timeline" else {"format": rng.choice(["csv", "json"])}
            return kind, d.payload(f"project {kind}", options, channel=self.channel())
        kind = rng.choices(
            ["phase", "phases", "compare", "methodology", "mlops", "ask", "junk", "complete",
             "move", "check", "status", "history", "older", "overview", "help"],
            weights=[8, 2, 6, 4, 4, 10, 3, 8, 12, 6, 6, 4, 3, 2, 1],
        )[0]  # fmt: skip
        match kind:
            case "phase":
                return kind, d.payload("phase", {"name": rng.choice(PHASES)})
            case "phases":
                return kind, d.payload("phases")
            case "compare":
                first, second = rng.sample(["agile", "waterfall", "spiral", "v-model"], 2)
                return kind, d.payload("compare", {"first": first, "second": second})
            case "methodology":
                return kind, d.payload("methodology", {"name": rng.choice(["agile", "spiral"])})
            case "mlops":
                return kind, d.payload("mlops", {"aspect": rng.choice(["testing", "focus"])})
            case "ask":
                return kind, d.payload("ask", {"question": rng.choice(self.questions)})
            case "junk":
                return kind, d.payload("ask", {"question": junk(rng)})
            case "complete":
                typed = rng.choice(["te", "des", "impl", "x", ""])
                return kind, d.payload("phase", {"name": typed}, focused="name")
            case "move":
                way = rng.choice(["next", "next", "back", "set"])
                options = (
                    {"phase": rng.choice(PHASES)} if way == "set" else {"note": junk(rng)[:80]}
                )
                return kind, d.payload(
                    f"project {way}", options, channel=self.channel(), editor=True
                )
            case "check":
                options = {"activity": str(rng.randint(1, 4))}
                return kind, d.payload(
                    "project check", options, channel=self.channel(), editor=True
                )
            case "status" | "history" | "overview":
                return kind, d.payload(f"project {kind}", channel=self.channel())
            case "older":
                if self.history:
                    message = self.history[rng.choice(sorted(self.history))]
                    ids = [i for i in _custom_ids(message) if i.startswith("pb:hist:")]
                    if ids:
                        payload = d.harness.builder.component(message, rng.choice(ids))
                        return kind, _registered(d, payload)
                return "history", d.payload("project history", channel=self.channel())
            case _:
                return kind, d.payload("help")

    def answered(self, kind: str, state: Any) -> None:
        mid = state.original_message_id
        message = self.driver.standin.messages.get(mid) if mid is not None else None
        if kind == "history" and message and _custom_ids(message):
            self.history[str(message.get("channel_id"))] = message


def _custom_ids(message: dict[str, Any]) -> list[str]:
    from tests.discord.harness import walk_components

    return [
        c["custom_id"]
        for c in walk_components(message.get("components"))
        if "custom_id" in c and not c.get("disabled")
    ]


def _registered(driver: C.Driver, payload: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    from tests.discord.harness import state_from_payload

    state = state_from_payload(payload)
    driver.standin.register_interaction(state)
    return payload, state


def measure(driver: C.Driver) -> dict[str, float]:
    gc.collect()
    store = driver.bot._connection._view_store
    return {
        "rss_mib": rss_mib(),
        "tasks": len(asyncio.all_tasks()),
        "fds": len(os.listdir("/proc/self/fd")),
        "views": sum(len(v) for v in store._views.values()) + len(store._synced_message_views),
    }


async def soak(total: int, every: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    checkpoints: list[dict[str, float]] = []
    kinds: dict[str, int] = {}
    started = time.perf_counter()
    with C.workdir("soak") as tmp:
        async with C.running_bot(Path(tmp)) as driver:
            mix = Mix(driver, rng)
            for count in range(1, total + 1):
                kind, (payload, state) = mix.next(count)
                kinds[kind] = kinds.get(kind, 0) + 1
                await driver._feed(payload)
                mix.answered(kind, state)
                if count % every == 0:
                    driver.check_and_forget()  # fails on anything logged or raised
                    mix.history.clear()  # their messages were dropped with the records
                    checkpoints.append({"interactions": count, **measure(driver)})
                    last = checkpoints[-1]
                    print(
                        f"{count:>6}: RSS {last['rss_mib']:.1f} MiB, {last['tasks']:.0f} tasks, "
                        f"{last['fds']:.0f} fds, {last['views']:.0f} views",
                        flush=True,
                    )
    warm = checkpoints[len(checkpoints) // 2 - 1]  # the caches are full by then
    end = checkpoints[-1]
    growth = {key: end[key] - warm[key] for key in ("rss_mib", "tasks", "fds", "views")}
    return {
        "interactions": total,
        "seconds": time.perf_counter() - started,
        "kinds": kinds,
        "checkpoints": checkpoints,
        "warm": warm,
        "end": end,
        "growth": growth,
        "pass": growth["rss_mib"] <= RSS_GROWTH_MIB
        and all(growth[key] <= 0 for key in ("tasks", "fds", "views")),
    }


def render(result: dict[str, Any]) -> str:
    warm, end, growth = result["warm"], result["end"], result["growth"]
    rows = [
        [name, f"{warm[key]:.1f}", f"{end[key]:.1f}", f"{growth[key]:+.1f}", target]
        for name, key, target in (
            ("RSS (MiB)", "rss_mib", f"≤ +{RSS_GROWTH_MIB:g}"),
            ("asyncio tasks", "tasks", "no growth"),
            ("open file descriptors", "fds", "no growth"),
            ("discord.py views", "views", "no growth"),
        )
    ]
    head = [
        f"at {int(warm['interactions']):,}",
        f"at {int(end['interactions']):,}",
        "growth",
        "target",
    ]
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in sorted(result["kinds"].items()))
    return (
        f"{result['interactions']:,} interactions in {result['seconds']:.0f} s ({kinds}); "
        f"{'PASS' if result['pass'] else 'FAIL'}\n" + C.table(["", *head], rows)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interactions", type=int, default=20_000)
    parser.add_argument("--every", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.every < 1 or args.interactions < 2 * args.every:
        parser.error("--interactions must be at least twice --every (two checkpoints)")
    result = asyncio.run(soak(args.interactions, args.every, args.seed))
    print(C.machine_line())
    print(render(result))
    C.write_results("soak", result)
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
