"""/project check: an activity typed with typos is suggested (or offered) only when close."""

from __future__ import annotations

import pytest

from bot.core.content import load_content
from bot.core.errors import UnknownActivity
from bot.core.progress import ProjectState, ProjectStatus, activity_choices, resolve_activity

CONTENT = load_content()
PHASES = {phase.key: phase for phase in CONTENT.phases}


def _suggestions(phase: str, typed: str) -> tuple[str, ...]:
    with pytest.raises(UnknownActivity) as caught:
        resolve_activity(PHASES[phase], typed)
    return caught.value.suggestions


@pytest.mark.parametrize(
    ("phase", "typed", "suggested"),
    [
        ("planning", "feasability studys", ["Conduct feasibility studies."]),  # the key, nearly
        ("planning", "conduct feasability studies", ["Conduct feasibility studies."]),
        ("planning", "obtain aproval", ["Obtain approval from stakeholders."]),  # word by word
        ("testing", "fix bgs", ["Identify and fix bugs and issues."]),
        (
            "testing",
            "regresion testing",
            [
                "Perform regression testing to ensure changes do not negatively impact "
                "existing functionality."
            ],
        ),
        ("planning", "nowhere", []),
        ("planning", "🚀", []),
        ("planning", "x" * 100_000, []),
    ],
)
def test_typos_suggest_what_is_close(phase: str, typed: str, suggested: list[str]) -> None:
    assert list(_suggestions(phase, typed)) == suggested


def test_a_word_in_several_activities_suggests_each() -> None:
    assert _suggestions("testing", "tetsing") == (
        "Conduct various levels of testing (unit, integration, system, acceptance).",
        "Perform regression testing to ensure changes do not negatively impact existing "
        "functionality.",
    )


def test_autocomplete_offers_close_activities_when_nothing_contains_the_text() -> None:
    status = ProjectStatus(ProjectState(phase_key="planning"))
    assert [c.value for c in activity_choices(status, CONTENT, "feasability")] == [
        "feasibility-studies"
    ]
    assert [c.value for c in activity_choices(status, CONTENT, "obtain aproval")] == [
        "stakeholder-approval"
    ]
    assert activity_choices(status, CONTENT, "zzz") == []
