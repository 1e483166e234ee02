"""The words ``/ask`` treats specially: stop words, and cues of what kind of answer is asked.

They are English, not content: a team's own content keeps them. The content's own
everyday words (synonyms, names of the life cycle) are in its ``vocabulary.toml``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.core.matching import stem
from bot.core.search_targets import COMPARE, PHASE, WHICH
from bot.core.text import words


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

CUE_WORDS = COMPARE_CUES | WHICH_CUES | PHASE_CUES

CUES_OF: Mapping[str, tuple[str, ...]] = {
    word: tuple(
        cue
        for cue, group in ((COMPARE, COMPARE_CUES), (WHICH, WHICH_CUES), (PHASE, PHASE_CUES))
        if word in group
    )
    for word in sorted(CUE_WORDS)
}
"""Each cue word -> the cues it gives ('phase' -> 'phase')."""

SUBJECT_SUFFIXES = ("model", "methodology", "method", "process", "framework", "approach")
"""After a methodology's name ('spiral model') the word belongs to the name."""


def stem_key(tokens: Iterable[str]) -> str:
    """Joined stems: how a run of words is looked up when its words are not a name."""
    return "".join(stem(t) for t in tokens)


def terms_of(text: str) -> list[str]:
    """The stemmed words of ``text`` that can match: no stop words, no cue words."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and w not in CUE_WORDS]
