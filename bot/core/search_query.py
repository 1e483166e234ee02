"""Reading a question for ``/ask``: its words, corrected, grouped into slots.

1. Its first :data:`MAX_CHARS` characters are split into words (:func:`~bot.core.text.words`),
   of which the first :data:`MAX_TOKENS` are read. A word the content does not know is
   corrected to a close known one (:class:`~bot.core.matching.Matcher`), or completed
   when it is cut short ("collab").
2. The longest run of words that names something becomes one *slot*: a phase,
   methodology or aspect by its key, name or alias, a synonym or name of the life cycle
   (``vocabulary.toml``). Names match with spaces, dashes and word endings ignored
   ("V Model", "vmodel", "retiring"). Any other word is a slot of its stemmed text; stop
   words are dropped, and cue words ("vs", "which", "phase") are noted.

So reading a question costs at most :data:`MAX_TOKENS` words, each a few dictionary
look-ups, of which at most :data:`MAX_NEW` are words to stem and :data:`MAX_CORRECTIONS`
are looked up in the matcher, and at most :data:`MAX_SLOTS` slots are scored, whatever
is typed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from bot.core.matching import MAX_WORD, stem
from bot.core.search_index import HEAD, SearchIndex, Sense
from bot.core.search_relations import relation_at
from bot.core.search_targets import PHASE, UNCOVERED, phase_concept
from bot.core.search_words import (
    CHAT_WORDS,
    CUES_OF,
    PHASE_CUES,
    RELATION_STARTS,
    STOPWORDS,
)
from bot.core.text import MAX_PHRASE, words

MIN_SCORE = 0.55
"""The bar a best match must clear to be an answer rather than a guess.

A lone word found in several places ("data") stays under it; one found in a single
place ("security") clears it. The bar rises by as much again for every word of the
question that matches nothing at all, and a question whose only matches are typo
corrections beside unknown words ("can you order lunch") is not understood at all.
"""

MAX_CHARS = 2000
"""Characters of a question that are read; the rest is ignored."""

MAX_TOKENS = 64
"""Words of a question that are read; the rest is ignored."""

MAX_NEW = 32
"""Words the content does not know (as they are typed) that are read: the question is
cut before the next one. (Each unknown word raises the bar: past a few, no answer
clears it. Real questions have at most two.)"""

MAX_CORRECTIONS = 4
"""Of those, how many are corrected (the first ones); the rest stay as they are."""

MAX_SLOTS = 8
"""Names and meaningful words of a question that are scored; the rest is ignored."""

MAX_COMPLETIONS = 8
"""A cut-short word with more known completions than this is left alone."""


class Slot(NamedTuple):
    """One name or meaningful word of a question. (Tuples: a question makes several.)"""

    text: str
    concepts: Mapping[str, float]
    terms: Mapping[str, float]
    corrected: bool = False
    """Found only after correcting a typo in one of its words."""


class Query(NamedTuple):
    """A question as read: its slots and what else they tell."""

    slots: tuple[Slot, ...]
    cues: frozenset[str]
    foreign: int
    """Words that match nothing and are not chat words: the question may be about
    something else."""
    guessed: bool
    """Unknown words beside matches that all come from typo corrections."""
    term_slots: Mapping[str, int]
    """Each text term of the slots -> the slots that have it, as bits (slot i: 1 << i)."""
    cohesive: bool
    """At least two slots have text terms: one sentence may hold several of them."""
    context: bool = False
    """A word says the question is about a team's software work ('app', 'prod')."""
    uncovered: tuple[str, ...] = ()
    """Phrases of what the content does not hold ('retrospective')."""

    @property
    def bar(self) -> float:
        return math.inf if self.guessed else MIN_SCORE


def read(index: SearchIndex, question: str) -> Query:
    """The question as slots: its names, longest first, and its other meaningful words.

    Each word is corrected and stemmed once; a run of words is then looked up by its
    joined words and by its joined stems (slices of those lists, no re-stemming).
    Cue words count unless they are inside a name of several words. A phase named by
    its place ('the phase after design', 'the first phase') is a slot of that phase.
    """
    raw, tokens = _spelled(index, words(question[:MAX_CHARS])[:MAX_TOKENS])
    stems = [stem(token) for token in tokens]
    slots: list[Slot] = []
    cues: set[str] = set()
    uncovered: list[str] = []
    foreign = 0
    count = len(tokens)
    context = index.context

    def name_at(at: int) -> tuple[int, Sense] | None:
        return _name_at(index, tokens, stems, at, tokens[at] in STOPWORDS)

    i = 0
    while i < count:
        token = tokens[i]
        cued = CUES_OF.get(token)
        if cued is not None:
            following = tokens[i + 1] if i + 1 < count else ""
            if token in PHASE_CUES and following.isdigit() and len(following) < 10:
                phase = index.catalog.phase_by_number(int(following))  # 'phase 3', 'step 2'
                if phase is not None:
                    cues.update(cued)
                    concepts = {phase_concept(phase.key): 1.0}
                    slots.append(Slot(f"{token} {following}", concepts, {}))
                    i += 2
                    continue
        related = relation_at(index, tokens, i, name_at) if token in RELATION_STARTS else None
        if related is not None:
            length, phase, certainty = related
            cues.add(PHASE)
            text = " ".join(tokens[i : i + length])
            slots.append(Slot(text, {phase_concept(phase.key): certainty}, {}))
            i += length
            continue
        stop = token in STOPWORDS
        name = _name_at(index, tokens, stems, i, stop)
        if name is not None:
            length, (concepts, terms) = name
            end = i + length
            if UNCOVERED in concepts or not (concepts or terms):  # not held, or chat
                if concepts:
                    uncovered.append(" ".join(tokens[i:end]))
                i = end
                continue
            corrected = raw[i:end] != tokens[i:end]
            slots.append(Slot(" ".join(tokens[i:end]), concepts, terms, corrected))
            if length == 1 and cued is not None:
                cues.update(cued)
            i = end
            continue
        if cued is not None:
            cues.update(cued)
        elif not (stop or token.isdigit()):
            if stems[i] in index.idf:
                slots.append(Slot(token, {}, {stems[i]: 1.0}, raw[i] != token))
            elif not (token in CHAT_WORDS or token in context or stems[i] in context):
                foreign += 1
        i += 1
    slots = _most_telling(index, slots)
    term_slots: dict[str, int] = {}
    with_terms = 0
    all_corrected = True  # every slot that matches something comes from a correction
    for bit, slot in enumerate(slots):
        if slot.terms:
            with_terms += 1
            for term in slot.terms:
                term_slots[term] = term_slots.get(term, 0) | (1 << bit)
        all_corrected = all_corrected and slot.corrected
    guessed = foreign > 0 and all_corrected
    in_context = foreign > 0 and any(t in context or stem(t) in context for t in tokens)
    return Query(
        tuple(slots),
        frozenset(cues),
        foreign,
        guessed,
        term_slots,
        with_terms > 1,
        in_context,
        tuple(uncovered),
    )


