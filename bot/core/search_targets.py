"""What ``/ask`` can answer (targets), what they are about (concepts), and the weights.

A *target* is one answer, named by content keys: the overview, a phase, a methodology's
profile or one cell of it, a table's row or the whole table, or two methodologies
compared. A *concept* is something a question can name: ``p:<phase>``,
``s:<subject>``, ``a:<table>:<aspect>``, or ``o``, the life cycle itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from bot.core.content import METHODOLOGIES


class Kind(Enum):
    """What a target answers."""

    OVERVIEW = "overview"
    """The life cycle as a whole (``/phases``)."""
    PHASE = "phase"
    """One phase (``/phase``)."""
    METHODOLOGY = "methodology"
    """One methodology, every aspect (``/methodology name:``)."""
    CELL = "cell"
    """One methodology, one aspect (``/methodology name: aspect:``)."""
    ROW = "row"
    """Every subject of a table on one aspect (``/mlops aspect:``; the methodologies'
    rows have no command)."""
    TABLE = "table"
    """A whole table of two subjects (``/mlops``)."""
    COMPARISON = "comparison"
    """Two methodologies, whole or on one aspect (``/compare``)."""


@dataclass(frozen=True, slots=True)
class Target:
    """What an answer is about, by content keys. Equal targets are the same answer."""

    kind: Kind
    phase: str = ""
    table: str = ""
    subjects: tuple[str, ...] = ()
    aspect: str = ""


@dataclass(frozen=True, slots=True)
class Hit:
    """A scored candidate answer."""

    target: Target
    title: str
    """The title of the answer :meth:`~bot.core.search.Asker.answer_for` builds."""
    score: float
    command: str | None = None
    """The slash command that shows the same answer, in backticks, if there is one."""


# -- concepts -------------------------------------------------------------------------------

OVERVIEW = "o"
"""The concept of the life cycle as a whole."""

UNCOVERED = "u"
"""What a phrase the content does not hold names ('retrospective'): no target has it."""


def phase_concept(key: str) -> str:
    return f"p:{key}"


def subject_concept(key: str) -> str:
    return f"s:{key}"


def aspect_concept(table: str, key: str) -> str:
    return f"a:{table}:{key}"


# -- weights --------------------------------------------------------------------------------

SUBJECT_WEIGHT = 2.5
"""A methodology (or MLOps / DevOps) named: the strongest sign of what is asked about."""
PHASE_WEIGHT = 2.0
ASPECT_WEIGHT = 2.0
OVERVIEW_WEIGHT = 2.0
ROW_SUBJECT = 2.2
"""A subject named, for one aspect of its table: less than for the table as a whole."""
LONE_ROW_ASPECT = 1.4
"""An aspect of the methodologies with no methodology named: all of them, on it.
Less than a phase of the same name ('testing' is the Testing phase)."""
UNNAMED_SUBJECT = 0.6
"""Factor for a methodology's cell found by its text while the methodology is not named."""
COHESION = 0.4
"""Added for each further slot of the question found in one sentence of the content."""
AGREEMENT = 0.1
"""Share of a text match added to a phase or aspect name it backs up."""

COMPARE = "compare"
WHICH = "which"
PHASE = "phase"
"""The cues a question may give (see :mod:`bot.core.search_query`)."""

CUE_BONUS: Mapping[tuple[str, Kind], float] = {
    (COMPARE, Kind.COMPARISON): 0.5,
    (COMPARE, Kind.TABLE): 0.5,
    (COMPARE, Kind.ROW): 0.5,
    (WHICH, Kind.ROW): 0.5,
    (WHICH, Kind.COMPARISON): 0.2,
    (PHASE, Kind.PHASE): 0.5,
    (PHASE, Kind.OVERVIEW): 0.3,
}

# Field weights: how much a word counts in each part of a target's text.
NAME_TEXT = 1.0
OBJECTIVE_TEXT = 0.8
ACTIVITY_TEXT = 0.7
CELL_TEXT = 0.8
ROW_TEXT = 0.7
LONE_ROW_TEXT = 0.5
OVERVIEW_TEXT = 0.6

SYNONYM_FACTOR = 0.9
"""How surely a synonym names what its expansion names."""
NAME_WORD_FACTOR = 0.6
"""How surely one word of a longer name ('involvement') names it."""


Weighed = tuple[str, float, bool]
"""A concept of a target, what naming it weighs for that target, and whether it is a
subject."""


def weighed(target: Target, concept: str) -> Weighed:
    """``concept`` of ``target`` with its weight there, worked out once when indexing."""
    if concept.startswith("s:"):
        return concept, (ROW_SUBJECT if target.kind is Kind.ROW else SUBJECT_WEIGHT), True
    if target.kind is Kind.ROW and target.table == METHODOLOGIES:
        return concept, LONE_ROW_ASPECT, False  # all methodologies on one aspect
    return concept, concept_weight(concept), False


def concept_weight(concept: str) -> float:
    if concept.startswith("s:"):
        return SUBJECT_WEIGHT
    if concept.startswith("p:"):
        return PHASE_WEIGHT
    if concept.startswith("a:"):
        return ASPECT_WEIGHT
    return OVERVIEW_WEIGHT
