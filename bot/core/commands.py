"""Every command, declared once, with the core function that answers it.

Each function takes the :class:`~bot.core.surface.App`, the
:class:`~bot.core.surface.Request` and the command's options (already checked against
the declaration by the runner) and returns an :class:`~bot.core.answer.Answer`. To add
a command: declare it here with its function, then add one cog method in
``bot/discord/cogs``; the console, Slack, ``/help`` and the manifest follow.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from bot.core import actions
from bot.core.answer import Answer, Button, Menu, Style
from bot.core.answer import Option as MenuOption
from bot.core.errors import InvalidRequest, NotAllowed
from bot.core.help import help_answer
from bot.core.models import Phase
from bot.core.progress import MAX_NOTE_LENGTH
from bot.core.project import (
    HISTORY_PAGE_SIZE,
    check_answer,
    editor_role_answer,
    history_answer,
    methodology_answer,
    move_answer,
    reset_answer,
    reset_prompt,
    status_answer,
)
from bot.core.state import MoveKind, Place, Scope
from bot.core.surface import App, Command, Kind, Need, Option, Request, Where

RESET_SECONDS: Final = 60
"""How long a reset's confirm button works."""
EDITOR_ROLE: Final = "editor_role"
"""The setting naming the role (Discord) or user group (Slack) whose members are editors."""
MAX_QUESTION: Final = 300
NOT_TRACKED: Final = (
    "Project tracking works in server channels and in DMs with me, not in this chat."
)

# -- knowledge -------------------------------------------------------------------------------


async def _help(app: App, request: Request) -> Answer:
    return help_answer(COMMANDS, request.platform)


async def _phase(app: App, request: Request, name: str) -> Answer:
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


async def _phases(app: App, request: Request) -> Answer:
    return app.knowledge.phases()


