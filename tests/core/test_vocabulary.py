"""vocabulary.toml: /ask's everyday words, loaded and validated like the rest of the content."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.core.content import load_content
from bot.core.errors import ContentError
from bot.core.knowledge import Knowledge
from bot.core.lookup import Catalog
from bot.core.models import Content
from bot.core.search import NOT_SURE_TITLE, Asker


def _edit(directory: Path, old: str, new: str) -> None:
    path = directory / "vocabulary.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(directory: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_content(directory)
    return list(caught.value.problems)


def test_the_bundled_vocabulary_is_loaded(content: Content) -> None:
    assert content.vocabulary.synonyms["ship"] == ("deploy", "release")
    assert content.vocabulary.synonyms["unit tests"] == ("unit testing",)
    assert content.vocabulary.overview["sdlc"] == 1.0
    assert content.vocabulary.overview["phases"] == 0.8


def test_synonyms_come_from_the_file(content_copy: Path) -> None:
    asker = Asker(Knowledge(Catalog(load_content(content_copy))))
    assert asker.ask("money").title == "Phase 1 of 8 · Planning"  # 'budget'
    _edit(content_copy, 'money = ["budget"]', 'money = ["defects"]')
    asker = Asker(Knowledge(Catalog(load_content(content_copy))))
    assert asker.ask("money").title == "Phase 5 of 8 · Testing"


def test_the_file_is_optional(content_copy: Path) -> None:
    (content_copy / "vocabulary.toml").unlink()
    content = load_content(content_copy)
    assert content.vocabulary.synonyms == {} and content.vocabulary.overview == {}
    asker = Asker(Knowledge(Catalog(content)))
    assert asker.ask("kickoff").title == NOT_SURE_TITLE  # a synonym: gone
    assert asker.ask("how flexible is waterfall").title == "Waterfall · Flexibility"
    assert asker.ask("software development life cycle").title == (
        "Software Development Life Cycle"  # the title names the life cycle anyway
    )


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            'ship = ["deploy", "release"]',
            'ship = "deploy"',
            "vocabulary.toml: entry synonyms, field 'ship': Input should be a valid tuple",
        ),
        (
            'ship = ["deploy", "release"]',
            "ship = []",
            "vocabulary.toml: entry synonyms, field 'ship': "
            "Tuple should have at least 1 item after validation, not 0",
        ),
        (
            'ship = ["deploy", "release"]',
            'ship = ["deploy", "deploi"]',
            "vocabulary.toml: entry synonyms, field 'ship': 'deploi' is not in the content "
            "(no name, alias or text has 'deploi')",
        ),
        (
            'ship = ["deploy", "release"]',
            'ship = ["deploy", "--"]',
            "vocabulary.toml: entry synonyms, field 'ship': '--' has no letters or digits",
        ),
        (
            'ship = ["deploy", "release"]',
            '"?!" = ["deploy"]',
            "vocabulary.toml: entry synonyms, field '?!': has no letters or digits",
        ),
        (
            'ship = ["deploy", "release"]',
            '"ship it to the users now" = ["deploy"]',
            "vocabulary.toml: entry synonyms, field 'ship it to the users now': has 6 words; "
            "/ask reads names of up to 5",
        ),
        (
            "sdlc = 1.0",
            "sdlc = 1.5",
            "vocabulary.toml: entry overview, field 'sdlc': "
            "Input should be less than or equal to 1",
        ),
        (
            "sdlc = 1.0",
            "sdlc = 0",
            "vocabulary.toml: entry overview, field 'sdlc': Input should be greater than 0",
        ),
        (
            "\n[overview]\n",
            "\n[overveiw]\n",
            "vocabulary.toml: entry top level, field 'overveiw': Extra inputs are not permitted",
        ),
    ],
)
def test_a_bad_entry_names_file_entry_and_field(
    content_copy: Path, old: str, new: str, problem: str
) -> None:
    _edit(content_copy, old, new)
    assert _problems(content_copy) == [problem]


def test_a_synonym_may_mean_any_form_of_a_word(content_copy: Path) -> None:
    # 'pipeline' is in the content only as 'CI/CD pipelines', 'deploying' as 'Deploy'.
    _edit(content_copy, 'ci = ["pipeline"]', 'ci = ["Pipeline", "deploying"]')
    assert load_content(content_copy).vocabulary.synonyms["ci"] == ("Pipeline", "deploying")


def test_not_valid_toml(content_copy: Path) -> None:
    _edit(content_copy, "sdlc = 1.0", "sdlc = ")
    (problem,) = _problems(content_copy)
    assert problem.startswith("vocabulary.toml: not valid TOML")


def test_content_check_reports_it(content_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(content_copy, 'prod = ["production"]', 'prod = ["prodution"]')
    assert main(["content", "check", str(content_copy)]) == 1
    assert (
        "vocabulary.toml: entry synonyms, field 'prod': 'prodution' is not in the content "
        "(no name, alias or text has 'prodution')"
    ) in capsys.readouterr().err
