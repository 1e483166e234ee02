"""The core functions behind the commands: one per command, declared in
:mod:`bot.core.commands`.

Each takes the :class:`~bot.core.surface.App`, the :class:`~bot.core.surface.Request`
and the command's options (already checked against the declaration by the runner) and
returns an :class:`~bot.core.answer.Answer`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from bot.core import actions
from bot.core.answer import Answer, Button, ChannelMention, Mention, Menu, Post, Style
from bot.core.answer import Option as MenuOption
from bot.core.errors import InvalidRequest, NotAllowed
from bot.core.export import export_answer
from bot.core.history import HISTORY_PAGE_SIZE, history_answer
from bot.core.models import Phase
from bot.core.project import (
    check_answer,
    editor_role_answer,
    methodology_answer,
    move_answer,
    reset_answer,
    reset_prompt,
    status_answer,
)
from bot.core.state import MoveKind, Place, Scope
from bot.core.surface import App, Request
from bot.core.team import ANNOUNCE, REMIND, announcement, overview_answer, timeline_answer

RESET_SECONDS: Final = 60
"""How long a reset's confirm button works."""
EDITOR_ROLE: Final = "editor_role"
"""The setting naming the role (Discord) or user group (Slack) whose members are editors."""
NOT_TRACKED: Final = (
    "Project tracking works in server channels and in DMs with me, not in this chat."
)


# -- knowledge -------------------------------------------------------------------------------


async def phase(app: App, request: Request, name: str) -> Answer:
    return phase_answer(app, request, app.catalog.phase(name))


def phase_answer(app: App, request: Request, phase: Phase) -> Answer:
    """A phase with ◀ ▶ to its neighbours and, where projects are tracked, a button
    that makes it the channel's phase."""
    before, after = app.catalog.neighbours(phase)
    buttons: list[Button] = []
    if before is not None:
        buttons.append(Button(f"◀ {before.number} · {before.name}", actions.phase(before.key)))
    if after is not None:
        buttons.append(Button(f"{after.number} · {after.name} ▶", actions.phase(after.key)))
    if request.scope is not None:
        buttons.append(
            Button("Set as this channel's phase", actions.set_phase(phase.key), Style.PRIMARY)
        )
    return replace(app.knowledge.phase_answer(phase), actions=tuple(buttons))


async def phases(app: App, request: Request) -> Answer:
    return app.knowledge.phases()


async def compare(
    app: App, request: Request, first: str, second: str, aspect: str | None = None
) -> Answer:
    answer = app.knowledge.compare(first, second, aspect)
    catalog = app.catalog
    a, b = catalog.subject(first), catalog.subject(second)
    table = catalog.table_of(a)
    chosen = catalog.aspect(table, aspect).key if aspect else actions.ALL_ASPECTS
    options = [MenuOption("All aspects", actions.ALL_ASPECTS, chosen == actions.ALL_ASPECTS)]
    options += [MenuOption(x.name, x.key, x.key == chosen) for x in table.aspects]
    menu = Menu(actions.compare(a.key, b.key), "Show one aspect…", tuple(options))
    return replace(answer, actions=(menu,))


async def methodology(app: App, request: Request, name: str, aspect: str | None = None) -> Answer:
    return app.knowledge.methodology(name, aspect)


async def mlops(app: App, request: Request, aspect: str | None = None) -> Answer:
    return app.knowledge.mlops(aspect)


async def ask(app: App, request: Request, question: str) -> Answer:
    return app.asker.ask(question)


# -- projects --------------------------------------------------------------------------------


def scope_of(request: Request) -> Scope:
    if request.scope is None:
        raise NotAllowed(NOT_TRACKED)
    return request.scope


async def status(app: App, request: Request) -> Answer:
    return status_answer(await app.tracker.status(scope_of(request)), app.tracker.content)


async def _move(
    app: App, request: Request, kind: MoveKind, note: str | None, target: str | None = None
) -> Answer:
    scope = scope_of(request)
    # Read before the change: nothing may fail between writing it and saying so.
    where = await app.tracker.setting(_place(scope), ANNOUNCE)
    move, status = await app.tracker.move(scope, request.actor, kind, target, note)
    answer = move_answer(move, status, app.tracker.content)
    if where is None:
        return answer
    by = Mention(request.actor.id, request.actor.name)
    post = Post(_channel(request, where), announcement(scope, move, app.tracker.content, by))
    return replace(answer, posts=(post,))


async def set_phase(app: App, request: Request, phase: str, note: str | None = None) -> Answer:
    return await _move(app, request, "set", note, app.catalog.phase(phase).key)


async def next_phase(app: App, request: Request, note: str | None = None) -> Answer:
    return await _move(app, request, "next", note)


async def back(app: App, request: Request, note: str | None = None) -> Answer:
    return await _move(app, request, "back", note)


async def check(app: App, request: Request, activity: str) -> Answer:
    check, status = await app.tracker.check(scope_of(request), request.actor, activity)
    return check_answer(check, status, app.tracker.content, request.actor)


async def set_methodology(app: App, request: Request, name: str) -> Answer:
    subject = app.catalog.subject(name, app.catalog.methodologies)
    change, status = await app.tracker.methodology(scope_of(request), request.actor, subject.key)
    return methodology_answer(change, status, app.tracker.content, request.actor)


