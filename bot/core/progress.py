"""Progress rules: which phase a channel's project is in and how it may move.

Everything here is pure: the functions take the current state and the content and
return what *would* change (a :class:`Move`, a :class:`Check`, a
:class:`MethodologyChange`) or raise a typed :class:`~bot.core.errors.ProgressError`;
``move_change`` and friends turn an allowed change into the
:class:`~bot.core.state.Change` a repository writes. The Tracker service loads a
channel, calls a rule and appends the change; nothing here does I/O.

Rules in short:

* ``set`` moves to any phase; ``next`` / ``back`` move one phase.
* The methodology (a subject of the ``methodologies`` table, Waterfall by default)
  decides what moving backwards means. In an *iterative* one (Agile, Spiral),
  ``next`` from Deployment goes to the first phase, and any move from Testing or
  Deployment to the first phase starts a new iteration. In a sequential one
  (Waterfall, V-Model) moving backwards is allowed but marked as rework.
* Ticks are kept per (iteration, phase, activity key): a new iteration starts with a
  fresh checklist, rework finds the old ticks again.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import datetime
from typing import Final

from bot.core.content import ITERATION_END_KEYS, METHODOLOGIES
from bot.core.errors import (
    ActivityNumberOutOfRange,
    AlreadyInPhase,
    AtFirstPhase,
    AtLastPhase,
    NoPhaseYet,
    ProgressError,
    UnknownActivity,
    UnknownPhase,
    UnknownSubject,
)
from bot.core.lookup import Choice
from bot.core.matching import close_entries
from bot.core.models import Activity, Content, Phase, Subject
from bot.core.state import (
    Actor,
    Change,
    Check,
    Event,
    EventKind,
    MethodologyChange,
    Move,
    MoveKind,
    ProjectState,
    ProjectStatus,
    Snapshot,
    Tick,
    TickChange,
)
from bot.core.text import normalize

log = logging.getLogger(__name__)

MAX_NOTE_LENGTH: Final = 200
"""Longest note a user may attach to a move (the Discord option enforces it too)."""

LOOP_FROM_KEY: Final = ITERATION_END_KEYS[-1]
"""In an iterative methodology, ``next`` from this phase goes back to the first phase.
(A move from any of ITERATION_END_KEYS to the first phase starts a new iteration.)"""

TICKED: Final = "☑"
UNTICKED: Final = "☐"


_NUMBER = re.compile(r"^\s*#?([0-9]{1,9})\.?\s*$")


# -- errors that only progress raises ----------------------------------------------------


class AlreadyUsingMethodology(ProgressError):
    def __init__(self, name: str) -> None:
        super().__init__(f"The project already follows {name}. Nothing changed.")


class NoteTooLong(ProgressError):
    def __init__(self, length: int) -> None:
        super().__init__(
            f"That note is {length} characters long; keep it to {MAX_NOTE_LENGTH} or fewer."
        )


class PhaseGone(ProgressError):
    """The stored phase key is no longer in the content (content was edited)."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"This channel's phase “{key}” no longer exists in the content. "
            "Pick a phase with `/project set`."
        )


# -- content helpers -----------------------------------------------------------------------


def phase_by_key(content: Content, key: str | None) -> Phase | None:
    if key is None:
        return None
    return next((p for p in content.phases if p.key == key), None)


def methodologies(content: Content) -> tuple[Subject, ...]:
    table = content.table(METHODOLOGIES)
    return table.subjects if table is not None else ()


def methodology_by_key(content: Content, key: str) -> Subject | None:
    table = content.table(METHODOLOGIES)
    return table.subject(key) if table is not None else None


def methodology_name(content: Content, key: str) -> str:
    subject = methodology_by_key(content, key)
    return subject.name if subject is not None else key


def is_iterative(content: Content, methodology: str) -> bool:
    subject = methodology_by_key(content, methodology)
    return subject is not None and subject.iterative


def clean_note(note: str | None) -> str | None:
    """Strip a user's note; empty means none. Raises :class:`NoteTooLong`."""
    if note is None:
        return None
    note = note.strip()
    if not note:
        return None
    if len(note) > MAX_NOTE_LENGTH:
        raise NoteTooLong(len(note))
    return note


def progress_bar(phase_number: int, total: int) -> str:
    """``progress_bar(4, 8) == '▰▰▰▰▱▱▱▱'``; the number is clamped to 0..total."""
    total = max(total, 0)
    done = min(max(phase_number, 0), total)
    return "▰" * done + "▱" * (total - done)


