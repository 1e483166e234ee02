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

CHAT_WORDS = _word_set(
    "actually basically honestly literally maybe perhaps probably definitely certainly",
    "anyone anybody anything someone somebody something everyone everybody nobody none",
    "people person folks guys stuff lot lots bit little quick quickly question questions",
    "sorry thx ty cheers ok okay yes yeah yep sure great good nice cool right just",
    "already always anymore ago often sometimes soon still yet again even though although",
    "ever never much many more most least less new old first last next each every other",
    "whole general generally overall main mainly basic simple silly exactly fine fairly",
    "pretty quite rather enough almost day days week weeks month months year years time",
    "today morning afternoon evening wondering wonder understand figure find found",
    "keep keeps kept ask asked asking asks said says tell told think thought try trying",
    "make makes made take takes took come comes came see seen saw help helps start starts",
    "could might must shall would will can able im ive youre were we're weve dont didnt",
    "cant wont isnt arent hasnt havent doesnt",
    "decide decides decided choose chooses pick picks picked put puts set sets go goes went",
    "talk talks talking run runs running watch watches know knows knew learn need needs",
    "wanted want wants hear heard say saying call called walk send give given bring",
    "explanation definition meaning summary intro introduction overview basics idea ideas",
    "thing things part parts bits kinds sorts type types way ways case cases example",
)
"""Chat words that carry no topic: they neither match nor count against a question
(every other word that matches nothing says it may be about something else)."""

CHAT_PHRASES = (
    "quick question",
    "quick one",
    "real quick",
    "up to speed",
    "thanks in advance",
    "in advance",
    "no idea",
    "any pointers",
    "by the way",
    "to be honest",
    "of course",
)
"""Runs of words that are chat, whatever their words mean alone ('quick' is speed)."""

AFTER_WORDS = _word_set("after following follows once post past")
BEFORE_WORDS = _word_set("before preceding precedes prior ahead")
"""Words that ask for the phase next to the one they name: 'the phase after design'."""

ORDINALS: Mapping[str, int] = {
    word: n
    for n, group in enumerate(
        (
            "first 1st initial opening",
            "second 2nd",
            "third 3rd",
            "fourth 4th",
            "fifth 5th",
            "sixth 6th",
            "seventh 7th",
            "eighth 8th",
            "ninth 9th",
            "tenth 10th",
        ),
        start=1,
    )
    for word in group.split()
}
"""Words that name a phase by its place from the start: 'the third phase'."""

FROM_END: Mapping[str, int] = {"last": 1, "final": 1, "penultimate": 2}
"""Words that name a phase by its place from the end ('second to last' is 2)."""

RELATION_STARTS = frozenset({*AFTER_WORDS, *BEFORE_WORDS, *ORDINALS, *FROM_END, "next"})
"""Words that may begin a phase named by where it is ('next to last phase')."""

PLACE_WORDS = RELATION_STARTS | {"phase", "stage", "step"}
"""Words that name a phase by where it is (known as they are: never corrected)."""

SUBJECT_SUFFIXES = ("model", "methodology", "method", "process", "framework", "approach")
"""After a methodology's name ('spiral model') the word belongs to the name."""


def stem_key(tokens: Iterable[str]) -> str:
    """Joined stems: how a run of words is looked up when its words are not a name."""
    return "".join(stem(t) for t in tokens)


def terms_of(text: str) -> list[str]:
    """The stemmed words of ``text`` that can match: no stop words, no cue words."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and w not in CUE_WORDS]
