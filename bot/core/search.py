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
   methodology or aspect by its key, name or alias (``aliases.toml``), a phrase of
   the small synonym table below, or the life cycle itself ("sdlc"). Names match
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
:data:`MAX_POSTINGS`; nothing scans every target.
"""

from __future__ import annotations

import difflib
import heapq
import logging
import math
import time
from array import array
from bisect import bisect_left
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from functools import lru_cache

from bot.core.answer import Answer, Field, Tone
from bot.core.content import METHODOLOGIES, MLOPS
from bot.core.errors import InvalidRequest
from bot.core.knowledge import Knowledge, phase_title
from bot.core.models import Aspect, Phase, Subject, Table
from bot.core.text import words

log = logging.getLogger(__name__)

__all__ = [
    "MIN_SCORE",
    "NOT_SURE_TITLE",
    "SEE_ALSO",
    "SYNONYMS",
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

MAX_PHRASE = 5
"""Longest run of words looked up as one name."""

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

OVERVIEW_PHRASES: Mapping[str, float] = {
    "sdlc": 1.0,
    "software development life cycle": 1.0,
    "software development lifecycle": 1.0,
    "software life cycle": 1.0,
    "software lifecycle": 1.0,
    "development life cycle": 1.0,
    "development lifecycle": 1.0,
    "life cycle": 1.0,
    "lifecycle": 1.0,
    "overview": 0.8,
    "phases": 0.8,
    "stages": 0.8,
    "steps": 0.8,
}
"""Words that name the life cycle as a whole, with how surely they do."""

SUBJECT_SUFFIXES = ("model", "methodology", "method", "process", "framework", "approach")
"""After a methodology's name ('spiral model') the word belongs to the name."""

SYNONYMS: Mapping[str, tuple[str, ...]] = {
    # testing
    "bug": ("bugs", "defects", "issues"),
    "bugs": ("bugs", "defects", "issues"),
    "defect": ("defects", "bugs"),
    "error": ("defects", "bugs", "issues"),
    "errors": ("defects", "bugs", "issues"),
    "tester": ("testing",),
    "testers": ("testing",),
    "unit tests": ("unit testing",),
    "validate": ("validation",),
    # deployment
    "ship": ("deploy", "release"),
    "shipping": ("deploy", "release"),
    "shipped": ("deploy", "release"),
    "launch": ("deploy", "release"),
    "go live": ("deploy", "release"),
    "golive": ("deploy", "release"),
    "prod": ("production",),
    "install": ("installation",),
    "installing": ("installation",),
    # planning, analysis, design
    "kickoff": ("planning",),
    "kick off": ("planning",),
    "initiation": ("planning",),
    "cost": ("budget",),
    "costs": ("budget",),
    "money": ("budget",),
    "schedule": ("schedule", "timeline"),
    "deadline": ("timeline", "schedule"),
    "deadlines": ("timeline", "schedule"),
    "estimate": ("budget", "timeline"),
    "sign off": ("approval",),
    "signoff": ("approval",),
    "signs off": ("approval",),
    "approve": ("approval",),
    "specs": ("specifications",),
    "spec": ("specifications",),
    "nfr": ("non-functional requirements",),
    "nfrs": ("non-functional requirements",),
    "ui": ("user interfaces",),
    "ux": ("user interfaces",),
    "gui": ("user interfaces",),
    "frontend": ("user interfaces",),
    "screens": ("user interfaces",),
    # implementation, maintenance, retirement
    "developer": ("development",),
    "developers": ("development",),
    "programming": ("coding",),
    "git": ("version control", "source code"),
    "github": ("version control", "source code"),
    "gitlab": ("version control", "source code"),
    "repo": ("version control", "source code"),
    "repository": ("version control", "source code"),
    "branching": ("version control",),
    "hotfix": ("patches", "updates"),
    "hotfixes": ("patches", "updates"),
    "upgrade": ("updates",),
    "upgrades": ("updates",),
    "helpdesk": ("user support",),
    "help desk": ("user support",),
    "backup": ("archive",),
    "backups": ("archive",),
    "shutdown": ("decommission",),
    "shut down": ("decommission",),
    "turn off": ("decommission",),
    # methodologies and their aspects
    "docs": ("documentation",),
    "doc": ("documentation",),
    "paperwork": ("documentation",),
    "customers": ("client",),
    "clients": ("client",),
    "users involvement": ("client involvement",),
    "risky": ("risk",),
    "danger": ("risk",),
    "adapt": ("flexibility",),
    "adaptable": ("flexibility",),
    "rigid": ("flexibility",),
    "fast": ("speed",),
    "faster": ("speed",),
    "quick": ("speed",),
    "quickly": ("speed",),
    "slow": ("speed",),
    "how long": ("delivery",),
    "sprint": ("agile",),
    "sprints": ("agile",),
    "standup": ("agile",),
    "xp": ("agile",),
    "prototype": ("spiral",),
    "prototypes": ("spiral",),
    "prototyping": ("spiral",),
    # MLOps vs DevOps
    "ml": ("mlops",),
    "machine learning": ("mlops",),
    "ai": ("mlops",),
    "data science": ("mlops",),
    "ops": ("operations",),
    "teamwork": ("collaboration",),
    "kpi": ("metrics",),
    "measure": ("metrics",),
    "measuring": ("metrics",),
    "ci": ("pipeline",),
    "cicd": ("pipeline",),
    "k8s": ("kubernetes",),
    "infra": ("infrastructure",),
    "aim": ("goal",),
    "retrain": ("retraining",),
}
"""Words users type, mapped to words of the content (names, aliases or text) they mean.

An expansion means what the content makes of it: "ship" -> "deploy", "release" are
aliases of the Deployment phase, so "ship" names that phase (a little less surely).
"""

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


