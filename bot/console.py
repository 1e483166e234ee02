"""The bot's slash commands as text: `phasebot console` and `phasebot ask`.

A line such as ``/compare agile spiral aspect:testing`` is parsed into a command and
its options, answered by the same core services as Discord, and the
:class:`~bot.core.answer.Answer` is rendered as plain text.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import re
import shlex
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.core.answer import Answer
from bot.core.errors import InvalidRequest, UnknownCommand
from bot.core.help import help_answer
from bot.core.progress import Actor, Scope
from bot.core.project import HISTORY_PAGE_SIZE
from bot.core.tracker import Tracker
from bot.services import Services
from bot.storage import ProgressStore

log = logging.getLogger(__name__)

CONSOLE_GUILD_ID = 1
"""The console's progress is stored under this guild id, which no Discord server has."""


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    required: bool = False
    rest: bool = False
    """Takes all remaining words (free text such as a question or a note)."""


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    params: tuple[Param, ...]
    run: Callable[[Mapping[str, str]], Awaitable[Answer]]
    example: str
    free_text: bool = False
    """Words like ``drift:`` are part of the text, never option names (for /ask)."""


_OPTION = re.compile(r"^([a-z][a-z-]*):(.*)$", re.DOTALL)


def channel_id_for(name: str) -> int:
    """A stable id for a console channel name (ids below 2**53, never a real snowflake)."""
    digest = hashlib.sha256(name.strip().casefold().encode()).digest()
    return int.from_bytes(digest[:6], "big") + 2


