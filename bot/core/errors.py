"""Typed domain errors. The edges (Discord error handler, console, CLI) turn them into replies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

APOLOGY: Final = "Sorry, something went wrong on my side while answering that. It has been logged."
"""What a chat edge says when answering failed because of a bug (the bug is logged)."""


class PhasebotError(Exception):
    """Base class for every error meant to be shown to a user as a polite message."""

    def user_message(self) -> str:
        return str(self)


class ContentError(PhasebotError):
    """A content directory failed validation. Carries every problem found."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))

    def user_message(self) -> str:
        count = len(self.problems)
        head = f"The content has {count} problem{'s' if count != 1 else ''}:"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])


class NotFound(PhasebotError):
    """A name typed by a user matched nothing. Suggests close matches.

    With nothing close, ``known`` (names of what there is, the first few of them) and
    ``more`` (how many others there are) say what could have been typed.
    """

    kind = "entry"

    def __init__(
        self,
        query: str,
        suggestions: Sequence[str] = (),
        *,
        kind: str | None = None,
        known: Sequence[str] = (),
        more: int = 0,
    ) -> None:
        self.query = query
        self.suggestions = tuple(suggestions)
        if kind is not None:
            self.kind = kind
        self.known = tuple(known)
        self.more = more
        super().__init__(self.user_message())

    def user_message(self) -> str:
        article = "an" if self.kind[:1] in "aeiou" else "a"
        query = self.query if len(self.query) <= 80 else self.query[:79] + "…"
        text = f"I don't know {article} {self.kind} called “{query}”."
        if self.suggestions:
            quoted = ", ".join(f"“{s}”" for s in self.suggestions)
            text += f" Did you mean {quoted}?"
        elif self.known:
            names = ", ".join(self.known)
            if self.more > 0:
                names += f" and {self.more} more"
            text += f" Nothing is close; I know {names}."
        return text


class UnknownPhase(NotFound):
    kind = "phase"


class PhaseNumberOutOfRange(UnknownPhase):
    def __init__(self, number: int, total: int) -> None:
        self.number, self.total = number, total
        super().__init__(str(number))

    def user_message(self) -> str:
        return f"There is no phase {self.number}: the phases are numbered 1 to {self.total}."


class UnknownSubject(NotFound):
    kind = "methodology"


class UnknownAspect(NotFound):
    kind = "aspect"


class UnknownActivity(NotFound):
    kind = "activity"


class ActivityNumberOutOfRange(UnknownActivity):
    def __init__(self, number: int, phase: str, total: int) -> None:
        self.number, self.phase, self.total = number, phase, total
        super().__init__(str(number))

    def user_message(self) -> str:
        return (
            f"{self.phase} has no checklist item {self.number}: "
            f"its items are numbered 1 to {self.total}."
        )


class InvalidRequest(PhasebotError):
    """A request that is well-formed but makes no sense (same name twice, mixed tables...)."""


class UnknownCommand(PhasebotError):
    """A console command that does not exist."""


class ProgressError(PhasebotError):
    """A progress change that the rules refuse. Nothing is written."""


class NoPhaseYet(ProgressError):
    def __init__(self) -> None:
        super().__init__(
            "This channel has no project phase yet. Start with `/project set phase:1`."
        )


class AtLastPhase(ProgressError):
    def __init__(self, phase_name: str) -> None:
        super().__init__(
            f"The project is already in the last phase, {phase_name}. "
            "There is no next phase; use `/project set` to start over."
        )


class AtFirstPhase(ProgressError):
    def __init__(self, phase_name: str) -> None:
        super().__init__(
            f"The project is already in the first phase, {phase_name}. There is no phase before it."
        )


class AlreadyInPhase(ProgressError):
    def __init__(self, phase_name: str) -> None:
        super().__init__(f"The project is already in {phase_name}. Nothing changed.")


class NotAllowed(PhasebotError):
    """The user may not do this here: a permission, a role, or the wrong kind of chat."""