def _most_telling(index: SearchIndex, slots: list[Slot]) -> list[Slot]:
    """At most :data:`MAX_SLOTS` slots, in the question's order: names first, then the
    words found in the fewest places (a long question is judged by what it names)."""
    if len(slots) <= MAX_SLOTS:
        return slots
    idf = index.idf

    def telling(position: int) -> tuple[int, float, int]:
        slot = slots[position]
        rarest = max((idf.get(term, 0.0) for term in slot.terms), default=0.0)
        return (0 if slot.concepts else 1, -rarest, position)

    kept = sorted(sorted(range(len(slots)), key=telling)[:MAX_SLOTS])
    return [slots[position] for position in kept]


def _name_at(
    index: SearchIndex, tokens: Sequence[str], stems: Sequence[str], start: int, stop: bool
) -> tuple[int, Sense] | None:
    """The longest name that starts at word ``start``: its length in words and sense.

    A run matches by its joined words or its joined stems; a lone stop word only by
    itself (its stem would match too much). Runs of several words are tried only when
    some name begins as they do (its first :data:`~bot.core.search_index.HEAD` letters,
    of the joined words or the joined stems); otherwise only a run shorter than that.
    """
    phrases, stemmed = index.phrases, index.stemmed
    longest = min(MAX_PHRASE, len(tokens) - start)
    if longest > 1:
        heads = index.heads
        head = "".join(tokens[start : start + HEAD])[:HEAD]
        if (
            len(head) == HEAD
            and head not in heads
            and (  # the stems begin as the words do, or no name begins as they do
                stems[start].startswith(head)
                or "".join(stems[start : start + HEAD])[:HEAD] not in heads
            )
        ):
            longest = 2 if len(tokens[start]) + len(tokens[start + 1]) < HEAD else 1
        for length in range(longest, 1, -1):
            end = start + length
            sense = phrases.get("".join(tokens[start:end])) or stemmed.get(
                "".join(stems[start:end])
            )
            if sense is not None:
                return length, sense
    sense = phrases.get(tokens[start])
    if sense is None and not stop:
        sense = stemmed.get(stems[start])
    return None if sense is None else (1, sense)


def _spelled(index: SearchIndex, raw: list[str]) -> tuple[list[str], list[str]]:
    """The words as typed and as meant, cut before the :data:`MAX_NEW` + 1st word the
    content does not know; the first :data:`MAX_CORRECTIONS` of those that are not known
    by their stem either, nor begin a name with the next word ('backing up'), are
    corrected."""
    known = index.known
    new_at = [i for i, token in enumerate(raw) if token not in known]
    if not new_at:  # the usual question: every word known as it is
        return raw, raw
    typed = raw[: new_at[MAX_NEW]] if len(new_at) > MAX_NEW else raw
    meant = list(typed)
    corrections = 0
    for i in new_at[:MAX_NEW]:
        token = typed[i]
        if corrections < MAX_CORRECTIONS and token.isalpha() and len(token) <= MAX_WORD:
            stemmed = stem(token)
            joined = stemmed + stem(typed[i + 1]) if i + 1 < len(typed) else ""
            if not (stemmed in index.stemmed or stemmed in index.idf or joined in index.stemmed):
                corrections += 1
                meant[i] = _correct(index, token) or token
    return typed, meant


def _correct(index: SearchIndex, token: str) -> str | None:
    """The known word ``token`` was meant to be: a close one, else its only completion.

    A word of three letters is too short to correct, but for two of them swapped into a
    stop word ('teh', 'adn').
    """
    if len(token) == 3:
        swapped = (token[1] + token[0] + token[2], token[0] + token[2] + token[1])
        return next((word for word in swapped if word in STOPWORDS), None)
    close = index.matcher.close(token)
    if close:
        return close[0]
    if len(token) < 4:
        return None
    completions = index.matcher.completions(token, MAX_COMPLETIONS)
    if not completions or len({stem(c) for c in completions}) > 1:
        return None
    known = index.known
    return min(completions, key=lambda c: (-known[c], len(c), c))
