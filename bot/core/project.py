"""Answers for the ``/project`` commands, as plain :class:`~bot.core.answer.Answer` data.

Every function here formats; none decides. The rules are in :mod:`bot.core.progress`
and the data comes from the store. Answers stay within Discord's embed limits
(description 4096, field value 1024, 25 fields, 6000 in total); only user notes and,
as a last resort, over-long content lines are shortened.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from typing import Final, NamedTuple

from bot.core.answer import (
    DESCRIPTION_LIMIT,
    FIELD_VALUE_LIMIT,
    MESSAGE_TOTAL_LIMIT,
    TITLE_LIMIT,
    Answer,
    Field,
    Tone,
    mention,
    timestamp,
)
from bot.core.content import DEFAULT_METHODOLOGY
from bot.core.knowledge import phase_title
from bot.core.models import Content, Phase
from bot.core.progress import (
    MAX_NOTE_LENGTH,
    TICKED,
    UNTICKED,
    Actor,
    Check,
    Event,
    MethodologyChange,
    Move,
    ProjectStatus,
    clip,
    is_iterative,
    methodology_name,
    phase_by_key,
    progress_bar,
)

log = logging.getLogger(__name__)

HISTORY_PAGE_SIZE: Final = 10
"""History lines per page. 10 lines of at most ~330 characters fit one description."""


START_HINT: Final = "`/project set phase:1`"
REWORK_MARK: Final = "rework ↺"


class HistoryPage(NamedTuple):
    """One page of history, how many pages there are (at least 1), and what lies around
    it: the newest and oldest event ids shown, and whether there are newer or older ones."""

    answer: Answer
    pages: int
    newest_id: int | None = None
    oldest_id: int | None = None
    has_newer: bool = False
    has_older: bool = False


def role_mention(role_id: int) -> str:
    """An inline role marker (Discord renders it; other edges print the raw marker)."""
    return f"<@&{role_id}>"


# -- status ---------------------------------------------------------------------------------


def status_answer(status: ProjectStatus, content: Content) -> Answer:
    """Where the project is: phase, progress bar, since when and by whom, the checklist."""
    state = status.state
    phase = phase_by_key(content, state.phase_key)
    people: dict[int, str] = {}
    if state.phase_key is None:
        lines = [
            "No SDLC phase is tracked here yet.",
            f"Start with {START_HINT}, then move on with `/project next`.",
        ]
        if state.methodology != DEFAULT_METHODOLOGY:
            lines.append(f"Methodology: **{methodology_name(content, state.methodology)}**")
        return Answer(title="No project phase yet", description="\n".join(lines), tone=Tone.INFO)
    if phase is None:
        return Answer(
            title=f"Unknown phase “{state.phase_key}”",
            description=f"This phase is no longer in the content. Pick one with {START_HINT}.",
            tone=Tone.WARNING,
        )
    total = len(content.phases)
    lines = [
        progress_bar(phase.number, total),
        _since_line(status, people),
        _method_line(status, content),
    ]
    lines.append(f"**Objective:** {phase.objective}")
    done = sum(1 for a in phase.activities if a.key in status.ticks)
    return Answer(
        title=phase_title(phase, total),
        description="\n".join(line for line in lines if line),
        fields=(
            Field(
                f"Checklist · {done}/{len(phase.activities)} done",
                checklist(phase, status, people),
            ),
        ),
        footer="/project check ticks an activity · /project next moves on",
        tone=Tone.INFO,
        people=people,
    )


def checklist(phase: Phase, status: ProjectStatus, people: dict[int, str] | None = None) -> str:
    """The phase's activities, ☑ with who ticked them or ☐, within a field's 1024."""
    lines = []
    for activity in phase.activities:
        tick = status.ticks.get(activity.key)
        if tick is None:
            lines.append((f"{UNTICKED} ", activity.text, ""))
        else:
            _person(tick.actor, people)
            lines.append((f"{TICKED} ", activity.text, f" — {mention(tick.actor.id)}"))
    return _fit_lines(lines, FIELD_VALUE_LIMIT)


def _since_line(status: ProjectStatus, people: dict[int, str]) -> str:
    state = status.state
    parts = []
    if state.since is not None:
        parts.append(f"since {timestamp(state.since)}")
    if state.set_by is not None:
        parts.append(f"by {_person(state.set_by, people)}")
    text = " ".join(parts)
    return text[:1].upper() + text[1:]


def _method_line(status: ProjectStatus, content: Content) -> str:
    state = status.state
    line = f"Methodology: **{methodology_name(content, state.methodology)}**"
    if is_iterative(content, state.methodology):
        line += f" · Iteration **{state.iteration}**"
    return line


# -- changes --------------------------------------------------------------------------------


def move_answer(
    move: Move, status: ProjectStatus, content: Content, note: str | None = None
) -> Answer:
    """The result of ``/project set``, ``next`` or ``back``; ``status`` is the state after."""
    total = len(content.phases)
    target = phase_by_key(content, move.to_key)
    source = phase_by_key(content, move.from_key)
    people: dict[int, str] = {}
    title = f"Moved to {phase_title(target, total)}" if target else f"Moved to {move.to_key}"
    arrow = f"→ **{_phase_name(target, move.to_key)}**"
    if move.from_key is None:
        lines = [f"Started at **{_phase_name(target, move.to_key)}**"]
    else:
        lines = [f"{_phase_name(source, move.from_key)} {arrow}"]
    if target is not None:
        lines.append(progress_bar(target.number, total))
    lines.append(_since_line(status, people))
    marks = _marks(move.rework, move.new_iteration, move.iteration_after)
    if move.rework:
        lines.append(
            f"↺ Rework: {methodology_name(content, status.state.methodology)} "
            "is sequential, so going back is recorded as rework."
        )
    if move.new_iteration:
        lines.append(f"🔁 Iteration **{move.iteration_after}** starts with a fresh checklist.")
    if note:
        lines.append(f"> {clip(_one_line(note), MAX_NOTE_LENGTH)}")
    fields: tuple[Field, ...] = ()
    if target is not None:
        fields = (Field(f"Checklist · {target.name}", checklist(target, status, people)),)
    return Answer(
        title=clip(title, TITLE_LIMIT),
        description="\n".join(line for line in lines if line),
        fields=fields,
        footer=" · ".join(marks),
        tone=Tone.WARNING if move.rework else Tone.SUCCESS,
        people=people,
    )


def check_answer(check: Check, status: ProjectStatus, content: Content, actor: Actor) -> Answer:
    """The result of ``/project check``; ``status`` is the state after."""
    phase = phase_by_key(content, check.phase_key)
    people: dict[int, str] = {}
    activity = phase.activity(check.activity_key) if phase else None
    text = activity.text if activity else check.activity_key
    verb = "Ticked" if check.checked else "Unticked"
    mark = TICKED if check.checked else UNTICKED
    description = f"{mark} {text}\nby {_person(actor, people)}"
    fields: tuple[Field, ...] = ()
    if phase is not None:
        done = sum(1 for a in phase.activities if a.key in status.ticks)
        fields = (
            Field(
                f"Checklist · {phase.name} · {done}/{len(phase.activities)} done",
                checklist(phase, status, people),
            ),
        )
    return Answer(
        title=f"{verb} an activity",
        description=clip(description, DESCRIPTION_LIMIT),
        fields=fields,
        tone=Tone.SUCCESS,
        people=people,
    )


def methodology_answer(
    change: MethodologyChange, status: ProjectStatus, content: Content, actor: Actor
) -> Answer:
    """The result of ``/project methodology``."""
    people: dict[int, str] = {}
    before = methodology_name(content, change.from_key)
    after = methodology_name(content, change.to_key)
    if is_iterative(content, change.to_key):
        rule = (
            "Iterative: `/project next` from Deployment starts a new iteration at Planning, "
            "with a fresh checklist."
        )
    else:
        rule = "Sequential: moving back to an earlier phase is recorded as rework ↺."
    lines = [f"{before} → **{after}**", f"by {_person(actor, people)}", rule]
    if is_iterative(content, change.to_key):
        lines.append(f"Iteration **{status.state.iteration}**")
    return Answer(
        title=f"Methodology set to {after}",
        description="\n".join(lines),
        tone=Tone.SUCCESS,
        people=people,
    )


def reset_answer(actor: Actor, cleared: bool = True) -> Answer:
    """The result of ``/project reset``; ``cleared`` False when there was nothing to clear."""
    people: dict[int, str] = {}
    who = _person(actor, people)
    if not cleared:
        return Answer(
            title="Nothing to reset",
            description=f"No phase, checklist or history is tracked here. Start with {START_HINT}.",
            tone=Tone.INFO,
            people=people,
        )
    return Answer(
        title="Project progress reset",
        description=(
            f"{who} cleared this project's phase, checklist and history. "
            f"The methodology is kept. Start again with {START_HINT}."
        ),
        tone=Tone.WARNING,
        people=people,
    )


def editor_role_answer(role_id: int | None, actor: Actor) -> Answer:
    """The result of setting (or clearing, ``role_id`` None) the guild's editor role."""
    people: dict[int, str] = {}
    who = _person(actor, people)
    if role_id is None:
        return Answer(
            title="Editor role cleared",
            description=(
                f"{who} cleared the editor role: the default permissions decide "
                "again who can change project progress."
            ),
            tone=Tone.SUCCESS,
            people=people,
        )
    return Answer(
        title="Editor role set",
        description=(
            f"{who} set the editor role: members with {role_mention(role_id)} "
            "can change project progress."
        ),
        tone=Tone.SUCCESS,
        people=people,
    )


