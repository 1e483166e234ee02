"""Phases named by where they are: 'the phase right after design', 'the first phase'.

A question may name a phase by its place in the life cycle rather than by its name:

* by its neighbour: a relation word ('after', 'before', 'following', 'prior', 'once')
  followed, within :data:`REACH` words of which all but the last are stop or chat words, by a
  phase's name, alias or synonym ('after launch' is after Deployment);
* by its rank: an ordinal and a phase word ('the third stage', 'the last phase',
  'the second to last step').

('phase 4' and 'step 6' are read by :mod:`bot.core.search_query` itself.) The words are
English, not content: they work for any content's phases. Each look-up is a few
dictionary reads, at most :data:`REACH` of them name look-ups.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.models import Phase
from bot.core.search_index import SearchIndex, Sense
from bot.core.search_words import (
    AFTER_WORDS,
    BEFORE_WORDS,
    CHAT_WORDS,
    FROM_END,
    ORDINALS,
    STOPWORDS,
)

REACH = 3
"""Words after a relation word in which the phase it relates to is looked for."""

PHASE_WORDS = frozenset({"phase", "stage", "step"})
"""Words after an ordinal that make it name a phase ('first phase', not 'first week')."""

NEIGHBOUR_CERTAINTY = 0.75
"""How surely 'after design' names the phase after Design: less than a name, since the
relation may only say when something else named happens ('does QA only happen once all
the building is done' asks about testing)."""

NameAt = Callable[[int], tuple[int, Sense] | None]
"""The name that starts at a word of the question: its length in words and sense."""


def relation_at(
    index: SearchIndex, tokens: Sequence[str], start: int, name_at: NameAt
) -> tuple[int, Phase, float] | None:
    """The phase a relation starting at word ``start`` names: the words it takes, the
    phase and how surely."""
    token = tokens[start]
    if token in AFTER_WORDS or token in BEFORE_WORDS:
        return _neighbour(index, tokens, start, name_at, 1 if token in AFTER_WORDS else -1)
    return _ranked(index, tokens, start)


def _neighbour(
    index: SearchIndex, tokens: Sequence[str], start: int, name_at: NameAt, step: int
) -> tuple[int, Phase, float] | None:
    catalog = index.catalog
    for at in range(start + 1, min(len(tokens), start + 1 + REACH)):
        found = name_at(at)
        if found is not None:
            length, (concepts, _) = found
            phases = [c for c in concepts if c.startswith("p:")]
            if not phases:
                return None
            surest = max(phases, key=lambda c: (concepts[c], c))
            named = catalog.phase_by_key(surest[2:])
            neighbour = catalog.phase_by_number(named.number + step)
            if neighbour is None:
                return None
            return at + length - start, neighbour, NEIGHBOUR_CERTAINTY
        if tokens[at] not in STOPWORDS and tokens[at] not in CHAT_WORDS:
            return None
    return None


def _ranked(
    index: SearchIndex, tokens: Sequence[str], start: int
) -> tuple[int, Phase, float] | None:
    token = tokens[start]
    phases = index.catalog.phases
    after = start + 1
    rest = tokens[after : after + 2]
    if rest[:2] == ["to", "last"] and (token in ORDINALS or token == "next"):
        number = len(phases) + 1 - ORDINALS.get(token, 2)  # 'second to last'
        after += 2
    elif rest[:1] == ["last"] and token in ORDINALS:  # 'second last'
        number = len(phases) + 1 - ORDINALS[token]
        after += 1
    elif token in FROM_END:
        number = len(phases) + 1 - FROM_END[token]
    elif token in ORDINALS:
        number = ORDINALS[token]
    else:
        return None
    if after >= len(tokens) or tokens[after] not in PHASE_WORDS:
        return None
    phase = index.catalog.phase_by_number(number)
    return None if phase is None else (after + 1 - start, phase, 1.0)
