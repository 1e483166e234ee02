"""What the SQLite and PostgreSQL repositories share: their rows read as the core's
data, and the paging of a channel's history (each writes only its own SQL)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Final, cast

from bot.core.state import Actor, Event, EventKind, Place, ProjectState, Scope, Snapshot, Tick
from bot.core.tracker import EventPage

Moment = Callable[[Any], datetime]
"""A stored time as a timezone-aware datetime (SQLite keeps text, PostgreSQL timestamptz)."""

EVENT_COLUMNS: Final = (
    "id, kind, from_phase, to_phase, actor_id, actor_name, at, note, rework, iteration, "
    "new_iteration, detail"
)
SNAPSHOTS: Final = (
    "SELECT p.channel, p.label, p.version, p.phase_key, p.methodology, p.iteration, p.since, "
    "p.set_by_id, p.set_by_name, t.phase_key, t.activity_key, t.actor_id, t.actor_name, t.at "
    "FROM projects AS p LEFT JOIN ticks AS t ON t.platform = p.platform "
    "AND t.workspace = p.workspace AND t.channel = p.channel AND t.iteration = p.iteration"
)
"""A channel's state with its current iteration's ticks, a row per tick; add the WHERE."""


def event(row: Iterable[Any], moment: Moment) -> Event:
    """An event from a row of :data:`EVENT_COLUMNS`."""
    (event_id, kind, from_phase, to_phase, actor_id, actor_name, at, note, rework, iteration,
     new_iteration, detail) = tuple(row)  # fmt: skip
    return Event(
        kind=cast(EventKind, kind),
        actor=Actor(actor_id, actor_name),
        at=moment(at),
        from_phase=from_phase,
        to_phase=to_phase,
        note=note,
        rework=bool(rework),
        iteration=int(iteration),
        new_iteration=bool(new_iteration),
        detail=detail,
        id=int(event_id),
    )


def snapshot(rows: Sequence[Any], moment: Moment) -> Snapshot:
    """A channel's snapshot from its rows of :data:`SNAPSHOTS` (one per tick)."""
    version, phase, methodology, iteration, since, by_id, by_name = tuple(rows[0])[2:9]
    state = ProjectState(
        phase_key=phase,
        methodology=methodology,
        iteration=int(iteration),
        since=moment(since) if since is not None else None,
        set_by=Actor(by_id, by_name or "") if by_id is not None else None,
    )
    ticks: dict[str, dict[str, Tick]] = {}
    for *_, tick_phase, key, actor_id, actor_name, at in rows:
        if key is not None:
            ticks.setdefault(tick_phase, {})[key] = Tick(
                key, Actor(actor_id, actor_name), moment(at)
            )
    return Snapshot(state, ticks, int(version))


def channels(place: Place, rows: Iterable[Any], moment: Moment) -> list[tuple[Scope, Snapshot]]:
    """Each channel's scope and snapshot from rows of :data:`SNAPSHOTS`, in their order."""
    found: dict[str, list[Any]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(row)
    return [
        (
            Scope(place.platform, place.workspace, channel, label=group[0][1]),
            snapshot(group, moment),
        )
        for channel, group in found.items()
    ]


class Pages(ABC):
    """A history a page at a time; each backend answers three queries in its own SQL."""

    @staticmethod
    @abstractmethod
    def moment(value: Any) -> datetime:
        """A stored time as a timezone-aware datetime."""

    async def history(
        self,
        scope: Scope,
        limit: int,
        *,
        offset: int = 0,
        older_than: int | None = None,
        newer_than: int | None = None,
    ) -> EventPage:
        if limit < 1 or offset < 0:
            raise ValueError("limit must be positive and offset not negative")
        if older_than is None and newer_than is None:
            rows = await self._from(scope, limit, offset)
            total = int(rows[0][-1]) if rows else await self._count(scope)
            events = [event(row[:-1], self.moment) for row in rows]
            return EventPage(events, total, offset if rows else 0)
        older = older_than is not None
        rows = await self._around(scope, limit, older_than, newer_than, ascending=not older)
        if not rows:  # nothing older (newer) than the anchor: the oldest (newest) page
            rows = await self._around(scope, limit, None, None, ascending=older)
        if not rows:
            return EventPage([], await self._count(scope), 0)
        rows = sorted(rows, key=lambda row: -int(row[0]))
        events = [event(row[:-2], self.moment) for row in rows]
        return EventPage(events, int(rows[0][-2]), int(rows[0][-1]))

    @abstractmethod
    async def _from(self, scope: Scope, limit: int, offset: int) -> list[Any]:
        """Events newest first from ``offset``, each row ending in the channel's total."""

    @abstractmethod
    async def _around(
        self,
        scope: Scope,
        limit: int,
        below: int | None,
        above: int | None,
        *,
        ascending: bool,
    ) -> list[Any]:
        """Events with an id below or above the anchor (or any), nearest first, each row
        ending in the channel's total and how many of its events are newer."""

    @abstractmethod
    async def _count(self, scope: Scope) -> int: ...
