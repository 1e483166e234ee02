"""A channel's project as data: where it is, what happened, what a change writes.

Nothing here decides anything (the rules are in :mod:`bot.core.progress`) and nothing
does I/O (repositories in :mod:`bot.storage` read and write these).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal, get_args

from bot.core.content import DEFAULT_METHODOLOGY

EventKind = Literal["phase", "check", "uncheck", "methodology"]
MoveKind = Literal["set", "next", "back"]
EVENT_KINDS: Final[tuple[str, ...]] = get_args(EventKind)
MOVE_KINDS: Final[tuple[str, ...]] = get_args(MoveKind)


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose progress: one channel of one platform.

    ``workspace`` is the Discord server or Slack workspace, ``""`` where there is none
    (a Discord DM, the console). ``private``: a DM with the bot, owned by its user.
    ``label`` is a display name (the console's channel name), not part of the identity.
    """

    platform: str
    workspace: str
    channel: str
    private: bool = field(default=False, compare=False)
    label: str = field(default="", compare=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.platform, self.workspace, self.channel)


@dataclass(frozen=True, slots=True)
class Place:
    """A workspace-wide or channel setting's owner (``channel`` "" for workspace-wide)."""

    platform: str
    workspace: str
    channel: str = ""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something: a platform user id and the display name at that time."""

    id: str
    name: str


SYSTEM: Final = Actor("0", "phasebot")
"""phasebot itself, for what it records on its own (a reminder sent, the synced commands)."""


@dataclass(frozen=True, slots=True)
class ProjectState:
    """A channel's current position. ``phase_key`` None: no phase set yet."""

    phase_key: str | None = None
    methodology: str = DEFAULT_METHODOLOGY
    iteration: int = 1
    since: datetime | None = None
    set_by: Actor | None = None


@dataclass(frozen=True, slots=True)
class Tick:
    """A ticked activity of a phase in an iteration."""

    activity_key: str
    actor: Actor
    at: datetime


Ticks = Mapping[str, Mapping[str, Tick]]
"""The current iteration's ticks: phase key -> activity key -> tick."""


@dataclass(frozen=True, slots=True)
class ProjectStatus:
    """The state plus the ticks of the current iteration's current phase, by activity key."""

    state: ProjectState
    ticks: Mapping[str, Tick] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A channel as a repository read it: state, the current iteration's ticks of every
    phase, and its version (0: never written; every change adds one)."""

    state: ProjectState = ProjectState()
    ticks: Ticks = field(default_factory=dict)
    version: int = 0

    @property
    def status(self) -> ProjectStatus:
        phase = self.state.phase_key
        return ProjectStatus(self.state, self.ticks.get(phase, {}) if phase else {})


@dataclass(frozen=True, slots=True)
class Event:
    """One history entry.

    ``kind`` "phase": ``from_phase`` → ``to_phase`` (``from_phase`` None for the first
    set), with ``note``, ``rework`` and ``new_iteration``. "check" / "uncheck":
    ``detail`` is the activity key, ``to_phase`` its phase. "methodology": ``detail``
    is the new methodology key. ``iteration`` is the iteration after the event.
    ``id`` is 0 until a repository stores it.
    """

    kind: EventKind
    actor: Actor
    at: datetime
    from_phase: str | None = None
    to_phase: str | None = None
    note: str | None = None
    rework: bool = False
    iteration: int = 1
    new_iteration: bool = False
    detail: str | None = None
    id: int = 0


@dataclass(frozen=True, slots=True)
class TickChange:
    """Tick (``tick`` set) or untick (``tick`` None) one activity of a phase in an iteration."""

    iteration: int
    phase_key: str
    activity_key: str
    tick: Tick | None


@dataclass(frozen=True, slots=True)
class Change:
    """What one change writes, as the rules planned it: the channel's new state, the
    event for its history, and a tick or untick. ``reset`` clears the history and
    ticks instead (``event`` None)."""

    state: ProjectState
    event: Event | None
    tick: TickChange | None = None
    reset: bool = False


def applied(snapshot: Snapshot, change: Change, version: int) -> Snapshot:
    """``snapshot`` once ``change`` is written at ``version``. Ticks kept in a snapshot
    are the current iteration's, so a new iteration (or a reset) starts with none."""
    if change.reset or change.state.iteration != snapshot.state.iteration:
        ticks: dict[str, dict[str, Tick]] = {}
    else:
        ticks = {phase: dict(found) for phase, found in snapshot.ticks.items()}
    tick = change.tick
    if tick is not None and tick.iteration == change.state.iteration:
        phase = ticks.setdefault(tick.phase_key, {})
        if tick.tick is None:
            phase.pop(tick.activity_key, None)
        else:
            phase[tick.activity_key] = tick.tick
    return Snapshot(change.state, ticks, version)


@dataclass(frozen=True, slots=True)
class Move:
    """A phase change the rules allow."""

    from_key: str | None
    to_key: str
    rework: bool = False
    new_iteration: bool = False
    iteration_after: int = 1
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Check:
    """An activity tick (``checked`` True) or untick the rules allow."""

    phase_key: str
    activity_key: str
    checked: bool
    iteration: int


@dataclass(frozen=True, slots=True)
class MethodologyChange:
    from_key: str
    to_key: str
