"""The index ``/ask`` searches, built once from the content.

* Targets (candidate answers) by id: what each is, is called and is about, and its text
  as stemmed terms with a weight per field (a name counts more than an activity).
* Names: every key, name and alias, each synonym and name of the life cycle
  (``vocabulary.toml``), filed by its joined words ('vmodel') and its joined stems
  ('retir'), with the concepts it names and how surely.
* An inverted index of the text terms (IDF-weighted postings, grouped by weight).
* The vocabulary, with a :class:`~bot.core.matching.Matcher` to correct typos against.

Building is linear in the size of the content.
"""

from __future__ import annotations

import math
from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from bot.core.content import METHODOLOGIES, MLOPS
from bot.core.knowledge import phase_title
from bot.core.lookup import Catalog
from bot.core.matching import Matcher, stem
from bot.core.models import Aspect, Phase, Subject, Table
from bot.core.search_targets import (
    ACTIVITY_TEXT,
    CELL_TEXT,
    LONE_ROW_TEXT,
    NAME_TEXT,
    NAME_WORD_FACTOR,
    OBJECTIVE_TEXT,
    OVERVIEW,
    OVERVIEW_TEXT,
    ROW_TEXT,
    SYNONYM_FACTOR,
    UNCOVERED,
    Kind,
    Target,
    Weighed,
    aspect_concept,
    phase_concept,
    subject_concept,
    weighed,
)
from bot.core.search_words import (
    CHAT_PHRASES,
    CHAT_WORDS,
    CUE_WORDS,
    PLACE_WORDS,
    STOPWORDS,
    SUBJECT_SUFFIXES,
    stem_key,
    terms_of,
)
from bot.core.text import MAX_PHRASE, words

Sense = tuple[dict[str, float], dict[str, float]]
"""What a run of words means: (concepts named -> certainty, text terms -> weight)."""

MAX_POSTINGS = 2000
"""Targets read per text term, heaviest first. Bounds a question's cost at any size."""

MAX_SLOT_CONCEPTS = 32
"""Concepts one run of words may name: the surest ones (a word of a thousand names
says little about any of them)."""

MAX_ROW_SUBJECTS = 6
"""Tables with more subjects get no "all of them on one aspect" answer: too wide."""

HEAD = 3
"""Letters of a name's start kept to rule out runs of words that begin no name."""


