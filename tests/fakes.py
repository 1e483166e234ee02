"""An in-memory repository: the protocol's fake, for fast tests of the Tracker.

It keeps what it is given exactly as the real backends do (the contract suite in
``tests/storage`` holds all of them to the same behaviour) and knows no rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from bot.core.state import Actor, Change, Event, Place, Scope, Snapshot, Tick
from bot.core.tracker import EventPage

_NEVER = datetime.max.replace(tzinfo=UTC)


@dataclass
class _Channel:
    snapshot: Snapshot = field(default_factory=Snapshot)
    label: str = ""
    ticks: dict[tuple[int, str, str], Tick] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)


class MemoryRepository:
    """The repository protocol over dicts. ``MemoryRepository(shared=other)`` sees the
    same data (a second process, or a restart)."""

    def __init__(self, shared: MemoryRepository | None = None) -> None:
        self._channels: dict[tuple[str, str, str], _Channel] = shared._channels if shared else {}
        self._settings: dict[tuple[str, str, str, str], str] = shared._settings if shared else {}
        self._ids = shared._ids if shared else [0]

    async def close(self) -> None:
        return None

    async def load(self, scope: Scope) -> Snapshot:
        channel = self._channels.get(scope.key)
        if channel is None:
            return Snapshot()
        state = channel.snapshot.state
        ticks: dict[str, dict[str, Tick]] = {}
        for (iteration, phase, activity), tick in channel.ticks.items():
            if iteration == state.iteration:
                ticks.setdefault(phase, {})[activity] = tick
        return Snapshot(state, ticks, channel.snapshot.version)

    async def append(self, scope: Scope, expected: int, change: Change) -> int | None:
        channel = self._channels.setdefault(scope.key, _Channel())
        if channel.snapshot.version != expected:
            return None
        channel.snapshot = Snapshot(change.state, {}, expected + 1)
        channel.label = scope.label
        if change.reset:
            channel.ticks.clear()
            channel.events.clear()
        if change.event is not None:
            self._ids[0] += 1
            channel.events.append(replace(change.event, id=self._ids[0]))
        tick = change.tick
        if tick is not None:
            key = (tick.iteration, tick.phase_key, tick.activity_key)
            if tick.tick is None:
                channel.ticks.pop(key, None)
            else:
                channel.ticks[key] = tick.tick
        return expected + 1

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
        channel = self._channels.get(scope.key)
        events = list(reversed(channel.events)) if channel else []  # newest first
        total = len(events)
        if older_than is None and newer_than is None:
            page = events[offset : offset + limit]
            return EventPage(page, total, offset if page else 0)
        if older_than is not None:
            start = next((i for i, e in enumerate(events) if e.id < older_than), total)
            if start == total:
                start = max(total - limit, 0)
            page = events[start : start + limit]
        else:
            anchor = newer_than if newer_than is not None else 0
            end = next((i for i, e in enumerate(events) if e.id <= anchor), total)
            if end == 0:
                end = min(limit, total)
            start = max(end - limit, 0)
            page = events[start:end]
        return EventPage(page, total, start if page else 0)

    async def channels(self, place: Place) -> list[tuple[Scope, Snapshot]]:
        found = []
        for (platform, workspace, channel), kept in self._channels.items():
            if (platform, workspace) == (place.platform, place.workspace):
                scope = Scope(platform, workspace, channel, label=kept.label)
                snapshot = await self.load(scope)
                if snapshot.state.phase_key is not None:
                    found.append((scope, snapshot))
        return sorted(found, key=lambda f: (f[1].state.since or _NEVER, f[0].channel))

    async def events(self, scope: Scope, after: int, limit: int) -> list[Event]:
        channel = self._channels.get(scope.key)
        return [e for e in channel.events if e.id > after][:limit] if channel else []

    async def places(self, platform: str, key: str) -> list[tuple[Place, str]]:
        return [
            (Place(*where[:3]), value)
            for where, value in self._settings.items()
            if where[0] == platform and where[3] == key
        ]

    async def claim(self, place: Place, key: str, value: str, actor: Actor, at: datetime) -> bool:
        where = (place.platform, place.workspace, place.channel, key)
        if self._settings.get(where) == value:
            return False
        self._settings[where] = value
        return True

    async def setting(self, place: Place, key: str) -> str | None:
        return self._settings.get((place.platform, place.workspace, place.channel, key))

    async def set_setting(
        self, place: Place, key: str, value: str | None, actor: Actor, at: datetime
    ) -> None:
        where = (place.platform, place.workspace, place.channel, key)
        if value is None:
            self._settings.pop(where, None)
        else:
            self._settings[where] = value
