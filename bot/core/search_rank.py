"""Scoring ``/ask``'s candidate answers for a question read into slots.

Targets (candidate answers) are scored slot by slot: each slot adds its best match with
the target, either a *concept* the target is about (a named subject weighs most:
"testing in the V-Model" is the V-Model's Testing, not the Testing phase) or a term of
the target's text weighted by its rarity (IDF). Candidates come from the concepts named
and from the inverted index of text terms; comparisons of two methodologies are
composed from the methodologies named.

Nothing scans every target: a question reads the postings of its slots (each up to
:data:`~bot.core.search_index.MAX_POSTINGS` targets), scores at most
:data:`TEXT_CANDIDATES` targets found by their text plus the ones its concepts make up,
and makes hits only of the entries that are read.
"""

from __future__ import annotations

import heapq
import operator
from array import array
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from bot.core.errors import InvalidRequest
from bot.core.models import Aspect, Subject, Table
from bot.core.search_index import SearchIndex
from bot.core.search_query import Query, Slot
from bot.core.search_targets import (
    AGREEMENT,
    COHESION,
    CUE_BONUS,
    PHASE,
    UNNAMED_SUBJECT,
    Hit,
    Kind,
    Target,
    aspect_concept,
    concept_weight,
    subject_concept,
)

TEXT_CANDIDATES = 64
"""Targets found by their text alone that are scored in full."""

MAX_NAMED = 4
"""Methodologies (and aspects) of one question considered for composed comparisons."""

_CELL = Kind.CELL.value
"""(In the hot loop of scoring, kinds are their values: an enum member hashes in Python.)"""

Ranked = tuple[list[tuple[float, int]], list[Target]]
"""Candidates as (negated score, id), best first, and the comparisons among them."""


