"""``/help``: every command offered on a platform, from the command declarations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from bot.core.answer import Answer, Code, Field, Text, lines, text

if TYPE_CHECKING:
    from bot.core.surface import Command

WHO_MAY_CHANGE: Final = {
    "discord": "Changing the project needs Manage Channels or the editor role.",
    "slack": "Changing the project needs a workspace admin or owner, or the editor group.",
}


def help_answer(commands: Sequence[Command], platform: str) -> Answer:
    offered = [c for c in commands if c.offered_on(platform)]

    def listing(heading: str) -> Text:
        return lines(
            text(Code(c.usage(platform)), f" — {c.description} e.g. ", Code(c.example))
            for c in offered
            if c.heading == heading
        )

    return Answer(
        title="phasebot commands",
        description="Answers about the software development life cycle and MLOps, "
        "and this channel's project phase.",
        fields=tuple(
            Field(heading, listing(heading))
            for heading in dict.fromkeys(c.heading for c in offered)
        ),
        footer=WHO_MAY_CHANGE.get(platform, ""),
    )