# -- moves ---------------------------------------------------------------------------------


def plan_set(state: ProjectState, target_key: str, content: Content) -> Move:
    """Move to any phase, given its key (the edges resolve what users type with the Catalog)."""
    target = _resolve_phase(target_key, content)
    if state.phase_key == target.key:
        raise AlreadyInPhase(target.name)
    return _move(state, target, content)


def plan_next(state: ProjectState, content: Content) -> Move:
    """One phase forward; in an iterative methodology Deployment loops to the first phase."""
    current = _current_phase(state, content)
    phases = content.phases
    if current.key == LOOP_FROM_KEY and is_iterative(content, state.methodology):
        return _move(state, phases[0], content)
    if current.number >= len(phases):
        raise AtLastPhase(current.name)
    return _move(state, phases[current.number], content)


def plan_back(state: ProjectState, content: Content) -> Move:
    """One phase back (marked as rework in a sequential methodology)."""
    current = _current_phase(state, content)
    if current.number <= 1:
        raise AtFirstPhase(current.name)
    return _move(state, content.phases[current.number - 2], content)


def plan_move(
    state: ProjectState, kind: MoveKind, content: Content, target_key: str | None = None
) -> Move:
    """Dispatch on ``kind``; ``target_key`` is required for "set"."""
    if kind == "set":
        if target_key is None:
            raise ValueError("a 'set' move needs a target phase")
        return plan_set(state, target_key, content)
    if kind == "next":
        return plan_next(state, content)
    if kind == "back":
        return plan_back(state, content)
    raise ValueError(f"unknown move kind {kind!r}")


def _current_phase(state: ProjectState, content: Content) -> Phase:
    if state.phase_key is None:
        raise NoPhaseYet()
    current = phase_by_key(content, state.phase_key)
    if current is None:
        raise PhaseGone(state.phase_key)
    return current


def _resolve_phase(key: str, content: Content) -> Phase:
    found = phase_by_key(content, key)
    if found is None:
        raise UnknownPhase(key, [p.name for p in content.phases[:3]])
    return found


def _move(state: ProjectState, target: Phase, content: Content) -> Move:
    current = phase_by_key(content, state.phase_key)
    iterative = is_iterative(content, state.methodology)
    first = content.phases[0]
    new_iteration = (
        iterative
        and current is not None
        and current.key in ITERATION_END_KEYS
        and target.key == first.key
    )
    rework = not iterative and current is not None and target.number < current.number
    return Move(
        from_key=state.phase_key,
        to_key=target.key,
        rework=rework,
        new_iteration=new_iteration,
        iteration_after=state.iteration + 1 if new_iteration else state.iteration,
    )


# -- methodology ---------------------------------------------------------------------------


def plan_methodology(state: ProjectState, methodology: str, content: Content) -> MethodologyChange:
    """Switch methodology; the phase, iteration and ticks stay as they are."""
    subject = methodology_by_key(content, methodology)
    if subject is None:
        raise UnknownSubject(methodology, [s.name for s in methodologies(content)])
    if subject.key == state.methodology:
        raise AlreadyUsingMethodology(subject.name)
    return MethodologyChange(from_key=state.methodology, to_key=subject.key)


def resolve_activity(phase: Phase, text: str) -> Activity:
    """An activity of ``phase`` from what a user typed.

    Tried in order: the key, a number 1..n, the exact text (any case), the text with
    punctuation ignored, then a case-insensitive prefix or substring of the text
    that matches one activity only. Otherwise :class:`UnknownActivity` with suggestions:
    the activities it matches, or the ones whose text or key is close to it.
    """
    query = text.strip()
    found = phase.activity(query)
    if found is not None:
        return found
    number = _NUMBER.match(query)
    activities = phase.activities
    if number:
        index = int(number.group(1))
        if 1 <= index <= len(activities):
            return activities[index - 1]
        raise ActivityNumberOutOfRange(index, phase.name, len(activities))
    folded = query.casefold()
    word = normalize(query)
    for activity in activities:
        if activity.text.casefold() == folded:
            return activity
    if word:
        for activity in activities:
            if normalize(activity.text) == word or normalize(activity.key) == word:
                return activity
    candidates: list[Activity] = []
    if folded:
        for matches in (
            [a for a in activities if a.text.casefold().startswith(folded)],
            [a for a in activities if folded in a.text.casefold() or folded in a.key],
            [a for a in activities if word and word in normalize(a.text)],
        ):
            if len(matches) == 1:
                return matches[0]
            if matches:
                candidates = matches
                break
    if not candidates:
        candidates = close_entries(activities, _activity_names, query)
    raise UnknownActivity(
        query,
        [a.text for a in candidates[:3]],
        kind=_activity_kind(phase),
        known=[f"{number}. {a.text}" for number, a in enumerate(activities, 1)],
    )


