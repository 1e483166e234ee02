"""Action ids: the state of a button or menu, written into the id the platform sends back.

``pb:phase:testing`` shows the Testing phase; ``pb:hist:older:42:10`` the ten history
entries older than event 42. Discord keeps them as ``custom_id`` (at most 100
characters), Slack as ``action_id``. Since every id carries all it needs, a click on a
message sent before a restart still works. :func:`decode` parses and range-checks every
field, because anyone can forge a click.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from bot.core.errors import InvalidRequest

PREFIX: Final = "pb:"
ALL_ASPECTS: Final = "*"
"""The menu value under a comparison that shows every aspect."""
MAX_ID: Final = 2**63 - 1
"""The largest event id or time a click may carry (a 64-bit signed integer)."""

_KEY = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_USER = r"[A-Za-z0-9]{1,32}"
_NUMBER = r"[0-9]{1,19}"
_PATTERNS: Final[Mapping[str, re.Pattern[str]]] = {
    "phase": re.compile(rf"pb:phase:(?P<name>{_KEY})"),
    "setphase": re.compile(rf"pb:setphase:(?P<phase>{_KEY})"),
    "cmp": re.compile(rf"pb:cmp:(?P<first>{_KEY}):(?P<second>{_KEY})"),
    "hist": re.compile(rf"pb:hist:(?P<way>older|newer):(?P<anchor>{_NUMBER}):(?P<size>{_NUMBER})"),
    "ov": re.compile(r"pb:ov:(?P<page>[0-9]{1,9})"),
    "status": re.compile(r"pb:status"),
    "reset": re.compile(rf"pb:reset:(?P<answer>yes|no):(?P<user>{_USER}):(?P<expires>{_NUMBER})"),
}


class StaleAction(InvalidRequest):
    def __init__(self) -> None:
        super().__init__(
            "That button or menu isn't one I can use (it may be from an older version of "
            "phasebot). Run the command again for a fresh one."
        )


@dataclass(frozen=True, slots=True)
class Click:
    """A decoded action: which kind, and its fields (numbers as ints)."""

    kind: str
    fields: Mapping[str, str | int] = field(default_factory=dict)


def phase(key: str) -> str:
    return f"{PREFIX}phase:{key}"


def set_phase(key: str) -> str:
    return f"{PREFIX}setphase:{key}"


def compare(first: str, second: str) -> str:
    return f"{PREFIX}cmp:{first}:{second}"


def history(way: str, anchor: int, size: int) -> str:
    return f"{PREFIX}hist:{way}:{anchor}:{size}"


def overview(page: int) -> str:
    return f"{PREFIX}ov:{page}"


def status() -> str:
    return f"{PREFIX}status"


def reset(answer: str, user_id: str, expires: int) -> str:
    return f"{PREFIX}reset:{answer}:{user_id}:{expires}"


def decode(action_id: object) -> Click:
    """The click an action id stands for. Raises :class:`StaleAction` for anything else."""
    if not isinstance(action_id, str) or not action_id.startswith(PREFIX):
        raise StaleAction()
    kind = action_id[len(PREFIX) :].split(":", 1)[0]
    pattern = _PATTERNS.get(kind)
    match = pattern.fullmatch(action_id) if pattern is not None else None
    if match is None:
        raise StaleAction()
    fields: dict[str, str | int] = {}
    for name, value in match.groupdict().items():
        if re.fullmatch(_NUMBER, value) and name in ("anchor", "size", "expires", "page"):
            number = int(value)
            if number > MAX_ID:
                raise StaleAction()
            fields[name] = number
        else:
            fields[name] = value
    return Click(kind, fields)