class SearchIndex:
    """Everything ``/ask`` looks up, built once per loaded content."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        content = catalog.content

        # Targets, by id (their position): what each is, is called, is about, says.
        self.targets: list[Target] = []
        self.titles: list[str] = []
        self.commands: list[str | None] = []
        self.concepts: list[tuple[Weighed, ...]] = []
        self._shared: dict[Weighed, Weighed] = {}  # one of each while building
        self.terms: list[dict[str, float]] = []
        self.sentences: list[tuple[tuple[str, ...], ...]] = []
        # What the concepts of a question make up (see Ranker._composed): the target a
        # concept names on its own (the overview, a phase, a profile, a row, a whole
        # table), the first cell of each methodologies' aspect, and each methodology's
        # column in it.
        self.alone: dict[str, int] = {}
        self.cells: dict[str, int] = {}
        self.positions: dict[str, int] = {}
        self.profile_aspects: dict[str, Aspect] = {}  # the methodologies' aspects, by key

        # Names: joined words ('vmodel') and joined stems ('retir') -> what they mean.
        self.phrases: dict[str, Sense] = {}
        self.stemmed: dict[str, Sense] = {}
        self.subject_table: dict[str, str] = {}
        self._vocabulary: dict[str, int] = defaultdict(int)

        self._add_overview()
        for phase in content.phases:
            self._add_phase(phase)
        for table in content.tables:
            self._add_table(table)
        self._add_aliases()
        self._add_overview_phrases()
        self._add_synonyms()
        self._add_word_lists()

        self._index_terms()
        self._cap_names()
        self.heads = frozenset(
            key[:HEAD] for names in (self.phrases, self.stemmed) for key in names
        )

        for word in STOPWORDS | CUE_WORDS | CHAT_WORDS | PLACE_WORDS:
            self._vocabulary[word] += 1
        for key in self.phrases:  # joined names: 'vmodel', 'clientinvolvement'
            self._vocabulary[key] += 1
        self.known: Mapping[str, int] = dict(self._vocabulary)
        """The words known as they are (with how often the content has them)."""
        self.matcher = Matcher((w for w in self.known if w.isalpha()), self.known)
        del self._vocabulary, self._shared

    # -- the inverted index ---------------------------------------------------------------

    def _index_terms(self) -> None:
        """The inverted index: term -> its IDF, and its targets grouped by field weight.

        Every target of one group has the same weight for the term, so a question scores
        a whole group at once. Groups are heaviest first, target ids ascending within
        one, and only the first :data:`MAX_POSTINGS` ids are kept: no question reads
        further.
        """
        by_weight: dict[str, dict[float, array[int]]] = defaultdict(dict)
        for tid, terms in enumerate(self.terms):
            for term, weight in terms.items():
                groups = by_weight[term]
                tids = groups.get(weight)
                if tids is None:
                    tids = groups[weight] = array("l")
                tids.append(tid)
        documents = sum(1 for terms in self.terms if terms)
        scale = math.log(1 + documents) or 1.0
        self.idf: dict[str, float] = {}
        self.postings: dict[str, tuple[tuple[float, array[int]], ...]] = {}
        for term, groups in by_weight.items():
            count = sum(len(tids) for tids in groups.values())
            self.idf[term] = math.log(1 + documents / count) / scale
            kept: list[tuple[float, array[int]]] = []
            room = MAX_POSTINGS
            for weight in sorted(groups, reverse=True):
                if room <= 0:
                    break
                tids = groups[weight]
                if len(tids) > room:
                    tids = tids[:room]
                kept.append((weight, tids))
                room -= len(tids)
            self.postings[term] = tuple(kept)

    def _cap_names(self) -> None:
        """Keep only the surest :data:`MAX_SLOT_CONCEPTS` concepts of each name.

        A question reads no more of them, so they are cut once here rather than sorted
        for every question.
        """
        for names in (self.phrases, self.stemmed):
            for concepts, _ in names.values():
                if len(concepts) > MAX_SLOT_CONCEPTS:
                    surest = sorted(concepts, key=lambda c: (-concepts[c], c))
                    kept = {c: concepts[c] for c in surest[:MAX_SLOT_CONCEPTS]}
                    concepts.clear()
                    concepts.update(kept)

    # -- targets --------------------------------------------------------------------------

    def _target(
        self,
        target: Target,
        title: str,
        command: str | None,
        concepts: Iterable[str],
        texts: Iterable[tuple[str, float]] = (),
    ) -> int:
        """Add a target; its id."""
        terms: dict[str, float] = {}
        sentences: list[tuple[str, ...]] = []
        for text, weight in texts:
            for word in words(text):
                self._vocabulary[word] += 1
            sentence = terms_of(text)
            if len(sentence) > 1:
                sentences.append(tuple(dict.fromkeys(sentence)))
            for term in sentence:
                if terms.get(term, 0.0) < weight:
                    terms[term] = weight
        tid = len(self.targets)
        self.targets.append(target)
        self.titles.append(title)
        self.commands.append(command)
        weighs = (weighed(target, concept) for concept in concepts)
        self.concepts.append(tuple(self._shared.setdefault(w, w) for w in weighs))
        self.terms.append(terms)
        self.sentences.append(tuple(sentences))
        return tid

    def _add_overview(self) -> None:
        info = self.catalog.content.sdlc.sdlc
        texts = [(info.title, NAME_TEXT)]
        texts += [(text, OVERVIEW_TEXT) for text in (info.definition, info.goal, info.overview)]
        tid = self._target(Target(Kind.OVERVIEW), info.title, "`/phases`", [OVERVIEW], texts)
        self.alone[OVERVIEW] = tid

    def _add_phase(self, phase: Phase) -> None:
        concept = phase_concept(phase.key)
        texts = [(phase.name, NAME_TEXT), (phase.objective, OBJECTIVE_TEXT)]
        texts += [(activity.text, ACTIVITY_TEXT) for activity in phase.activities]
        title = phase_title(phase, len(self.catalog.phases))
        self.alone[concept] = self._target(
            Target(Kind.PHASE, phase=phase.key),
            title,
            f"`/phase name:{phase.key}`",
            [concept],
            texts,
        )
        self._name(phase.key, concept)
        self._name(phase.name, concept, parts=True)

    def _add_table(self, table: Table) -> None:
        profiles = table.key == METHODOLOGIES
        keys = tuple(s.key for s in table.subjects)
        subject_concepts = [subject_concept(key) for key in keys]
        for position, subject in enumerate(table.subjects):
            self.subject_table[subject.key] = table.key
            concept = subject_concepts[position]
            self._name(subject.key, concept)
            self._name(subject.name, concept)
            if profiles:
                self._name_suffixed(subject.name, concept)
                self.alone[concept] = self._target(
                    Target(Kind.METHODOLOGY, table=table.key, subjects=(subject.key,)),
                    subject.name,
                    f"`/methodology name:{subject.key}`",
                    [concept],
                )
                self.positions[concept] = position
        if not profiles:
            whole = Target(Kind.TABLE, table=table.key, subjects=keys)
            tid = self._target(whole, vs(table.subjects), table_command(table), subject_concepts)
            self.alone.update(dict.fromkeys(subject_concepts, tid))
        for aspect in table.aspects:
            concept = aspect_concept(table.key, aspect.key)
            self._name(aspect.key, concept)
            self._name(aspect.name, concept, parts=True)
            if not profiles or len(table.subjects) <= MAX_ROW_SUBJECTS:
                weight = LONE_ROW_TEXT if profiles else ROW_TEXT
                self.alone[concept] = self._target(
                    Target(Kind.ROW, table=table.key, subjects=keys, aspect=aspect.key),
                    f"{vs(table.subjects)} · {aspect.name}",
                    table_command(table, aspect),
                    [concept] if profiles else [concept, *subject_concepts],
                    [(aspect.values[key], weight) for key in keys],
                )
            if profiles:  # one cell per methodology, in their order: see Ranker._composed
                self.profile_aspects.setdefault(aspect.key, aspect)
                self.cells[concept] = len(self.targets)
                for subject, concept_of_subject in zip(
                    table.subjects, subject_concepts, strict=True
                ):
                    self._target(
                        Target(
                            Kind.CELL, table=table.key, subjects=(subject.key,), aspect=aspect.key
                        ),
                        f"{subject.name} · {aspect.name}",
                        f"`/methodology name:{subject.key} aspect:{aspect.key}`",
                        [concept_of_subject, concept],
                        [(aspect.values[subject.key], CELL_TEXT)],
                    )

    # -- names ----------------------------------------------------------------------------

    def _name(
        self, name: str, concept: str, certainty: float = 1.0, *, parts: bool = False
    ) -> None:
        """File ``name`` (and with ``parts`` each of its words, less surely) as ``concept``."""
        tokens = words(name)
        if not tokens:
            return
        for word in tokens:
            self._vocabulary[word] += 1
        # A subject's name says nothing about text: the 'model' of 'V-Model' is not the
        # 'model' of 'model testing'. Other names also match their words in the text.
        terms = {} if concept.startswith("s:") else {t: 1.0 for t in terms_of(name)}
        self._file(tokens, ({concept: certainty}, terms))
        if parts and len(tokens) > 1:
            for word in tokens:
                if word in STOPWORDS or word in CUE_WORDS or len(word) < 3:
                    continue
                self._file([word], ({concept: certainty * NAME_WORD_FACTOR}, {stem(word): 1.0}))

    def _file(self, tokens: Sequence[str], sense: Sense, factor: float = 1.0) -> None:
        if len(tokens) > MAX_PHRASE:
            return
        for names, key in ((self.phrases, "".join(tokens)), (self.stemmed, stem_key(tokens))):
            entry = names.get(key)
            if entry is None:
                entry = names[key] = ({}, {})
            merge(entry, sense, factor)

    def _name_suffixed(self, name: str, concept: str) -> None:
        for suffix in SUBJECT_SUFFIXES:
            self._name(f"{name} {suffix}", concept)

    def _add_aliases(self) -> None:
        aliases = self.catalog.content.aliases
        for alias, key in aliases.phases.items():
            self._name(alias, phase_concept(key))
        for alias, key in aliases.subjects.items():
            concept = subject_concept(key)
            self._name(alias, concept)
            if self.subject_table.get(key) == METHODOLOGIES:
                self._name_suffixed(alias, concept)
        for table_key, group in aliases.aspects.items():
            for alias, key in group.items():
                self._name(alias, aspect_concept(table_key, key))

    def _add_overview_phrases(self) -> None:
        content = self.catalog.content
        phrases = dict(content.vocabulary.overview)
        phrases.setdefault(content.sdlc.sdlc.title, 1.0)
        for phrase, certainty in phrases.items():
            self._name(phrase, OVERVIEW, certainty)

    def _add_synonyms(self) -> None:
        """Each synonym means what its expansions mean (``vocabulary.toml``)."""
        for phrase, expansions in self.catalog.content.vocabulary.synonyms.items():
            tokens = words(phrase)
            sense: Sense = ({}, {t: 1.0 for t in terms_of(phrase)})
            for expansion in expansions:
                merge(sense, self._sense_of(words(expansion)), SYNONYM_FACTOR)
            for word in tokens:
                self._vocabulary[word] += 1
            self._file(tokens, sense)

    def _add_word_lists(self) -> None:
        """The context words, and the phrases of what the content does not hold, filed
        as names of :data:`UNCOVERED` (``vocabulary.toml``)."""
        vocabulary = self.catalog.content.vocabulary
        context: set[str] = set()
        for entry in vocabulary.context:
            for word in words(entry):
                self._vocabulary[word] += 1
                context.update((word, stem(word)))
        self.context = frozenset(context)
        for phrase in vocabulary.uncovered:
            tokens = words(phrase)
            for word in tokens:
                self._vocabulary[word] += 1
            self._file(tokens, ({UNCOVERED: 1.0}, {}))
        for phrase in CHAT_PHRASES:  # names of nothing: read past ('quick' alone is speed)
            self._file(words(phrase), ({}, {}))

    def _sense_of(self, tokens: Sequence[str]) -> Sense:
        """What the content's names make of ``tokens``, and their text terms."""
        sense: Sense = ({}, {t: 1.0 for t in terms_of(" ".join(tokens))})
        found = self.phrases.get("".join(tokens)) or self.stemmed.get(stem_key(tokens))
        if found is not None:
            merge(sense, found)
        return sense


# -- helpers --------------------------------------------------------------------------------


def merge(into: Sense, other: Sense, factor: float = 1.0) -> None:
    for mine, theirs in zip(into, other, strict=True):
        for key, weight in theirs.items():
            mine[key] = max(mine.get(key, 0.0), weight * factor)


def vs(subjects: Sequence[Subject]) -> str:
    return " vs ".join(s.name for s in subjects)


def table_command(table: Table, aspect: Aspect | None = None) -> str | None:
    if table.key != MLOPS:
        return None  # no command shows every methodology on one aspect
    return f"`/mlops aspect:{aspect.key}`" if aspect is not None else "`/mlops`"