class Ranker:
    """Ranks the targets of an index for a question (see the module's notes)."""

    def __init__(self, index: SearchIndex) -> None:
        self._index = index
        self._methodologies = index.catalog.methodologies
        self._kinds = [target.kind.value for target in index.targets]  # (hot loop: _score)
        self._concepts = index.concepts
        self._sentences = index.sentences

    def rank(self, query: Query) -> Ranked:
        """The candidates that score, as (negated score, id) best first, and the
        comparisons among them: id ``len(targets) + i`` is comparison ``i``.

        Ties go to the lower target id, comparisons last in the order they were made.
        """
        if not query.slots:
            return [], []
        text_by_slot = [self._text_scores(slot) for slot in query.slots]
        candidates = _top_text(text_by_slot)
        named = _named(query)
        candidates.update(self._composed(named))
        bonus = _bonuses(query.cues) if query.cues else {}
        slots = [(s.concepts, t) for s, t in zip(query.slots, text_by_slot, strict=True)]
        ranked: list[tuple[float, int]] = []
        for tid in candidates:
            score = self._score(tid, query, slots, bonus)
            if score > 0.0:
                ranked.append((-score, tid))
        after = len(self._index.targets)
        comparisons: list[Target] = []
        for score, target in self._comparisons(named, query, bonus):
            if score > 0.0:
                ranked.append((-score, after + len(comparisons)))
                comparisons.append(target)
        ranked.sort()
        return ranked, comparisons

    def hit(self, entry: tuple[float, int], comparisons: Sequence[Target]) -> Hit:
        """The :class:`Hit` of one entry of :meth:`rank`."""
        negated, tid = entry
        index = self._index
        if tid < len(index.targets):
            return Hit(index.targets[tid], index.titles[tid], -negated, index.commands[tid])
        target = comparisons[tid - len(index.targets)]
        title = self._comparison_title(target)
        return Hit(target, title, -negated, _compare_command(target))

    def support(self, entry: tuple[float, int], comparisons: Sequence[Target], query: Query) -> int:
        """How many words of the question the answer of one entry of :meth:`rank` stands
        on: every word of a name it is about, one for each other word its text has."""
        tid = entry[1]
        index = self._index
        concepts: set[str]
        terms: Mapping[str, float]
        found: set[str] = set()
        if tid < len(index.targets):
            concepts = {concept for concept, _, _ in self._concepts[tid]}
            terms = index.terms[tid]
            target = index.targets[tid]
        else:
            target = comparisons[tid - len(index.targets)]
            concepts = {subject_concept(key) for key in target.subjects}
            if target.aspect:
                concepts.add(aspect_concept(target.table, target.aspect))
            terms = {}
        if target.kind is Kind.PHASE and PHASE in query.cues:
            found.add(PHASE)  # 'the design phase': the phase is named as one
        for slot in query.slots:
            if not concepts.isdisjoint(slot.concepts):
                found.update(slot.text.split())
            else:
                shared = terms.keys() & slot.terms.keys()
                if shared:
                    found.add(min(shared))  # by stem: 'fixed' and 'fix' are one word
        return len(found)

    def _text_scores(self, slot: Slot) -> dict[int, float]:
        """Target id -> the best IDF-weighted text match of one slot's terms.

        A posting group gives every target in it the same score, so each is written in
        one call; groups go lowest score first, so a target ends with its best.
        """
        groups: list[tuple[float, array[int]]] = []
        postings_of, idf_of = self._index.postings, self._index.idf
        for term, factor in slot.terms.items():
            postings = postings_of.get(term)
            if postings is None:
                continue
            idf = idf_of[term] * factor
            for weight, tids in postings:
                groups.append((idf * weight, tids))
        if len(groups) == 1:
            score, tids = groups[0]
            return dict.fromkeys(tids, score)
        groups.sort(key=operator.itemgetter(0))
        best: dict[int, float] = {}
        for score, tids in groups:
            best.update(dict.fromkeys(tids, score))
        return best

    def _composed(self, named: Sequence[str]) -> set[int]:
        """Targets made of what the question names: phases, profiles, cells, rows, tables."""
        index = self._index
        found: set[int] = set()
        aspects: list[int] = []  # the first cell of each methodologies' aspect named
        for concept in named:
            first = index.cells.get(concept)
            if first is not None:
                aspects.append(first)
        for concept in named:
            tid = index.alone.get(concept)
            if tid is not None:
                found.add(tid)
            position = index.positions.get(concept)
            if position is not None:  # a methodology: its cell on each aspect named
                found.update(first + position for first in aspects)
        return found

    def _score(
        self,
        tid: int,
        query: Query,
        slots: Sequence[tuple[Mapping[str, float], Mapping[int, float]]],
        bonus: Mapping[str, float],
    ) -> float:
        """How well target ``tid`` answers the question: slot by slot, the better of a
        concept it is about and its text, then cohesion and cue bonuses.

        ``slots`` has each slot's concepts with its text scores (:meth:`_text_scores`).
        """
        kind = self._kinds[tid]
        concepts = self._concepts[tid]
        score = 0.0
        subject_named = False
        for slot_concepts, text in slots:
            matched = text.get(tid, 0.0)
            if not slot_concepts:
                score += matched
                continue
            named = 0.0
            backed = False
            for concept, weight, subject in concepts:
                certainty = slot_concepts.get(concept)
                if certainty is None:
                    continue
                if subject:
                    subject_named = True
                else:
                    backed = True
                if weight * certainty > named:
                    named = weight * certainty
            # The better of the two (written out: max() and min() cost more here).
            score += named if named >= matched else matched
            if backed:  # a phase or aspect name that the content's own text backs up
                score += AGREEMENT * (named if named <= matched else matched)
        if query.cohesive and self._sentences[tid]:
            score += self._cohesion(tid, query)
        if kind == _CELL and not subject_named:
            score *= UNNAMED_SUBJECT
        if score > 0.0 and bonus:
            score += bonus.get(kind, 0.0)
        return round(score, 6)

    def _cohesion(self, tid: int, query: Query) -> float:
        """Several words of the question in one sentence ('archive data') say more.

        Only the question's terms that the target has are looked for, each with the
        slots it stands for; a target with fewer than two such slots has none.
        """
        sentences = self._index.sentences[tid]
        terms = self._index.terms[tid]
        present = [(term, bits) for term, bits in query.term_slots.items() if term in terms]
        reach = 0
        for _, bits in present:
            reach |= bits
        most_possible = reach.bit_count()
        if most_possible < 2:
            return 0.0
        most = 0
        for sentence in sentences:
            found = 0
            for term, bits in present:
                if term in sentence:
                    found |= bits
            if found.bit_count() > most:
                most = found.bit_count()
                if most == most_possible:
                    break
        return COHESION * (most - 1) if most > 1 else 0.0

    def _comparisons(
        self, named: Sequence[str], query: Query, bonus: Mapping[str, float]
    ) -> list[tuple[float, Target]]:
        """Two methodologies named: compare them, whole and on each aspect named.

        Scored here; made into hits (with their titles) only when read.
        """
        table = self._methodologies
        subject_table = self._index.subject_table
        subjects = [
            c[2:]
            for c in named  # by name: 'before standup' names no methodology to compare
            if c.startswith("s:")
            and subject_table[c[2:]] == table.key
            and any(slot.concepts.get(c, 0.0) >= 1.0 for slot in query.slots)
        ][:MAX_NAMED]
        if len(subjects) < 2:
            return []
        prefix = f"a:{table.key}:"
        aspects = [c[len(prefix) :] for c in named if c.startswith(prefix)][:MAX_NAMED]
        extra = bonus.get(Kind.COMPARISON.value, 0)
        scored: list[tuple[float, Target]] = []
        for i, first in enumerate(subjects):
            for second in subjects[i + 1 :]:
                for aspect in ["", *aspects]:
                    concepts = {subject_concept(first), subject_concept(second)}
                    if aspect:
                        concepts.add(aspect_concept(table.key, aspect))
                    score = extra + sum(
                        max(
                            (
                                concept_weight(c) * w
                                for c, w in slot.concepts.items()
                                if c in concepts
                            ),
                            default=0.0,
                        )
                        for slot in query.slots
                    )
                    target = Target(
                        Kind.COMPARISON, table=table.key, subjects=(first, second), aspect=aspect
                    )
                    scored.append((round(score, 6), target))
        return scored

    def _comparison_title(self, target: Target) -> str:
        """The title of a comparison of methodologies (as the comparison answer has it)."""
        table = self._methodologies
        names = " vs ".join(subject_of(table, key).name for key in target.subjects)
        if not target.aspect:
            return names
        aspect = self._index.profile_aspects.get(target.aspect) or aspect_of(table, target.aspect)
        return f"{names} · {aspect.name}"


