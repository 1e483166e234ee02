"""Answers for the ``/project`` commands, as plain :class:`~bot.core.answer.Answer` data.

Every function here formats; none decides. The rules are in :mod:`bot.core.progress`
and the data comes from the Tracker. Answers stay within the strictest platform's
limits (Discord's embeds: description 4096, field value 1024, 6000 in all); only user
notes and, as a last resort, over-long content lines are shortened.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from bot.core import actions
from bot.core.answer import (
    Answer,
    Bold,
    Button,
    Code,
    Field,
    Inline,
    Mention,
    RoleMention,
    Style,
    Text,
    Time,
    Tone,
    UserText,
    lines,
    text,
)
from bot.core.content import DEFAULT_METHODOLOGY
from bot.core.knowledge import phase_title
from bot.core.models import Content, Phase
from bot.core.progress import (
    MAX_NOTE_LENGTH,
    TICKED,
    UNTICKED,
    clip,
    is_iterative,
    methodology_name,
    phase_by_key,
    progress_bar,
)
from bot.core.state import Actor, Check, MethodologyChange, Move, ProjectStatus

FIELD_VALUE_LIMIT: Final = 1024
DESCRIPTION_LIMIT: Final = 4096
TITLE_LIMIT: Final = 256

START_HINT: Final = Code("/project set phase:1")
REWORK_MARK: Final = "rework ↺"


def width(value: str | Text) -> int:
    """Characters ``value`` takes in Discord's markup, the strictest place answers go."""
    if isinstance(value, str):
        return len(value)
    return sum(_width(piece) for piece in value)


def _width(piece: Inline) -> int:
    match piece:
        case str():
            return len(piece)
        case Bold(words):
            return len(words) + 4
        case Code(words):
            return len(words) + 2
        case Mention(user_id, _):
            return len(user_id) + 3
        case RoleMention(role_id):
            return len(role_id) + 4
        case Time(moment, _):
            return len(str(int(moment.timestamp()))) + 5
        case UserText(words):
            return len(words)
    return len(str(piece))


# -- status ---------------------------------------------------------------------------------


def status_answer(status: ProjectStatus, content: Content) -> Answer:
    """Where the project is: phase, progress bar, since when and by whom, the checklist."""
    state = status.state
    phase = phase_by_key(content, state.phase_key)
    if state.phase_key is None:
        parts: list[Text] = [
            ("No SDLC phase is tracked here yet.",),
            text("Start with ", START_HINT, ", then move on with ", Code("/project next"), "."),
        ]
        if state.methodology != DEFAULT_METHODOLOGY:
            parts.append(_method(content, state.methodology))
        return Answer(title="No project phase yet", description=lines(parts), tone=Tone.INFO)
    if phase is None:
        return Answer(
            title=f"Unknown phase “{state.phase_key}”",
            description=text(
                "This phase is no longer in the content. Pick one with ", START_HINT, "."
            ),
            tone=Tone.WARNING,
        )
    total = len(content.phases)
    description = lines(
        [
            progress_bar(phase.number, total),
            _since_line(status),
            _method_line(status, content),
            text(Bold("Objective:"), " ", phase.objective),
        ]
    )
    done = sum(1 for a in phase.activities if a.key in status.ticks)
    return Answer(
        title=phase_title(phase, total),
        description=description,
        fields=(
            Field(f"Checklist · {done}/{len(phase.activities)} done", checklist(phase, status)),
        ),
        footer="/project check ticks an activity · /project next moves on",
        tone=Tone.INFO,
    )


def checklist(phase: Phase, status: ProjectStatus) -> Text:
    """The phase's activities, ☑ with who ticked them or ☐, within a field's 1024."""
    rows: list[tuple[str, str, Text]] = []
    for activity in phase.activities:
        tick = status.ticks.get(activity.key)
        if tick is None:
            rows.append((f"{UNTICKED} ", activity.text, ()))
        else:
            rows.append((f"{TICKED} ", activity.text, (" — ", person(tick.actor))))
    return _fit_rows(rows, FIELD_VALUE_LIMIT)


def _since_line(status: ProjectStatus) -> Text:
    state = status.state
    parts: list[Inline] = []
    if state.since is not None:
        parts += ["Since ", Time(state.since)]
    if state.set_by is not None:
        parts += [" by " if parts else "By ", person(state.set_by)]
    return tuple(parts)


def _method(content: Content, methodology: str) -> Text:
    return ("Methodology: ", Bold(methodology_name(content, methodology)))


def _method_line(status: ProjectStatus, content: Content) -> Text:
    state = status.state
    line = _method(content, state.methodology)
    if is_iterative(content, state.methodology):
        line += (" · Iteration ", Bold(str(state.iteration)))
    return line


# -- changes --------------------------------------------------------------------------------


def move_answer(move: Move, status: ProjectStatus, content: Content) -> Answer:
    """The result of ``/project set``, ``next`` or ``back``; ``status`` is the state after."""
    total = len(content.phases)
    target = phase_by_key(content, move.to_key)
    source = phase_by_key(content, move.from_key)
    title = f"Moved to {phase_title(target, total)}" if target else f"Moved to {move.to_key}"
    arrow = Bold(phase_name(target, move.to_key))
    parts: list[Inline | Text] = []
    if move.from_key is None:
        parts.append(("Started at ", arrow))
    else:
        parts.append((f"{phase_name(source, move.from_key)} → ", arrow))
    if target is not None:
        parts.append(progress_bar(target.number, total))
    parts.append(_since_line(status))
    if move.rework:
        parts.append(
            f"↺ Rework: {methodology_name(content, status.state.methodology)} "
            "is sequential, so going back is recorded as rework."
        )
    if move.new_iteration:
        parts.append(
            ("🔁 Iteration ", Bold(str(move.iteration_after)), " starts with a fresh checklist.")
        )
    if move.note:
        parts.append(("> ", UserText(clip(one_line(move.note), MAX_NOTE_LENGTH))))
    fields: tuple[Field, ...] = ()
    if target is not None:
        fields = (Field(f"Checklist · {target.name}", checklist(target, status)),)
    return Answer(
        title=clip(title, TITLE_LIMIT),
        description=lines(parts),
        fields=fields,
        footer=" · ".join(marks(move.rework, move.new_iteration, move.iteration_after)),
        tone=Tone.WARNING if move.rework else Tone.SUCCESS,
    )


