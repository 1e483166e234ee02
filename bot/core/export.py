"""A channel's history as a file: CSV, JSON or a Markdown table.

Rows stream from the repository a page at a time, so a long history is never loaded
whole. Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) are defused with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Final

from bot.core.answer import Answer, File, Tone
from bot.core.state import Event, Scope
from bot.core.team import all_events
from bot.core.tracker import Tracker

FORMATS: Final = ("csv", "json", "markdown")
COLUMNS: Final = ("id", "time", "who_id", "who", "from", "to", "kind", "note")
_FORMULA: Final = ("=", "+", "-", "@", "\t", "\r")
_FILES: Final = {
    "csv": ("history.csv", "text/csv"),
    "json": ("history.json", "application/json"),
    "markdown": ("history.md", "text/markdown"),
}


def kind_of(event: Event) -> str:
    """move, rework, iteration, tick, untick or methodology."""
    if event.kind == "phase":
        return "rework" if event.rework else "iteration" if event.new_iteration else "move"
    return {"check": "tick", "uncheck": "untick"}.get(event.kind, event.kind)


def row_of(event: Event) -> dict[str, str | int]:
    target = event.to_phase or ""
    if event.kind == "methodology":
        target = event.detail or ""
    elif event.kind in ("check", "uncheck"):
        target = f"{event.to_phase}/{event.detail}"
    return {
        "id": event.id,
        "time": event.at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "who_id": event.actor.id,
        "who": event.actor.name,
        "from": event.from_phase or "",
        "to": target,
        "kind": kind_of(event),
        "note": event.note or "",
    }


def defused(cell: str | int) -> str | int:
    """A cell a spreadsheet shows as text, never runs."""
    if isinstance(cell, str) and cell.startswith(_FORMULA):
        return "'" + cell
    return cell


async def chunks(rows: AsyncIterator[Event], form: str) -> AsyncIterator[str]:
    """The file, a piece at a time."""
    if form == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        async for event in rows:
            writer.writerow([defused(v) for v in row_of(event).values()])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()
    elif form == "json":
        yield "["
        first = True
        async for event in rows:
            yield ("\n  " if first else ",\n  ") + json.dumps(row_of(event), ensure_ascii=False)
            first = False
        yield "\n]\n"
    else:
        yield "| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS) + "\n"
        async for event in rows:
            cells = (_markdown_cell(defused(v)) for v in row_of(event).values())
            yield "| " + " | ".join(cells) + " |\n"


def _markdown_cell(cell: str | int) -> str:
    return " ".join(str(cell).split()).replace("\\", "\\\\").replace("|", "\\|")


async def export_answer(tracker: Tracker, scope: Scope, form: str) -> Answer:
    """The channel's history as an attached file."""
    data = io.BytesIO()
    count = 0

    async def counted() -> AsyncIterator[Event]:
        nonlocal count
        async for event in all_events(tracker, scope):
            count += 1
            yield event

    async for chunk in chunks(counted(), form):
        data.write(chunk.encode("utf-8"))
    name, mime = _FILES[form]
    return Answer(
        title="Project history export",
        description=f"{count:,} entr{'y' if count == 1 else 'ies'}, oldest first, as {form}.",
        file=File(name, data.getvalue(), mime),
        tone=Tone.INFO,
    )