# -- helpers ------------------------------------------------------------------------------


def _named(query: Query) -> list[str]:
    """Concepts the question names, in order of first mention, surest first, no repeats."""
    seen: dict[str, None] = {}
    for slot in query.slots:
        concepts: Iterable[str] = slot.concepts
        if len(slot.concepts) > 1:
            concepts = sorted(slot.concepts, key=lambda c: (-slot.concepts[c], c))
        for concept in concepts:
            seen.setdefault(concept, None)
    return list(seen)


def _top_text(text_by_slot: Sequence[Mapping[int, float]]) -> set[int]:
    """The :data:`TEXT_CANDIDATES` targets with the most text matched over all slots
    (ties: the lower id)."""
    found = [scores for scores in text_by_slot if scores]
    if not found:
        return set()
    total = dict(found[0])
    so_far = total.get
    for scores in found[1:]:  # summed slot by slot, in order, as floats add
        for tid, score in scores.items():
            total[tid] = so_far(tid, 0.0) + score
    if len(total) <= TEXT_CANDIDATES:
        return set(total)
    top = heapq.nlargest(
        TEXT_CANDIDATES, zip(total.values(), map(operator.neg, total), strict=True)
    )
    return {-negated for _, negated in top}


@lru_cache(maxsize=16)
def _bonuses(cues: frozenset[str]) -> Mapping[str, float]:
    """What the cues of a question add to each kind of target, by the kind's value (a few
    sets of cues exist)."""
    return {kind.value: sum(CUE_BONUS.get((cue, kind), 0.0) for cue in cues) for kind in Kind}


def _compare_command(target: Target) -> str:
    first, second = target.subjects
    command = f"/compare first:{first} second:{second}"
    if target.aspect:
        command += f" aspect:{target.aspect}"
    return f"`{command}`"


def subject_of(table: Table, key: str) -> Subject:
    subject = table.subject(key)
    if subject is None:
        raise InvalidRequest(f"{table.title} has no subject '{key}'.")
    return subject


def aspect_of(table: Table, key: str) -> Aspect:
    aspect = table.aspect(key)
    if aspect is None:
        raise InvalidRequest(f"{table.title} has no aspect '{key}'.")
    return aspect
