"""Finding what a user meant: word stems, and the known strings closest to a typed one.

One way of matching for every caller: ``/ask`` corrects a question's words against the
content's vocabulary, lookups suggest names for a typo ("tetsing" -> Testing), and
``/project check`` suggests activities. Both pieces are maintained libraries:

* :func:`stem` is the Snowball English stemmer (PyStemmer): 'deployment', 'deploying'
  and 'deployed' all stem to 'deploy'.
* :class:`Matcher` finds the known strings within a few edits of a typed one with
  rapidfuzz: the optimal string alignment distance (Levenshtein plus swapped neighbours,
  the commonest typo) decides what is close at all, and rapidfuzz's Indel ratio, then how
  common a string is, which of several close ones is meant. :func:`close_entries` uses it
  for a few entries with long texts (a phase's activities): whole, then word by word.

*Close* means the same thing everywhere (:func:`edits_allowed`): no edit for fewer than
four characters, one for up to six, two from seven, about one in five for long ones; a
string with another first letter is close only at one edit (a different first letter is
more often a different word). Strings longer than the matcher's ``longest`` are never
corrected. So the cost of one look-up is bounded whatever is typed: at most ``longest``
characters, compared only with the known strings of a similar length that share its
first letter (or, for an edit at the start, its second), each comparison a few machine
words in rapidfuzz's C++ (bit-parallel).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import TypeVar

import Stemmer  # type: ignore[import-not-found]  # PyStemmer ships no type hints
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.core.text import normalize, words

__all__ = ["MAX_WORD", "Matcher", "close_entries", "edits_allowed", "stem"]

T = TypeVar("T", bound=Hashable)

MAX_WORD = 30
"""Longest word corrected: no English word is longer, so a longer one is not a typo."""

_CACHE_LIMIT = 4_096
"""Look-ups a matcher remembers before it forgets them all (a bound on its memory: junk
questions, each word new, filled 20,000 entries with about 3 MiB in a soak)."""

_STEMMER = Stemmer.Stemmer("english", 0)
"""Without PyStemmer's own cache (10,000 words, kept as well as ours): :func:`stem` keeps
the stems."""


@lru_cache(maxsize=1 << 12)  # 65,536 held about 10 MiB of junk words in a soak
def stem(word: str) -> str:
    """The Snowball English stem of a lowercase word: 'retiring' -> 'retir'.

    Only meant to be compared with other stems. A word with digits ('k8s') or longer
    than :data:`MAX_WORD` letters is its own stem.
    """
    if len(word) > MAX_WORD or not word.isalpha():
        return word
    stemmed: str = _STEMMER.stemWord(word)
    return stemmed


def edits_allowed(length: int) -> int:
    """How many edits (a letter added, dropped, changed, or two swapped) a typed string
    of ``length`` characters may be from the string it means."""
    if length < 4:
        return 0
    if length < 7:
        return 1
    return max(2, length // 5)


class Matcher:
    """Known strings, and the ones close to what was typed (see the module's notes).

    ``frequency`` says how common each string is (the more common wins a tie); strings
    not in it count once. Look-ups are remembered (:data:`_CACHE_LIMIT`).
    """

    def __init__(
        self,
        choices: Iterable[str],
        frequency: Mapping[str, int] | None = None,
        *,
        longest: int = MAX_WORD,
    ) -> None:
        self.longest = longest
        self._frequency = frequency or {}
        known = sorted(set(choices))
        self._sorted = known
        # By length and first (second) character: where a typed string's close ones are.
        self._firsts: dict[tuple[str, int], list[str]] = {}
        self._seconds: dict[tuple[str, int], list[str]] = {}
        for choice in known:
            if choice:
                self._firsts.setdefault((choice[0], len(choice)), []).append(choice)
            if len(choice) > 1:
                self._seconds.setdefault((choice[1], len(choice)), []).append(choice)
        self._cache: dict[tuple[str, int], tuple[str, ...]] = {}

    def close(self, typed: str, limit: int = 1) -> tuple[str, ...]:
        """Up to ``limit`` known strings close to ``typed``, the likeliest first.

        Fewest edits first, then the highest Indel ratio, then the most frequent, then
        alphabetical. Nothing when ``typed`` is known, too short or too long.
        """
        key = (typed, limit)
        found = self._cache.get(key)
        if found is None:
            found = self._close(typed, limit)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = found
        return found

    def _close(self, typed: str, limit: int) -> tuple[str, ...]:
        size = len(typed)
        allowed = edits_allowed(size)
        if not allowed or size > self.longest:
            return ()
        first, second = typed[0], typed[1]
        firsts, seconds = self._firsts, self._seconds
        pool: list[str] = []
        for length in range(size - allowed, size + allowed + 1):
            pool += firsts.get((first, length), ())
        # One edit at the very start: the first letter changed, dropped, added or swapped.
        pool += seconds.get((second, size), ())
        pool += seconds.get((first, size + 1), ())
        pool += firsts.get((second, size - 1), ())
        pool += firsts.get((second, size), ())
        found = process.extract(typed, pool, scorer=OSA.distance, score_cutoff=allowed, limit=None)
        frequency = self._frequency
        ranked = sorted(
            {
                (int(distance), -fuzz.ratio(typed, choice), -frequency.get(choice, 1), choice)
                for choice, distance, _ in found
                if distance > 0 and (distance == 1 or choice[0] == first)
            }
        )
        return tuple(entry[3] for entry in ranked[:limit])

    def completions(self, prefix: str, most: int) -> list[str]:
        """The known strings that start with ``prefix`` (not ``prefix`` itself), in
        order; empty when there are more than ``most``."""
        start = bisect_left(self._sorted, prefix)
        found: list[str] = []
        for known in self._sorted[start : start + most + 2]:
            if not known.startswith(prefix):
                break
            if known != prefix:
                found.append(known)
        return found if len(found) <= most else []


MOST_WORDS = 12
"""Words of a typed text compared one by one in :func:`close_entries`."""

LONGEST_TEXT = 200
"""Longest typed text compared whole in :func:`close_entries`."""


def close_entries(entries: Sequence[T], names: Callable[[T], Iterable[str]], typed: str) -> list[T]:
    """The entries (a few: a phase's activities) close to ``typed``, in order: those with a
    name close to it as a whole ('feasability studys' for the key feasibility-studies),
    then those with a word close to each of its words ('obtain aproval', 'tetsing')."""
    whole: dict[str, T] = {}
    words_of: list[set[str]] = []
    for entry in entries:
        for name in names(entry):
            whole.setdefault(normalize(name), entry)
        words_of.append(set(words(" ".join(names(entry)))))
    found = [
        whole[name] for name in Matcher(whole, longest=LONGEST_TEXT).close(normalize(typed), 6)
    ]
    vocabulary = Matcher(set().union(*words_of))
    meant = [{word, *vocabulary.close(word, 3)} for word in words(typed)[:MOST_WORDS]]
    if meant:
        found += [
            e for e, known in zip(entries, words_of, strict=True) if all(known & m for m in meant)
        ]
    return list(dict.fromkeys(found))
