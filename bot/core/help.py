"""The command reference, shared by `/help` in Discord and `help` in the console."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.answer import Answer, Field


@dataclass(frozen=True, slots=True)
class CommandHelp:
    usage: str
    summary: str
    example: str


KNOWLEDGE_COMMANDS = (
    CommandHelp(
        "/phase name:<phase>", "One SDLC phase: objective and activities.", "/phase name:testing"
    ),
    CommandHelp("/phases", "The SDLC and its phases, in order.", "/phases"),
    CommandHelp(
        "/compare first:<a> second:<b> [aspect:<x>]",
        "Two methodologies (or MLOps and DevOps) side by side.",
        "/compare first:agile second:spiral",
    ),
    CommandHelp(
        "/methodology name:<m> [aspect:<x>]",
        "One methodology's profile, or one aspect of it.",
        "/methodology name:v-model aspect:testing",
    ),
    CommandHelp(
        "/mlops [aspect:<x>]", "MLOps vs DevOps, whole or one aspect.", "/mlops aspect:testing"
    ),
    CommandHelp(
        "/ask question:<text>", "Ask in your own words.", "/ask question:how flexible is waterfall?"
    ),
    CommandHelp("/help", "This list.", "/help"),
)

PROJECT_COMMANDS = (
    CommandHelp(
        "/project status", "This channel's phase, progress and checklist.", "/project status"
    ),
    CommandHelp(
        "/project set phase:<phase> [note]",
        "Move the project to a phase.",
        "/project set phase:design",
    ),
    CommandHelp(
        "/project next [note] · /project back [note]",
        "One phase forward or back.",
        "/project next note:specs signed off",
    ),
    CommandHelp(
        "/project check activity:<activity>",
        "Tick or untick an activity of the current phase.",
        "/project check activity:fix-bugs",
    ),
    CommandHelp(
        "/project methodology name:<m>",
        "Waterfall, Agile, Spiral or V-Model.",
        "/project methodology name:agile",
    ),
    CommandHelp(
        "/project history [limit]",
        "Who moved the project, when and why.",
        "/project history limit:10",
    ),
    CommandHelp("/project reset", "Clear this channel's progress (asks first).", "/project reset"),
    CommandHelp(
        "/project editor-role role:<role> | clear:true",
        "Let a role change phases.",
        "/project editor-role role:@leads",
    ),
)


def help_answer() -> Answer:
    def lines(commands: tuple[CommandHelp, ...]) -> str:
        return "\n".join(f"`{c.usage}` — {c.summary} e.g. `{c.example}`" for c in commands)

    return Answer(
        title="phasebot commands",
        description="Answers about the software development life cycle and MLOps, "
        "and this channel's project phase.",
        fields=(
            Field("Knowledge", lines(KNOWLEDGE_COMMANDS)),
            Field("Project tracking", lines(PROJECT_COMMANDS)),
        ),
        footer="Changing the project needs Manage Channels or the editor role.",
    )
