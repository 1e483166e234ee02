"""A team's view over time: every channel's project at once, a timeline picture, the
history as a file, announcements of moves, and gentle reminders.

Everything here reads the history the Tracker keeps; nothing decides a move.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from bot.core import actions
from bot.core.answer import (
    Answer,
    Bold,
    Button,
    ChannelMention,
    Code,
    Field,
    File,
    Inline,
    Mention,
    Style,
    Text,
    Time,
    Tone,
    UserText,
    lines,
    text,
)
from bot.core.errors import PhasebotError
from bot.core.knowledge import phase_title
from bot.core.models import Content
from bot.core.progress import (
    TICKED,
    UNTICKED,
    clip,
    is_iterative,
    methodology_name,
    phase_by_key,
    progress_bar,
)
from bot.core.state import SYSTEM, Event, Move, Place, Scope, Snapshot
from bot.core.timeline import Stay, draw_timeline, format_duration, summarize, summary_text
from bot.core.tracker import Tracker

log = logging.getLogger(__name__)

OVERVIEW_PAGE: Final = 10
EVENTS_PAGE: Final = 1000
"""Events read at a time when the whole history is needed (export, timeline)."""
ANNOUNCE: Final = "announce"
"""Channel setting: where its moves are announced (a channel id)."""
REMIND: Final = "remind_days"
"""Channel setting: remind after this many days in one phase."""
REMINDED: Final = "reminded"
"""Channel setting: the stay (its start) a reminder was sent for."""


# -- overview --------------------------------------------------------------------------------


def overview_answer(
    channels: Sequence[tuple[Scope, Snapshot]], content: Content, page: int
) -> Answer:
    """Page ``page`` (1-based) of the channels, longest in their phase first."""
    pages = max(1, -(-len(channels) // OVERVIEW_PAGE))
    page = min(max(page, 1), pages)
    shown = channels[(page - 1) * OVERVIEW_PAGE : page * OVERVIEW_PAGE]
    if not shown:
        return Answer(
            title="Projects overview",
            description=text(
                "No channel here tracks a project yet. Start with ",
                Code("/project set phase:1"),
                ".",
            ),
        )
    rows = lines(_overview_line(scope, snapshot, content) for scope, snapshot in shown)
    buttons: tuple[Button, ...] = ()
    if pages > 1:
        buttons = (
            Button("◀ Newer", actions.overview(page - 1), disabled=page == 1),
            Button("Older ▶", actions.overview(page + 1), disabled=page == pages),
        )
    return Answer(
        title="Projects overview",
        description=rows,
        footer=f"Page {page} of {pages} · {len(channels)} channel"
        f"{'' if len(channels) == 1 else 's'} · longest in their phase first",
        actions=buttons,
    )


def _overview_line(scope: Scope, snapshot: Snapshot, content: Content) -> Text:
    state = snapshot.state
    phase = phase_by_key(content, state.phase_key)
    name = phase.name if phase else str(state.phase_key)
    parts: list[Inline] = [ChannelMention(scope.channel, scope.label), " · ", Bold(name)]
    if phase is not None:
        parts += [" ", progress_bar(phase.number, len(content.phases))]
    method = methodology_name(content, state.methodology)
    if is_iterative(content, state.methodology):
        method += f", iteration {state.iteration}"
    parts += [f" · {method}"]
    if state.since is not None:
        parts += [" · since ", Time(state.since)]
    if state.set_by is not None:
        parts += [" by ", Mention(state.set_by.id, state.set_by.name)]
    if phase is not None:
        done = sum(1 for a in phase.activities if a.key in snapshot.status.ticks)
        parts += [f" · {done}/{len(phase.activities)} ticked"]
    return tuple(parts)


# -- the whole history -----------------------------------------------------------------------


async def all_events(tracker: Tracker, scope: Scope) -> AsyncIterator[Event]:
    """The channel's events, oldest first, read a page at a time."""
    after = 0
    while True:
        page = await tracker.repository.events(scope, after, EVENTS_PAGE)
        for event in page:
            yield event
        if len(page) < EVENTS_PAGE:
            return
        after = page[-1].id


async def stays_of(tracker: Tracker, scope: Scope) -> list[Stay]:
    """Each stay in a phase, with the activities ticked in it when it ended."""
    content = tracker.content
    ticked: dict[tuple[int, str], set[str]] = {}
    stays: list[Stay] = []
    async for event in all_events(tracker, scope):
        if event.kind in ("check", "uncheck") and event.to_phase and event.detail:
            marks = ticked.setdefault((event.iteration, event.to_phase), set())
            (marks.add if event.kind == "check" else marks.discard)(event.detail)
        if event.kind != "phase" or event.to_phase is None:
            continue
        if stays:
            stays[-1] = _ended(stays[-1], event.at, ticked)
        phase = phase_by_key(content, event.to_phase)
        stays.append(
            Stay(
                phase_key=event.to_phase,
                phase_name=phase.name if phase else event.to_phase,
                phase_number=phase.number if phase else len(content.phases) + 1,
                start=event.at,
                end=None,
                iteration=event.iteration,
                new_iteration=event.new_iteration,
                rework=event.rework,
                ticked=0,
                activities=len(phase.activities) if phase else 0,
            )
        )
    if stays:
        last = stays[-1]
        stays[-1] = replace(last, ticked=len(ticked.get((last.iteration, last.phase_key), ())))
    return stays


def _ended(stay: Stay, at: datetime, ticked: dict[tuple[int, str], set[str]]) -> Stay:
    return replace(stay, end=at, ticked=len(ticked.get((stay.iteration, stay.phase_key), ())))