def check_answer(check: Check, status: ProjectStatus, content: Content, actor: Actor) -> Answer:
    """The result of ``/project check``; ``status`` is the state after."""
    phase = phase_by_key(content, check.phase_key)
    activity = phase.activity(check.activity_key) if phase else None
    words = activity.text if activity else check.activity_key
    verb = "Ticked" if check.checked else "Unticked"
    mark = TICKED if check.checked else UNTICKED
    limit = DESCRIPTION_LIMIT - width((person(actor),)) - 4
    description = (f"{mark} {clip(words, limit)}\nby ", person(actor))
    fields: tuple[Field, ...] = ()
    if phase is not None:
        done = sum(1 for a in phase.activities if a.key in status.ticks)
        fields = (
            Field(
                f"Checklist · {phase.name} · {done}/{len(phase.activities)} done",
                checklist(phase, status),
            ),
        )
    return Answer(
        title=f"{verb} an activity", description=description, fields=fields, tone=Tone.SUCCESS
    )


def methodology_answer(
    change: MethodologyChange, status: ProjectStatus, content: Content, actor: Actor
) -> Answer:
    """The result of ``/project methodology``."""
    before = methodology_name(content, change.from_key)
    after = methodology_name(content, change.to_key)
    iterative = is_iterative(content, change.to_key)
    if iterative:
        rule = text(
            "Iterative: ",
            Code("/project next"),
            " from Deployment starts a new iteration at Planning, with a fresh checklist.",
        )
    else:
        rule = ("Sequential: moving back to an earlier phase is recorded as rework ↺.",)
    parts: list[Text] = [(f"{before} → ", Bold(after)), ("by ", person(actor)), rule]
    if iterative:
        parts.append(("Iteration ", Bold(str(status.state.iteration))))
    return Answer(title=f"Methodology set to {after}", description=lines(parts), tone=Tone.SUCCESS)


def reset_prompt(actor: Actor, expires: int, seconds: int) -> Answer:
    """The question before a reset, with buttons only ``actor`` may use until ``expires``."""
    return Answer(
        description=(
            "Clear this channel's phase, checklist and history? This can't be undone. Only ",
            person(actor),
            f" can confirm, within {seconds} seconds.",
        ),
        actions=(
            Button("Yes, clear it", actions.reset("yes", actor.id, expires), Style.DANGER),
            Button("Cancel", actions.reset("no", actor.id, expires)),
        ),
        plain=True,
    )


def reset_answer(actor: Actor, cleared: bool = True) -> Answer:
    """The result of ``/project reset``; ``cleared`` False when there was nothing to clear."""
    if not cleared:
        return Answer(
            title="Nothing to reset",
            description=text(
                "No phase, checklist or history is tracked here. Start with ", START_HINT, "."
            ),
            tone=Tone.INFO,
        )
    return Answer(
        title="Project progress reset",
        description=text(
            person(actor),
            " cleared this project's phase, checklist and history. "
            "The methodology is kept. Start again with ",
            START_HINT,
            ".",
        ),
        tone=Tone.WARNING,
    )


def notice(message: str) -> Answer:
    """A one-line reply that replaces the message it answers (a reset cancelled or expired)."""
    return Answer(description=message, plain=True, replaces=True)


def editor_role_answer(role_id: str | None, actor: Actor, group: bool = False) -> Answer:
    """The result of setting (or clearing, ``role_id`` None) who may change progress:
    a Discord server's editor role, or (``group``) a Slack workspace's user group."""
    kind = "editor group" if group else "editor role"
    who = person(actor)
    if role_id is None:
        return Answer(
            title=f"{kind.capitalize()} cleared",
            description=(
                who,
                f" cleared the {kind}: the default permissions decide "
                "again who can change project progress.",
            ),
            tone=Tone.SUCCESS,
        )
    return Answer(
        title=f"{kind.capitalize()} set",
        description=(
            who,
            f" set the {kind}: members with ",
            RoleMention(role_id),
            " can change project progress.",
        ),
        tone=Tone.SUCCESS,
    )


# -- helpers --------------------------------------------------------------------------------


def marks(rework: bool, new_iteration: bool, iteration: int) -> list[str]:
    marks = []
    if rework:
        marks.append(REWORK_MARK)
    if new_iteration:
        marks.append(f"iteration {iteration}")
    return marks


def phase_name(phase: Phase | None, key: str | None, none: str = "—") -> str:
    if phase is not None:
        return phase.name
    return key if key is not None else none


def person(actor: Actor) -> Mention:
    return Mention(actor.id, actor.name)


def one_line(words: str) -> str:
    return " ".join(words.split())


def _fit_rows(rows: Sequence[tuple[str, str, Text]], limit: int) -> Text:
    """(prefix, content text, suffix) rows on lines; the content texts shortened evenly
    if the whole is over ``limit``."""
    text_limit = max((len(t) for _, t, _ in rows), default=0)
    while True:
        fitted = lines(
            text(prefix, clip(words, text_limit), suffix) for prefix, words, suffix in rows
        )
        if width(fitted) <= limit or text_limit <= 1:
            return fitted
        text_limit -= max(1, text_limit // 8)
