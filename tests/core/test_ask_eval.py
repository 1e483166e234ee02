"""/ask held to an evaluation set it was not tuned on: top-1 accuracy per category.

``ask_eval.toml`` was written by someone who never saw the engine: questions in the
content's own words, paraphrases without them, typos, long friendly questions, phases
named by their place ('the phase right after design'), comparisons, and off-topic
questions that must be declined. Each on-topic category must reach
:data:`MIN_ON_TOPIC`; at least :data:`MIN_DECLINED` of the off-topic ones must get the
"not sure" answer (not a guess, nor the answer for something the content doesn't hold).
"""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest

from bot.core.knowledge import Knowledge
from bot.core.search import NOT_SURE_TITLE, Asker

EVAL_FILE = Path(__file__).with_name("ask_eval.toml")
MIN_ON_TOPIC = 0.90
MIN_DECLINED = 0.95
OFF_TOPIC = "off-topic"
DECLINE = "decline"
CATEGORIES = ("content-words", "paraphrase", "typos", "long", "relation", "comparison", OFF_TOPIC)


def _entries() -> list[tuple[str, str, str]]:
    data = tomllib.loads(EVAL_FILE.read_text(encoding="utf-8"))
    return [(e["category"], e["q"], e["expect"]) for e in data["question"]]


ENTRIES = _entries()

TABLE = [  # issue 16's table: as new users asked, and what they should have been told
    (
        "we keep finding bugs after release, which phase deals with that",
        "Phase 7 of 8 · Maintenance and Support",
    ),
    (
        "which phase is about shutting the old system down and moving users to the new one",
        "Phase 8 of 8 · Retirement/Phase-out",
    ),
    ("at what point do we run workshops and surveys with the business", "Phase 2 of 8 · Analysis"),
    ("making sure new changes don't break old features", "Phase 5 of 8 · Testing"),
    (
        "who handles patches and updates once the app is live",
        "Phase 7 of 8 · Maintenance and Support",
    ),
    ("how does devops test software differently from ml teams", "MLOps vs DevOps · Testing"),
    (
        "I am a new PM and I need to know what happens in the phase right after design, "
        "what do people actually do there",
        "Phase 4 of 8 · Implementation (Coding)",
    ),
    (
        "hi, I'm new to the team and my manager asked me to get up to speed on our ML platform "
        "work, could you explain what the main focus of MLOps is compared with DevOps, so I "
        "understand what makes it different? thanks a lot",
        "MLOps vs DevOps · Focus",
    ),
]


@pytest.fixture(scope="module")
def asker(knowledge: Knowledge) -> Asker:
    return Asker(knowledge)


def test_the_set_is_large_and_in_every_category() -> None:
    assert len(ENTRIES) >= 150
    assert len({q for _, q, _ in ENTRIES}) == len(ENTRIES), "a question is listed twice"
    count = Counter(category for category, _, _ in ENTRIES)
    assert set(count) == set(CATEGORIES)
    assert all(n >= 15 for n in count.values()), count
    assert all(len(q) < 300 for _, q, _ in ENTRIES), "/ask takes at most 300 characters"
    assert {q for q, _ in TABLE} <= {q for _, q, _ in ENTRIES}


def test_top1_accuracy_per_category(asker: Asker, capsys: pytest.CaptureFixture[str]) -> None:
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    misses: list[str] = []
    for category, question, expected in ENTRIES:
        got = asker.ask(question).title
        good = got == NOT_SURE_TITLE if expected == DECLINE else got == expected
        total[category] += 1
        right[category] += good
        if not good:
            misses.append(f"  [{category}] {question!r}: got {got!r}, expected {expected!r}")
    failing = []
    with capsys.disabled():
        print("\nask evaluation, top-1 per category:")
        for category in CATEGORIES:
            share = right[category] / total[category]
            least = MIN_DECLINED if category == OFF_TOPIC else MIN_ON_TOPIC
            what = "declined" if category == OFF_TOPIC else "right"
            count = f"{right[category]:>3}/{total[category]:<3}"
            print(f"  {category:<14} {count} {what} = {share:.1%}")
            if share < least:
                failing.append(f"{category}: {share:.1%} < {least:.0%}")
        for miss in misses:
            print(miss)
    assert not failing, failing


@pytest.mark.parametrize(("question", "title"), TABLE)
def test_the_issue_table_is_answered_as_it_says(asker: Asker, question: str, title: str) -> None:
    assert asker.ask(question).title == title


@pytest.mark.parametrize(
    "question",
    ["what's the weather in Paris", "how do I bake sourdough"]
    + [q for category, q, _ in ENTRIES if category == OFF_TOPIC and len(q) > 150],
)
def test_off_topic_questions_of_any_length_are_declined(asker: Asker, question: str) -> None:
    assert asker.ask(question).title == NOT_SURE_TITLE


HELD_OUT_FILE = Path(__file__).with_name("ask_heldout.toml")
HELD_OUT_FLOOR = {"paraphrase": 29, "long": 18, "relation": 15, "typos": 16, OFF_TOPIC: 31}
"""What /ask got right of the held-out set when it was written: a floor, never a target
(tuning the engine to this set would make it a second training set)."""


def test_the_held_out_set_does_not_get_worse(
    asker: Asker, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tomllib.loads(HELD_OUT_FILE.read_text(encoding="utf-8"))["question"]
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for entry in data:
        title = asker.ask(entry["q"]).title
        expected = NOT_SURE_TITLE if entry["expect"] == DECLINE else entry["expect"]
        total[entry["category"]] += 1
        right[entry["category"]] += title == expected
    with capsys.disabled():
        shown = ", ".join(f"{c} {right[c]}/{total[c]}" for c in total)
        print(f"\nask held-out top-1: {shown}")
    assert set(total) == set(HELD_OUT_FLOOR) and sum(total.values()) >= 120
    assert all(right[c] >= floor for c, floor in HELD_OUT_FLOOR.items()), dict(right)
