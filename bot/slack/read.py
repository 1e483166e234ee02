"""What Slack sends, read as the core's input: a command line, and a click's values.

Slack sends a slash command's options as one string of text, escaped: ``&``, ``<`` and
``>`` as entities, and (for commands with ``should_escape`` in the manifest) a mentioned
user group as ``<!subteam^S0LEADS|@leads>``, a channel as ``<#C0RELEASES|releases>``.
:func:`command_line` undoes that (a user group or a channel becomes its id, which is what
their options take) and straightens smart quotes, so the line parses with the console's
grammar (:mod:`bot.core.parse`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from bot.core.commands import COMMANDS
from bot.core.errors import InvalidRequest
from bot.core.surface import Command, Kind

PLATFORM: Final = "slack"
UMBRELLA: Final = "phasebot"
"""The slash command that takes any line: ``/phasebot compare agile spiral``."""

_MARKUP: Final = re.compile(r"<([^<>]*)>")
_ENTITY: Final = re.compile(r"&(amp|lt|gt);")
_ENTITIES: Final = {"amp": "&", "lt": "<", "gt": ">"}
_QUOTES: Final = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})
_GROUP_ID: Final = re.compile(r"S[A-Z0-9]{1,31}")
_CHANNEL_ID: Final = re.compile(r"[CG][A-Z0-9]{1,31}")
TOP_LEVEL: Final = frozenset(c.name.split()[0] for c in COMMANDS if c.offered_on(PLATFORM))
"""The first word of every command offered on Slack: ``phase``, ``project``, ``help``…"""


def typed(text: str) -> str:
    """Slack's escaped text as the user typed it; a mentioned user group as its id."""
    text = _MARKUP.sub(_unmarked, text)
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text).translate(_QUOTES)


def _unmarked(match: re.Match[str]) -> str:
    target, _, label = match.group(1).partition("|")
    if target.startswith("!subteam^"):
        return target.removeprefix("!subteam^")
    if target.startswith("#"):  # a channel: its id, which a channel option takes
        return target[1:]
    if target.startswith("@"):  # a user: the name
        return "@" + label.lstrip("@") if label else target
    if target.startswith("!"):  # <!here>, <!channel>
        return "@" + (label.lstrip("@") or target[1:])
    return label or target  # a link


def command_line(command: str, text: str) -> str:
    """The console line a slash command stands for: ``/phase testing`` as typed, and for
    the umbrella ``/phasebot``, its text (a command without its slash, or a question)."""
    name = command.strip().lstrip("/").casefold()
    words = typed(text).strip()
    if name != UMBRELLA:
        return f"/{name} {words}".rstrip()
    if not words:
        return "/help"
    first = words.split(maxsplit=1)[0].casefold()
    return f"/{words}" if first in TOP_LEVEL else words


def checked(command: Command, options: Mapping[str, str]) -> dict[str, str]:
    """The options with Slack's own types read: a user group or a channel is given by
    mentioning it (Slack then sends its id)."""
    for option in command.options:
        value = options.get(option.name)
        if value is None:
            continue
        if option.kind is Kind.ROLE and not _GROUP_ID.fullmatch(value):
            raise InvalidRequest(
                f"{option.name} must be a user group: type @ and pick one, "
                f"e.g. /{command.name} @leads"
            )
        if option.kind is Kind.CHANNEL and not _CHANNEL_ID.fullmatch(value):
            raise InvalidRequest(
                f"{option.name} must be a channel: type # and pick one, "
                f"e.g. /{command.name} #general"
            )
    return dict(options)


def click_values(action: Mapping[str, object]) -> list[object]:
    """What a clicked element carries besides its action id: a menu's picked value."""
    if "selected_option" in action:
        option = action["selected_option"]
        return [option.get("value") if isinstance(option, Mapping) else option]
    return []
