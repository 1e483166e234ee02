"""/ask in a team's own words (issue 16): context and uncovered words from
vocabulary.toml, phases named by their place, and questions about what the content
does not hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.answer import Tone
from bot.core.content import load_content
from bot.core.errors import ContentError
from bot.core.knowledge import Knowledge
from bot.core.lookup import Catalog
from bot.core.search import NOT_SURE_TITLE, SEE_ALSO, UNCOVERED_TITLE, Asker
from bot.core.search_query import read
from bot.discord.render import markdown as md


@pytest.fixture(scope="module")
def asker(knowledge: Knowledge) -> Asker:
    return Asker(knowledge)


def _edit(directory: Path, old: str, new: str) -> None:
    path = directory / "vocabulary.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# -- phases named by their place ------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "number"),
    [
        ("the phase right after design", 4),
        ("what comes before testing", 4),
        ("what follows implementation", 5),
        ("what do we do once testing is done", 6),
        ("what happens prior to deployment", 5),
        ("support after we ship", 7),  # a synonym names the phase it follows
        ("what is the first phase", 1),
        ("the third stage of the life cycle", 3),
        ("what's the last step", 8),
        ("the second to last phase", 7),
        ("the penultimate phase", 7),
        ("phase 4", 4),
    ],
)
def test_a_phase_named_by_its_place(asker: Asker, question: str, number: int) -> None:
    assert asker.ask(question).title.startswith(f"Phase {number} of 8 · ")


@pytest.mark.parametrize(
    "question",
    [
        "what comes after retirement",  # no phase after the last one
        "before planning",
        "my first week on the project",  # an ordinal, but no phase word after it
        "before we switch the system off",  # 'switch' names no phase
    ],
)
def test_a_place_with_no_phase_there_is_not_a_phase(asker: Asker, question: str) -> None:
    slots = read(asker.index, question).slots
    assert all(slot.text.split()[0] not in ("after", "before", "first") for slot in slots)


def test_a_relation_only_says_when_when_something_else_is_asked(asker: Asker) -> None:
    question = "with waterfall, does QA only happen once all the building is done"
    assert asker.ask(question).title == "Waterfall · Testing"


# -- words of something else ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("we want to sunset the old app", "Phase 8 of 8 · Retirement/Phase-out"),  # context
        ("how do I build a spiral staircase", NOT_SURE_TITLE),
        ("I need a design for my wedding invitations", NOT_SURE_TITLE),
        ("the design phase for our wedding invitations", "Phase 3 of 8 · Design"),
        ("what phase is the moon in tonight", NOT_SURE_TITLE),
        ("quick one: what is the spiral model", "Spiral"),  # chat, not speed
    ],
)
def test_one_shared_word_is_not_enough_beside_words_of_something_else(
    asker: Asker, question: str, title: str
) -> None:
    assert asker.ask(question).title == title


def test_a_long_question_is_judged_by_what_it_names(asker: Asker) -> None:
    friendly = (
        "hello there, sorry to bother you, I have been wondering about this for a while now "
        "and my colleagues could not tell me either: which metrics does mlops track?"
    )
    assert len(friendly.split()) > 24
    assert asker.ask(friendly).title == "MLOps vs DevOps · Metrics"
    assert asker.ask(friendly.replace("mlops", "my cat")).title == NOT_SURE_TITLE


# -- what the content does not hold ---------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "name", "asked"),
    [
        ("what is a sprint retrospective", "Agile", "retrospective"),
        ("when should we use the spiral model", "Spiral", "when should we use"),
        ("pros and cons of mlops", "MLOps vs DevOps", "pros and cons"),
    ],
)
def test_nothing_to_answer_says_what_there_is(
    asker: Asker, question: str, name: str, asked: str
) -> None:
    answer = asker.ask(question)
    assert answer.title == f"{name} · {UNCOVERED_TITLE}"
    assert answer.tone is Tone.WARNING
    assert f"“{asked}”" in md(answer.description)
    assert [f.name for f in answer.fields] == ["I can answer"]
    listing = md(answer.fields[0].value)
    assert "aspect:documentation`" in listing or "aspect:focus`" in listing
    assert SEE_ALSO not in [f.name for f in answer.fields]


def test_an_uncovered_word_beside_an_aspect_still_gets_the_aspect(asker: Asker) -> None:
    assert asker.ask("history of waterfall documentation").title == "Waterfall · Documentation"
    assert asker.ask("what is the spiral model").title == "Spiral"


# -- the vocabulary's new lists -------------------------------------------------------------


def test_context_and_uncovered_come_from_the_file(content_copy: Path) -> None:
    asker = Asker(Knowledge(Catalog(load_content(content_copy))))
    assert asker.ask("we want to sunset the old app").title.endswith("Retirement/Phase-out")
    assert asker.ask("what is a sprint retrospective").title.endswith(UNCOVERED_TITLE)
    _edit(content_copy, '"app", "apps", ', "")
    _edit(content_copy, '"retrospective", "retrospectives", "retro", "retros", ', "")
    asker = Asker(Knowledge(Catalog(load_content(content_copy))))
    assert asker.ask("we want to sunset the old app").title == NOT_SURE_TITLE
    assert asker.ask("what is a sprint retrospective").title == NOT_SURE_TITLE


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            '"app", "apps",',
            '"app", "app",',
            "vocabulary.toml: entry context[2] ('app'): listed twice",
        ),
        (
            '"app", "apps",',
            '"mobile app", "apps",',
            "vocabulary.toml: entry context[1] ('mobile app'): has 2 words; "
            "context words are single",
        ),
        (
            '"app", "apps",',
            '"--", "apps",',
            "vocabulary.toml: entry context[1] ('--'): has no letters or digits",
        ),
        (
            '"retrospective", "retrospectives",',
            '"documentation", "retrospectives",',
            "vocabulary.toml: entry uncovered[1] ('documentation'): is a word of the content, "
            "so /ask can answer it",
        ),
        (
            '"retrospective", "retrospectives",',
            '"go live", "retrospectives",',
            "vocabulary.toml: entry uncovered[1] ('go live'): is also in synonyms or overview, "
            "which give it meaning",
        ),
        (
            '"retrospective", "retrospectives",',
            '"when do we ever use it", "retrospectives",',
            "vocabulary.toml: entry uncovered[1] ('when do we ever use it'): has 6 words; "
            "/ask reads phrases of up to 5",
        ),
        (
            "context = [",
            "context = 3\nold_context = [",
            "vocabulary.toml: entry top level, field 'context': Input should be a valid tuple",
        ),
    ],
)
def test_a_bad_word_list_entry_names_file_entry_and_field(
    content_copy: Path, old: str, new: str, problem: str
) -> None:
    _edit(content_copy, old, new)
    with pytest.raises(ContentError) as caught:
        load_content(content_copy)
    assert problem in caught.value.problems
