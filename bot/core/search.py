"""Free-text questions answered from the content: the engine behind ``/ask``.

:class:`Asker` indexes the content once and then answers a question such as "how
flexible is waterfall" with the single best matching piece of content, built by
:class:`~bot.core.knowledge.Knowledge` exactly as the commands build it, plus up to
two "see also" suggestions written as the slash commands that show them.

How a question is read
----------------------

1. Its words are split (:func:`~bot.core.text.words`). A word the content does not
   know is corrected to a known one (a delete-neighbourhood index: a few dictionary
   look-ups whatever the size of the content) or completed when it is cut short
   ("collab"); corrections are cached per word.
2. The longest run of words that names something becomes one *slot*: a phase,
   methodology or aspect by its key, name or alias (``aliases.toml``), a synonym or a
   name of the life cycle ("sdlc") from the content's ``vocabulary.toml``. Names match
   with spaces, dashes and common suffixes ignored ("V Model", "vmodel", "retiring").
   Any other word is a slot of its stemmed text; stop words are dropped, and a few
   cue words ("vs", "which", "phase") are noted.
3. Targets (candidate answers) are scored slot by slot: each slot adds its best match
   with the target, either a *concept* the target is about (a named subject weighs
   most: "testing in the V-Model" is the V-Model's Testing, not the Testing phase) or
   a term of the target's text weighted by its rarity (IDF). Candidates come from the
   concepts named and from an inverted index of text terms built once; comparisons of
   two methodologies are composed from the methodologies named.
4. A best score under the bar (:data:`MIN_SCORE`, raised for every word that matches
   nothing) means the question is not understood: the answer says so and lists what
   can be asked, rather than guessing.

Cost: building is linear in the size of the content. A question costs a few
dictionary look-ups per word plus the postings of its words, each read up to
:data:`MAX_POSTINGS`; nothing scans every target. What can be worked out once is,
when indexing: each word is stemmed once per question, postings are grouped by weight
(a group is scored in one call), a target's concepts carry their weights, the targets
a concept makes up are looked up by it, and only the hits that are read are made.
"""

from __future__ import annotations

import difflib
import heapq
import logging
import math
import operator
import time
from array import array
from bisect import bisect_left
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from functools import lru_cache
from itertools import islice
from typing import NamedTuple, Protocol

from bot.core.answer import Answer, Field, Tone
from bot.core.content import METHODOLOGIES, MLOPS
from bot.core.errors import InvalidRequest
from bot.core.knowledge import Knowledge, phase_title
from bot.core.models import Aspect, Phase, Subject, Table
from bot.core.text import MAX_PHRASE, words

log = logging.getLogger(__name__)

__all__ = [
    "MIN_SCORE",
    "NOT_SURE_TITLE",
    "SEE_ALSO",
    "Asker",
    "Hit",
    "Kind",
    "Target",
    "stem",
]

MIN_SCORE = 0.55
"""The bar a best match must clear to be an answer rather than a guess.

A lone word found in several places ("data") stays under it; one found in a single
place ("security") clears it. The bar rises by as much again for every word of the
question that matches nothing at all, and a question whose only matches are typo
corrections beside unknown words ("can you order lunch") is not understood at all.
"""

NOT_SURE_TITLE = "I'm not sure what you're asking"
"""Title of the answer to a question that matches nothing well enough."""

SEE_ALSO = "See also"
"""Name of the field listing the runner-ups as slash commands."""

MAX_TOKENS = 64
"""Words of a question that are read; the rest is ignored."""

_HEAD = 3
"""Letters of a name's start kept to rule out runs of words that begin no name."""

MAX_POSTINGS = 2000
"""Targets read per text term, heaviest first. Bounds a question's cost at any size."""

TEXT_CANDIDATES = 64
"""Targets found by their text alone that are scored in full."""

MAX_SLOT_CONCEPTS = 32
"""Concepts one run of words may name: the surest ones (a word of a thousand names
says little about any of them)."""

MAX_NAMED = 4
"""Methodologies (and aspects) of one question considered for composed comparisons."""

MAX_ROW_SUBJECTS = 6
"""Tables with more subjects get no "all of them on one aspect" answer: too wide."""

MAX_COMPLETIONS = 8
"""A cut-short word with more known completions than this is left alone."""

_CACHE_LIMIT = 20_000
"""Typo corrections remembered before the cache is emptied."""

ANSWER_CACHE = 256
"""Answers kept built, by target: some are large (the overview lists every phase)."""

_SEE_ALSO_SHARE = 0.4
"""A runner-up is suggested only when it scores at least this share of the best."""


# -- words --------------------------------------------------------------------------------


def _word_set(*lines: str) -> frozenset[str]:
    return frozenset(" ".join(lines).split())


STOPWORDS = _word_set(
    "a about above after again all also am an and any anything are as at be because been",
    "before being below both but by can could did do does doing done during each else etc",
    "ever every everything few for from further get gets getting give go goes going got had",
    "has have having he her here hers him his how i if in into is it its itself just know",
    "let lets like me might mine my need needs needed no nor not now of off on once one only",
    "other our ours out over own please pls plz really s same say she should so some such t",
    "tell than thank thanks that the their theirs them then there these they thing things",
    "this those through to too under until up us very want wants was way we well were what",
    "whats when where whether while who whom whose why will with within would you your",
    "yours hey hi hello bot explain describe mean means meant show info information d ll re",
    "ve m don doesn isn aren use used using usually typically happen happens handle handled",
    "deal work works look looks kind sort",
)
"""Words that carry no meaning for matching. Typos may fold into them ("whta")."""

