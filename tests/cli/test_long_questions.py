"""A question of 100 kB through the real `phasebot ask` is answered or refused, in one line.

(How long that takes, and what one /ask costs, is measured in bench/, not here.)
"""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest

from bot.core.search import NOT_SURE_TITLE
from tests.cli.test_cli import run

SIZE = 100_000

_rng = random.Random(11)
_WORDS = " ".join(
    "".join(_rng.choice(string.ascii_lowercase) for _ in range(_rng.randint(2, 12)))
    for _ in range(SIZE // 6)
)[:SIZE]


@pytest.mark.parametrize(
    "question",
    [
        _WORDS,  # asked as /ask: random words
        "q" * SIZE,  # one word
        "/ask " + "testing " * (SIZE // 8 - 1),  # a known word, again and again
    ],
    ids=["random-words", "one-word", "known-word"],
)
def test_a_100_kb_question_is_refused_in_one_line(tmp_path: Path, question: str) -> None:
    """/ask takes at most 300 characters everywhere (Discord's own limit for the option)."""
    assert len(question.encode()) >= SIZE - 10
    result = run("ask", question, cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (message,) = result.stderr.strip().splitlines()
    assert message.startswith("phasebot: That question is ")
    assert message.endswith("characters long; keep it to 300 or fewer.")


def test_the_longest_question_is_answered(tmp_path: Path) -> None:
    question = ("what is tested when and how " * 20)[:300]
    result = run("ask", question, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] in (NOT_SURE_TITLE, "Phase 5 of 8 · Testing")


@pytest.mark.parametrize(
    "line",
    ["/phase " + "t" * (SIZE - 7), "/compare agile " + "w" * (SIZE - 15)],
    ids=["phase", "compare"],
)
def test_a_100_kb_name_is_refused_in_one_line(tmp_path: Path, line: str) -> None:
    result = run("ask", line, cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (message,) = result.stderr.strip().splitlines()
    assert message.startswith("phasebot: I don't know a ")
    assert len(message) < 1_000