async def _compare(
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


async def _methodology(app: App, request: Request, name: str, aspect: str | None = None) -> Answer:
    return app.knowledge.methodology(name, aspect)


async def _mlops(app: App, request: Request, aspect: str | None = None) -> Answer:
    return app.knowledge.mlops(aspect)


async def _ask(app: App, request: Request, question: str) -> Answer:
    return app.asker.ask(question)


# -- projects --------------------------------------------------------------------------------


def scope_of(request: Request) -> Scope:
    if request.scope is None:
        raise NotAllowed(NOT_TRACKED)
    return request.scope


async def _status(app: App, request: Request) -> Answer:
    return status_answer(await app.tracker.status(scope_of(request)), app.tracker.content)


async def _move(
    app: App, request: Request, kind: MoveKind, note: str | None, target: str | None = None
) -> Answer:
    move, status = await app.tracker.move(scope_of(request), request.actor, kind, target, note)
    return move_answer(move, status, app.tracker.content)


async def _set(app: App, request: Request, phase: str, note: str | None = None) -> Answer:
    return await _move(app, request, "set", note, app.catalog.phase(phase).key)


async def _next(app: App, request: Request, note: str | None = None) -> Answer:
    return await _move(app, request, "next", note)


async def _back(app: App, request: Request, note: str | None = None) -> Answer:
    return await _move(app, request, "back", note)


async def _check(app: App, request: Request, activity: str) -> Answer:
    check, status = await app.tracker.check(scope_of(request), request.actor, activity)
    return check_answer(check, status, app.tracker.content, request.actor)


async def _set_methodology(app: App, request: Request, name: str) -> Answer:
    subject = app.catalog.subject(name, app.catalog.methodologies)
    change, status = await app.tracker.methodology(scope_of(request), request.actor, subject.key)
    return methodology_answer(change, status, app.tracker.content, request.actor)


async def _history(
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


async def _reset(app: App, request: Request, confirm: bool = False) -> Answer:
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


async def _editor_role(
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


async def _editor_group(
    app: App, request: Request, group: str | None = None, clear: bool | None = None
) -> Answer:
    """Slack's name for the editor role: a user group, stored under the same setting."""
    return await _editor_role(app, request, group, clear)


# -- the declarations ------------------------------------------------------------------------

_NOTE = Option("note", "Why (optional)", max_length=MAX_NOTE_LENGTH, rest=True)

COMMANDS: Final[tuple[Command, ...]] = (
    Command(
        "phase",
        "One SDLC phase: its objective and activities.",
        "/phase name:testing",
        _phase,
        (
            Option(
                "name",
                "A phase: name, number or a word like qa, coding, release",
                required=True,
                complete="phase",
                rest=True,
                placeholder="<phase>",
            ),
        ),
    ),
    Command(
        "phases",
        "The software development life cycle and its phases, in order.",
        "/phases",
        _phases,
    ),
    Command(
        "compare",
        "Compare two methodologies, or MLOps and DevOps.",
        "/compare first:agile second:spiral",
        _compare,
        (
            Option(
                "first",
                "Waterfall, Agile, Spiral, V-Model, MLOps or DevOps",
                required=True,
                complete="subject",
                placeholder="<a>",
            ),
            Option(
                "second",
                "Another from the same table",
                required=True,
                complete="second",
                placeholder="<b>",
            ),
            Option(
                "aspect",
                "Only this aspect, e.g. testing or flexibility",
                complete="aspect",
                rest=True,
                placeholder="<x>",
            ),
        ),
    ),
    Command(
        "methodology",
        "One methodology's profile, or one aspect of it.",
        "/methodology name:v-model aspect:testing",
        _methodology,
        (
            Option(
                "name",
                "Waterfall, Agile, Spiral or V-Model",
                required=True,
                complete="methodology",
                placeholder="<m>",
            ),
            Option(
                "aspect",
                "Only this aspect",
                complete="methodology-aspect",
                rest=True,
                placeholder="<x>",
            ),
        ),
    ),
    Command(
        "mlops",
        "How MLOps differs from DevOps, whole or one aspect.",
        "/mlops aspect:testing",
        _mlops,
        (
            Option(
                "aspect",
                "Only this aspect, e.g. testing, tools or metrics",
                complete="mlops-aspect",
                rest=True,
                placeholder="<x>",
            ),
        ),
    ),
    Command(
        "ask",
        "Ask about the SDLC, methodologies or MLOps in your own words.",
        "/ask question:how flexible is waterfall?",
        _ask,
        (
            Option(
                "question",
                "e.g. how flexible is waterfall? or when do we archive data?",
                required=True,
                max_length=MAX_QUESTION,
                rest=True,
                placeholder="<text>",
            ),
        ),
        free_text=True,
    ),
    Command("help", "What phasebot can do, with examples.", "/help", _help),
    Command(
        "project status",
        "The project's phase, progress and checklist.",
        "/project status",
        _status,
        where=Where.PROJECTS,
    ),
    Command(
        "project set",
        "Move the project to a phase.",
        "/project set phase:design",
        _set,
        (
            Option("phase", "The phase to move to", required=True, complete="phase"),
            _NOTE,
        ),
        need=Need.EDITOR,
        where=Where.PROJECTS,
    ),
    Command(
        "project next",
        "Move the project one phase forward.",
        "/project next note:specs signed off",
        _next,
        (_NOTE,),
        need=Need.EDITOR,
        where=Where.PROJECTS,
    ),
    Command(
        "project back",
        "Move the project one phase back.",
        "/project back note:rework",
        _back,
        (_NOTE,),
        need=Need.EDITOR,
        where=Where.PROJECTS,
    ),
    Command(
        "project check",
        "Tick or untick an activity of the current phase.",
        "/project check activity:fix-bugs",
        _check,
        (
            Option(
                "activity",
                "An activity of the current phase",
                required=True,
                complete="activity",
                rest=True,
            ),
        ),
        need=Need.EDITOR,
        where=Where.PROJECTS,
    ),
    Command(
        "project methodology",
        "Set the process model: Waterfall, Agile, Spiral or V-Model.",
        "/project methodology name:agile",
        _set_methodology,
        (
            Option(
                "name",
                "Waterfall (default), Agile, Spiral or V-Model",
                required=True,
                complete="methodology",
                rest=True,
            ),
        ),
        need=Need.EDITOR,
        where=Where.PROJECTS,
    ),
    Command(
        "project history",
        "Who moved the project, when and why.",
        "/project history limit:10",
        _history,
        (
            Option(
                "limit",
                "Entries per page (1-50, default 10)",
                Kind.INTEGER,
                min_value=1,
                max_value=50,
                placeholder="<1-50>",
            ),
            Option(
                "page",
                "Which page (1 is the newest)",
                Kind.INTEGER,
                min_value=1,
                max_value=10**6,
                platforms=frozenset({"console"}),
            ),
        ),
        where=Where.PROJECTS,
    ),
    Command(
        "project reset",
        "Clear this channel's phase, checklist and history (asks first).",
        "/project reset",
        _reset,
        (
            Option(
                "confirm",
                "yes: clear it now",
                Kind.BOOLEAN,
                platforms=frozenset({"console"}),
                placeholder="yes",
            ),
        ),
        need=Need.MANAGER,
        where=Where.PROJECTS,
    ),
    Command(
        "project editor-role",
        "Set the role whose members may change phases here.",
        "/project editor-role role:@leads",
        _editor_role,
        (
            Option("role", "Members of this role may change phases", Kind.ROLE),
            Option("clear", "Remove the editor role", Kind.BOOLEAN, placeholder="true"),
        ),
        need=Need.MANAGER,
        where=Where.PROJECTS,
        platforms=frozenset({"discord", "console"}),
    ),
    Command(
        "project editor-group",
        "Set the user group whose members may change phases here.",
        "/project editor-group group:@leads",
        _editor_group,
        (
            Option(
                "group",
                "Members of this user group may change phases",
                Kind.ROLE,
                placeholder="<@group>",
            ),
            Option("clear", "Remove the editor group", Kind.BOOLEAN, placeholder="true"),
        ),
        need=Need.MANAGER,
        where=Where.PROJECTS,
        platforms=frozenset({"slack"}),
    ),
)

BY_NAME: Final = {command.name: command for command in COMMANDS}