def plan_check(status: ProjectStatus, activity_key: str, content: Content) -> Check:
    """Tick an activity of the current phase, or untick it if it is ticked."""
    state = status.state
    phase = _current_phase(state, content)
    activity = resolve_activity(phase, activity_key)
    return Check(
        phase_key=phase.key,
        activity_key=activity.key,
        checked=activity.key not in status.ticks,
        iteration=state.iteration,
    )


# -- what a change writes -----------------------------------------------------------------


def move_change(snapshot: Snapshot, move: Move, actor: Actor, at: datetime) -> Change:
    """The phase change ``move`` as written: the new state and its history event."""
    state = snapshot.state
    event = Event(
        "phase",
        actor,
        at,
        from_phase=move.from_key,
        to_phase=move.to_key,
        note=move.note,
        rework=move.rework,
        iteration=move.iteration_after,
        new_iteration=move.new_iteration,
    )
    after = ProjectState(move.to_key, state.methodology, move.iteration_after, at, actor)
    return Change(after, event)


def check_change(snapshot: Snapshot, check: Check, actor: Actor, at: datetime) -> Change:
    """The tick or untick ``check`` as written (the state stays)."""
    kind: EventKind = "check" if check.checked else "uncheck"
    event = Event(
        kind,
        actor,
        at,
        to_phase=check.phase_key,
        iteration=check.iteration,
        detail=check.activity_key,
    )
    tick = Tick(check.activity_key, actor, at) if check.checked else None
    change = TickChange(check.iteration, check.phase_key, check.activity_key, tick)
    return Change(snapshot.state, event, change)


def methodology_change(
    snapshot: Snapshot, change: MethodologyChange, actor: Actor, at: datetime
) -> Change:
    """The switch of methodology as written (phase, iteration and ticks stay)."""
    state = snapshot.state
    event = Event("methodology", actor, at, iteration=state.iteration, detail=change.to_key)
    return Change(replace(state, methodology=change.to_key), event)


def reset_change(snapshot: Snapshot) -> Change:
    """A reset: no phase, no ticks, no history; the methodology is kept."""
    return Change(ProjectState(methodology=snapshot.state.methodology), None, reset=True)


def activity_label(activity: Activity, ticked: bool) -> str:
    """``'☑ Conduct feasibility studies.'`` (each edge shortens it to its own limit)."""
    return f"{TICKED if ticked else UNTICKED} {activity.text}"


def activity_choices(status: ProjectStatus, content: Content, typed: str = "") -> list[Choice]:
    """Autocomplete for ``/project check activity:``: the current phase's activities.

    Labels show the tick state; the value is always the activity key, never cut.
    Filtered by ``typed`` (a number, or part of the text or key), prefix matches first.
    """
    phase = phase_by_key(content, status.state.phase_key)
    if phase is None:
        return []
    activities = list(phase.activities)
    query = typed.strip()
    number = _NUMBER.match(query)
    if number:
        index = int(number.group(1))
        activities = [activities[index - 1]] if 1 <= index <= len(activities) else []
    elif query:
        folded = query.casefold()
        word = normalize(query)

        def matches(a: Activity) -> bool:
            text = a.text.casefold()
            return folded in text or folded in a.key or bool(word and word in normalize(text))

        hits = [a for a in activities if matches(a)]
        activities = sorted(hits, key=lambda a: not a.text.casefold().startswith(folded))
        if not activities:  # a typo: the close ones
            activities = close_entries(phase.activities, _activity_names, query)
    return [Choice(activity_label(a, a.key in status.ticks), a.key) for a in activities]


# -- small helpers -------------------------------------------------------------------------


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in '…' when cut."""
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    return text[: limit - 1].rstrip() + "…"


def _activity_names(activity: Activity) -> tuple[str, str]:
    return activity.text, activity.key


def _activity_kind(phase: Phase) -> str:
    return f"checklist item of {phase.name}"
