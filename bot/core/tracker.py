"""The /project commands as one service: user text in, :class:`Answer` out.

:class:`Tracker` resolves what users type with the :class:`~bot.core.lookup.Catalog`,
asks the store to apply the rules of :mod:`bot.core.progress` (each change atomic),
and formats the result with :mod:`bot.core.project`. The Discord cog and the console
call it the same way; permissions are the edges' business.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.answer import Answer
from bot.core.lookup import Catalog, Choice
from bot.core.models import Content
from bot.core.progress import (
    Actor,
    Check,
    Event,
    MethodologyChange,
    Move,
    MoveKind,
    ProjectStatus,
    Scope,
    activity_choices,
    clean_note,
)
from bot.core.project import (
    HISTORY_PAGE_SIZE,
    HistoryPage,
    check_answer,
    editor_role_answer,
    history_answer,
    methodology_answer,
    move_answer,
    page_count,
    page_offset,
    reset_answer,
    status_answer,
)

log = logging.getLogger(__name__)


class ProgressRepository(Protocol):
    """What the tracker needs from storage (``bot.storage.ProgressStore`` provides it)."""

    async def status(self, scope: Scope) -> ProjectStatus: ...

    async def history(
        self, scope: Scope, limit: int, offset: int = 0
    ) -> tuple[list[Event], int]: ...

    async def history_near(
        self,
        scope: Scope,
        limit: int,
        *,
        older_than: int | None = None,
        newer_than: int | None = None,
    ) -> tuple[list[Event], int, int]: ...

    async def move(
        self,
        scope: Scope,
        actor: Actor,
        kind: MoveKind,
        content: Content,
        target_key: str | None = None,
        note: str | None = None,
        now: datetime | None = None,
    ) -> tuple[Move, ProjectStatus]: ...

    async def toggle_check(
        self,
        scope: Scope,
        actor: Actor,
        activity_key: str,
        content: Content,
        now: datetime | None = None,
    ) -> tuple[Check, ProjectStatus]: ...

    async def set_methodology(
        self,
        scope: Scope,
        actor: Actor,
        methodology_key: str,
        content: Content,
        now: datetime | None = None,
    ) -> tuple[MethodologyChange, ProjectStatus]: ...

    async def reset(self, scope: Scope, actor: Actor) -> bool: ...

    async def set_editor_role(
        self, guild_id: int, role_id: int | None, actor: Actor, now: datetime | None = None
    ) -> None: ...

    async def editor_role(self, guild_id: int) -> int | None: ...


class Tracker:
    """Each channel's project phase: read it, change it, audit it."""

    def __init__(self, store: ProgressRepository, catalog: Catalog) -> None:
        self.store = store
        self.catalog = catalog
        self.content = catalog.content

    async def status(self, scope: Scope) -> Answer:
        return status_answer(await self.store.status(scope), self.content)

    async def set(self, scope: Scope, actor: Actor, phase: str, note: str | None = None) -> Answer:
        target = self.catalog.phase(phase)
        return await self._move(scope, actor, "set", note, target.key)

    async def next(self, scope: Scope, actor: Actor, note: str | None = None) -> Answer:
        return await self._move(scope, actor, "next", note)

    async def back(self, scope: Scope, actor: Actor, note: str | None = None) -> Answer:
        return await self._move(scope, actor, "back", note)

    async def _move(
        self,
        scope: Scope,
        actor: Actor,
        kind: MoveKind,
        note: str | None,
        target: str | None = None,
    ) -> Answer:
        note = clean_note(note)
        move, status = await self.store.move(
            scope, actor, kind, self.content, target_key=target, note=note
        )
        log.info("%s moved %s: %s -> %s", actor.id, scope, move.from_key, move.to_key)
        return move_answer(move, status, self.content, note)

    async def check(self, scope: Scope, actor: Actor, activity: str) -> Answer:
        check, status = await self.store.toggle_check(scope, actor, activity, self.content)
        return check_answer(check, status, self.content, actor)

    async def activity_choices(self, scope: Scope, typed: str) -> Sequence[Choice]:
        return activity_choices(await self.store.status(scope), self.content, typed)

    async def methodology(self, scope: Scope, actor: Actor, name: str) -> Answer:
        subject = self.catalog.subject(name, self.catalog.methodologies)
        change, status = await self.store.set_methodology(scope, actor, subject.key, self.content)
        return methodology_answer(change, status, self.content, actor)

    async def history(
        self, scope: Scope, page: int = 0, page_size: int = HISTORY_PAGE_SIZE
    ) -> HistoryPage:
        page = max(page, 0)
        events, total = await self.store.history(scope, page_size, page_offset(page, page_size))
        last = page_count(total, page_size) - 1
        if page > last:  # an old button, after the history got shorter: show the last page
            page = last
            events, total = await self.store.history(scope, page_size, page_offset(page, page_size))
        return history_answer(events, total, self.content, page, page_size)

    async def history_near(
        self,
        scope: Scope,
        page_size: int = HISTORY_PAGE_SIZE,
        *,
        older_than: int | None = None,
        newer_than: int | None = None,
    ) -> HistoryPage:
        """A page next to an event already shown (for ◀ ▶ buttons): it stays put when
        someone changes the project between two clicks."""
        events, total, newer = await self.store.history_near(
            scope, page_size, older_than=older_than, newer_than=newer_than
        )
        return history_answer(events, total, self.content, page_size=page_size, newer=newer)

    async def reset(self, scope: Scope, actor: Actor) -> Answer:
        cleared = await self.store.reset(scope, actor)
        log.info("%s reset %s (cleared=%s)", actor.id, scope, cleared)
        return reset_answer(actor, cleared)

    async def set_editor_role(self, guild_id: int, role_id: int | None, actor: Actor) -> Answer:
        await self.store.set_editor_role(guild_id, role_id, actor)
        return editor_role_answer(role_id, actor)

    async def editor_role(self, guild_id: int) -> int | None:
        return await self.store.editor_role(guild_id)