class Console:
    """Parses and answers console lines.

    Project commands open the progress database on first use (so knowledge questions
    never touch it); call :meth:`aclose` when done. The console's user may change
    anything: there are no Discord permissions here.
    """

    def __init__(self, services: Services, database: Path, channel: str = "console") -> None:
        self.services = services
        self.database = database
        self.channel = channel
        self.scope = Scope(guild_id=CONSOLE_GUILD_ID, channel_id=channel_id_for(channel))
        self.actor = Actor(id=0, name=getpass.getuser())
        self._store: ProgressStore | None = None
        self._tracker: Tracker | None = None
        commands = [
            Command("help", (), self._help, "/help"),
            Command("phase", (Param("name", True, rest=True),), self._phase, "/phase testing"),
            Command("phases", (), self._phases, "/phases"),
            Command(
                "compare",
                (Param("first", True), Param("second", True), Param("aspect", rest=True)),
                self._compare,
                "/compare agile spiral",
            ),
            Command(
                "methodology",
                (Param("name", True), Param("aspect", rest=True)),
                self._methodology,
                "/methodology agile flexibility",
            ),
            Command("mlops", (Param("aspect", rest=True),), self._mlops, "/mlops testing"),
            Command(
                "ask",
                (Param("question", True, rest=True),),
                self._ask,
                "/ask how flexible is waterfall?",
                free_text=True,
            ),
            Command("project status", (), self._status, "/project status"),
            Command(
                "project set",
                (Param("phase", True), Param("note", rest=True)),
                self._set,
                "/project set testing ready for QA",
            ),
            Command("project next", (Param("note", rest=True),), self._next, "/project next"),
            Command("project back", (Param("note", rest=True),), self._back, "/project back"),
            Command(
                "project check",
                (Param("activity", True, rest=True),),
                self._check,
                "/project check fix-bugs",
            ),
            Command(
                "project methodology",
                (Param("name", True, rest=True),),
                self._methodology_set,
                "/project methodology agile",
            ),
            Command(
                "project history",
                (Param("limit"), Param("page")),
                self._history,
                "/project history 10",
            ),
            Command(
                "project reset", (Param("confirm"),), self._reset, "/project reset confirm:yes"
            ),
            Command(
                "project editor-role",
                (Param("role", rest=True),),
                self._editor_role,
                "/project editor-role (in Discord only)",
            ),
        ]
        self.commands: dict[str, Command] = {c.name: c for c in commands}
        self._knowledge = services.knowledge

    async def aclose(self) -> None:
        if self._store is not None:
            await self._store.close()
            self._store = None

    async def tracker(self) -> Tracker:
        if self._tracker is None:
            self._store = await ProgressStore.open(self.database)
            self._tracker = Tracker(self._store, self.services.catalog)
        return self._tracker

    # -- parsing -----------------------------------------------------------------------

    def parse(self, line: str) -> tuple[Command, dict[str, str]]:
        text = line.strip()
        first, *words = text.split() or [""]
        name = first.removeprefix("/").casefold()
        ask = self.commands["ask"]
        if name == "ask":  # a question is free text, with no quoting rules: what's, don't
            return ask, self._bind(ask, words)
        is_command = name in self.commands or name == "project"
        if first and not first.startswith("/") and not is_command:
            return ask, self._bind(ask, text.split())  # a question asked without /ask
        try:
            tokens = shlex.split(text)
        except ValueError as exc:
            raise InvalidRequest(f"I couldn't read that line: {exc}.") from None
        if not tokens:
            raise InvalidRequest("Type a command, e.g. /phase testing, or /help.")
        name = tokens[0].removeprefix("/").casefold()
        rest = tokens[1:]
        if name == "project":
            subcommands = ", ".join(c.split()[1] for c in self.commands if c.startswith("project "))
            if not rest:
                raise InvalidRequest(f"/project needs a subcommand: {subcommands}.")
            name, rest = f"project {rest[0].casefold()}", rest[1:]
            if name not in self.commands:
                raise UnknownCommand(f"There is no command /{name}. Subcommands: {subcommands}.")
        command = self.commands.get(name)
        if command is None:
            known = ", ".join(f"/{c}" for c in self.commands if not c.startswith("project "))
            raise UnknownCommand(f"There is no command /{name}. Commands: {known}, /project.")
        return command, self._bind(command, rest)

    def _bind(self, command: Command, tokens: list[str]) -> dict[str, str]:
        """Options by name (``aspect:testing``) or by position; free text runs to the end."""
        params = {p.name: p for p in command.params}
        if tokens and not params:
            raise InvalidRequest(f"/{command.name} takes no options. Example: {command.example}")
        values: dict[str, list[str]] = {}
        current: Param | None = None
        for token in tokens:
            match = _OPTION.match(token)
            in_free_text = current is not None and current.rest and bool(values[current.name])
            if match and match.group(1) in params:
                current = params[match.group(1)]
                if current.name in values:
                    raise InvalidRequest(f"/{command.name} got {current.name} twice.")
                values[current.name] = [match.group(2)] if match.group(2) else []
                continue
            if match and not in_free_text and not command.free_text:
                raise InvalidRequest(
                    f"/{command.name} has no option '{match.group(1)}'. "
                    f"Options: {', '.join(params)}. Example: {command.example}"
                )
            if current is not None and (current.rest or not values[current.name]):
                values[current.name].append(token)
                continue
            free = next((p for p in command.params if p.name not in values), None)
            if free is None:
                raise InvalidRequest(
                    f"Too many words for /{command.name}; quote a value with spaces. "
                    f"Example: {command.example}"
                )
            values[free.name] = [token]
            current = free
        bound = {k: " ".join(v).strip() for k, v in values.items() if " ".join(v).strip()}
        missing = [p.name for p in command.params if p.required and p.name not in bound]
        if missing:
            raise InvalidRequest(
                f"/{command.name} needs {' and '.join(missing)}. Example: {command.example}"
            )
        return bound

    async def execute(self, line: str) -> Answer:
        command, options = self.parse(line)
        log.debug("console command /%s %s", command.name, options)
        return await command.run(options)

    # -- knowledge commands ------------------------------------------------------------

    async def _help(self, options: Mapping[str, str]) -> Answer:
        return help_answer()

    async def _phase(self, options: Mapping[str, str]) -> Answer:
        return self._knowledge.phase(options["name"])

    async def _phases(self, options: Mapping[str, str]) -> Answer:
        return self._knowledge.phases()

    async def _compare(self, options: Mapping[str, str]) -> Answer:
        return self._knowledge.compare(options["first"], options["second"], options.get("aspect"))

    async def _methodology(self, options: Mapping[str, str]) -> Answer:
        return self._knowledge.methodology(options["name"], options.get("aspect"))

    async def _mlops(self, options: Mapping[str, str]) -> Answer:
        return self._knowledge.mlops(options.get("aspect"))

    async def _ask(self, options: Mapping[str, str]) -> Answer:
        return self.services.asker.ask(options["question"])

    # -- project commands --------------------------------------------------------------

    async def _status(self, options: Mapping[str, str]) -> Answer:
        return await (await self.tracker()).status(self.scope)

    async def _set(self, options: Mapping[str, str]) -> Answer:
        tracker = await self.tracker()
        return await tracker.set(self.scope, self.actor, options["phase"], options.get("note"))

    async def _next(self, options: Mapping[str, str]) -> Answer:
        return await (await self.tracker()).next(self.scope, self.actor, options.get("note"))

    async def _back(self, options: Mapping[str, str]) -> Answer:
        return await (await self.tracker()).back(self.scope, self.actor, options.get("note"))

    async def _check(self, options: Mapping[str, str]) -> Answer:
        return await (await self.tracker()).check(self.scope, self.actor, options["activity"])

    async def _methodology_set(self, options: Mapping[str, str]) -> Answer:
        tracker = await self.tracker()
        return await tracker.methodology(self.scope, self.actor, options["name"])

    async def _history(self, options: Mapping[str, str]) -> Answer:
        limit = _whole_number(options.get("limit"), "limit", 1, 50, HISTORY_PAGE_SIZE)
        page = _whole_number(options.get("page"), "page", 1, 10**6, 1)
        found = await (await self.tracker()).history(self.scope, page - 1, limit)
        return found.answer

    async def _reset(self, options: Mapping[str, str]) -> Answer:
        if options.get("confirm", "").casefold() not in {"yes", "y", "true"}:
            raise InvalidRequest(
                "This clears the channel's phase, checklist and history and can't be undone. "
                "To go ahead: /project reset confirm:yes"
            )
        return await (await self.tracker()).reset(self.scope, self.actor)

    async def _editor_role(self, options: Mapping[str, str]) -> Answer:
        raise InvalidRequest(
            "Editor roles exist only in Discord servers; here you may change anything."
        )


