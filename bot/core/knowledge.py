"""The knowledge commands as plain functions of text in, :class:`Answer` out.

Discord cogs and the console both call :class:`Knowledge`; neither formats content.
"""

from __future__ import annotations

from bot.core.answer import Answer, Bold, Code, Field, Text, lines, text
from bot.core.errors import InvalidRequest
from bot.core.lookup import Catalog
from bot.core.models import Aspect, Phase, Subject, Table

MAX_LISTED = 100
"""An answer lists at most this many phases or aspects, then says how many more there
are and how to pick one. Only very large content packs reach it; it keeps such answers
readable in chat and quick to build."""


class Knowledge:
    """Answers about the SDLC, the methodologies and MLOps vs DevOps."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    # -- /phase, /phases -------------------------------------------------------------------

    def phase(self, name: str) -> Answer:
        return self.phase_answer(self.catalog.phase(name))

    def phase_answer(self, phase: Phase) -> Answer:
        total = len(self.catalog.phases)
        activities = "\n".join(f"• {a.text}" for a in phase.activities)
        before, after = self.catalog.neighbours(phase)
        footer = " · ".join(
            part
            for part in (
                f"◀ {before.number} · {before.name}" if before else "",
                f"{after.number} · {after.name} ▶" if after else "",
            )
            if part
        )
        return Answer(
            title=phase_title(phase, total),
            description=(Bold("Objective:"), " ", phase.objective),
            fields=(Field("Activities", activities),),
            footer=footer,
        )

    def phases(self) -> Answer:
        info = self.catalog.content.sdlc.sdlc
        phases = self.catalog.phases
        fields = tuple(Field(f"{p.number} · {p.name}", p.objective) for p in phases[:MAX_LISTED])
        return Answer(
            title=info.title,
            description=f"{info.definition}\n\n{info.goal}\n\n{info.overview}",
            fields=fields
            + _more(len(phases), "phase", (Code("/phase <name>"), " shows any of them.")),
            footer="/phase <name> shows a phase's activities.",
        )

    # -- /compare, /methodology, /mlops ---------------------------------------------------

    def compare(self, first: str, second: str, aspect: str | None = None) -> Answer:
        a = self.catalog.subject(first)
        table = self.catalog.table_of(a)
        b = self.catalog.subject(second)
        if b.key == a.key:
            raise InvalidRequest(
                f"Pick two different ones to compare: both are {a.name}. "
                f"Try `/methodology name:{a.key}` for {a.name} alone."
            )
        if self.catalog.table_of(b) is not table:
            other = self.catalog.table_of(b)
            raise InvalidRequest(
                f"{a.name} and {b.name} are in different tables and can't be compared. "
                f"{table.title}: {_names(table)}. {other.title}: {_names(other)}."
            )
        picked = self.catalog.aspect(table, aspect) if aspect else None
        return self.comparison_answer(table, (a, b), picked)

    def comparison_answer(
        self, table: Table, subjects: tuple[Subject, ...], aspect: Aspect | None = None
    ) -> Answer:
        title = " vs ".join(s.name for s in subjects)
        if aspect is not None:
            return Answer(
                title=f"{title} · {aspect.name}",
                fields=tuple(Field(s.name, aspect.values[s.key], inline=True) for s in subjects),
                footer=table.title,
            )
        return Answer(
            title=title,
            description=f"{table.title}, aspect by aspect.",
            fields=tuple(
                Field(
                    a.name, lines(text(Bold(f"{s.name}:"), " ", a.values[s.key]) for s in subjects)
                )
                for a in table.aspects[:MAX_LISTED]
            )
            + _more(len(table.aspects), "aspect", self._pick_aspect(table, subjects)),
            footer=table.title,
        )

    def methodology(self, name: str, aspect: str | None = None) -> Answer:
        table = self.catalog.methodologies
        subject = self.catalog.subject(name, table)
        if aspect:
            picked = self.catalog.aspect(table, aspect)
            return self.aspect_answer(table, subject, picked)
        return Answer(
            title=subject.name,
            description=f"{subject.name} in {table.title}, aspect by aspect.",
            fields=tuple(
                Field(a.name, a.values[subject.key], inline=True)
                for a in table.aspects[:MAX_LISTED]
            )
            + _more(
                len(table.aspects),
                "aspect",
                (Code(f"/methodology name:{subject.key} aspect:<name>"), " shows one of them."),
            ),
            footer=f"/compare first:{subject.key} second:<another> compares it side by side.",
        )

    def aspect_answer(self, table: Table, subject: Subject, aspect: Aspect) -> Answer:
        return Answer(
            title=f"{subject.name} · {aspect.name}",
            description=aspect.values[subject.key],
            footer=table.title,
        )

    def _pick_aspect(self, table: Table, subjects: tuple[Subject, ...]) -> Text:
        """How to see one aspect of a comparison (named for every command it reaches)."""
        if table is self.catalog.mlops:
            return (Code("/mlops aspect:<name>"), " shows one of them.")
        first, second = subjects[0].key, subjects[-1].key
        command = f"/compare first:{first} second:{second} aspect:<name>"
        return (Code(command), " shows one of them.")

    def mlops(self, aspect: str | None = None) -> Answer:
        table = self.catalog.mlops
        picked = self.catalog.aspect(table, aspect) if aspect else None
        return self.comparison_answer(table, table.subjects, picked)


def phase_title(phase: Phase, total: int) -> str:
    return f"Phase {phase.number} of {total} · {phase.name}"


def _names(table: Table) -> str:
    return ", ".join(s.name for s in table.subjects)


def _more(count: int, what: str, hint: Text) -> tuple[Field, ...]:
    """The last field of a list of ``count`` entries (each a ``what``) cut at
    :data:`MAX_LISTED` entries; none if it was not cut."""
    hidden = count - MAX_LISTED
    if hidden <= 0:
        return ()
    plural = what if hidden == 1 else f"{what}s"
    return (Field("And more", text(f"…and {hidden:,} more {plural}. ", hint)),)
