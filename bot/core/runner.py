"""The runner: (command, options, request) in, :class:`~bot.core.answer.Answer` out.

Every edge calls it the same way, so no edge writes dispatch again. It checks each
option against its declaration (type, range, length, characters that can't be stored)
before anything runs, refuses a command where it isn't offered, asks the platform's
:class:`~bot.core.surface.Gate` whether the user may, and only then runs the command.
Clicks on buttons and menus and autocomplete go through it too.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Final

from bot.core import actions
from bot.core.answer import Answer
from bot.core.commands import BY_NAME, SAME_ANSWER
from bot.core.errors import InvalidRequest, NotAllowed, PhasebotError, UnknownCommand
from bot.core.handlers import NOT_TRACKED, reset_now, scope_of
from bot.core.lookup import Choice
from bot.core.models import Subject
from bot.core.progress import activity_choices
from bot.core.project import notice
from bot.core.surface import App, Command, Kind, Need, Option, Request, Where

log = logging.getLogger(__name__)

_TRUE: Final = frozenset({"yes", "y", "true", "1", "on"})
_FALSE: Final = frozenset({"no", "n", "false", "0", "off"})
_MAX_DIGITS: Final = 19
_ALLOWED_CONTROLS: Final = frozenset("\t\n\r")
KEPT: Final = 256
"""How many answers of :data:`~bot.core.commands.SAME_ANSWER` commands are kept."""


class Runner:
    """Runs commands, clicks and completions against one :class:`App`."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._kept: dict[tuple[object, ...], Answer] = {}  # least recently used first

    def command(self, name: str, platform: str) -> Command:
        command = BY_NAME.get(name)
        if command is None or not command.offered_on(platform):
            raise UnknownCommand(f"There is no command /{name}.")
        return command

    async def run(self, name: str, options: Mapping[str, object], request: Request) -> Answer:
        command = self.command(name, request.platform)
        values = checked_options(command, options, request.platform)
        if command.where is Where.PROJECTS and request.scope is None:
            raise NotAllowed(NOT_TRACKED)
        await request.gate.require(command.need, request)
        if command.name not in SAME_ANSWER:
            return await command.run(self.app, request, **values)
        key = (command.name, request.scope is None, *values.items())
        answer = self._kept.pop(key, None)
        if answer is None:
            answer = await command.run(self.app, request, **values)
            if len(self._kept) >= KEPT:
                del self._kept[next(iter(self._kept))]
        self._kept[key] = answer
        return answer

    async def click(self, action_id: object, values: Sequence[object], request: Request) -> Answer:
        """A button or menu: what its id says to do, in place of its message or anew."""
        click = actions.decode(action_id)
        fields = click.fields
        if click.kind == "phase":
            answer = await self.run("phase", {"name": fields["name"]}, request)
            return replace(answer, replaces=True)
        if click.kind == "setphase":
            return await self.run("project set", {"phase": fields["phase"]}, request)
        if click.kind == "cmp":
            picked = values[0] if values else actions.ALL_ASPECTS
            if len(values) > 1 or not isinstance(picked, str):
                raise actions.StaleAction()
            aspect = None if picked == actions.ALL_ASPECTS else picked
            options = {"first": fields["first"], "second": fields["second"], "aspect": aspect}
            return replace(await self.run("compare", options, request), replaces=True)
        if click.kind == "hist":
            return replace(await self._history_page(click, request), replaces=True)
        if click.kind == "ov":
            page = click.fields["page"]
            answer = await self._unlisted("project overview", request, page=page)
            return replace(answer, replaces=True)
        if click.kind == "status":
            return await self.run("project status", {}, request)
        return await self._reset(click, request)

    async def _unlisted(self, name: str, request: Request, **options: object) -> Answer:
        """A command with options a click carries but the platform's users don't type."""
        command = self.command(name, request.platform)
        scope_of(request)
        await request.gate.require(command.need, request)
        return await command.run(self.app, request, **options)

    async def _history_page(self, click: actions.Click, request: Request) -> Answer:
        size, anchor = click.fields["size"], click.fields["anchor"]
        assert isinstance(size, int) and isinstance(anchor, int)
        if not 1 <= size <= 50:
            raise actions.StaleAction()
        way = "older_than" if click.fields["way"] == "older" else "newer_than"
        return await self._unlisted("project history", request, limit=size, **{way: anchor})

    async def _reset(self, click: actions.Click, request: Request) -> Answer:
        scope = scope_of(request)
        if click.fields["user"] != request.actor.id:
            user = click.fields["user"]
            raise NotAllowed(f"Only <@{user}>, who asked for the reset, can answer this.")
        expires = click.fields["expires"]
        assert isinstance(expires, int)
        if self.app.tracker.clock().timestamp() > expires:
            return notice("This reset request expired. Nothing was cleared.")
        if click.fields["answer"] != "yes":
            return notice("Reset cancelled. Nothing was cleared.")
        await request.gate.require(Need.MANAGER, request)
        return replace(await reset_now(self.app, request, scope), replaces=True)

    async def complete(
        self,
        name: str,
        option: str,
        typed: object,
        others: Mapping[str, object],
        request: Request,
    ) -> list[Choice]:
        """Autocomplete choices for ``option`` of command ``name``, best first.

        Anything a client can't send (a non-string value, an option with no completion,
        a chat where projects aren't tracked) gets no choices; each edge cuts the list
        and the labels to its own limits."""
        command = BY_NAME.get(name)
        source = None
        if command is not None:
            source = next((o.complete for o in command.options if o.name == option), None)
        if source is None or not isinstance(typed, str):
            log.debug("no completion for /%s %s (typed %r)", name, option, typed)
            return []
        if command is not None and command.where is Where.PROJECTS and request.scope is None:
            log.debug("no %s completion here (typed %r)", source, typed)
            return []  # the command itself is refused here
        catalog = self.app.catalog
        if source == "phase":
            return catalog.complete_phase(typed)
        if source == "subject":
            return catalog.complete_subject(typed)
        if source == "methodology":
            return catalog.complete_subject(typed, catalog.methodologies)
        if source == "methodology-aspect":
            return catalog.complete_aspect(catalog.methodologies, typed)
        if source == "mlops-aspect":
            return catalog.complete_aspect(catalog.mlops, typed)
        if source in ("second", "aspect"):
            first = _subject(self.app, others.get("first"))
            if source == "aspect":
                table = catalog.table_of(first) if first else catalog.methodologies
                return catalog.complete_aspect(table, typed)
            found = catalog.complete_subject(typed, catalog.table_of(first) if first else None)
            return [c for c in found if first is None or c.value != first.key]
        if source == "activity" and request.scope is not None:
            status = await self.app.tracker.status(request.scope)
            return activity_choices(status, self.app.tracker.content, typed)
        log.debug("no %s completion here (typed %r)", source, typed)
        return []


