"""Replays the golden lines (``answers.json``, captured at 3642ca1) through today's code.

Each record holds a line, and either the error it was refused with or the answer as
console text and as Discord embeds. ``replay`` gives today's records for the same
lines, with the clock stepped as it was when they were captured.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.console import Console, render_text
from bot.core.errors import PhasebotError
from bot.discord.render import render_messages
from bot.services import Services, make_runner
from bot.storage import SQLiteRepository

GOLDEN = Path(__file__).with_name("answers.json")
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def records() -> list[dict[str, Any]]:
    return list(json.loads(GOLDEN.read_text(encoding="utf-8")))


class SteppingClock:
    """Seven minutes later at every reading, as the capture's clock was."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=7)
        return self.now


async def replay(services: Services, database: Path, lines: list[str]) -> Iterator[dict[str, Any]]:
    clock = SteppingClock()
    async with await SQLiteRepository.open(database) as repository:
        console = Console(make_runner(services, repository, clock), "golden")
        console.request = type(console.request)(
            console.request.platform,
            type(console.request.actor)("0", "tester"),
            console.request.scope,
            console.request.gate,
            buttons=False,
        )
        out = []
        for line in lines:
            record: dict[str, Any] = {"line": line}
            try:
                answer = await console.execute(line)
            except PhasebotError as exc:
                record["error"] = exc.user_message()
            else:
                record["text"] = render_text(answer, now=clock.now + timedelta(hours=1))
                record["discord"] = [
                    [embed.to_dict() for embed in message] for message in render_messages(answer)
                ]
            out.append(record)
    return iter(out)
