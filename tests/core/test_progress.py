"""The pure progress rules: moves, methodologies, iterations, rework, checklists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.content import load_content
from bot.core.errors import (
    AlreadyInPhase,
    AtFirstPhase,
    AtLastPhase,
    NoPhaseYet,
    ProgressError,
    UnknownActivity,
    UnknownPhase,
    UnknownSubject,
)
from bot.core.models import SDLC, Activity, Content, Phase
from bot.core.progress import (
    MAX_NOTE_LENGTH,
    AlreadyUsingMethodology,
    NoteTooLong,
    PhaseGone,
    activity_choices,
    activity_label,
    check_change,
    clean_note,
    clip,
    is_iterative,
    methodology_change,
    move_change,
    plan_back,
    plan_check,
    plan_methodology,
    plan_move,
    plan_next,
    plan_set,
    progress_bar,
    reset_change,
    resolve_activity,
)
from bot.core.state import (
    Actor,
    Check,
    Event,
    MethodologyChange,
    Move,
    ProjectState,
    ProjectStatus,
    Scope,
    Snapshot,
    Tick,
    TickChange,
    applied,
)

CONTENT = load_content()
KEYS = [p.key for p in CONTENT.phases]
ANN = Actor("1", "Ann")
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def at(phase: str | None, methodology: str = "waterfall", iteration: int = 1) -> ProjectState:
    return ProjectState(phase_key=phase, methodology=methodology, iteration=iteration)


def ticked(phase: str, *keys: str, iteration: int = 1) -> ProjectStatus:
    return ProjectStatus(at(phase, iteration=iteration), {k: Tick(k, ANN, NOW) for k in keys})


# -- basics --------------------------------------------------------------------------------


def test_progress_bar() -> None:
    assert progress_bar(4, 8) == "▰▰▰▰▱▱▱▱"
    assert progress_bar(1, 8) == "▰▱▱▱▱▱▱▱"
    assert progress_bar(8, 8) == "▰" * 8
    assert progress_bar(0, 3) == "▱▱▱"
    assert progress_bar(12, 3) == "▰▰▰"


def test_scope_and_defaults() -> None:
    dm = Scope("discord", "", "5", private=True)
    assert dm.private and not Scope("discord", "1", "5").private
    assert dm == Scope("discord", "", "5", label="a name")  # identity: platform and ids only
    assert Scope("slack", "T1", "C1").key != Scope("discord", "T1", "C1").key
    state = ProjectState()
    assert state == ProjectState(None, "waterfall", 1, None, None)


def test_content_methodologies_flags() -> None:
    assert is_iterative(CONTENT, "agile") and is_iterative(CONTENT, "spiral")
    assert not is_iterative(CONTENT, "waterfall") and not is_iterative(CONTENT, "v-model")
    assert not is_iterative(CONTENT, "no-such-thing")


def test_clean_note() -> None:
    assert clean_note(None) is None
    assert clean_note("   ") is None
    assert clean_note("  specs signed off ") == "specs signed off"
    assert clean_note("x" * MAX_NOTE_LENGTH) == "x" * MAX_NOTE_LENGTH
    with pytest.raises(NoteTooLong):
        clean_note("x" * (MAX_NOTE_LENGTH + 1))
    assert issubclass(NoteTooLong, ProgressError)


def test_clip() -> None:
    assert clip("abc", 3) == "abc"
    assert clip("abcdef", 4) == "abc…"
    assert len(clip("a" * 500, 100)) == 100


# -- set -----------------------------------------------------------------------------------


def test_set_from_nothing_to_any_phase() -> None:
    for key in KEYS:
        move = plan_set(at(None), key, CONTENT)
        assert move == Move(None, key, rework=False, new_iteration=False, iteration_after=1)


def test_set_same_phase_is_refused() -> None:
    with pytest.raises(AlreadyInPhase, match="Design"):
        plan_set(at("design"), "design", CONTENT)


def test_set_takes_keys_only() -> None:
    # The rules take keys; what users type is resolved by the Catalog before.
    assert plan_set(at(None), "testing", CONTENT).to_key == "testing"
    with pytest.raises(UnknownPhase):
        plan_set(at(None), "Testing", CONTENT)


def test_set_forward_is_never_rework() -> None:
    for methodology in ("waterfall", "v-model", "agile", "spiral"):
        move = plan_set(at("planning", methodology), "testing", CONTENT)
        assert not move.rework and not move.new_iteration


def test_waterfall_and_vmodel_backwards_is_rework() -> None:
    for methodology in ("waterfall", "v-model"):
        move = plan_set(at("testing", methodology, iteration=1), "planning", CONTENT)
        assert move == Move("testing", "planning", rework=True, iteration_after=1)
        assert plan_back(at("design", methodology), CONTENT).rework


def test_iterative_testing_or_deployment_to_planning_starts_iteration() -> None:
    for methodology in ("agile", "spiral"):
        for source in ("testing", "deployment"):
            move = plan_set(at(source, methodology, iteration=3), "planning", CONTENT)
            assert move == Move(
                source, "planning", rework=False, new_iteration=True, iteration_after=4
            )


def test_iterative_other_backward_moves_are_plain() -> None:
    move = plan_set(at("maintenance", "agile", iteration=2), "planning", CONTENT)
    assert move == Move("maintenance", "planning", iteration_after=2)
    move = plan_set(at("testing", "agile", iteration=2), "design", CONTENT)
    assert move == Move("testing", "design", iteration_after=2)
    assert plan_back(at("testing", "agile"), CONTENT) == Move("testing", "implementation")


# -- next / back ---------------------------------------------------------------------------


def test_next_walks_every_phase_in_waterfall() -> None:
    state = at("planning")
    visited = ["planning"]
    while True:
        try:
            move = plan_next(state, CONTENT)
        except AtLastPhase as exc:
            assert "Retirement" in str(exc)
            break
        assert not move.rework and not move.new_iteration
        visited.append(move.to_key)
        state = at(move.to_key)
    assert visited == KEYS


def test_vmodel_next_from_deployment_goes_to_maintenance() -> None:
    assert plan_next(at("deployment", "v-model"), CONTENT).to_key == "maintenance"


@pytest.mark.parametrize("methodology", ["agile", "spiral"])
def test_iterative_next_from_deployment_loops(methodology: str) -> None:
    move = plan_next(at("deployment", methodology, iteration=1), CONTENT)
    assert move == Move("deployment", "planning", new_iteration=True, iteration_after=2)
    move = plan_next(at("deployment", methodology, iteration=2), CONTENT)
    assert move.iteration_after == 3


def test_iterative_can_still_reach_retirement_by_set() -> None:
    state = at("maintenance", "agile", iteration=4)
    assert plan_next(state, CONTENT) == Move("maintenance", "retirement", iteration_after=4)
    with pytest.raises(AtLastPhase):
        plan_next(at("retirement", "agile"), CONTENT)


def test_next_and_back_need_a_phase() -> None:
    with pytest.raises(NoPhaseYet):
        plan_next(at(None), CONTENT)
    with pytest.raises(NoPhaseYet):
        plan_back(at(None), CONTENT)


def test_back_at_first_phase_is_refused() -> None:
    with pytest.raises(AtFirstPhase, match="Planning"):
        plan_back(at("planning"), CONTENT)
    with pytest.raises(AtFirstPhase):
        plan_back(at("planning", "agile"), CONTENT)


def test_back_walks_down_with_rework_in_waterfall() -> None:
    move = plan_back(at("retirement"), CONTENT)
    assert move == Move("retirement", "maintenance", rework=True, iteration_after=1)


def test_stored_phase_missing_from_content() -> None:
    with pytest.raises(PhaseGone):
        plan_next(at("no-longer-here"), CONTENT)
    assert plan_set(at("no-longer-here"), "design", CONTENT).to_key == "design"


def test_plan_move_dispatch() -> None:
    assert plan_move(at("planning"), "next", CONTENT).to_key == "analysis"
    assert plan_move(at("analysis"), "back", CONTENT).to_key == "planning"
    assert plan_move(at("analysis"), "set", CONTENT, "design").to_key == "design"
    with pytest.raises(ValueError):
        plan_move(at("analysis"), "set", CONTENT)
    with pytest.raises(ValueError):
        plan_move(at("analysis"), "sideways", CONTENT)  # type: ignore[arg-type]


# -- methodology ---------------------------------------------------------------------------


def test_methodology_change() -> None:
    assert plan_methodology(at("design"), "agile", CONTENT) == MethodologyChange(
        "waterfall", "agile"
    )
    with pytest.raises(AlreadyUsingMethodology):
        plan_methodology(at("design"), "waterfall", CONTENT)


def test_methodology_must_be_from_the_methodologies_table() -> None:
    with pytest.raises(UnknownSubject):
        plan_methodology(at("design"), "devops", CONTENT)


# -- activities ----------------------------------------------------------------------------


def test_resolve_activity_every_way() -> None:
    planning = CONTENT.phases[0]
    assert resolve_activity(planning, "feasibility-studies").key == "feasibility-studies"
    assert resolve_activity(planning, "2").key == "goals-and-objectives"
    assert resolve_activity(planning, "#5").key == "stakeholder-approval"
    assert resolve_activity(planning, "conduct feasibility studies.").key == "feasibility-studies"
    assert resolve_activity(planning, "Conduct feasibility studies").key == "feasibility-studies"
    assert resolve_activity(planning, "create a").key == "plan-and-schedule"  # prefix
    assert resolve_activity(planning, "stakeholders").key == "stakeholder-approval"  # substring


def test_resolve_activity_refusals_suggest() -> None:
    planning = CONTENT.phases[0]
    with pytest.raises(UnknownActivity) as err:
        resolve_activity(planning, "9")
    assert err.value.user_message() == (
        "Planning has no checklist item 9: its items are numbered 1 to 5."
    )
    with pytest.raises(UnknownActivity) as err:  # nothing close: the items, numbered
        resolve_activity(planning, "nowhere")
    assert err.value.user_message().startswith(
        "I don't know a checklist item of Planning called “nowhere”. Nothing is close; "
        "I know 1. Conduct feasibility studies."
    )
    with pytest.raises(UnknownActivity) as err:
        resolve_activity(planning, "feasability studys")
    assert "Conduct feasibility studies." in err.value.suggestions
    with pytest.raises(UnknownActivity) as err:  # ambiguous: several activities match
        resolve_activity(planning, "and")
    assert len(err.value.suggestions) >= 2
    assert "Planning" in err.value.user_message()


def test_check_toggles_current_phase_activity() -> None:
    status = ticked("planning")
    assert plan_check(status, "feasibility-studies", CONTENT) == Check(
        "planning", "feasibility-studies", checked=True, iteration=1
    )
    status = ticked("planning", "feasibility-studies", iteration=3)
    assert plan_check(status, "feasibility-studies", CONTENT) == Check(
        "planning", "feasibility-studies", checked=False, iteration=3
    )


def test_check_refuses_other_phase_activity_and_no_phase() -> None:
    with pytest.raises(UnknownActivity):
        plan_check(ticked("planning"), "fix-bugs", CONTENT)
    with pytest.raises(NoPhaseYet):
        plan_check(ProjectStatus(at(None)), "fix-bugs", CONTENT)


def test_activity_choices_show_state_and_filter() -> None:
    status = ticked("planning", "feasibility-studies")
    choices = activity_choices(status, CONTENT)
    assert [c.value for c in choices] == [a.key for a in CONTENT.phases[0].activities]
    assert choices[0].label == "☑ Conduct feasibility studies."
    assert choices[1].label == "☐ Define project goals and objectives."
    assert [c.value for c in activity_choices(status, CONTENT, "plan")] == ["plan-and-schedule"]
    assert [c.value for c in activity_choices(status, CONTENT, "3")] == ["plan-and-schedule"]
    assert activity_choices(status, CONTENT, "zzz") == []
    assert activity_choices(ProjectStatus(at(None)), CONTENT) == []


def test_activity_choices_prefix_matches_come_first() -> None:
    status = ticked("analysis")
    values = [c.value for c in activity_choices(status, CONTENT, "con")]
    assert values[0] == "stakeholder-interviews"  # "Conduct interviews..." starts with it
    assert set(values) >= {"stakeholder-interviews"}


def test_activity_choices_are_whole() -> None:
    """The core gives every activity with its whole label; each edge cuts to its limits."""
    long_text = "Write " + "very " * 40 + "long activity."
    many = tuple(Activity(key=f"act-{i}", text=f"{i} {long_text}") for i in range(40))
    phase = Phase(number=1, key="only", name="Only", objective="o", activities=many)
    content = Content(
        sdlc=SDLC(sdlc=CONTENT.sdlc.sdlc, phases=(phase,)),
        tables=CONTENT.tables,
        aliases=CONTENT.aliases,
    )
    status = ProjectStatus(at("only"), {"act-0": Tick("act-0", ANN, NOW)})
    choices = activity_choices(status, content)
    assert [c.value for c in choices] == [f"act-{i}" for i in range(40)]
    assert choices[0].label == f"☑ 0 {long_text}" and choices[1].label.startswith("☐ ")
    assert activity_label(many[0], False) == f"☐ 0 {long_text}"


# -- the state after a change -------------------------------------------------------------

LATER = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)


def _tick(key: str) -> Tick:
    return Tick(key, ANN, datetime(2024, 5, 1, tzinfo=UTC))


def snapshot(state: ProjectState, ticks: dict[str, dict[str, Tick]], version: int = 4) -> Snapshot:
    return Snapshot(state, ticks, version)


def test_a_move_writes_the_new_state_and_its_event_and_finds_the_target_phases_ticks() -> None:
    before = snapshot(
        ProjectState("testing", "waterfall", 2),
        {"testing": {"a": _tick("a")}, "design": {"b": _tick("b")}},
    )
    move = Move("testing", "design", rework=True, iteration_after=2, note="oops")
    change = move_change(before, move, ANN, LATER)
    assert change.state == ProjectState("design", "waterfall", 2, LATER, ANN)
    assert change.event == Event(
        "phase", ANN, LATER, "testing", "design", note="oops", rework=True, iteration=2
    )
    assert change.tick is None and not change.reset
    after = applied(before, change, 5)
    assert after.version == 5 and after.status.state == change.state
    assert set(after.status.ticks) == {"b"}  # rework finds the design ticks again


def test_a_move_into_a_new_iteration_starts_with_no_ticks() -> None:
    before = snapshot(ProjectState("deployment", "agile", 1), {"planning": {"a": _tick("a")}})
    move = Move("deployment", "planning", new_iteration=True, iteration_after=2)
    after = applied(before, move_change(before, move, ANN, LATER), 5)
    assert after.state.iteration == 2 and after.ticks == {} and after.status.ticks == {}


def test_a_check_writes_a_tick_or_untick_and_leaves_the_old_snapshot_alone() -> None:
    before = snapshot(ProjectState("planning"), {"planning": {"a": _tick("a")}})
    change = check_change(before, Check("planning", "b", True, 1), ANN, LATER)
    assert change.tick == TickChange(1, "planning", "b", Tick("b", ANN, LATER))
    assert change.event is not None and change.event.kind == "check"
    assert change.state == before.state
    ticked = applied(before, change, 5)
    assert ticked.status.ticks["b"] == Tick("b", ANN, LATER) and set(ticked.status.ticks) == {
        "a",
        "b",
    }
    untick = check_change(ticked, Check("planning", "a", False, 1), ANN, LATER)
    assert untick.tick == TickChange(1, "planning", "a", None)
    assert untick.event is not None and untick.event.kind == "uncheck"
    assert set(applied(ticked, untick, 6).status.ticks) == {"b"}
    assert set(before.status.ticks) == {"a"}


def test_a_methodology_change_keeps_phase_iteration_and_ticks() -> None:
    before = snapshot(
        ProjectState("design", "waterfall", 3, LATER, ANN), {"design": {"a": _tick("a")}}
    )
    change = methodology_change(before, MethodologyChange("waterfall", "spiral"), ANN, LATER)
    assert change.state == ProjectState("design", "spiral", 3, LATER, ANN)
    assert change.event is not None and change.event.detail == "spiral"
    assert applied(before, change, 5).ticks == before.ticks


def test_a_reset_keeps_only_the_methodology() -> None:
    before = snapshot(ProjectState("design", "agile", 3, LATER, ANN), {"design": {"a": _tick("a")}})
    change = reset_change(before)
    assert change.reset and change.event is None
    after = applied(before, change, 5)
    assert after.state == ProjectState(methodology="agile") and after.ticks == {}