# -- history --------------------------------------------------------------------------------


def page_count(total: int, page_size: int = HISTORY_PAGE_SIZE) -> int:
    """Pages needed for ``total`` events; at least 1 (an empty first page)."""
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    return max(1, math.ceil(total / page_size))


def page_offset(page: int, page_size: int = HISTORY_PAGE_SIZE) -> int:
    """The store offset for 0-based ``page``: ``store.history(scope, page_size, offset)``."""
    return max(page, 0) * page_size


def history_answer(
    events: Sequence[Event],
    total: int,
    content: Content,
    page: int = 0,
    page_size: int = HISTORY_PAGE_SIZE,
    *,
    newer: int | None = None,
) -> HistoryPage:
    """Page ``page`` (0-based) of the history, newest first, and the page count.

    ``events`` are that page's events as the store returns them (newest first,
    ``limit=page_size, offset=page_offset(page, page_size)``); ``total`` is the
    store's count of all events. With ``newer`` (how many events are newer than the
    page, for pages anchored on an event id) the page number is worked out from it.
    """
    pages = page_count(total, page_size)
    if newer is None:
        newer = page_offset(page, page_size)
    else:
        page = -(-newer // page_size)
    people: dict[int, str] = {}
    if total == 0:
        return HistoryPage(
            Answer(
                title="Project history",
                description=f"Nothing has happened here yet. Start with {START_HINT}.",
                tone=Tone.INFO,
            ),
            pages,
        )
    shown = list(events)[:page_size]
    for event in shown:
        _person(event.actor, people)
    description = _fit_history(shown, content)
    if not shown:
        description = "No entries on this page."
    return HistoryPage(
        Answer(
            title="Project history",
            description=description,
            footer=f"Page {min(max(page, 0), pages - 1) + 1} of {pages} · {total} "
            f"entr{'y' if total == 1 else 'ies'} · newest first",
            tone=Tone.INFO,
            people=people,
        ),
        pages,
        newest_id=shown[0].id if shown else None,
        oldest_id=shown[-1].id if shown else None,
        has_newer=newer > 0,
        has_older=newer + len(shown) < total,
    )


def history_line(event: Event, content: Content, note_limit: int = MAX_NOTE_LENGTH) -> str:
    """``'Planning → Analysis · <@1> · <t:…:R> · “note” · rework ↺'``."""
    who = mention(event.actor.id)
    when = timestamp(event.at)
    if event.kind == "phase":
        source = _phase_name(phase_by_key(content, event.from_phase), event.from_phase, "Start")
        target = _phase_name(phase_by_key(content, event.to_phase), event.to_phase)
        parts = [f"{source} → **{target}**", who, when]
        if event.note and note_limit > 0:
            parts.append(f"“{clip(_one_line(event.note), note_limit)}”")
        parts.extend(_marks(event.rework, event.new_iteration, event.iteration))
    elif event.kind in ("check", "uncheck"):
        phase = phase_by_key(content, event.to_phase)
        activity = phase.activity(event.detail or "") if phase else None
        text = clip(activity.text if activity else (event.detail or "?"), 100)
        mark = TICKED if event.kind == "check" else UNTICKED
        where = f" ({phase.name})" if phase else ""
        parts = [f"{mark} {text}{where}", who, when]
    else:
        name = methodology_name(content, event.detail or "?")
        parts = [f"Methodology → **{name}**", who, when]
    return " · ".join(parts)


HISTORY_BUDGET: Final = MESSAGE_TOTAL_LIMIT - 400
"""Room for a page's lines in one message, leaving some for the title and footer."""


def _fit_history(events: Iterable[Event], content: Content) -> str:
    """Every entry of the page, notes shortened until the page fits one message.

    Entries are never dropped: a page that still does not fit (very long activity
    texts) is split over several embeds or messages by the renderer.
    """
    events = list(events)
    limit = MAX_NOTE_LENGTH
    while True:
        text = "\n".join(history_line(e, content, limit) for e in events)
        if len(text) <= HISTORY_BUDGET or limit == 0:
            return text
        limit = limit // 2 if limit > 8 else 0


# -- helpers --------------------------------------------------------------------------------


def _marks(rework: bool, new_iteration: bool, iteration: int) -> list[str]:
    marks = []
    if rework:
        marks.append(REWORK_MARK)
    if new_iteration:
        marks.append(f"iteration {iteration}")
    return marks


def _phase_name(phase: Phase | None, key: str | None, none: str = "—") -> str:
    if phase is not None:
        return phase.name
    return key if key is not None else none


def _person(actor: Actor, people: dict[int, str] | None) -> str:
    if people is not None:
        people.setdefault(actor.id, actor.name)
    return mention(actor.id)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _fit_lines(lines: Sequence[tuple[str, str, str]], limit: int) -> str:
    """Join (prefix, text, suffix) lines; shorten the texts evenly if over ``limit``."""
    text_limit = max((len(t) for _, t, _ in lines), default=0)
    while True:
        text = "\n".join(p + clip(t, text_limit) + s for p, t, s in lines)
        if len(text) <= limit or text_limit <= 1:
            return clip(text, limit)
        text_limit -= max(1, text_limit // 8)