def _whole_number(text: str | None, name: str, low: int, high: int, default: int) -> int:
    if text is None:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 9) or not low <= int(text) <= high:
        raise InvalidRequest(f"{name} must be a whole number from {low} to {high}.")
    return int(text)


# -- rendering --------------------------------------------------------------------------

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_TIME = re.compile(r"<t:(-?\d+):([tTdDfFR])>")
_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE = re.compile(r"<@&(\d+)>")


def render_text(answer: Answer, now: datetime | None = None) -> str:
    """An answer as plain text for a terminal."""
    now = now or datetime.now(UTC)

    def clean(text: str) -> str:
        text = _BOLD.sub(r"\1", text).replace("`", "")
        text = _TIME.sub(lambda m: _format_time(int(m.group(1)), now), text)
        text = _ROLE.sub(lambda m: f"role {m.group(1)}", text)
        return _MENTION.sub(lambda m: _person(answer, int(m.group(1))), text)

    lines = [clean(answer.title), "=" * min(len(clean(answer.title)), 72)]
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
    return "\n".join(lines).rstrip() + "\n"


def _person(answer: Answer, user_id: int) -> str:
    name = answer.people.get(user_id)
    return f"@{name}" if name else f"user {user_id}"


def _format_time(epoch: int, now: datetime) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    seconds = int((now - moment).total_seconds())
    ago = abs(seconds)
    if ago < 60:
        relative = "just now"
    else:
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if ago >= size:
                count = ago // size
                phrase = f"{count} {unit}{'s' if count != 1 else ''}"
                relative = f"{phrase} ago" if seconds >= 0 else f"in {phrase}"
                break
    return f"{moment:%Y-%m-%d %H:%M} UTC ({relative})"
