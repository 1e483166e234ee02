"""Answers as plain data: what the bot says, independent of where it is said.

The Discord renderer turns an :class:`Answer` into embeds, the console into text.
Text may carry two inline markers that each edge renders its own way:

* ``<t:EPOCH:STYLE>`` — a point in time (Discord renders it in the reader's zone;
  the console prints it as UTC and a relative phrase). Build it with :func:`timestamp`.
* ``<@USER_ID>`` — a person. Build it with :func:`mention`; put the display name in
  :attr:`Answer.people` so the console can print it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

# The size limits answers are made to fit (Discord's embed limits, the strictest place
# they are shown). The Discord renderer splits anything longer; the history pager
# uses them to keep one page in one message.
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FIELD_COUNT_LIMIT = 25
FOOTER_LIMIT = 2048
MESSAGE_TOTAL_LIMIT = 6000


class Tone(Enum):
    """What kind of answer this is; renderers pick a colour or prefix from it."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Answer:
    title: str
    description: str = ""
    fields: tuple[Field, ...] = ()
    footer: str = ""
    tone: Tone = Tone.INFO
    people: Mapping[int, str] = field(default_factory=dict)

    def size(self) -> int:
        """Characters that count towards a message's total limit."""
        return (
            len(self.title)
            + len(self.description)
            + len(self.footer)
            + sum(len(f.name) + len(f.value) for f in self.fields)
        )


def timestamp(moment: datetime, style: str = "R") -> str:
    """An inline time marker; ``style`` is one of Discord's t/T/d/D/f/F/R."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def mention(user_id: int) -> str:
    """An inline person marker."""
    return f"<@{user_id}>"
