"""The Tracker service: each channel's project phase, read and changed under the rules.

A change loads the channel from a :class:`Repository`, decides with the pure rules of
:mod:`bot.core.progress` and appends the resulting :class:`~bot.core.state.Change` only
if the channel is still at the version it read. If another task or process changed it
first, the change is planned again on a fresh read; a refusal is only ever given on a
fresh read. Within one process, changes to one channel take turns (a lock per channel),
so that only other processes' writes can make a change plan again. The repository
knows no rules, and nothing here knows SQL or a platform.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final, Protocol, TypeVar

from bot.core.errors import PhasebotError
from bot.core.models import Content
from bot.core.progress import (
    check_change,
    clean_note,
    methodology_change,
    move_change,
    plan_check,
    plan_methodology,
    plan_move,
    reset_change,
)
from bot.core.state import (
    Actor,
    Change,
    Check,
    Event,
    MethodologyChange,
    Move,
    MoveKind,
    Place,
    ProjectStatus,
    Scope,
    Snapshot,
    applied,
)

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
"""The current time, timezone-aware (injected, so tests and reminders control it)."""

T = TypeVar("T")

ATTEMPTS: Final = 20
"""How often a change is planned again when the channel changed under it."""
BACKOFF_SECONDS: Final = 0.002
"""The longest pause before the second attempt; it grows with each attempt."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class StorageError(PhasebotError):
    """The database can't be used right now; nothing was written."""


class DatabaseBusy(StorageError):
    def __init__(self) -> None:
        super().__init__("The database is busy. Nothing was changed; try again in a moment.")


class DatabaseReadOnly(StorageError):
    def __init__(self) -> None:
        super().__init__(
            "The database is read-only, so I can't record changes. Nothing was changed; "
            "ask whoever runs phasebot to check the database's permissions."
        )


class ConcurrentChange(StorageError):
    def __init__(self) -> None:
        super().__init__(
            "This channel's project was being changed somewhere else at the same moment. "
            "Nothing was changed; please try again."
        )


@dataclass(frozen=True, slots=True)
class EventPage:
    """Some events of a channel, newest first; ``total`` events in all, ``newer`` of
    them newer than this page."""

    events: list[Event]
    total: int
    newer: int


class Repository(Protocol):
    """What the Tracker needs from storage. Implementations know no rules."""

    async def load(self, scope: Scope) -> Snapshot:
        """The channel's state, its current iteration's ticks and its version."""
        ...

    async def append(self, scope: Scope, expected: int, change: Change) -> int | None:
        """Write ``change`` (its state, event and tick, or a reset) atomically if the
        channel is still at version ``expected``; the new version, or None if not."""
        ...

    async def history(
        self,
        scope: Scope,
        limit: int,
        *,
        offset: int = 0,
        older_than: int | None = None,
        newer_than: int | None = None,
    ) -> EventPage:
        """Up to ``limit`` events, newest first: from ``offset``, or just older or newer
        than an event id. An anchor past the end gives the oldest or newest page."""
        ...

    async def channels(self, place: Place) -> list[tuple[Scope, Snapshot]]:
        """Every channel of a workspace with a phase set, longest in its phase first."""
        ...

    async def events(self, scope: Scope, after: int, limit: int) -> list[Event]:
        """Up to ``limit`` events newer than event id ``after``, oldest first."""
        ...

    async def setting(self, place: Place, key: str) -> str | None: ...

    async def places(self, platform: str, key: str) -> list[tuple[Place, str]]:
        """Every place of a platform that has setting ``key``, with its value."""
        ...

    async def claim(self, place: Place, key: str, value: str, actor: Actor, at: datetime) -> bool:
        """Set ``key`` to ``value`` unless it already is: True if this call changed it
        (of several processes claiming the same value, exactly one gets True)."""
        ...

    async def set_setting(
        self, place: Place, key: str, value: str | None, actor: Actor, at: datetime
    ) -> None:
        """Set (or with ``value`` None, clear) a setting."""
        ...