COMPARE_CUES = _word_set(
    "vs versus v compare compared comparing comparison difference differences different",
    "differ differs between contrast or",
)
"""Words that ask for a comparison."""

WHICH_CUES = _word_set("which most least best worst more less better worse highest lowest")
"""Words that ask to pick among all methodologies."""

PHASE_CUES = _word_set(
    "phase phases stage stages step steps activities activity tasks task objective",
    "objectives deliverables",
)
"""Words that ask about a phase ("step 2" means phase 2)."""

_CUE_WORDS = COMPARE_CUES | WHICH_CUES | PHASE_CUES

SUBJECT_SUFFIXES = ("model", "methodology", "method", "process", "framework", "approach")
"""After a methodology's name ('spiral model') the word belongs to the name."""

_SYNONYM_FACTOR = 0.9
"""How surely a synonym names what its expansion names."""

_NAME_WORD_FACTOR = 0.6
"""How surely one word of a longer name ('involvement') names it."""


# -- stems --------------------------------------------------------------------------------

_SUFFIXES: tuple[tuple[str, str, int], ...] = (
    # (suffix, replacement, shortest stem left)
    ("ibility", "ibl", 3),
    ("ability", "abl", 3),
    ("ibly", "ibl", 3),
    ("ably", "abl", 3),
    ("ifications", "ify", 3),
    ("ification", "ify", 3),
    ("ations", "", 3),
    ("ation", "", 3),
    ("atives", "", 3),
    ("ative", "", 3),
    ("ating", "", 3),
    ("ated", "", 3),
    ("ates", "", 3),
    ("ate", "", 3),
    ("ments", "", 6),
    ("ment", "", 6),
    ("ings", "", 3),
    ("ing", "", 3),
    ("ities", "", 3),
    ("ity", "", 3),
    ("ives", "", 5),
    ("ive", "", 5),
    ("ions", "", 3),
    ("ion", "", 3),
    ("als", "", 5),
    ("al", "", 5),
    ("ies", "y", 3),
    ("ied", "y", 3),
    ("ed", "", 3),
    ("ly", "", 3),
    ("es", "e", 3),
    ("s", "", 3),
)


def _strip_suffix(word: str) -> str:
    for suffix, replacement, least in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= least:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                continue
            return word[: len(word) - len(suffix)] + replacement
    return word


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A crude but consistent stem: 'deployment', 'deploying', 'deploys' -> 'deplo'.

    Only meant to be compared with stems made by this same function.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    for _ in range(2):
        stripped = _strip_suffix(word)
        if stripped == word:
            break
        word = stripped
    if len(word) > 3 and word[-1] in "ey":
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "ls":
        word = word[:-1]
    return word


def _stem_key(tokens: Iterable[str]) -> str:
    return "".join(stem(t) for t in tokens)


def _terms_of(text: str) -> list[str]:
    """The stemmed words of ``text`` that can match: no stop words, no cue words."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and w not in _CUE_WORDS]


# -- targets and hits ---------------------------------------------------------------------


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
    """The title of the answer :meth:`Asker.answer_for` builds for ``target``."""
    score: float
    command: str | None = None
    """The slash command that shows the same answer, in backticks, if there is one."""

    @property
    def kind(self) -> Kind:
        return self.target.kind


# -- the question, read -------------------------------------------------------------------

_Sense = tuple[dict[str, float], dict[str, float]]
"""What a run of words means: (concepts named -> certainty, text terms -> weight)."""


class _Slot(NamedTuple):
    """One name or meaningful word of a question. (Tuples: a question makes several.)"""

    text: str
    concepts: Mapping[str, float]
    terms: Mapping[str, float]
    corrected: bool = False
    """Found only after correcting a typo in one of its words."""


class _Query(NamedTuple):
    """A question as read: its slots and what else they tell."""

    slots: tuple[_Slot, ...]
    cues: frozenset[str]
    unknown: int
    """Words that match nothing in the content."""
    guessed: bool
    """Unknown words beside matches that all come from typo corrections."""
    term_slots: Mapping[str, int]
    """Each text term of the slots -> the slots that have it, as bits (slot i: 1 << i)."""
    cohesive: bool
    """At least two slots have text terms: one sentence may hold several of them."""

    @property
    def bar(self) -> float:
        return math.inf if self.guessed else MIN_SCORE * (1 + self.unknown)


_CELL = Kind.CELL  # (an enum's member is slower to reach by its class, in hot loops)

_COMPARE = "compare"
_WHICH = "which"
_PHASE = "phase"

_CUES_OF: Mapping[str, tuple[str, ...]] = {
    word: tuple(
        cue
        for cue, group in ((_COMPARE, COMPARE_CUES), (_WHICH, WHICH_CUES), (_PHASE, PHASE_CUES))
        if word in group
    )
    for word in sorted(_CUE_WORDS)
}
"""Each cue word -> the cues it gives ('phase' -> 'phase')."""

# Concept ids: 'p:<phase>', 's:<subject>', 'a:<table>:<aspect>', and the life cycle.
_OVERVIEW = "o"


def _phase_concept(key: str) -> str:
    return f"p:{key}"


def _subject_concept(key: str) -> str:
    return f"s:{key}"


def _aspect_concept(table: str, key: str) -> str:
    return f"a:{table}:{key}"


# -- weights ------------------------------------------------------------------------------

_SUBJECT_WEIGHT = 2.5
"""A methodology (or MLOps / DevOps) named: the strongest sign of what is asked about."""
_PHASE_WEIGHT = 2.0
_ASPECT_WEIGHT = 2.0
_OVERVIEW_WEIGHT = 2.0
_ROW_SUBJECT = 2.2
"""A subject named, for one aspect of its table: less than for the table as a whole."""
_LONE_ROW_ASPECT = 1.4
"""An aspect of the methodologies with no methodology named: all of them, on it.
Less than a phase of the same name ('testing' is the Testing phase)."""
_UNNAMED_SUBJECT = 0.6
"""Factor for a methodology's cell found by its text while the methodology is not named."""
_COHESION = 0.4
"""Added for each further slot of the question found in one sentence of the content."""
_AGREEMENT = 0.1
"""Share of a text match added to a phase or aspect name it backs up."""