@dataclass(frozen=True, slots=True)
class _Slot:
    text: str
    concepts: Mapping[str, float]
    terms: Mapping[str, float]
    corrected: bool = False
    """Found only after correcting a typo in one of its words."""


@dataclass(frozen=True, slots=True)
class _Query:
    slots: tuple[_Slot, ...]
    cues: frozenset[str]
    unknown: int
    """Words that match nothing in the content."""
    guessed: bool
    """Unknown words beside matches that all come from typo corrections."""

    @property
    def bar(self) -> float:
        return math.inf if self.guessed else MIN_SCORE * (1 + self.unknown)


_COMPARE = "compare"
_WHICH = "which"
_PHASE = "phase"

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
    """

    def __init__(self, vocabulary: Mapping[str, int]) -> None:
        self._frequency = dict(vocabulary)
        filed: dict[str, list[str]] = defaultdict(list)
        for word in sorted(vocabulary):
            if len(word) < 3 or not word.isalpha():
                continue
            filed[word].append(word)
            for variant in _deletes(word):
                filed[variant].append(word)
        self._filed: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in filed.items()}
        self._sorted = sorted(w for w in vocabulary if w.isalpha())
        self._cache: dict[str, str | None] = {}

    def __contains__(self, word: object) -> bool:
        return word in self._frequency

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
        candidates = {c for v in variants for c in self._filed.get(v, ())}
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
        self._concepts: list[tuple[str, ...]] = []
        self._terms: list[dict[str, float]] = []
        self._sentences: list[tuple[tuple[str, ...], ...]] = []
        self._ids: dict[Target, int] = {}

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

        # The inverted index: term -> (target ids, weights), heaviest first.
        lists: dict[str, list[tuple[float, int]]] = defaultdict(list)
        for tid, terms in enumerate(self._terms):
            for term, weight in terms.items():
                lists[term].append((-weight, tid))
        documents = sum(1 for terms in self._terms if terms)
        scale = math.log(1 + documents) or 1.0
        self._idf: dict[str, float] = {}
        self._postings: dict[str, tuple[array[int], array[float]]] = {}
        for term, postings in lists.items():
            postings.sort()
            self._idf[term] = math.log(1 + documents / len(postings)) / scale
            self._postings[term] = (
                array("l", (tid for _, tid in postings)),
                array("d", (-weight for weight, _ in postings)),
            )

        for word in STOPWORDS | _CUE_WORDS:
            self._vocabulary[word] += 1
        for key in self._phrases:  # joined names: 'vmodel', 'clientinvolvement'
            self._vocabulary[key] += 1
        self._speller = _Speller(self._vocabulary)
        del self._vocabulary
        self._answers: OrderedDict[Target, Answer] = OrderedDict()
        log.debug(
            "ask index: %d targets, %d terms, %d names in %.1f ms",
            len(self._targets),
            len(self._postings),
            len(self._phrases),
            (time.perf_counter() - started) * 1000,
        )

    # -- building -------------------------------------------------------------------------

    def _target(
        self,
        target: Target,
        title: str,
        command: str | None,
        concepts: Iterable[str],
        texts: Iterable[tuple[str, float]] = (),
    ) -> None:
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
        self._ids[target] = len(self._targets)
        self._targets.append(target)
        self._titles.append(title)
        self._commands.append(command)
        self._concepts.append(tuple(concepts))
        self._terms.append(terms)
        self._sentences.append(tuple(sentences))

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
        self._target(Target(Kind.OVERVIEW), info.title, "`/phases`", [_OVERVIEW], texts)

    def _add_overview_phrases(self) -> None:
        phrases = dict(OVERVIEW_PHRASES)
        phrases.setdefault(self.catalog.content.sdlc.sdlc.title, 1.0)
        for phrase, certainty in phrases.items():
            self._name(phrase, _OVERVIEW, certainty)

    def _add_phase(self, phase: Phase) -> None:
        concept = _phase_concept(phase.key)
        texts = [(phase.name, _NAME_TEXT), (phase.objective, _OBJECTIVE_TEXT)]
        texts += [(activity.text, _ACTIVITY_TEXT) for activity in phase.activities]
        title = phase_title(phase, len(self.catalog.phases))
        self._target(
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
        for subject in table.subjects:
            self._subject_table[subject.key] = table.key
            concept = _subject_concept(subject.key)
            self._name(subject.key, concept)
            self._name(subject.name, concept)
            if profiles:
                self._name_suffixed(subject.name, concept)
                self._target(
                    Target(Kind.METHODOLOGY, table=table.key, subjects=(subject.key,)),
                    subject.name,
                    f"`/methodology name:{subject.key}`",
                    [concept],
                )
        if not profiles:
            whole = Target(Kind.TABLE, table=table.key, subjects=keys)
            self._target(whole, _vs(table.subjects), _table_command(table), subject_concepts)
        for aspect in table.aspects:
            concept = _aspect_concept(table.key, aspect.key)
            self._name(aspect.key, concept)
            self._name(aspect.name, concept, parts=True)
            if not profiles or len(table.subjects) <= MAX_ROW_SUBJECTS:
                weight = _LONE_ROW_TEXT if profiles else _ROW_TEXT
                self._target(
                    Target(Kind.ROW, table=table.key, subjects=keys, aspect=aspect.key),
                    f"{_vs(table.subjects)} · {aspect.name}",
                    _table_command(table, aspect),
                    [concept] if profiles else [concept, *subject_concepts],
                    [(aspect.values[key], weight) for key in keys],
                )
            if profiles:
                for subject in table.subjects:
                    self._target(
                        Target(
                            Kind.CELL, table=table.key, subjects=(subject.key,), aspect=aspect.key
                        ),
                        f"{subject.name} · {aspect.name}",
                        f"`/methodology name:{subject.key} aspect:{aspect.key}`",
                        [_subject_concept(subject.key), concept],
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
        for phrase, expansions in SYNONYMS.items():
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
        raw = words(question)[:MAX_TOKENS]
        tokens = [self._spell(token) for token in raw]
        fixed = [typed != read for typed, read in zip(raw, tokens, strict=True)]
        in_names: set[int] = set()  # positions inside a name of several words ('v model')
        slots: list[_Slot] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            following = tokens[i + 1] if i + 1 < len(tokens) else ""
            if token in PHASE_CUES and following.isdigit():  # 'phase 3', 'step 2'
                phase = self.catalog.phase_by_number(int(following))
                if phase is not None:
                    slots.append(
                        _Slot(f"{token} {following}", {_phase_concept(phase.key): 1.0}, {})
                    )
                    i += 2
                    continue
            for length in range(min(MAX_PHRASE, len(tokens) - i), 0, -1):
                run = tokens[i : i + length]
                sense = self._phrases.get("".join(run))
                if sense is None and not (length == 1 and token in STOPWORDS):
                    sense = self._stemmed.get(_stem_key(run))
                if sense is not None:
                    corrected = any(fixed[i : i + length])
                    concepts = sense[0]
                    if len(concepts) > MAX_SLOT_CONCEPTS:
                        surest = sorted(concepts, key=lambda c: (-concepts[c], c))
                        concepts = {c: concepts[c] for c in surest[:MAX_SLOT_CONCEPTS]}
                    slots.append(_Slot(" ".join(run), concepts, sense[1], corrected))
                    if length > 1:
                        in_names.update(range(i, i + length))
                    i += length
                    break
            else:
                if token not in STOPWORDS and token not in _CUE_WORDS and not token.isdigit():
                    slots.append(_Slot(token, {}, {stem(token): 1.0}, fixed[i]))
                i += 1
        cues = {
            cue
            for position, token in enumerate(tokens)
            if position not in in_names
            for cue, group in ((_COMPARE, COMPARE_CUES), (_WHICH, WHICH_CUES), (_PHASE, PHASE_CUES))
            if token in group
        }
        known = [s for s in slots if s.concepts or any(t in self._idf for t in s.terms)]
        unknown = len(slots) - len(known)
        guessed = unknown > 0 and all(s.corrected for s in known)
        return _Query(tuple(slots), frozenset(cues), unknown, guessed)

    def _spell(self, token: str) -> str:
        if token in self._speller or token in self._phrases or not token.isalpha():
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
        return self._search(question)[: max(limit, 0)]

    def _search(self, question: str) -> list[Hit]:
        _require(question)
        query = self._read(question)
        hits = self._rank(query)
        if not hits or hits[0].score < query.bar:
            log.debug("ask: %r not understood (best %s, bar %.2f)", question, hits[:1], query.bar)
            return []
        return hits

    def _rank(self, query: _Query) -> list[Hit]:
        if not query.slots:
            return []
        text_by_slot: list[dict[int, float]] = []
        text_total: dict[int, float] = defaultdict(float)
        for slot in query.slots:
            best: dict[int, float] = {}
            for term, factor in slot.terms.items():
                postings = self._postings.get(term)
                if postings is None:
                    continue
                idf = self._idf[term] * factor
                tids, weights = postings
                for tid, weight in zip(tids[:MAX_POSTINGS], weights[:MAX_POSTINGS], strict=True):
                    score = idf * weight
                    if score > best.get(tid, 0.0):
                        best[tid] = score
            text_by_slot.append(best)
            for tid, score in best.items():
                text_total[tid] += score

        candidates = set(
            heapq.nlargest(TEXT_CANDIDATES, text_total, key=lambda t: (text_total[t], -t))
        )
        named = _named(query)
        candidates.update(self._composed(named))
        hits = [self._hit(tid, query, text_by_slot) for tid in candidates]
        hits.extend(self._comparisons(named, query))
        hits = [hit for hit in hits if hit.score > 0.0]
        hits.sort(key=lambda hit: (-hit.score, self._ids.get(hit.target, len(self._ids))))
        return hits

    def _composed(self, named: Sequence[str]) -> set[int]:
        """Targets made of what the question names: phases, profiles, cells, rows, tables."""
        found: set[int] = set()
        subjects = [c[2:] for c in named if c.startswith("s:")]
        aspects = [c[2:].split(":", 1) for c in named if c.startswith("a:")]
        content = self.catalog.content
        for concept in named:
            if concept == _OVERVIEW:
                self._maybe(found, Target(Kind.OVERVIEW))
            elif concept.startswith("p:"):
                self._maybe(found, Target(Kind.PHASE, phase=concept[2:]))
        for table_key, aspect_key in aspects:
            table = content.table(table_key)
            if table is not None:
                self._maybe(found, _row(table, aspect_key))
        for subject in subjects:
            table = content.table(self._subject_table[subject])
            if table is None:
                continue
            if table.key != METHODOLOGIES:
                self._maybe(found, _whole(table))
                continue
            self._maybe(found, Target(Kind.METHODOLOGY, table=table.key, subjects=(subject,)))
            for aspect_table, aspect_key in aspects:
                if aspect_table == table.key:
                    cell = Target(
                        Kind.CELL, table=table.key, subjects=(subject,), aspect=aspect_key
                    )
                    self._maybe(found, cell)
        return found

    def _maybe(self, found: set[int], target: Target) -> None:
        tid = self._ids.get(target)
        if tid is not None:
            found.add(tid)

    def _hit(self, tid: int, query: _Query, text_by_slot: Sequence[Mapping[int, float]]) -> Hit:
        target = self._targets[tid]
        concepts = self._concepts[tid]
        lone_row = target.kind is Kind.ROW and target.table == METHODOLOGIES
        score = 0.0
        subject_named = False
        for slot, text in zip(query.slots, text_by_slot, strict=True):
            matched = text.get(tid, 0.0)
            named = 0.0
            backed = False
            for concept, certainty in slot.concepts.items():
                if concept not in concepts:
                    continue
                weight = _concept_weight(concept)
                if concept.startswith("s:"):
                    subject_named = True
                    if target.kind is Kind.ROW:
                        weight = _ROW_SUBJECT
                else:
                    backed = True
                    if lone_row:
                        weight = _LONE_ROW_ASPECT
                named = max(named, weight * certainty)
            score += max(named, matched)
            if backed:  # a phase or aspect name that the content's own text backs up
                score += _AGREEMENT * min(named, matched)
        score += self._cohesion(tid, query)
        if target.kind is Kind.CELL and not subject_named:
            score *= _UNNAMED_SUBJECT
        if score > 0.0:
            score += _cue_bonus(query, target.kind)
        return Hit(target, self._titles[tid], round(score, 6), self._commands[tid])

    def _cohesion(self, tid: int, query: _Query) -> float:
        """Several words of the question in one sentence ('archive data') say more."""
        most = 0
        for sentence in self._sentences[tid]:
            found = sum(1 for slot in query.slots if any(t in slot.terms for t in sentence))
            most = max(most, found)
        return _COHESION * (most - 1) if most > 1 else 0.0

    def _comparisons(self, named: Sequence[str], query: _Query) -> list[Hit]:
        """Two methodologies named: compare them, whole and on each aspect named."""
        table = self.catalog.methodologies
        subjects = [
            c[2:] for c in named if c.startswith("s:") and self._subject_table[c[2:]] == table.key
        ][:MAX_NAMED]
        if len(subjects) < 2:
            return []
        prefix = f"a:{table.key}:"
        aspects = [c[len(prefix) :] for c in named if c.startswith(prefix)][:MAX_NAMED]
        bonus = _cue_bonus(query, Kind.COMPARISON)
        hits: list[Hit] = []
        for i, first in enumerate(subjects):
            for second in subjects[i + 1 :]:
                for aspect in ["", *aspects]:
                    concepts = {_subject_concept(first), _subject_concept(second)}
                    if aspect:
                        concepts.add(_aspect_concept(table.key, aspect))
                    score = bonus + sum(
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
                    title = self._comparison_title(table, target)
                    hits.append(Hit(target, title, round(score, 6), _compare_command(target)))
        return hits

    def _comparison_title(self, table: Table, target: Target) -> str:
        names = " vs ".join(_subject(table, key).name for key in target.subjects)
        if not target.aspect:
            return names
        return f"{names} · {_aspect(table, target.aspect).name}"

    # -- answering ------------------------------------------------------------------------

    def ask(self, question: str) -> Answer:
        """The best answer with up to two "see also" commands, or say it's not understood.

        Raises :class:`~bot.core.errors.InvalidRequest` for an empty question.
        """
        started = time.perf_counter()
        hits = self._search(question)
        if not hits:
            return self.not_sure(question)
        best = hits[0]
        answer = self.answer_for(best.target)
        floor = max(MIN_SCORE, best.score * _SEE_ALSO_SHARE)
        lines: list[str] = []
        for hit in hits[1:]:
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
            f"• A phase ({_listing(p.name for p in content.phases)}) — "
            f"`/phase name:{content.phases[0].key}`",
            f"• A methodology ({_listing(s.name for s in methodologies.subjects)}), "
            f"or one aspect of it — `/methodology name:{first} aspect:{aspect}`",
            f"• Two methodologies side by side — `/compare first:{first} second:{second}`",
            f"• {_vs(mlops.subjects)}, whole or on one aspect "
            f"({_listing(a.name for a in mlops.aspects)}) — `/mlops`",
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
        for concept in sorted(slot.concepts, key=lambda c: (-slot.concepts[c], c)):
            seen.setdefault(concept, None)
    return list(seen)


def _cue_bonus(query: _Query, kind: Kind) -> float:
    return sum(_CUE_BONUS.get((cue, kind), 0.0) for cue in query.cues)


def _require(question: str) -> None:
    if not question or not question.strip():
        raise InvalidRequest(
            "Ask me a question, for example `/ask question:how flexible is waterfall?`"
        )


def _vs(subjects: Sequence[Subject]) -> str:
    return " vs ".join(s.name for s in subjects)


def _row(table: Table, aspect_key: str) -> Target:
    keys = tuple(s.key for s in table.subjects)
    return Target(Kind.ROW, table=table.key, subjects=keys, aspect=aspect_key)


def _whole(table: Table) -> Target:
    return Target(Kind.TABLE, table=table.key, subjects=tuple(s.key for s in table.subjects))


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


def _listing(names: Iterable[str], limit: int = 8) -> str:
    shown: list[str] = []
    more = 0
    for name in names:
        if len(shown) < limit:
            shown.append(name)
        else:
            more += 1
    return ", ".join(shown) + (f" and {more} more" if more else "")