def _subject(app: App, typed: object) -> Subject | None:
    """The subject an already-typed option names, if any."""
    if not isinstance(typed, str) or not typed:
        return None
    try:
        return app.catalog.subject(typed)
    except PhasebotError:
        return None


def checked_options(
    command: Command, options: Mapping[str, object], platform: str
) -> dict[str, object]:
    """The options as the command's function takes them, each checked against its
    declaration. Raises :class:`InvalidRequest` with a plain message for a bad one."""
    declared = {o.name: o for o in command.options if o.offered_on(platform)}
    values: dict[str, object] = {}
    for name, value in options.items():
        option = declared.get(name)
        if option is None:
            names = ", ".join(declared) or "none"
            raise InvalidRequest(
                f"/{command.name} has no option '{name}'. Options: {names}. "
                f"Example: {command.example}"
            )
        if value is None:
            continue
        checked = _check(command, option, value)
        if checked is not None:
            values[name] = checked
    missing = [o.name for o in declared.values() if o.required and o.name not in values]
    if missing:
        raise InvalidRequest(
            f"/{command.name} needs {' and '.join(missing)}. Example: {command.example}"
        )
    return values


def _check(command: Command, option: Option, value: object) -> object:
    if option.kind is Kind.INTEGER:
        return _integer(option, value)
    if option.kind is Kind.BOOLEAN:
        return _boolean(option, value)
    if option.kind in (Kind.ROLE, Kind.CHANNEL):
        ref = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        what = "a role" if option.kind is Kind.ROLE else "a channel"
        strict = option.kind is Kind.ROLE  # an id; a channel may be a console's name
        if (
            not isinstance(ref, str)
            or not ref.strip()
            or len(ref) > 100
            or (strict and not (ref.isascii() and ref.isalnum() and len(ref) <= 32))
        ):
            raise InvalidRequest(f"{option.name} must be {what}.")
        _require_storable(option.name, ref)
        return ref.strip()
    if not isinstance(value, str):
        raise InvalidRequest(f"{option.name} must be text.")
    _require_storable(option.name, value)
    value = value.strip()
    if option.choices and value.casefold() not in option.choices:
        raise InvalidRequest(f"{option.name} must be one of: {', '.join(option.choices)}.")
    if option.choices:
        return value.casefold()
    if option.max_length is not None and len(value) > option.max_length:
        raise InvalidRequest(
            f"That {option.name} is {len(value):,} characters long; "
            f"keep it to {option.max_length} or fewer."
        )
    return value or None


def _integer(option: Option, value: object) -> int:
    low = option.min_value if option.min_value is not None else 0
    high = option.max_value if option.max_value is not None else 10**_MAX_DIGITS
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS:
            number = int(text)
    if number is None or not low <= number <= high:
        raise InvalidRequest(f"{option.name} must be a whole number from {low} to {high}.")
    return number


def _boolean(option: Option, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().casefold() in _TRUE | _FALSE:
        return value.strip().casefold() in _TRUE
    raise InvalidRequest(f"{option.name} must be yes or no.")


def _require_storable(name: str, value: str) -> None:
    """Refuse text with control characters or lone surrogates: it can't be stored or
    shown safely (a terminal would run an escape sequence)."""
    if value.isprintable():  # no character of a category C* (nor Z*, but for space)
        return
    for char in value:
        category = unicodedata.category(char)
        if (category == "Cc" and char not in _ALLOWED_CONTROLS) or category == "Cs":
            raise InvalidRequest(
                f"That {name} contains a control character or an unpaired surrogate, "
                "which I can't store or show. Please type it again without it."
            )