async def timeline_answer(tracker: Tracker, scope: Scope, now: datetime) -> Answer:
    stays = await stays_of(tracker, scope)
    content = tracker.content
    phases = [(p.number, p.name) for p in content.phases]
    title = f"Project timeline · {scope.label or 'this channel'}"
    if not stays:  # nothing to draw: the text says so, and no empty chart is attached
        return Answer(
            title="Project timeline",
            description=(ChannelMention(scope.channel, scope.label), "\n", "No moves yet."),
        )
    # Drawing takes a tenth of a second or more: not on the event loop, which answers others.
    png = await asyncio.to_thread(draw_timeline, stays, phases=phases, now=now, title=title)
    return Answer(
        title="Project timeline",
        description=(
            ChannelMention(scope.channel, scope.label),
            "\n",
            summary_text(summarize(stays, now=now)),
        ),
        file=File("timeline.png", png, "image/png"),
    )


# -- announcements and reminders -------------------------------------------------------------


def announcement(scope: Scope, move: Move, content: Content, by: Mention) -> Answer:
    """What a move says in the channel that announces it."""
    source = phase_by_key(content, move.from_key)
    target = phase_by_key(content, move.to_key)
    parts: list[Inline] = [ChannelMention(scope.channel, scope.label), ": "]
    if source is not None:
        parts += [f"{source.name} → "]
    parts += [Bold(target.name if target else move.to_key), " by ", by]
    if move.rework:
        parts += [" · rework ↺"]
    if move.new_iteration:
        parts += [f" · iteration {move.iteration_after}"]
    if move.note:
        parts += ["\n> ", UserText(clip(" ".join(move.note.split()), 200))]
    total = len(content.phases)
    title = f"📣 {phase_title(target, total)}" if target else f"📣 {move.to_key}"
    return Answer(title=title, description=tuple(parts), tone=Tone.INFO)


@dataclass(frozen=True, slots=True)
class Due:
    """A channel whose phase hasn't changed for its reminder's days."""

    scope: Scope
    days: int
    snapshot: Snapshot

    @property
    def marker(self) -> str:
        """Which stay this is a reminder for: at most one per stay."""
        since = self.snapshot.state.since
        return since.isoformat() if since else ""


async def reminders(
    tracker: Tracker, platform: str, now: datetime
) -> tuple[list[Due], datetime | None]:
    """The reminders due now (not yet sent for their stay), and when the next falls due."""
    due: list[Due] = []
    later: datetime | None = None
    repository = tracker.repository
    for place, value in await repository.places(platform, REMIND):
        scope = Scope(place.platform, place.workspace, place.channel)
        try:  # one channel's trouble stops no other channel's reminder
            snapshot = await repository.load(scope)
            since = snapshot.state.since
            if snapshot.state.phase_key is None or since is None or not value.isdigit():
                continue
            at = since + timedelta(days=int(value))
            found = Due(scope, int(value), snapshot)
            if at > now:
                later = at if later is None else min(later, at)
            elif await repository.setting(place, REMINDED) != found.marker:
                due.append(found)
        except (PhasebotError, ValueError, OverflowError):
            log.warning("Could not read the reminder of %s", scope.key, exc_info=True)
    return due, later


Poster = Callable[[str, Answer], Awaitable[None]]
"""An edge's way to post an answer in a channel, by id (it logs its own failures)."""


async def send_due(tracker: Tracker, platform: str, now: datetime, post: Poster) -> datetime | None:
    """Post every reminder of ``platform`` due at ``now`` that this process claims (at most
    one process posts each: the claim is taken first, so a crash while posting loses that
    reminder rather than repeating it); when the next one falls due."""
    due, later = await reminders(tracker, platform, now)
    for found in due:
        if await claim(tracker, found, now):
            await post(found.scope.channel, reminder_answer(found, tracker.content, now))
    return later


def not_announced(channel: ChannelMention, reason: str) -> Text:
    """What the editor is told when a move's announcement could not be posted."""
    return (
        "The change stands, but I couldn't announce it in ",
        channel,
        f" ({reason}). Check that channel and my permissions there.",
    )


async def claim(tracker: Tracker, due: Due, now: datetime) -> bool:
    """Take a due reminder for sending: True for exactly one caller, in any process."""
    place = Place(due.scope.platform, due.scope.workspace, due.scope.channel)
    return await tracker.repository.claim(place, REMINDED, due.marker, SYSTEM, now)


def reminder_answer(due: Due, content: Content, now: datetime) -> Answer:
    state = due.snapshot.state
    phase = phase_by_key(content, state.phase_key)
    name = phase.name if phase else str(state.phase_key)
    since = state.since or now
    open_items = [
        a for a in (phase.activities if phase else ()) if a.key not in due.snapshot.status.ticks
    ]
    description = text(
        "This project has been in ",
        Bold(name),
        f" for {format_duration((now - since).total_seconds())}, since ",
        Time(since),
        ". Time to move it on, or to tick what's done?",
    )
    fields: tuple[Field, ...] = ()
    if open_items:
        fields = (Field("Still open", "\n".join(f"{UNTICKED} {a.text}" for a in open_items)),)
    elif phase is not None:
        fields = (Field("Checklist", f"{TICKED} all {len(phase.activities)} done"),)
    return Answer(
        title=f"⏰ Still in {name}?",
        description=description,
        fields=fields,
        footer=f"A reminder after {due.days} day{'s' if due.days != 1 else ''} in one phase · "
        "/project remind off:true stops them",
        actions=(Button("Open /project status", actions.status(), Style.PRIMARY),),
    )
