"""``/project history``: who moved the project, when and why, a page at a time."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final, NamedTuple

from bot.core import actions
from bot.core.answer import Answer, Bold, Button, Inline, Text, Time, Tone, UserText, lines, text
from bot.core.models import Content
from bot.core.progress import (
    MAX_NOTE_LENGTH,
    TICKED,
    UNTICKED,
    clip,
    methodology_name,
    phase_by_key,
)
from bot.core.project import START_HINT, marks, one_line, person, phase_name, width
from bot.core.state import Event

HISTORY_PAGE_SIZE: Final = 10
"""History lines per page. 10 lines of at most ~330 characters fit one description."""
HISTORY_BUDGET: Final = 6000 - 400
"""Room for a page's lines in one message (6000 in all), leaving some for the rest."""


class HistoryPage(NamedTuple):
    """One page of history and how many pages there are (at least 1)."""

    answer: Answer
    pages: int


def page_count(total: int, page_size: int = HISTORY_PAGE_SIZE) -> int:
    """Pages needed for ``total`` events; at least 1 (an empty first page)."""
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    return max(1, math.ceil(total / page_size))


def history_answer(
    events: Sequence[Event], total: int, newer: int, content: Content, page_size: int
) -> HistoryPage:
    """A page of the history, newest first, with ◀ ▶ to the pages around it.

    ``events`` are the page's events as the Tracker returns them, ``total`` the count
    of all events and ``newer`` how many are newer than the page.
    """
    pages = page_count(total, page_size)
    if total == 0:
        return HistoryPage(
            Answer(
                title="Project history",
                description=text("Nothing has happened here yet. Start with ", START_HINT, "."),
                tone=Tone.INFO,
            ),
            pages,
        )
    shown = list(events)[:page_size]
    page = -(-newer // page_size)
    description = _fit_history(shown, content) if shown else ("No entries on this page.",)
    buttons: tuple[Button, ...] = ()
    if shown and pages > 1:
        buttons = (
            Button(
                "◀ Newer",
                actions.history("newer", shown[0].id, page_size),
                disabled=newer == 0,
            ),
            Button(
                "Older ▶",
                actions.history("older", shown[-1].id, page_size),
                disabled=newer + len(shown) >= total,
            ),
        )
    return HistoryPage(
        Answer(
            title="Project history",
            description=description,
            footer=f"Page {min(max(page, 0), pages - 1) + 1} of {pages} · {total} "
            f"entr{'y' if total == 1 else 'ies'} · newest first",
            tone=Tone.INFO,
            actions=buttons,
        ),
        pages,
    )


def history_line(event: Event, content: Content, note_limit: int = MAX_NOTE_LENGTH) -> Text:
    """``'Planning → **Analysis** · @Ann · <time> · “note” · rework ↺'``."""
    who = person(event.actor)
    when = Time(event.at)
    parts: list[Inline | Text]
    if event.kind == "phase":
        source = phase_name(phase_by_key(content, event.from_phase), event.from_phase, "Start")
        target = phase_name(phase_by_key(content, event.to_phase), event.to_phase)
        parts = [(f"{source} → ", Bold(target)), who, when]
        if event.note and note_limit > 0:
            parts.append(("“", UserText(clip(one_line(event.note), note_limit)), "”"))
        parts.extend(marks(event.rework, event.new_iteration, event.iteration))
    elif event.kind in ("check", "uncheck"):
        phase = phase_by_key(content, event.to_phase)
        activity = phase.activity(event.detail or "") if phase else None
        words = clip(activity.text if activity else (event.detail or "?"), 100)
        mark = TICKED if event.kind == "check" else UNTICKED
        where = f" ({phase.name})" if phase else ""
        parts = [f"{mark} {words}{where}", who, when]
    else:
        name = methodology_name(content, event.detail or "?")
        parts = [("Methodology → ", Bold(name)), who, when]
    out: list[Inline] = []
    for part in parts:
        if out:
            out.append(" · ")
        out.extend(part if isinstance(part, tuple) else (part,))
    return tuple(out)


def _fit_history(events: Sequence[Event], content: Content) -> Text:
    """Every entry of the page, notes shortened until the page fits one message.

    Entries are never dropped: a page that still does not fit (very long activity
    texts) is split over several embeds or messages by the renderers.
    """
    limit = MAX_NOTE_LENGTH
    while True:
        page = lines(history_line(e, content, limit) for e in events)
        if width(page) <= HISTORY_BUDGET or limit == 0:
            return page
        limit = limit // 2 if limit > 8 else 0