async def history(
    app: App,
    request: Request,
    limit: int = HISTORY_PAGE_SIZE,
    page: int = 1,
    older_than: int | None = None,
    newer_than: int | None = None,
) -> Answer:
    scope = scope_of(request)
    offset = (page - 1) * limit
    found = await app.tracker.history(
        scope, limit, offset=offset, older_than=older_than, newer_than=newer_than
    )
    if not found.events and found.total and offset:  # past the end: the last page
        last = (found.total - 1) // limit
        found = await app.tracker.history(scope, limit, offset=last * limit)
    shown = history_answer(found.events, found.total, found.newer, app.tracker.content, limit)
    return shown.answer


async def reset(app: App, request: Request, confirm: bool = False) -> Answer:
    scope = scope_of(request)
    if request.buttons:
        expires = int(app.tracker.clock().timestamp()) + RESET_SECONDS
        return reset_prompt(request.actor, expires, RESET_SECONDS)
    if not confirm:
        raise InvalidRequest(
            "This clears the channel's phase, checklist and history and can't be undone. "
            "To go ahead: /project reset confirm:yes"
        )
    return await reset_now(app, request, scope)


async def reset_now(app: App, request: Request, scope: Scope) -> Answer:
    cleared = await app.tracker.reset(scope, request.actor)
    return reset_answer(request.actor, cleared)


async def editor_role(
    app: App, request: Request, role: str | None = None, clear: bool | None = None
) -> Answer:
    scope = scope_of(request)
    group = request.platform == "slack"
    kind = "user groups" if group else "roles"
    if request.platform == "console":
        raise InvalidRequest(
            "Editor roles exist only in Discord servers; here you may change anything."
        )
    if scope.private:
        raise InvalidRequest(
            f"Editor {kind} exist only in {'workspaces' if group else 'servers'}; "
            "in a DM the progress is yours."
        )
    option = "group" if group else "role"
    if (role is None) == (not clear):
        raise InvalidRequest(
            f"Give either `{option}:` to set the editor {option} or `clear:true` to remove it."
        )
    value = None if clear else role
    place = Place(scope.platform, scope.workspace)
    await app.tracker.set_setting(place, EDITOR_ROLE, value, request.actor)
    return editor_role_answer(value, request.actor, group=group)


async def editor_group(
    app: App, request: Request, group: str | None = None, clear: bool | None = None
) -> Answer:
    """Slack's name for the editor role: a user group, stored under the same setting."""
    return await editor_role(app, request, group, clear)


# -- a team's view -------------------------------------------------------------------------


async def overview(app: App, request: Request, page: int = 1) -> Answer:
    scope = scope_of(request)
    listed = [(scope, (await app.tracker.repository.load(scope)))] if scope.private else []
    if not scope.private:
        place = Place(scope.platform, scope.workspace)
        listed = [
            f for f in await app.tracker.repository.channels(place) if await request.gate.sees(f[0])
        ]
    listed = [f for f in listed if f[1].state.phase_key is not None]
    return overview_answer(listed, app.tracker.content, page)


async def timeline(app: App, request: Request, channel: str | None = None) -> Answer:
    scope = await _seen(request, channel)
    return await timeline_answer(app.tracker, scope, app.tracker.clock())


async def export(app: App, request: Request, format: str) -> Answer:
    return await export_answer(app.tracker, scope_of(request), format)


async def announce(
    app: App, request: Request, channel: str | None = None, clear: bool | None = None
) -> Answer:
    scope = scope_of(request)
    if (channel is None) == (not clear):
        raise InvalidRequest(
            "Give either `channel:` to announce moves there or `clear:true` to stop."
        )
    target = None if clear else _channel(request, channel or "")
    value = None if clear else channel  # as the platform names it: an id, or a console's name
    await app.tracker.set_setting(_place(scope), ANNOUNCE, value, request.actor)
    here = ChannelMention(scope.channel, scope.label)
    if target is None:
        return Answer(
            title="Announcements stopped",
            description=("Moves in ", here, " are no longer announced."),
        )
    return Answer(
        title="Announcements on",
        description=("Every change of phase in ", here, " is now also posted in ", target, "."),
    )


async def remind(
    app: App, request: Request, days: int | None = None, off: bool | None = None
) -> Answer:
    scope = scope_of(request)
    if (days is None) == (not off):
        raise InvalidRequest("Give either `days:` (1 to 90) to be reminded or `off:true` to stop.")
    await app.tracker.set_setting(_place(scope), REMIND, None if off else str(days), request.actor)
    if off:
        return Answer(title="Reminders off", description="No more reminders in this channel.")
    return Answer(
        title="Reminders on",
        description=(
            f"When this channel's phase hasn't changed for {days} day{'s' if days != 1 else ''}, "
            "I'll post one reminder here, naming the phase and what is still open."
        ),
    )


def _place(scope: Scope) -> Place:
    return Place(scope.platform, scope.workspace, scope.channel)


def _channel(request: Request, value: str) -> ChannelMention:
    """A channel option's value as a mention of that channel."""
    if request.channel is None:
        return ChannelMention(value)
    scope = request.channel(value)
    return ChannelMention(scope.channel, scope.label)


async def _seen(request: Request, channel: str | None) -> Scope:
    """The channel an option names (this one if none), if the user may see it."""
    here = scope_of(request)
    if channel is None or request.channel is None:
        return here
    scope = request.channel(channel)
    if scope.key != here.key and not await request.gate.sees(scope):
        raise NotAllowed("I can't show you that channel: you can't see it, or I can't.")
    return scope
