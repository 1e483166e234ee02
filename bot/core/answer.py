"""Answers as plain data: what the bot says, independent of where it is said.

An :class:`Answer` holds its text as *structure*, not markup: a description or field
value is a :data:`Text`, a tuple of pieces. A plain ``str`` piece is the bot's or the
content's own words; :class:`Bold`, :class:`Code`, :class:`Mention`,
:class:`RoleMention`, :class:`ChannelMention` and :class:`Time` say what a piece is,
and :class:`UserText` marks words a user wrote (notes, names), which every edge escapes
for its format. Discord renders an answer as embeds with its markdown, Slack as Block
Kit mrkdwn, the console as plain text: see :func:`render`.

Buttons and menus under an answer are :data:`Action` data whose ``action`` id holds all
their state (see :mod:`bot.core.actions`), so a click works after a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final

MAX_MESSAGES: Final = 5
"""An answer longer than this many chat messages is shown in part, with :func:`too_long_note`."""


def too_long_note(shown: int) -> str:
    """What an edge says after the first ``shown`` messages of an answer too long for chat."""
    return (
        f"This answer is too long for chat: showing its first {shown} parts. "
        "Narrow it down, e.g. with an `aspect:` or a single phase."
    )


@dataclass(frozen=True, slots=True)
class Bold:
    text: str


@dataclass(frozen=True, slots=True)
class Code:
    """A command or key the user can type: ``/phase name:testing``."""

    text: str


@dataclass(frozen=True, slots=True)
class Mention:
    """A person, by platform user id, with the display name at the time."""

    user_id: str
    name: str


@dataclass(frozen=True, slots=True)
class RoleMention:
    """A Discord role or a Slack user group, by id."""

    role_id: str


@dataclass(frozen=True, slots=True)
class ChannelMention:
    channel_id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Time:
    """A point in time; ``style`` is one of Discord's t/T/d/D/f/F/R (R: relative)."""

    moment: datetime
    style: str = "R"


@dataclass(frozen=True, slots=True)
class UserText:
    """Words a user wrote: shown as written, never as markup."""

    text: str


Inline = str | Bold | Code | Mention | RoleMention | ChannelMention | Time | UserText
Text = tuple[Inline, ...]
"""Structured text: pieces rendered one after another."""


def text(*parts: Inline | Text) -> Text:
    """Pieces and texts joined into one text."""
    out: list[Inline] = []
    for part in parts:
        if isinstance(part, tuple):
            out.extend(part)
        else:
            out.append(part)
    return tuple(out)


def lines(parts: Iterable[Inline | Text]) -> Text:
    """Texts on separate lines (empty ones left out)."""
    out: list[Inline] = []
    for part in parts:
        piece = part if isinstance(part, tuple) else (part,)
        if not piece or piece == ("",):
            continue
        if out:
            out.append("\n")
        out.extend(piece)
    return tuple(out)


def render(value: str | Text, inline: Callable[[Inline], str]) -> str:
    """``value`` in one edge's format; ``inline`` renders each piece."""
    if isinstance(value, str):
        return inline(value)
    return "".join(inline(piece) for piece in value)


def split_text(
    text: str, limit: int, keep_whole: Callable[[str, int], int] | None = None
) -> list[str]:
    """``text`` in chunks of at most ``limit`` characters, cut at a line break, else a
    space, else anywhere; ``keep_whole(text, cut)`` may move a cut earlier, so that an
    edge's markup stays whole. Empty chunks are left out."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        if keep_whole is not None:
            cut = keep_whole(rest, cut)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    chunks.append(rest)
    return [c for c in chunks if c]


def plain(value: str | Text) -> str:
    """The words alone, without any markup (for logs, tests and matching)."""
    return render(value, plain_piece)


def plain_piece(piece: Inline) -> str:
    """One piece's words (a time as ISO 8601)."""
    match piece:
        case str():
            return piece
        case Bold(words) | Code(words) | UserText(words):
            return words
        case Mention(_, name):
            return f"@{name}"
        case RoleMention(role_id):
            return f"role {role_id}"
        case ChannelMention(channel_id, name):
            return f"#{name or channel_id}"
        case Time(moment, _):
            return moment.isoformat()
    raise TypeError(piece)


class Tone(Enum):
    """What kind of answer this is; renderers pick a colour or prefix from it."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str | Text
    inline: bool = False


class Style(Enum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: str
    style: Style = Style.SECONDARY
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Option:
    label: str
    value: str
    default: bool = False


@dataclass(frozen=True, slots=True)
class Menu:
    """A select: picking an option runs ``action`` with the option's value."""

    action: str
    placeholder: str
    options: tuple[Option, ...]


Action = Button | Menu


@dataclass(frozen=True, slots=True)
class File:
    """An attachment: a picture or an export."""

    name: str
    data: bytes
    mime: str


@dataclass(frozen=True, slots=True)
class Post:
    """A message for another channel (an announcement), sent after the answer."""

    channel: ChannelMention
    answer: Answer


@dataclass(frozen=True, slots=True)
class Answer:
    title: str = ""
    description: str | Text = ""
    fields: tuple[Field, ...] = ()
    footer: str = ""
    tone: Tone = Tone.INFO
    actions: tuple[Action, ...] = ()
    plain: bool = False
    """A short message rather than a card: only the description is shown."""
    replaces: bool = False
    """Shown in place of the message whose button or menu was used."""
    file: File | None = None
    posts: tuple[Post, ...] = ()
