"""The bot's commands as text: `phasebot console` and `phasebot ask`.

A line is parsed with the core's grammar (:mod:`bot.core.parse`), run by the same
runner as Discord and Slack, and the answer is rendered as plain text. Everything
printed is stripped of control characters, so stored text can't drive the terminal.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from bot.core import team
from bot.core.answer import Answer, Inline, Text, Time, plain_piece, render
from bot.core.errors import InvalidRequest
from bot.core.parse import parse
from bot.core.runner import Runner
from bot.core.state import Actor, Change, Event, Place, Scope, Snapshot
from bot.core.surface import OpenGate, Request
from bot.core.tracker import EventPage, Repository, StorageError

log = logging.getLogger(__name__)

PLATFORM: Final = "console"
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def channel_id_for(name: str) -> str:
    """A stable id for a console channel name (as earlier versions stored it)."""
    digest = hashlib.sha256(name.strip().casefold().encode()).digest()
    return str(int.from_bytes(digest[:6], "big") + 2)


class Console:
    """Parses and answers console lines, as the terminal's user (who may do anything)."""

    def __init__(self, runner: Runner, channel: str = "console") -> None:
        self.runner = runner
        self.channel = channel
        actor = Actor("0", getpass.getuser())
        self.request = Request(
            PLATFORM, actor, scope_of(channel), OpenGate(), buttons=False, channel=scope_of
        )

    async def execute(self, line: str) -> Answer:
        command, options = parse(line, PLATFORM)
        log.debug("console command /%s %s", command.name, options)
        return await self.runner.run(command.name, options, self.request)

    async def reminder(self) -> Answer | None:
        """This channel's reminder, if one is due and not yet shown (the console's way of
        posting it: when the console is opened on the channel)."""
        tracker = self.runner.app.tracker
        now = tracker.clock()
        try:
            due, _ = await team.reminders(tracker, PLATFORM, now)
        except StorageError as exc:  # the console still answers; /project will say why
            log.info("no reminder check: %s", exc)
            return None
        here = self.request.scope
        for found in due:
            mine = here is not None and found.scope.key == here.key
            if mine and await team.claim(tracker, found, now):
                return team.reminder_answer(found, tracker.content, now)
        return None


def scope_of(name: str) -> Scope:
    """A console channel, by its name."""
    name = name.strip().lstrip("#")
    return Scope(PLATFORM, "", channel_id_for(name), label=name)


def present(answer: Answer, folder: Path, out: Path | None = None) -> str:
    """The answer as text, with what it posted elsewhere; its file saved to ``out`` (or
    under its own name in ``folder``, never over an existing file)."""
    shown = render_text(answer)
    for post in answer.posts:
        where = post.channel.name or post.channel.channel_id
        shown += f"\nPosted in #{sanitize(where)}:\n{render_text(post.answer)}"
    if answer.file is not None:
        path = out or _free(folder / answer.file.name)
        try:
            path.write_bytes(answer.file.data)
        except OSError as exc:
            raise InvalidRequest(f"I couldn't save {path} ({exc.strerror}).") from None
        shown += f"\nSaved {sanitize(str(path))} ({len(answer.file.data):,} bytes).\n"
    elif out is not None:
        shown += f"\n(Nothing saved to {sanitize(str(out))}: this answer has no file.)\n"
    return shown


def _free(path: Path) -> Path:
    """``path``, or ``name-2.ext``, ``name-3.ext``... if it exists."""
    found, number = path, 1
    while found.exists():
        number += 1
        found = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return found


class OnFirstUse:
    """A repository opened when a project command first needs it, so that questions
    never touch (or create) the database."""

    def __init__(self, opener: Callable[[], Awaitable[Repository]]) -> None:
        self._opener = opener
        self._opened: Repository | None = None

    async def _repository(self) -> Repository:
        if self._opened is None:
            self._opened = await self._opener()
        return self._opened

    async def close(self) -> None:
        opened, self._opened = self._opened, None
        close = getattr(opened, "close", None)
        if close is not None:
            await close()

    async def load(self, scope: Scope) -> Snapshot:
        return await (await self._repository()).load(scope)

    async def append(self, scope: Scope, expected: int, change: Change) -> int | None:
        return await (await self._repository()).append(scope, expected, change)

    async def history(
        self,
        scope: Scope,
        limit: int,
        *,
        offset: int = 0,
        older_than: int | None = None,
        newer_than: int | None = None,
    ) -> EventPage:
        repository = await self._repository()
        return await repository.history(
            scope, limit, offset=offset, older_than=older_than, newer_than=newer_than
        )

    async def channels(self, place: Place) -> list[tuple[Scope, Snapshot]]:
        return await (await self._repository()).channels(place)

    async def events(self, scope: Scope, after: int, limit: int) -> list[Event]:
        return await (await self._repository()).events(scope, after, limit)

    async def setting(self, place: Place, key: str) -> str | None:
        return await (await self._repository()).setting(place, key)

    async def places(self, platform: str, key: str) -> list[tuple[Place, str]]:
        return await (await self._repository()).places(platform, key)

    async def claim(self, place: Place, key: str, value: str, actor: Actor, at: datetime) -> bool:
        return await (await self._repository()).claim(place, key, value, actor, at)

    async def set_setting(
        self, place: Place, key: str, value: str | None, actor: Actor, at: datetime
    ) -> None:
        await (await self._repository()).set_setting(place, key, value, actor, at)


# -- rendering --------------------------------------------------------------------------


def render_text(answer: Answer, now: datetime | None = None) -> str:
    """An answer as plain text for a terminal, with no control characters in it."""
    moment = now or datetime.now(UTC)

    def clean(value: str | Text) -> str:
        return render(value, lambda piece: _inline(piece, moment))

    if answer.plain:
        return sanitize(clean(answer.description)) + "\n"
    title = clean(answer.title)
    lines = [title, "=" * min(len(title), 72)]
    if answer.description:
        lines += [clean(answer.description), ""]
    for field in answer.fields:
        value = clean(field.value)
        if field.inline and "\n" not in value:
            lines.append(f"{clean(field.name)}: {value}")
        else:
            if lines[-1]:
                lines.append("")
            lines.append(clean(field.name))
            lines += [f"  {line}" for line in value.splitlines()]
            lines.append("")
    if answer.footer:
        if lines[-1]:
            lines.append("")
        lines.append(clean(answer.footer))
    return sanitize("\n".join(lines).rstrip()) + "\n"


def sanitize(text: str) -> str:
    """``text`` without control characters (but line breaks) or direction overrides."""
    return _CONTROL.sub("", text).replace("\t", " ")


def _inline(piece: Inline, now: datetime) -> str:
    if isinstance(piece, Time):
        return _format_time(piece.moment, now)
    return plain_piece(piece)


def _format_time(moment: datetime, now: datetime) -> str:
    moment = datetime.fromtimestamp(int(moment.timestamp()), UTC)
    seconds = int((now - moment).total_seconds())
    ago = abs(seconds)
    relative = "just now"
    if ago >= 60:
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if ago >= size:
                count = ago // size
                phrase = f"{count} {unit}{'s' if count != 1 else ''}"
                relative = f"{phrase} ago" if seconds >= 0 else f"in {phrase}"
                break
    return f"{moment:%Y-%m-%d %H:%M} UTC ({relative})"


def printable(name: str) -> bool:
    """Whether a name (a channel) is text that can be stored and shown."""
    return bool(name.strip()) and not any(unicodedata.category(c) in ("Cc", "Cs") for c in name)
