"""What one /ask question costs: typical questions against adversarial ones.

    python bench/ask_cost.py [--reps 60] [--rounds 3] [--baseline DIR] [--limit 5]

Times ``Asker.ask`` on the bundled content (the core call, no Discord) in a fresh worker
process per round:

* typical: every question of tests/core/ask_questions.toml, asked once before timing
  (the steady state of a running bot: the words people use are corrected once and
  remembered);
* adversarial, at most 300 characters each, made afresh for every timed question from a
  seeded generator, so no cache of an earlier question helps: one 300-letter word, ten
  30-letter words, 60 random 4-letter words, content words (every one a match),
  near-miss words (content words with a typo each), many typos in one sentence, one word
  repeated 150 times, a fresh 7-letter word repeated, all digits, unicode (accents,
  Cyrillic, CJK, emoji), punctuation soup.

Prints p50 and max per kind (the median of the rounds) and the ratio of the worst
adversarial kind's median to the typical median, and exits non-zero when that ratio is
over ``--limit`` (5). With ``--baseline DIR`` (a checkout of another revision, e.g.
``git worktree add /tmp/base main``) the typical questions are also timed alone (no
adversarial ones between them) on that code and on this checkout, in worker processes
taking turns, so both figures come from the same run on the same machine. Writes
bench/results/ask_cost.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import string
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as C

QUESTIONS = C.ROOT / "tests" / "core" / "ask_questions.toml"
LIMIT = 5.0
MAX_CHARS = 300

# Words of the bundled content, to make near misses from (no import of bot/ needed).
CONTENT_WORDS = " ".join(
    [
        "planning analysis design implementation testing deployment maintenance retirement",
        "feasibility requirements architecture specifications regression production waterfall",
        "agile spiral methodology documentation flexibility involvement management delivery",
        "collaboration environment integration challenges metrics artifacts monitoring",
        "stakeholders interviews procedures decommission archive budget timeline objectives",
    ]
).split()


def _letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word) - 1)
    edit = rng.randrange(4)
    if edit == 0:  # swap two letters
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if edit == 1:  # drop one
        return word[:i] + word[i + 1 :]
    if edit == 2:  # double one
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(string.ascii_lowercase) + word[i + 1 :]


def _fill(rng: random.Random, make: Callable[[], str], sep: str = " ") -> str:
    """Words from ``make`` until the next would pass MAX_CHARS."""
    out = make()
    while True:
        word = make()
        if len(out) + len(sep) + len(word) > MAX_CHARS:
            return out
        out += sep + word


def _unicode(rng: random.Random) -> str:
    alphabets = ["éèêàçüößñ", "привет мир данные", "测试部署维护需求设计", "🚀🔥✨🤖📦", "ﬁﬂǅ"]
    return "".join(rng.choice(rng.choice(alphabets) + " ") for _ in range(MAX_CHARS))


ADVERSARIAL: dict[str, Callable[[random.Random], str]] = {
    "one 300-letter word": lambda rng: _letters(rng, MAX_CHARS),
    "ten 30-letter words": lambda rng: _fill(rng, lambda: _letters(rng, 29)),
    "60 random 4-letter words": lambda rng: _fill(rng, lambda: _letters(rng, 4)),
    "content words": lambda rng: _fill(rng, lambda: rng.choice(CONTENT_WORDS)),
    "near-miss words": lambda rng: _fill(rng, lambda: _typo(rng, rng.choice(CONTENT_WORDS))),
    "many typos": lambda rng: _fill(
        rng,
        lambda: rng.choice(
            [_typo(rng, _typo(rng, rng.choice(CONTENT_WORDS))), "waht", "teh", "hwo", "si"]
        ),
    ),
    "one word x150": lambda rng: " ".join([rng.choice(string.ascii_lowercase)] * 150),
    "fresh word repeated": lambda rng: _fill(rng, (lambda w: lambda: w)(_letters(rng, 7))),
    "all digits": lambda rng: _fill(rng, lambda: str(rng.randrange(10 ** rng.randint(1, 12)))),
    "unicode": _unicode,
    "punctuation soup": lambda rng: "".join(
        rng.choice(string.punctuation + " ") for _ in range(MAX_CHARS)
    ),
}


def typical() -> list[str]:
    data = tomllib.loads(QUESTIONS.read_text(encoding="utf-8"))
    return [entry["q"] for entry in data["question"]]


# -- the worker (one round, fresh process) ----------------------------------------------------


def worker(root: Path, reps: int, seed: int, kinds: list[str]) -> dict[str, list[float]]:
    """Seconds per question, by kind. ``root``: the checkout whose bot/ is timed."""
    sys.path.insert(0, str(root))
    from bot.services import load_services

    asker = load_services().asker
    questions = typical()
    for question in questions:  # the steady state: every typical word seen once
        asker.ask(question)
    rng = random.Random(seed)
    schedule = [("typical", i % len(questions)) for i in range(reps * 2)]
    for kind in kinds:
        schedule += [(kind, i) for i in range(reps)]
    rng.shuffle(schedule)
    asked: list[tuple[str, str]] = []
    for kind, i in schedule:
        if kind == "typical":
            asked.append((kind, questions[i]))
        else:
            question = ADVERSARIAL[kind](rng)
            assert len(question) <= MAX_CHARS, (kind, len(question))
            asked.append((kind, question))
    gc.collect()
    gc.freeze()  # as `phasebot run` does once loaded (bot.discord.runner.tune_gc)
    times: dict[str, list[float]] = {}
    clock = time.perf_counter
    for kind, question in asked:
        started = clock()
        asker.ask(question)
        times.setdefault(kind, []).append(clock() - started)
    return times


# -- the driver -------------------------------------------------------------------------------


def run_worker(root: Path, reps: int, seed: int, kinds: list[str]) -> dict[str, list[float]]:
    cmd = [sys.executable, __file__, "--worker", str(root), "--reps", str(reps)]
    cmd += ["--seed", str(seed), "--kinds", ",".join(kinds)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    result: dict[str, list[float]] = json.loads(done.stdout)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=60, help="questions per kind and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--limit", type=float, default=LIMIT)
    parser.add_argument("--baseline", type=Path, help="another checkout: time typical there too")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--kinds", default=",".join(ADVERSARIAL), help=argparse.SUPPRESS)
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.reps, args.seed, kinds)))
        return 0

    per_round: dict[str, dict[str, list[float]]] = {}  # kind -> p50/max -> one per round
    base: list[float] = []
    here: list[float] = []
    for r in range(args.rounds):
        times = run_worker(C.ROOT, args.reps, 100 + r, list(ADVERSARIAL))
        for kind, xs in times.items():
            stats = per_round.setdefault(kind, {"p50": [], "max": []})
            stats["p50"].append(C.percentile(xs, 50))
            stats["max"].append(max(xs))
        if args.baseline is not None:  # typical questions alone, on both checkouts in turn
            for root, into in ((args.baseline.resolve(), base), (C.ROOT, here)):
                alone = run_worker(root, args.reps, 100 + r, [])
                into.append(C.percentile(alone["typical"], 50))

    p50 = {kind: C.median(s["p50"]) for kind, s in per_round.items()}
    worst_max = {kind: C.median(s["max"]) for kind, s in per_round.items()}
    typical_p50 = p50["typical"]
    rows = [
        [kind, C.ms(p50[kind]) * 1000, C.ms(worst_max[kind]) * 1000, p50[kind] / typical_p50]
        for kind in ["typical", *ADVERSARIAL]
    ]
    worst = max(ADVERSARIAL, key=lambda kind: p50[kind])
    ratio = p50[worst] / typical_p50
    print(C.machine_line())
    print(f"Asker.ask on the bundled content; {args.reps} questions per kind, {args.rounds} rounds")
    print(C.table(["kind", "p50 µs", "max µs", "p50 / typical p50"], rows))
    print(f"worst kind: {worst}, {ratio:.2f}× the typical median (limit {args.limit:g}×)")
    result: dict[str, Any] = {
        "reps": args.reps,
        "rounds": args.rounds,
        "p50_us": {k: C.ms(v) * 1000 for k, v in p50.items()},
        "max_us": {k: C.ms(v) * 1000 for k, v in worst_max.items()},
        "worst_kind": worst,
        "worst_ratio": ratio,
        "limit": args.limit,
    }
    if base:
        before, after = C.median(base), C.median(here)
        print(
            f"typical questions alone, p50 in the same run: {C.ms(before) * 1000:.1f} µs at "
            f"{args.baseline} vs {C.ms(after) * 1000:.1f} µs here ({after / before:.2f}×)"
        )
        result["baseline"] = {
            "root": str(args.baseline),
            "typical_alone_p50_us": C.ms(before) * 1000,
            "typical_alone_p50_us_here": C.ms(after) * 1000,
        }
    C.write_results("ask_cost", result)
    ok = ratio <= args.limit
    print("pass" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