class Tracker:
    """Each channel's project phase: read it, change it, audit it."""

    def __init__(self, repository: Repository, content: Content, clock: Clock = utc_now) -> None:
        self.repository = repository
        self.content = content
        self.clock = clock
        self._turns: dict[tuple[str, str, str], tuple[asyncio.Lock, list[int]]] = {}

    async def status(self, scope: Scope) -> ProjectStatus:
        return (await self.repository.load(scope)).status

    async def move(
        self,
        scope: Scope,
        actor: Actor,
        kind: MoveKind,
        target: str | None = None,
        note: str | None = None,
    ) -> tuple[Move, ProjectStatus]:
        """``set`` (to the phase key ``target``), ``next`` or ``back``."""
        note = clean_note(note)

        def decide(snapshot: Snapshot, at: datetime) -> tuple[Move, Change]:
            move = replace(plan_move(snapshot.state, kind, self.content, target), note=note)
            return move, move_change(snapshot, move, actor, at)

        move, status = await self._change(scope, decide)
        log.info("%s %s %s: %s -> %s", actor.id, kind, scope.key, move.from_key, move.to_key)
        return move, status

    async def check(self, scope: Scope, actor: Actor, activity: str) -> tuple[Check, ProjectStatus]:
        """Tick an activity of the current phase (any way a user names it), or untick it."""

        def decide(snapshot: Snapshot, at: datetime) -> tuple[Check, Change]:
            check = plan_check(snapshot.status, activity, self.content)
            return check, check_change(snapshot, check, actor, at)

        return await self._change(scope, decide)

    async def methodology(
        self, scope: Scope, actor: Actor, key: str
    ) -> tuple[MethodologyChange, ProjectStatus]:
        def decide(snapshot: Snapshot, at: datetime) -> tuple[MethodologyChange, Change]:
            change = plan_methodology(snapshot.state, key, self.content)
            return change, methodology_change(snapshot, change, actor, at)

        return await self._change(scope, decide)

    async def reset(self, scope: Scope, actor: Actor) -> bool:
        """Clear the phase, ticks and history (the methodology stays); False if there
        was nothing to clear."""

        snapshot = await self.repository.load(scope)
        history = await self.repository.history(scope, 1)
        if snapshot.state.phase_key is None and not snapshot.ticks and not history.total:
            return False  # nothing to clear, so nothing is written

        def decide(snapshot: Snapshot, at: datetime) -> tuple[bool, Change]:
            return True, reset_change(snapshot)

        await self._change(scope, decide)
        log.info("%s reset %s", actor.id, scope.key)
        return True

    async def history(
        self,
        scope: Scope,
        limit: int,
        *,
        offset: int = 0,
        older_than: int | None = None,
        newer_than: int | None = None,
    ) -> EventPage:
        return await self.repository.history(
            scope, limit, offset=offset, older_than=older_than, newer_than=newer_than
        )

    async def setting(self, place: Place, key: str) -> str | None:
        return await self.repository.setting(place, key)

    async def set_setting(self, place: Place, key: str, value: str | None, actor: Actor) -> None:
        await self.repository.set_setting(place, key, value, actor, self.clock())

    @asynccontextmanager
    async def _turn(self, scope: Scope) -> AsyncIterator[None]:
        """This process's changes to one channel, one at a time (the entry goes when
        nobody waits for it)."""
        lock, waiting = self._turns.setdefault(scope.key, (asyncio.Lock(), [0]))
        waiting[0] += 1
        try:
            async with lock:
                yield
        finally:
            waiting[0] -= 1
            if not waiting[0]:
                del self._turns[scope.key]

    async def _change(
        self, scope: Scope, decide: Callable[[Snapshot, datetime], tuple[T, Change]]
    ) -> tuple[T, ProjectStatus]:
        async with self._turn(scope):
            return await self._planned(scope, decide)

    async def _planned(
        self, scope: Scope, decide: Callable[[Snapshot, datetime], tuple[T, Change]]
    ) -> tuple[T, ProjectStatus]:
        for attempt in range(ATTEMPTS):
            snapshot = await self.repository.load(scope)
            result, change = decide(snapshot, self.clock())  # a refusal raises: nothing written
            version = await self.repository.append(scope, snapshot.version, change)
            if version is not None:
                return result, applied(snapshot, change, version).status
            log.debug("%s changed under attempt %d; planning again", scope.key, attempt + 1)
            await asyncio.sleep(random.uniform(0, BACKOFF_SECONDS * (attempt + 1)))
        raise ConcurrentChange()
