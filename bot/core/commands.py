"""Every command, declared once: name, options (type, range, completion), description,
example, who may run it and where it is offered.

The console's and Slack's parsers, ``/help`` and Slack's manifest are derived from these
declarations, and the runner checks every call against them; the Discord cogs are
checked against them by a structural test. To add a command: declare it here with its
core function (in :mod:`bot.core.handlers`), then add one cog method in
``bot/discord/cogs``.
"""

from __future__ import annotations

from typing import Final

from bot.core import handlers
from bot.core.answer import Answer
from bot.core.export import FORMATS
from bot.core.help import help_answer
from bot.core.progress import MAX_NOTE_LENGTH
from bot.core.surface import App, Command, Kind, Need, Option, Request, Where

MAX_QUESTION: Final = 300
EDITOR_ROLE: Final = handlers.EDITOR_ROLE
TEAM: Final = "Team view"


async def _help(app: App, request: Request) -> Answer:
    return help_answer(COMMANDS, request.platform)


# -- the declarations ------------------------------------------------------------------------

_NOTE = Option("note", "Why (optional)", max_length=MAX_NOTE_LENGTH, rest=True)
_PAGE = Option(
    "page",
    "Which page (1 is the first)",
    Kind.INTEGER,
    min_value=1,
    max_value=10**6,
    platforms=frozenset({"console"}),
)

COMMANDS: Final[tuple[Command, ...]] = (
    Command(
        "phase",
        "One SDLC phase: its objective and activities.",
        "/phase name:testing",
        handlers.phase,
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
        handlers.phases,
    ),
    Command(
        "compare",
        "Compare two methodologies, or MLOps and DevOps.",
        "/compare first:agile second:spiral",
        handlers.compare,
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
        handlers.methodology,
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
        handlers.mlops,
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
        handlers.ask,
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
        handlers.status,
        where=Where.PROJECTS,
    ),
    Command(
        "project set",
        "Move the project to a phase.",
        "/project set phase:design",
        handlers.set_phase,
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
        handlers.next_phase,
        (_NOTE,),
        need=Need.EDITOR,
        where=Where.PROJECTS,
    ),
    Command(
        "project back",
        "Move the project one phase back.",
        "/project back note:rework",
        handlers.back,
        (_NOTE,),
        need=Need.EDITOR,
        where=Where.PROJECTS,
    ),
    Command(
        "project check",
        "Tick or untick an activity of the current phase.",
        "/project check activity:fix-bugs",
        handlers.check,
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
        handlers.set_methodology,
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
        handlers.history,
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
        handlers.reset,
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
        handlers.editor_role,
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
        handlers.editor_group,
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
    Command(
        "project overview",
        "Every tracked channel here: phase, progress, since when and by whom.",
        "/project overview",
        handlers.overview,
        (
            Option(
                "page",
                "Which page (1 is the first)",
                Kind.INTEGER,
                min_value=1,
                max_value=10**6,
                platforms=frozenset({"console"}),
            ),
        ),
        section=TEAM,
        where=Where.PROJECTS,
    ),
    Command(
        "project timeline",
        "A picture of a channel's phases over time.",
        "/project timeline",
        handlers.timeline,
        (Option("channel", "Another channel's timeline (default: this one)", Kind.CHANNEL),),
        section=TEAM,
        where=Where.PROJECTS,
    ),
    Command(
        "project export",
        "This channel's whole history as a file.",
        "/project export format:csv",
        handlers.export,
        (
            Option(
                "format",
                "csv, json or markdown",
                required=True,
                choices=FORMATS,
                placeholder="csv|json|markdown",
            ),
        ),
        section=TEAM,
        where=Where.PROJECTS,
    ),
    Command(
        "project announce",
        "Also post every change of phase here in another channel.",
        "/project announce channel:#releases",
        handlers.announce,
        (
            Option("channel", "Where to announce moves", Kind.CHANNEL),
            Option("clear", "Stop announcing", Kind.BOOLEAN, placeholder="true"),
        ),
        need=Need.MANAGER,
        section=TEAM,
        where=Where.PROJECTS,
    ),
    Command(
        "project remind",
        "Remind this channel when its phase hasn't changed for a while.",
        "/project remind days:14",
        handlers.remind,
        (
            Option(
                "days",
                "Days in one phase before a reminder",
                Kind.INTEGER,
                min_value=1,
                max_value=90,
                placeholder="<1-90>",
            ),
            Option("off", "Stop reminders", Kind.BOOLEAN, placeholder="true"),
        ),
        need=Need.EDITOR,
        section=TEAM,
        where=Where.PROJECTS,
    ),
)

BY_NAME: Final = {command.name: command for command in COMMANDS}
SAME_ANSWER: Final = frozenset({"phase", "phases", "compare", "methodology", "mlops"})
"""Commands whose answer depends on their options alone, and on whether the chat tracks
projects (/phase's button): the content never changes while the bot runs, so the runner
keeps the answers last asked for (and the Discord edge their messages). Measured end to
end (bench/dispatch.py, p50 over each reply's echo, six runs): computed afresh
1.13-1.22× (/phase), 1.16-1.24× (/compare), 1.17-1.28× (/mlops); kept 1.04-1.11×,
1.04-1.08×, 1.07-1.13×."""
