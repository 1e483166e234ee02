"""Answers for /project: status, moves, checks, history pages, all within Discord limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core import actions
from bot.core.answer import Answer, Button, Mention, Text, Tone, UserText
from bot.core.content import load_content
from bot.core.history import HISTORY_PAGE_SIZE, history_answer, history_line, page_count
from bot.core.progress import MAX_NOTE_LENGTH
from bot.core.project import (
    check_answer,
    editor_role_answer,
    methodology_answer,
    move_answer,
    reset_answer,
    reset_prompt,
    status_answer,
    width,
)
from bot.core.state import (
    Actor,
    Check,
    Event,
    MethodologyChange,
    Move,
    ProjectState,
    ProjectStatus,
    Tick,
)
from bot.discord.render import markdown

CONTENT = load_content()
ANN = Actor("111", "Ann")
BOB = Actor("222", "Bob")
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def mention(actor: Actor) -> str:
    return f"<@{actor.id}>"


def timestamp(moment: datetime) -> str:
    return f"<t:{int(moment.timestamp())}:R>"


def md(value: str | Text) -> str:
    """As Discord shows it (the strictest platform's limits apply to answers)."""
    return markdown(value)


def within_limits(answer: Answer) -> None:
    assert len(answer.title) <= 256
    assert len(md(answer.description)) <= 4096
    assert len(answer.fields) <= 25
    for field in answer.fields:
        assert len(field.name) <= 256
        assert 0 < len(md(field.value)) <= 1024
    assert len(answer.footer) <= 2048
    size = len(answer.title) + width(answer.description) + len(answer.footer)
    assert size + sum(len(f.name) + width(f.value) for f in answer.fields) <= 6000


def people(answer: Answer) -> set[Actor]:
    texts = [answer.description, *(f.value for f in answer.fields)]
    return {Actor(p.user_id, p.name) for t in texts for p in t if isinstance(p, Mention)}


def state(phase: str | None, methodology: str = "waterfall", iteration: int = 1) -> ProjectState:
    return ProjectState(phase, methodology, iteration, NOW, ANN if phase else None)


# -- status --------------------------------------------------------------------------------


def test_status_without_phase_says_how_to_start() -> None:
    answer = status_answer(ProjectStatus(ProjectState()), CONTENT)
    assert answer.title == "No project phase yet"
    assert "`/project set phase:1`" in md(answer.description)
    assert answer.fields == ()
    within_limits(answer)


def test_status_with_phase() -> None:
    answer = status_answer(ProjectStatus(state("implementation")), CONTENT)
    assert answer.title == "Phase 4 of 8 · Implementation (Coding)"
    assert "▰▰▰▰▱▱▱▱" in md(answer.description)
    assert f"Since {timestamp(NOW)} by {mention(ANN)}" in md(answer.description)
    assert "Methodology: **Waterfall**" in md(answer.description)
    assert "Iteration" not in md(answer.description)
    assert people(answer) == {ANN}
    within_limits(answer)


def test_status_shows_iteration_for_iterative_methodologies() -> None:
    answer = status_answer(ProjectStatus(state("design", "agile", 3)), CONTENT)
    assert "Agile" in md(answer.description)
    assert "Iteration **3**" in md(answer.description)


def test_status_checklist_marks_and_people() -> None:
    ticks = {"fix-bugs": Tick("fix-bugs", BOB, NOW)}
    answer = status_answer(ProjectStatus(state("testing"), ticks), CONTENT)
    (field,) = answer.fields
    assert field.name == "Checklist · 1/3 done"
    lines = md(field.value).splitlines()
    assert lines[0].startswith("☐ Conduct various levels of testing")
    assert lines[1] == f"☑ Identify and fix bugs and issues. — {mention(BOB)}"
    assert lines[2].startswith("☐ Perform regression testing")
    assert people(answer) == {ANN, BOB}
    within_limits(answer)


# -- changes -------------------------------------------------------------------------------


def test_move_answer() -> None:
    move = Move("implementation", "testing", iteration_after=1, note="ready for **QA**")
    answer = move_answer(move, ProjectStatus(state("testing")), CONTENT)
    assert answer.title == "Moved to Phase 5 of 8 · Testing"
    assert "Implementation (Coding) → **Testing**" in md(answer.description)
    assert isinstance(answer.description, tuple)
    assert ("> ", UserText("ready for **QA**")) == answer.description[-2:]
    assert "> ready for \\*\\*QA\\*\\*" in md(answer.description)  # the note can't format
    assert answer.tone is Tone.SUCCESS
    assert md(answer.fields[0].value).count("☐") == 3
    within_limits(answer)


def test_move_answer_marks_rework_and_new_iteration() -> None:
    rework = Move("testing", "planning", rework=True, iteration_after=1)
    answer = move_answer(rework, ProjectStatus(state("planning")), CONTENT)
    assert "rework ↺" in answer.footer and answer.tone is Tone.WARNING
    loop = Move("deployment", "planning", new_iteration=True, iteration_after=2)
    answer = move_answer(loop, ProjectStatus(state("planning", "agile", 2)), CONTENT)
    assert "iteration 2" in answer.footer
    assert "Iteration **2**" in md(answer.description)


def test_first_move_starts_from_nothing() -> None:
    answer = move_answer(Move(None, "planning"), ProjectStatus(state("planning")), CONTENT)
    assert md(answer.description).startswith("Started at **Planning**")


def test_check_methodology_reset_and_role_answers() -> None:
    status = ProjectStatus(
        state("planning"), {"plan-and-schedule": Tick("plan-and-schedule", BOB, NOW)}
    )
    answer = check_answer(Check("planning", "plan-and-schedule", True, 1), status, CONTENT, BOB)
    assert answer.title == "Ticked an activity"
    assert "☑ Create a project plan and schedule." in md(answer.description)
    assert answer.fields[0].name.endswith("1/5 done")
    assert people(answer) == {BOB}
    within_limits(answer)

    answer = methodology_answer(
        MethodologyChange("waterfall", "agile"),
        ProjectStatus(state("design", "agile")),
        CONTENT,
        ANN,
    )
    assert answer.title == "Methodology set to Agile"
    assert "Waterfall → **Agile**" in md(answer.description)

    assert people(reset_answer(ANN)) == {ANN}
    assert reset_answer(ANN, cleared=False).title == "Nothing to reset"
    assert "<@&42>" in md(editor_role_answer("42", ANN).description)
    assert editor_role_answer(None, ANN).title == "Editor role cleared"
    assert editor_role_answer("S1", ANN, group=True).title == "Editor group set"


def test_reset_prompt_buttons_carry_who_and_until_when() -> None:
    prompt = reset_prompt(ANN, 1_700_000_060, 60)
    assert prompt.plain and "Only <@111> can confirm, within 60 seconds." in md(prompt.description)
    yes, no = prompt.actions
    assert isinstance(yes, Button) and isinstance(no, Button)
    assert yes.action == actions.reset("yes", "111", 1_700_000_060) == "pb:reset:yes:111:1700000060"
    assert no.action == "pb:reset:no:111:1700000060"


# -- history -------------------------------------------------------------------------------


def events(count: int, note: str | None = None) -> list[Event]:
    """``count`` phase events, newest first (as the store returns them)."""
    keys = [p.key for p in CONTENT.phases]
    out = []
    for i in range(count):
        source, target = keys[i % 7], keys[i % 7 + 1]
        actor = ANN if i % 2 else BOB
        at = NOW + timedelta(minutes=i)
        out.append(Event("phase", actor, at, source, target, note=note, id=i + 1))
    return out[::-1]


def test_history_lines() -> None:
    event = Event("phase", ANN, NOW, "testing", "planning", note="bugs", rework=True, id=1)
    line = md(history_line(event, CONTENT))
    assert line == f"Testing → **Planning** · {mention(ANN)} · {timestamp(NOW)} · “bugs” · rework ↺"
    loop = Event("phase", ANN, NOW, "deployment", "planning", iteration=2, new_iteration=True, id=2)
    assert md(history_line(loop, CONTENT)).endswith("· iteration 2")
    check = Event("check", BOB, NOW, None, "testing", detail="fix-bugs", id=3)
    assert md(history_line(check, CONTENT)).startswith(
        "☑ Identify and fix bugs and issues. (Testing)"
    )
    method = Event("methodology", BOB, NOW, detail="v-model", id=4)
    assert md(history_line(method, CONTENT)).startswith("Methodology → **V-Model**")


def test_history_empty() -> None:
    page = history_answer([], 0, 0, CONTENT, HISTORY_PAGE_SIZE)
    assert page.pages == 1 and page.answer.actions == ()
    assert "Nothing has happened" in md(page.answer.description)


def test_history_paging_within_limits() -> None:
    all_events = events(25, note="n" * MAX_NOTE_LENGTH)
    assert page_count(25) == 3 and page_count(0) == 1 and page_count(10) == 1
    seen: list[int] = []
    for page in range(3):
        offset = page * HISTORY_PAGE_SIZE
        chunk = all_events[offset : offset + HISTORY_PAGE_SIZE]
        result = history_answer(chunk, 25, offset, CONTENT, HISTORY_PAGE_SIZE)
        assert result.pages == 3
        lines = md(result.answer.description).splitlines()
        assert len(lines) == len(chunk) == (5 if page == 2 else 10)
        assert f"Page {page + 1} of 3" in result.answer.footer
        assert people(result.answer) <= {ANN, BOB}
        newer, older = result.answer.actions
        assert isinstance(newer, Button) and isinstance(older, Button)
        assert newer.action == actions.history("newer", chunk[0].id, HISTORY_PAGE_SIZE)
        assert older.action == actions.history("older", chunk[-1].id, HISTORY_PAGE_SIZE)
        assert (newer.disabled, older.disabled) == (page == 0, page == 2)
        within_limits(result.answer)
        seen.extend(e.id for e in chunk)
    assert seen == list(range(25, 0, -1))  # newest first, nothing skipped


def test_history_shortens_only_notes_when_needed() -> None:
    huge = history_answer(events(10, note="x" * 2000), 10, 0, CONTENT, 10)
    within_limits(huge.answer)
    assert "Planning → **Analysis**" in md(huge.answer.description)
    assert "…" in md(huge.answer.description)


def test_history_page_past_the_end() -> None:
    page = history_answer([], 12, 50, CONTENT, HISTORY_PAGE_SIZE)
    assert page.pages == 2
    assert md(page.answer.description) == "No entries on this page."
