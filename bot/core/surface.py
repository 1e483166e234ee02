"""How a command is declared, and what a call of one carries.

Every command is declared once (:mod:`bot.core.commands`) as a :class:`Command`: its
name, options with their types, ranges and completion source, description and example,
who may run it and where it is offered. The console's and Slack's parsers, ``/help``,
Slack's manifest and the runner's checks are derived from it; the Discord cogs are
checked against it by a structural test.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from bot.core.answer import Answer
from bot.core.state import Actor, Scope

if TYPE_CHECKING:
    from bot.core.knowledge import Knowledge
    from bot.core.lookup import Catalog
    from bot.core.search import Asker
    from bot.core.tracker import Tracker


class Kind(Enum):
    """An option's type."""

    TEXT = "text"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    ROLE = "role"
    """A Discord role (Slack: a user group), by id."""
    CHANNEL = "channel"
    """A channel of the same workspace, by id (the console: by name)."""


class Need(Enum):
    """Who may run a command; each platform's :class:`Gate` says who that is."""

    ANYONE = "anyone"
    EDITOR = "editor"
    """May change a channel's project."""
    MANAGER = "manager"
    """May reset a project and choose the editors."""


class Where(Enum):
    EVERYWHERE = "everywhere"
    """Servers, DMs with the bot, and (user-installed) any chat."""
    PROJECTS = "projects"
    """Where projects are tracked: server channels and DMs with the bot."""


@dataclass(frozen=True, slots=True)
class Option:
    name: str
    description: str
    kind: Kind = Kind.TEXT
    min_value: int | None = None
    max_value: int | None = None
    required: bool = False
    max_length: int | None = None
    complete: str | None = None
    """The autocomplete source (see ``Runner.complete``), if any."""
    rest: bool = False
    """In a line of text: takes the rest of the line (a question, a note)."""
    platforms: frozenset[str] | None = None
    """Offered only on these platforms (None: everywhere)."""
    placeholder: str = ""
    """How ``/help`` shows its value: ``<phase>``."""
    choices: tuple[str, ...] = ()
    """The only values it takes, if it takes only some."""

    def offered_on(self, platform: str) -> bool:
        return self.platforms is None or platform in self.platforms


Handler = Callable[..., Awaitable[Answer]]


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    """``phase``, or ``project set`` for a subcommand."""
    description: str
    example: str
    run: Handler
    options: tuple[Option, ...] = ()
    need: Need = Need.ANYONE
    where: Where = Where.EVERYWHERE
    platforms: frozenset[str] | None = None
    free_text: bool = False
    """Words like ``drift:`` in a line are part of the text, never option names (/ask)."""
    section: str = ""
    """Its heading in ``/help`` (default: Knowledge, or Project tracking for /project)."""

    @property
    def group(self) -> str | None:
        """The parent command of a subcommand: ``project``."""
        head, _, tail = self.name.partition(" ")
        return head if tail else None

    @property
    def heading(self) -> str:
        return self.section or ("Project tracking" if self.group else "Knowledge")

    @property
    def leaf(self) -> str:
        return self.name.rpartition(" ")[2]

    def option(self, name: str) -> Option:
        return next(o for o in self.options if o.name == name)

    def offered_on(self, platform: str) -> bool:
        return self.platforms is None or platform in self.platforms

    def usage(self, platform: str | None = None) -> str:
        """``/compare first:<a> second:<b> [aspect:<x>]``."""
        parts = [f"/{self.name}"]
        for option in self.options:
            if platform is not None and not option.offered_on(platform):
                continue
            if platform is None and option.platforms is not None:
                continue
            shown = f"{option.name}:{option.placeholder or '<' + option.name + '>'}"
            parts.append(shown if option.required else f"[{shown}]")
        return " ".join(parts)


class Gate(Protocol):
    """A platform's permission check for one request."""

    async def require(self, need: Need, request: Request) -> None:
        """Raise :class:`~bot.core.errors.NotAllowed` unless the request's user may."""
        ...

    async def sees(self, scope: Scope) -> bool:
        """Whether the request's user may see that channel (for overviews)."""
        ...


class OpenGate:
    """Everyone may do everything (the console: its user owns the terminal)."""

    async def require(self, need: Need, request: Request) -> None:
        return None

    async def sees(self, scope: Scope) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class Request:
    """One call: who asks, on which platform, about which channel's project.

    ``scope`` is None where projects are not tracked (another person's DM, a group
    chat). ``buttons``: the platform shows buttons (the console does not).
    """

    platform: str
    actor: Actor
    scope: Scope | None
    gate: Gate
    buttons: bool = True
    channel: Callable[[str], Scope] | None = None
    """The scope of a channel option's value (its id, or on the console its name)."""


@dataclass(frozen=True, slots=True)
class App:
    """Everything the commands answer from, built once at start-up."""

    catalog: Catalog
    knowledge: Knowledge
    asker: Asker
    tracker: Tracker