_CUE_BONUS: Mapping[tuple[str, Kind], float] = {
    (_COMPARE, Kind.COMPARISON): 0.5,
    (_COMPARE, Kind.TABLE): 0.5,
    (_COMPARE, Kind.ROW): 0.5,
    (_WHICH, Kind.ROW): 0.5,
    (_WHICH, Kind.COMPARISON): 0.2,
    (_PHASE, Kind.PHASE): 0.5,
    (_PHASE, Kind.OVERVIEW): 0.3,
}

# Field weights: how much a word counts in each part of a target's text.
_NAME_TEXT = 1.0
_OBJECTIVE_TEXT = 0.8
_ACTIVITY_TEXT = 0.7
_CELL_TEXT = 0.8
_ROW_TEXT = 0.7
_LONE_ROW_TEXT = 0.5
_OVERVIEW_TEXT = 0.6


_Weighed = tuple[str, float, bool]
"""A concept of a target, what naming it weighs for that target, and whether it is a
subject."""


def _weighed(target: Target, concept: str) -> _Weighed:
    """``concept`` of ``target`` with its weight there, worked out once when indexing."""
    if concept.startswith("s:"):
        return concept, (_ROW_SUBJECT if target.kind is Kind.ROW else _SUBJECT_WEIGHT), True
    if target.kind is Kind.ROW and target.table == METHODOLOGIES:
        return concept, _LONE_ROW_ASPECT, False  # all methodologies on one aspect
    return concept, _concept_weight(concept), False


def _concept_weight(concept: str) -> float:
    if concept.startswith("s:"):
        return _SUBJECT_WEIGHT
    if concept.startswith("p:"):
        return _PHASE_WEIGHT
    if concept.startswith("a:"):
        return _ASPECT_WEIGHT
    return _OVERVIEW_WEIGHT


# -- typo correction ----------------------------------------------------------------------


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _distance(a: str, b: str) -> int:
    """Optimal string alignment distance: Levenshtein plus swaps of adjacent letters."""
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], before[j - 2] + 1)
        before, previous = previous, current
    return previous[-1]


class _Speller:
    """Corrects a word to the closest known word in a few dictionary look-ups.

    Every known word is filed under itself and each of its one-letter deletions. A
    typed word and its deletions (two levels deep for words of 7 letters or more) are
    looked up there, so candidates are found without scanning the vocabulary; the
    closest by edit distance wins, then the most frequent. A word with no close
    match but a few completions sharing one stem ('collab') is completed.

    Most deletions belong to a single word, so that word is filed as itself (no tuple
    of one): the filing is most of the index's memory.
    """

    def __init__(self, vocabulary: Mapping[str, int]) -> None:
        self._frequency = dict(vocabulary)
        self.known: Mapping[str, int] = self._frequency
        """The words known as they are (with how often the content has them)."""
        filed: dict[str, str | list[str]] = {}
        for word in sorted(vocabulary):
            if len(word) < 3 or not word.isalpha():
                continue
            for variant in (word, *_deletes(word)):
                found = filed.get(variant)
                if found is None:
                    filed[variant] = word
                elif isinstance(found, str):
                    filed[variant] = [found, word]
                else:
                    found.append(word)
        self._filed: dict[str, str | tuple[str, ...]] = {
            k: v if isinstance(v, str) else tuple(v) for k, v in filed.items()
        }
        self._sorted = sorted(w for w in vocabulary if w.isalpha())
        self._cache: dict[str, str | None] = {}

    def correct(self, word: str) -> str | None:
        """The known word meant by ``word``, or None. Cached."""
        if word in self._cache:
            return self._cache[word]
        found = self._closest(word) or self._complete(word)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[word] = found
        return found

    def _closest(self, word: str) -> str | None:
        if len(word) < 4 or not word.isalpha():
            return None
        allowed = 1 if len(word) < 7 else 2
        variants = {word} | _deletes(word)
        if allowed > 1:
            variants |= {d for v in list(variants) for d in _deletes(v)}
        candidates: set[str] = set()
        for variant in variants:
            found = self._filed.get(variant)
            if isinstance(found, str):
                candidates.add(found)
            elif found is not None:
                candidates.update(found)
        best: tuple[int, float, int, str] | None = None
        for candidate in candidates:
            distance = _distance(word, candidate)
            if distance > allowed or (candidate[0] != word[0] and distance > 1):
                continue
            ratio = difflib.SequenceMatcher(None, word, candidate).ratio()
            key = (distance, -ratio, -self._frequency[candidate], candidate)
            if best is None or key < best:
                best = key
        return None if best is None else best[3]

    def _complete(self, word: str) -> str | None:
        if len(word) < 4 or not word.isalpha():
            return None
        start = bisect_left(self._sorted, word)
        completions: list[str] = []
        for known in self._sorted[start : start + MAX_COMPLETIONS + 1]:
            if not known.startswith(word):
                break
            completions.append(known)
        if not completions or len(completions) > MAX_COMPLETIONS:
            return None
        if len({stem(c) for c in completions}) > 1:
            return None
        return min(completions, key=lambda c: (-self._frequency[c], len(c), c))


