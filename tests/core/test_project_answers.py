"""Answers for /project: status, moves, checks, history pages, all within Discord limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.answer import Answer, Tone, mention, timestamp
from bot.core.content import load_content
from bot.core.progress import (
    MAX_NOTE_LENGTH,
    Actor,
    Check,
    Event,
    MethodologyChange,
    Move,
    ProjectState,
    ProjectStatus,
    Tick,
)
from bot.core.project import (
    HISTORY_PAGE_SIZE,
    check_answer,
    editor_role_answer,
    history_answer,
    history_line,
    methodology_answer,
    move_answer,
    page_count,
    page_offset,
    reset_answer,
    status_answer,
)

CONTENT = load_content()
ANN = Actor(111, "Ann")
BOB = Actor(222, "Bob")
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def within_limits(answer: Answer) -> None:
    assert len(answer.title) <= 256
    assert len(answer.description) <= 4096
    assert len(answer.fields) <= 25
    for field in answer.fields:
        assert len(field.name) <= 256
        assert 0 < len(field.value) <= 1024
    assert len(answer.footer) <= 2048
    assert answer.size() <= 6000


def state(phase: str | None, methodology: str = "waterfall", iteration: int = 1) -> ProjectState:
    return ProjectState(phase, methodology, iteration, NOW, ANN if phase else None)


# -- status --------------------------------------------------------------------------------


def test_status_without_phase_says_how_to_start() -> None:
    answer = status_answer(ProjectStatus(ProjectState()), CONTENT)
    assert answer.title == "No project phase yet"
    assert "/project set phase:1" in answer.description
    assert answer.fields == ()
    within_limits(answer)


def test_status_with_phase() -> None:
    answer = status_answer(ProjectStatus(state("implementation")), CONTENT)
    assert answer.title == "Phase 4 of 8 · Implementation (Coding)"
    assert "▰▰▰▰▱▱▱▱" in answer.description
    assert f"Since {timestamp(NOW)} by {mention(ANN.id)}" in answer.description
    assert "Waterfall" in answer.description
    assert "Iteration" not in answer.description
    assert answer.people == {ANN.id: "Ann"}
    within_limits(answer)


def test_status_shows_iteration_for_iterative_methodologies() -> None:
    answer = status_answer(ProjectStatus(state("design", "agile", 3)), CONTENT)
    assert "Agile" in answer.description
    assert "Iteration **3**" in answer.description


def test_status_checklist_marks_and_people() -> None:
    ticks = {"fix-bugs": Tick("fix-bugs", BOB, NOW)}
    answer = status_answer(ProjectStatus(state("testing"), ticks), CONTENT)
    (field,) = answer.fields
    assert field.name == "Checklist · 1/3 done"
    lines = field.value.splitlines()
    assert lines[0].startswith("☐ Conduct various levels of testing")
    assert lines[1] == f"☑ Identify and fix bugs and issues. — {mention(BOB.id)}"
    assert lines[2].startswith("☐ Perform regression testing")
    assert answer.people == {ANN.id: "Ann", BOB.id: "Bob"}
    within_limits(answer)


# -- changes -------------------------------------------------------------------------------


def test_move_answer() -> None:
    move = Move("implementation", "testing", iteration_after=1)
    answer = move_answer(move, ProjectStatus(state("testing")), CONTENT, note="ready for QA")
    assert answer.title == "Moved to Phase 5 of 8 · Testing"
    assert "Implementation (Coding) → **Testing**" in answer.description
    assert "ready for QA" in answer.description
    assert answer.tone is Tone.SUCCESS
    assert answer.fields[0].value.count("☐") == 3
    within_limits(answer)


def test_move_answer_marks_rework_and_new_iteration() -> None:
    rework = Move("testing", "planning", rework=True, iteration_after=1)
    answer = move_answer(rework, ProjectStatus(state("planning")), CONTENT)
    assert "rework ↺" in answer.footer and answer.tone is Tone.WARNING
    loop = Move("deployment", "planning", new_iteration=True, iteration_after=2)
    answer = move_answer(loop, ProjectStatus(state("planning", "agile", 2)), CONTENT)
    assert "iteration 2" in answer.footer
    assert "Iteration **2**" in answer.description


def test_first_move_starts_from_nothing() -> None:
    answer = move_answer(Move(None, "planning"), ProjectStatus(state("planning")), CONTENT)
    assert answer.description.startswith("Started at **Planning**")


def test_check_methodology_reset_and_role_answers() -> None:
    status = ProjectStatus(
        state("planning"), {"plan-and-schedule": Tick("plan-and-schedule", BOB, NOW)}
    )
    answer = check_answer(Check("planning", "plan-and-schedule", True, 1), status, CONTENT, BOB)
    assert answer.title == "Ticked an activity"
    assert "☑ Create a project plan and schedule." in answer.description
    assert answer.fields[0].name.endswith("1/5 done")
    assert answer.people == {BOB.id: "Bob"}
    within_limits(answer)

    answer = methodology_answer(
        MethodologyChange("waterfall", "agile"),
        ProjectStatus(state("design", "agile")),
        CONTENT,
        ANN,
    )
    assert answer.title == "Methodology set to Agile"
    assert "Waterfall → **Agile**" in answer.description

    assert reset_answer(ANN).people == {ANN.id: "Ann"}
    assert reset_answer(ANN, cleared=False).title == "Nothing to reset"
    assert "<@&42>" in editor_role_answer(42, ANN).description
    assert editor_role_answer(None, ANN).title == "Editor role cleared"


# -- history -------------------------------------------------------------------------------


def events(count: int, note: str | None = None) -> list[Event]:
    """``count`` phase events, newest first (as the store returns them)."""
    keys = [p.key for p in CONTENT.phases]
    out = []
    for i in range(count):
        source, target = keys[i % 7], keys[i % 7 + 1]
        actor = ANN if i % 2 else BOB
        out.append(
            Event(i + 1, "phase", source, target, actor, NOW + timedelta(minutes=i), note=note)
        )
    return out[::-1]


def test_history_lines() -> None:
    event = Event(1, "phase", "testing", "planning", ANN, NOW, note="bugs", rework=True)
    line = history_line(event, CONTENT)
    assert (
        line == f"Testing → **Planning** · {mention(ANN.id)} · {timestamp(NOW)} · “bugs” · rework ↺"
    )
    loop = Event(2, "phase", "deployment", "planning", ANN, NOW, iteration=2, new_iteration=True)
    assert history_line(loop, CONTENT).endswith("· iteration 2")
    check = Event(3, "check", None, "testing", BOB, NOW, detail="fix-bugs")
    assert history_line(check, CONTENT).startswith("☑ Identify and fix bugs and issues. (Testing)")
    method = Event(4, "methodology", None, None, BOB, NOW, detail="v-model")
    assert history_line(method, CONTENT).startswith("Methodology → **V-Model**")


def test_history_empty() -> None:
    page = history_answer([], 0, CONTENT)
    assert page.pages == 1
    assert "Nothing has happened" in page.answer.description


def test_history_paging_within_limits() -> None:
    all_events = events(25, note="n" * MAX_NOTE_LENGTH)
    assert page_count(25) == 3 and page_count(0) == 1 and page_count(10) == 1
    seen: list[int] = []
    for page in range(3):
        offset = page_offset(page)
        chunk = all_events[offset : offset + HISTORY_PAGE_SIZE]
        result = history_answer(chunk, 25, CONTENT, page)
        assert result.pages == 3
        lines = result.answer.description.splitlines()
        assert len(lines) == len(chunk) == (5 if page == 2 else 10)
        assert f"Page {page + 1} of 3" in result.answer.footer
        assert set(result.answer.people) <= {ANN.id, BOB.id}
        within_limits(result.answer)
        seen.extend(e.id for e in chunk)
    assert seen == list(range(25, 0, -1))  # newest first, nothing skipped


def test_history_shortens_only_notes_when_needed() -> None:
    huge = history_answer(events(10, note="x" * 2000), 10, CONTENT, page_size=10)
    within_limits(huge.answer)
    assert "Planning → **Analysis**" in huge.answer.description
    assert "…" in huge.answer.description


def test_history_page_past_the_end() -> None:
    page = history_answer([], 12, CONTENT, page=5)
    assert page.pages == 2
    assert page.answer.description == "No entries on this page."
