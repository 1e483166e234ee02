"""Content models: frozen pydantic models validated when the content is loaded."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64)]
"""A stable identifier: lowercase letters, digits and single dashes."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""Non-empty text, kept word for word."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)


class Activity(Frozen):
    key: Key
    text: Text


class Phase(Frozen):
    number: int = Field(ge=1)
    key: Key
    name: Text
    objective: Text
    activities: tuple[Activity, ...] = Field(min_length=1)

    def activity(self, key: str) -> Activity | None:
        return next((a for a in self.activities if a.key == key), None)


class SDLCInfo(Frozen):
    title: Text
    definition: Text
    goal: Text
    overview: Text


class SDLC(Frozen):
    """The life cycle: what it is, and its phases in order."""

    sdlc: SDLCInfo
    phases: tuple[Phase, ...] = Field(min_length=1)


class TableInfo(Frozen):
    key: Key
    title: Text


class Subject(Frozen):
    """One column of a comparison table: a methodology, or MLOps / DevOps."""

    key: Key
    name: Text
    iterative: bool = False


class Aspect(Frozen):
    """One row of a comparison table, with a value for every subject."""

    key: Key
    name: Text
    values: dict[Key, Text]


class Table(Frozen):
    """A comparison table: subjects (columns) compared aspect by aspect (rows)."""

    table: TableInfo
    subjects: tuple[Subject, ...] = Field(min_length=2)
    aspects: tuple[Aspect, ...] = Field(min_length=1)

    @property
    def key(self) -> str:
        return self.table.key

    @property
    def title(self) -> str:
        return self.table.title

    def subject(self, key: str) -> Subject | None:
        return next((s for s in self.subjects if s.key == key), None)

    def aspect(self, key: str) -> Aspect | None:
        return next((a for a in self.aspects if a.key == key), None)


class Aliases(Frozen):
    """Words users type, mapped to keys. `aspects` is keyed by table key."""

    phases: dict[str, Key] = Field(default_factory=dict)
    subjects: dict[str, Key] = Field(default_factory=dict)
    aspects: dict[Key, dict[str, Key]] = Field(default_factory=dict)


Certainty = Annotated[float, Field(gt=0, le=1)]
"""How surely a word names something: more than 0, at most 1."""


class Vocabulary(Frozen):
    """Words users type in ``/ask``, with what they mean in the content.

    ``synonyms``: a word or phrase -> words of the content (names, aliases or words of
    the texts) it means. ``overview``: words that name the life cycle as a whole, with
    how surely they do. ``context``: words that say a question is about a team's
    software work without naming anything in it ('app', 'prod'). ``uncovered``: words
    and phrases people ask about that the content does not hold ('retrospective',
    'when should we use'): /ask says what it does hold instead.
    """

    context: tuple[Text, ...] = ()
    uncovered: tuple[Text, ...] = ()
    synonyms: dict[str, Annotated[tuple[Text, ...], Field(min_length=1)]] = Field(
        default_factory=dict
    )
    overview: dict[str, Certainty] = Field(default_factory=dict)


class Content(Frozen):
    """Everything the bot knows, validated as a whole."""

    sdlc: SDLC
    tables: tuple[Table, ...]
    aliases: Aliases
    vocabulary: Vocabulary = Field(default_factory=Vocabulary)

    @property
    def phases(self) -> tuple[Phase, ...]:
        return self.sdlc.phases

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)