# -- the engine ---------------------------------------------------------------------------


class Asker:
    """Answers free-text questions from the content. Build once per loaded content."""

    def __init__(self, knowledge: Knowledge) -> None:
        started = time.perf_counter()
        self.knowledge = knowledge
        self.catalog = knowledge.catalog
        content = self.catalog.content

        # Targets, by id (their position): what each is, is called, is about, says.
        self._targets: list[Target] = []
        self._titles: list[str] = []
        self._commands: list[str | None] = []
        self._concepts: list[tuple[_Weighed, ...]] = []
        self._shared: dict[_Weighed, _Weighed] = {}  # one of each while building
        self._terms: list[dict[str, float]] = []
        self._sentences: list[tuple[tuple[str, ...], ...]] = []
        # What the concepts of a question make up (see _composed): the target a concept
        # names on its own (the overview, a phase, a profile, a row, a whole table), the
        # first cell of each methodologies' aspect, and each methodology's column in it.
        self._alone: dict[str, int] = {}
        self._cells: dict[str, int] = {}
        self._positions: dict[str, int] = {}
        self._profile_aspects: dict[str, Aspect] = {}  # the methodologies' aspects, by key

        # Names: joined words ('vmodel') and joined stems ('retir') -> what they mean.
        self._phrases: dict[str, _Sense] = {}
        self._stemmed: dict[str, _Sense] = {}
        self._subject_table: dict[str, str] = {}
        self._vocabulary: dict[str, int] = defaultdict(int)

        self._add_overview()
        for phase in content.phases:
            self._add_phase(phase)
        for table in content.tables:
            self._add_table(table)
        self._add_aliases()
        self._add_overview_phrases()
        self._add_synonyms()

        self._index_terms()
        self._cap_names()
        self._heads = frozenset(
            key[:_HEAD] for names in (self._phrases, self._stemmed) for key in names
        )

        for word in STOPWORDS | _CUE_WORDS:
            self._vocabulary[word] += 1
        for key in self._phrases:  # joined names: 'vmodel', 'clientinvolvement'
            self._vocabulary[key] += 1
        self._speller = _Speller(self._vocabulary)
        del self._vocabulary, self._shared
        self._answers: OrderedDict[Target, Answer] = OrderedDict()
        log.debug(
            "ask index: %d targets, %d terms, %d names in %.1f ms",
            len(self._targets),
            len(self._postings),
            len(self._phrases),
            (time.perf_counter() - started) * 1000,
        )

    # -- building -------------------------------------------------------------------------

    def _index_terms(self) -> None:
        """The inverted index: term -> its IDF, and its targets grouped by field weight.

        Every target of one group has the same weight for the term, so a question scores
        a whole group at once (:meth:`_text_scores`). Groups are heaviest first, target ids
        ascending within one, and only the first :data:`MAX_POSTINGS` ids are kept: no
        question reads further.
        """
        by_weight: dict[str, dict[float, array[int]]] = defaultdict(dict)
        for tid, terms in enumerate(self._terms):
            for term, weight in terms.items():
                groups = by_weight[term]
                tids = groups.get(weight)
                if tids is None:
                    tids = groups[weight] = array("l")
                tids.append(tid)
        documents = sum(1 for terms in self._terms if terms)
        scale = math.log(1 + documents) or 1.0
        self._idf: dict[str, float] = {}
        self._postings: dict[str, tuple[tuple[float, array[int]], ...]] = {}
        for term, groups in by_weight.items():
            count = sum(len(tids) for tids in groups.values())
            self._idf[term] = math.log(1 + documents / count) / scale
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
            self._postings[term] = tuple(kept)

    def _cap_names(self) -> None:
        """Keep only the surest :data:`MAX_SLOT_CONCEPTS` concepts of each name.

        A question reads no more of them (a word of a thousand names says little about
        any of them), so they are cut once here rather than sorted for every question.
        """
        for names in (self._phrases, self._stemmed):
            for concepts, _ in names.values():
                if len(concepts) > MAX_SLOT_CONCEPTS:
                    surest = sorted(concepts, key=lambda c: (-concepts[c], c))
                    kept = {c: concepts[c] for c in surest[:MAX_SLOT_CONCEPTS]}
                    concepts.clear()
                    concepts.update(kept)

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
            sentence = _terms_of(text)
            if len(sentence) > 1:
                sentences.append(tuple(dict.fromkeys(sentence)))
            for term in sentence:
                if terms.get(term, 0.0) < weight:
                    terms[term] = weight
        tid = len(self._targets)
        self._targets.append(target)
        self._titles.append(title)
        self._commands.append(command)
        weighed = (_weighed(target, concept) for concept in concepts)
        self._concepts.append(tuple(self._shared.setdefault(w, w) for w in weighed))
        self._terms.append(terms)
        self._sentences.append(tuple(sentences))
        return tid

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
        terms = {} if concept.startswith("s:") else {t: 1.0 for t in _terms_of(name)}
        self._file(tokens, ({concept: certainty}, terms))
        if parts and len(tokens) > 1:
            for word in tokens:
                if word in STOPWORDS or word in _CUE_WORDS or len(word) < 3:
                    continue
                self._file([word], ({concept: certainty * _NAME_WORD_FACTOR}, {stem(word): 1.0}))

    def _file(self, tokens: Sequence[str], sense: _Sense, factor: float = 1.0) -> None:
        if len(tokens) > MAX_PHRASE:
            return
        for names, key in ((self._phrases, "".join(tokens)), (self._stemmed, _stem_key(tokens))):
            entry = names.get(key)
            if entry is None:
                entry = names[key] = ({}, {})
            _merge(entry, sense, factor)

    def _add_overview(self) -> None:
        info = self.catalog.content.sdlc.sdlc
        texts = [(info.title, _NAME_TEXT)]
        texts += [(text, _OVERVIEW_TEXT) for text in (info.definition, info.goal, info.overview)]
        tid = self._target(Target(Kind.OVERVIEW), info.title, "`/phases`", [_OVERVIEW], texts)
        self._alone[_OVERVIEW] = tid

    def _add_overview_phrases(self) -> None:
        content = self.catalog.content
        phrases = dict(content.vocabulary.overview)
        phrases.setdefault(content.sdlc.sdlc.title, 1.0)
        for phrase, certainty in phrases.items():
            self._name(phrase, _OVERVIEW, certainty)

    def _add_phase(self, phase: Phase) -> None:
        concept = _phase_concept(phase.key)
        texts = [(phase.name, _NAME_TEXT), (phase.objective, _OBJECTIVE_TEXT)]
        texts += [(activity.text, _ACTIVITY_TEXT) for activity in phase.activities]
        title = phase_title(phase, len(self.catalog.phases))
        self._alone[concept] = self._target(
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
        subject_concepts = [_subject_concept(key) for key in keys]
        for position, subject in enumerate(table.subjects):
            self._subject_table[subject.key] = table.key
            concept = subject_concepts[position]
            self._name(subject.key, concept)
            self._name(subject.name, concept)
            if profiles:
                self._name_suffixed(subject.name, concept)
                self._alone[concept] = self._target(
                    Target(Kind.METHODOLOGY, table=table.key, subjects=(subject.key,)),
                    subject.name,
                    f"`/methodology name:{subject.key}`",
                    [concept],
                )
                self._positions[concept] = position
        if not profiles:
            whole = Target(Kind.TABLE, table=table.key, subjects=keys)
            tid = self._target(whole, _vs(table.subjects), _table_command(table), subject_concepts)
            self._alone.update(dict.fromkeys(subject_concepts, tid))
        for aspect in table.aspects:
            concept = _aspect_concept(table.key, aspect.key)
            self._name(aspect.key, concept)
            self._name(aspect.name, concept, parts=True)
            if not profiles or len(table.subjects) <= MAX_ROW_SUBJECTS:
                weight = _LONE_ROW_TEXT if profiles else _ROW_TEXT
                self._alone[concept] = self._target(
                    Target(Kind.ROW, table=table.key, subjects=keys, aspect=aspect.key),
                    f"{_vs(table.subjects)} · {aspect.name}",
                    _table_command(table, aspect),
                    [concept] if profiles else [concept, *subject_concepts],
                    [(aspect.values[key], weight) for key in keys],
                )
            if profiles:  # one cell per methodology, in their order: see _composed
                self._profile_aspects.setdefault(aspect.key, aspect)
                self._cells[concept] = len(self._targets)
                for subject, subject_concept in zip(table.subjects, subject_concepts, strict=True):
                    self._target(
                        Target(
                            Kind.CELL, table=table.key, subjects=(subject.key,), aspect=aspect.key
                        ),
                        f"{subject.name} · {aspect.name}",
                        f"`/methodology name:{subject.key} aspect:{aspect.key}`",
                        [subject_concept, concept],
                        [(aspect.values[subject.key], _CELL_TEXT)],
                    )

    def _name_suffixed(self, name: str, concept: str) -> None:
        for suffix in SUBJECT_SUFFIXES:
            self._name(f"{name} {suffix}", concept)

    def _add_aliases(self) -> None:
        aliases = self.catalog.content.aliases
        for alias, key in aliases.phases.items():
            self._name(alias, _phase_concept(key))
        for alias, key in aliases.subjects.items():
            concept = _subject_concept(key)
            self._name(alias, concept)
            if self._subject_table.get(key) == METHODOLOGIES:
                self._name_suffixed(alias, concept)
        for table_key, group in aliases.aspects.items():
            for alias, key in group.items():
                self._name(alias, _aspect_concept(table_key, key))

    def _add_synonyms(self) -> None:
        """Each synonym means what its expansions mean (``vocabulary.toml``)."""
        for phrase, expansions in self.catalog.content.vocabulary.synonyms.items():
            tokens = words(phrase)
            sense: _Sense = ({}, {t: 1.0 for t in _terms_of(phrase)})
            for expansion in expansions:
                _merge(sense, self._sense_of(words(expansion)), _SYNONYM_FACTOR)
            for word in tokens:
                self._vocabulary[word] += 1
            self._file(tokens, sense)

    def _sense_of(self, tokens: Sequence[str]) -> _Sense:
        """What the content's names make of ``tokens``, and their text terms."""
        sense: _Sense = ({}, {t: 1.0 for t in _terms_of(" ".join(tokens))})
        found = self._phrases.get("".join(tokens)) or self._stemmed.get(_stem_key(tokens))
        if found is not None:
            _merge(sense, found)
        return sense

    # -- reading a question ---------------------------------------------------------------

    def _read(self, question: str) -> _Query:
        """The question as slots: its names, longest first, and its other meaningful words.

        Each word is corrected and stemmed once; a run of words is then looked up by its
        joined words and by its joined stems (slices of those lists, no re-stemming).
        Cue words count unless they are inside a name of several words.
        """
        raw = words(question)[:MAX_TOKENS]
        known = self._speller.known
        tokens = [token if token in known else self._spell(token) for token in raw]
        stems = [stem(token) for token in tokens]
        slots: list[_Slot] = []
        cues: set[str] = set()
        count = len(tokens)
        i = 0
        while i < count:
            token = tokens[i]
            cued = _CUES_OF.get(token)
            if cued is not None:
                following = tokens[i + 1] if i + 1 < count else ""
                if token in PHASE_CUES and following.isdigit():  # 'phase 3', 'step 2'
                    phase = self.catalog.phase_by_number(int(following))
                    if phase is not None:
                        cues.update(cued)
                        concepts = {_phase_concept(phase.key): 1.0}
                        slots.append(_Slot(f"{token} {following}", concepts, {}))
                        i += 2
                        continue
            stop = token in STOPWORDS
            name = self._name_at(tokens, stems, i, stop)
            if name is not None:
                length, (concepts, terms) = name
                end = i + length
                corrected = raw[i:end] != tokens[i:end]
                slots.append(_Slot(" ".join(tokens[i:end]), concepts, terms, corrected))
                if length == 1 and cued is not None:
                    cues.update(cued)
                i = end
                continue
            if cued is not None:
                cues.update(cued)
            elif not stop and not token.isdigit():
                slots.append(_Slot(token, {}, {stems[i]: 1.0}, raw[i] != token))
            i += 1
        term_slots: dict[str, int] = {}
        with_terms = 0
        unknown = 0
        all_corrected = True  # every slot that matches something comes from a correction
        for bit, slot in enumerate(slots):
            if slot.terms:
                with_terms += 1
                for term in slot.terms:
                    term_slots[term] = term_slots.get(term, 0) | (1 << bit)
            if slot.concepts or not self._idf.keys().isdisjoint(slot.terms):
                all_corrected = all_corrected and slot.corrected
            else:
                unknown += 1
        guessed = unknown > 0 and all_corrected
        return _Query(tuple(slots), frozenset(cues), unknown, guessed, term_slots, with_terms > 1)

    def _name_at(
        self, tokens: Sequence[str], stems: Sequence[str], start: int, stop: bool
    ) -> tuple[int, _Sense] | None:
        """The longest name that starts at word ``start``: its length in words and sense.

        A run matches by its joined words or its joined stems; a lone stop word only by
        itself (its stem would match too much). Runs of several words are tried only as
        far as their start allows: a stem keeps the first :data:`_HEAD` letters of its
        word, so a run's joined words and stems begin alike, and when no name begins
        that way only a run shorter than that can still be one.
        """
        longest = min(MAX_PHRASE, len(tokens) - start)
        if longest > 1:
            head = "".join(tokens[start : start + _HEAD])[:_HEAD]
            if len(head) == _HEAD and head not in self._heads:
                longest = 2 if len(tokens[start]) + len(tokens[start + 1]) < _HEAD else 1
            for length in range(longest, 1, -1):
                end = start + length
                sense = self._phrases.get("".join(tokens[start:end])) or self._stemmed.get(
                    "".join(stems[start:end])
                )
                if sense is not None:
                    return length, sense
        sense = self._phrases.get(tokens[start])
        if sense is None and not stop:
            sense = self._stemmed.get(stems[start])
        return None if sense is None else (1, sense)

    def _spell(self, token: str) -> str:
        if token in self._speller.known or token in self._phrases or not token.isalpha():
            return token
        stemmed = stem(token)
        if stemmed in self._stemmed or stemmed in self._idf:
            return token
        return self._speller.correct(token) or token

    # -- ranking --------------------------------------------------------------------------

    def search(self, question: str, limit: int = 3) -> list[Hit]:
        """The best matching answers, best first; empty when the question is not understood.

        Raises :class:`~bot.core.errors.InvalidRequest` for an empty question.
        """
        return list(islice(self._search(question), max(limit, 0)))

    def _search(self, question: str) -> Iterator[Hit]:
        """The hits for ``question``, best first, made as they are read (``ask`` reads
        three or so); none when it is not understood."""
        _require(question)
        query = self._read(question)
        ranked, comparisons = self._rank(query)
        if not ranked or -ranked[0][0] < query.bar:
            best = -ranked[0][0] if ranked else 0.0
            log.debug("ask: %r not understood (best %.2f, bar %.2f)", question, best, query.bar)
            return iter(())
        return (self._hit(entry, comparisons) for entry in ranked)

    def _rank(self, query: _Query) -> tuple[list[tuple[float, int]], list[Target]]:
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
        after = len(self._targets)
        comparisons: list[Target] = []
        for score, target in self._comparisons(named, query, bonus):
            if score > 0.0:
                ranked.append((-score, after + len(comparisons)))
                comparisons.append(target)
        ranked.sort()
        return ranked, comparisons

    def _hit(self, entry: tuple[float, int], comparisons: Sequence[Target]) -> Hit:
        """The :class:`Hit` of one entry of :meth:`_rank`."""
        negated, tid = entry
        if tid < len(self._targets):
            return Hit(self._targets[tid], self._titles[tid], -negated, self._commands[tid])
        target = comparisons[tid - len(self._targets)]
        title = self._comparison_title(target)
        return Hit(target, title, -negated, _compare_command(target))

    def _text_scores(self, slot: _Slot) -> dict[int, float]:
        """Target id -> the best IDF-weighted text match of one slot's terms.

        A posting group gives every target in it the same score, so each is written in
        one call; groups go lowest score first, so a target ends with its best.
        """
        groups: list[tuple[float, array[int]]] = []
        for term, factor in slot.terms.items():
            postings = self._postings.get(term)
            if postings is None:
                continue
            idf = self._idf[term] * factor
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
        found: set[int] = set()
        aspects: list[int] = []  # the first cell of each methodologies' aspect named
        for concept in named:
            first = self._cells.get(concept)
            if first is not None:
                aspects.append(first)
        for concept in named:
            tid = self._alone.get(concept)
            if tid is not None:
                found.add(tid)
            position = self._positions.get(concept)
            if position is not None:  # a methodology: its cell on each aspect named
                found.update(first + position for first in aspects)
        return found

    def _score(
        self,
        tid: int,
        query: _Query,
        slots: Sequence[tuple[Mapping[str, float], Mapping[int, float]]],
        bonus: Mapping[Kind, float],
    ) -> float:
        """How well target ``tid`` answers the question: slot by slot, the better of a
        concept it is about and its text, then cohesion and cue bonuses.

        ``slots`` has each slot's concepts with its text scores (:meth:`_text_scores`).
        """
        kind = self._targets[tid].kind
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
                score += _AGREEMENT * (named if named <= matched else matched)
        if query.cohesive and self._sentences[tid]:
            score += self._cohesion(tid, query)
        if kind is _CELL and not subject_named:
            score *= _UNNAMED_SUBJECT
        if score > 0.0 and bonus:
            score += bonus.get(kind, 0.0)
        return round(score, 6)

    def _cohesion(self, tid: int, query: _Query) -> float:
        """Several words of the question in one sentence ('archive data') say more.

        Only the question's terms that the target has are looked for, each with the
        slots it stands for; a target with fewer than two such slots has none.
        """
        sentences = self._sentences[tid]
        terms = self._terms[tid]
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
        return _COHESION * (most - 1) if most > 1 else 0.0

    def _comparisons(
        self, named: Sequence[str], query: _Query, bonus: Mapping[Kind, float]
    ) -> list[tuple[float, Target]]:
        """Two methodologies named: compare them, whole and on each aspect named.

        Scored here; made into hits (with their titles) only when read.
        """
        table = self.catalog.methodologies
        subjects = [
            c[2:] for c in named if c.startswith("s:") and self._subject_table[c[2:]] == table.key
        ][:MAX_NAMED]
        if len(subjects) < 2:
            return []
        prefix = f"a:{table.key}:"
        aspects = [c[len(prefix) :] for c in named if c.startswith(prefix)][:MAX_NAMED]
        extra = bonus.get(Kind.COMPARISON, 0)
        scored: list[tuple[float, Target]] = []
        for i, first in enumerate(subjects):
            for second in subjects[i + 1 :]:
                for aspect in ["", *aspects]:
                    concepts = {_subject_concept(first), _subject_concept(second)}
                    if aspect:
                        concepts.add(_aspect_concept(table.key, aspect))
                    score = extra + sum(
                        max(
                            (
                                _concept_weight(c) * w
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
        table = self.catalog.methodologies
        names = " vs ".join(_subject(table, key).name for key in target.subjects)
        if not target.aspect:
            return names
        aspect = self._profile_aspects.get(target.aspect) or _aspect(table, target.aspect)
        return f"{names} · {aspect.name}"

    # -- answering ------------------------------------------------------------------------

    def ask(self, question: str) -> Answer:
        """The best answer with up to two "see also" commands, or say it's not understood.

        Raises :class:`~bot.core.errors.InvalidRequest` for an empty question.
        """
        started = time.perf_counter()
        hits = self._search(question)
        best = next(hits, None)
        if best is None:
            return self.not_sure(question)
        answer = self.answer_for(best.target)
        floor = max(MIN_SCORE, best.score * _SEE_ALSO_SHARE)
        lines: list[str] = []
        for hit in hits:  # the runners-up, read only as far as needed
            if len(lines) == 2 or hit.score < floor:
                break
            if hit.command is None or hit.target == best.target:
                continue
            line = f"{hit.command} — {hit.title}"
            if line not in lines:
                lines.append(line)
        if lines:
            answer = replace(answer, fields=(*answer.fields, Field(SEE_ALSO, "\n".join(lines))))
        log.debug(
            "ask %r -> %s (%.2f) in %.2f ms",
            question,
            best.title,
            best.score,
            (time.perf_counter() - started) * 1000,
        )
        return answer

    def answer_for(self, target: Target) -> Answer:
        """The answer :class:`~bot.core.knowledge.Knowledge` builds for ``target``."""
        answer = self._answers.get(target)
        if answer is not None:
            self._answers.move_to_end(target)
            return answer
        answer = self._build(target)
        self._answers[target] = answer
        if len(self._answers) > ANSWER_CACHE:
            self._answers.popitem(last=False)
        return answer

    def _build(self, target: Target) -> Answer:
        knowledge = self.knowledge
        if target.kind is Kind.OVERVIEW:
            return knowledge.phases()
        if target.kind is Kind.PHASE:
            return knowledge.phase_answer(self.catalog.phase_by_key(target.phase))
        table = self.catalog.content.table(target.table)
        if table is None:
            raise InvalidRequest(f"There is no table '{target.table}'.")
        subjects = tuple(_subject(table, key) for key in target.subjects)
        aspect = _aspect(table, target.aspect) if target.aspect else None
        if target.kind is Kind.METHODOLOGY:
            return knowledge.methodology(subjects[0].key)
        if target.kind is Kind.CELL and aspect is not None:
            return knowledge.aspect_answer(table, subjects[0], aspect)
        return knowledge.comparison_answer(table, subjects, aspect)

    def not_sure(self, question: str) -> Answer:
        """The answer to a question nothing matches: what can be asked instead."""
        content = self.catalog.content
        methodologies = self.catalog.methodologies
        mlops = self.catalog.mlops
        first, second = methodologies.subjects[0].key, methodologies.subjects[1].key
        aspect = methodologies.aspects[0].key
        lines = [
            f"• The {content.sdlc.sdlc.title} as a whole — `/phases`",
            f"• A phase ({_listing(content.phases)}) — `/phase name:{content.phases[0].key}`",
            f"• A methodology ({_listing(methodologies.subjects)}), "
            f"or one aspect of it — `/methodology name:{first} aspect:{aspect}`",
            f"• Two methodologies side by side — `/compare first:{first} second:{second}`",
            f"• {_vs(mlops.subjects)}, whole or on one aspect "
            f"({_listing(mlops.aspects)}) — `/mlops`",
        ]
        shown = " ".join(question.split())
        if len(shown) > 80:
            shown = shown[:79] + "…"
        return Answer(
            title=NOT_SURE_TITLE,
            description=(
                f"Nothing I know matches “{shown}” well enough, so I won't guess. "
                "Try naming a phase, a methodology or an MLOps topic, or use a command."
            ),
            fields=(Field("I can answer", "\n".join(lines)),),
            tone=Tone.WARNING,
        )


# -- helpers ------------------------------------------------------------------------------


def _merge(into: _Sense, other: _Sense, factor: float = 1.0) -> None:
    for mine, theirs in zip(into, other, strict=True):
        for key, weight in theirs.items():
            mine[key] = max(mine.get(key, 0.0), weight * factor)


def _named(query: _Query) -> list[str]:
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
def _bonuses(cues: frozenset[str]) -> Mapping[Kind, float]:
    """What the cues of a question add to each kind of target (a few sets of cues exist)."""
    return {kind: sum(_CUE_BONUS.get((cue, kind), 0.0) for cue in cues) for kind in Kind}


def _require(question: str) -> None:
    if not question or not question.strip():
        raise InvalidRequest(
            "Ask me a question, for example `/ask question:how flexible is waterfall?`"
        )


def _vs(subjects: Sequence[Subject]) -> str:
    return " vs ".join(s.name for s in subjects)


def _table_command(table: Table, aspect: Aspect | None = None) -> str | None:
    if table.key != MLOPS:
        return None  # no command shows every methodology on one aspect
    return f"`/mlops aspect:{aspect.key}`" if aspect is not None else "`/mlops`"


def _compare_command(target: Target) -> str:
    first, second = target.subjects
    command = f"/compare first:{first} second:{second}"
    if target.aspect:
        command += f" aspect:{target.aspect}"
    return f"`{command}`"


def _subject(table: Table, key: str) -> Subject:
    subject = table.subject(key)
    if subject is None:
        raise InvalidRequest(f"{table.title} has no subject '{key}'.")
    return subject


def _aspect(table: Table, key: str) -> Aspect:
    aspect = table.aspect(key)
    if aspect is None:
        raise InvalidRequest(f"{table.title} has no aspect '{key}'.")
    return aspect


class _HasName(Protocol):
    @property
    def name(self) -> str: ...


def _listing(items: Sequence[_HasName], limit: int = 8) -> str:
    """The names of the first ``limit`` items, and how many more there are (not read)."""
    shown = ", ".join(item.name for item in items[:limit])
    more = len(items) - limit
    return shown + (f" and {more} more" if more > 0 else "")
