"""Finding content by what users type: key, alias, number, name, prefix, typo.

:class:`Catalog` indexes a loaded :class:`~bot.core.models.Content` once and then
answers lookups (raising typed ``Unknown*`` errors with "did you mean" suggestions when
a name is close, else the names there are) and autocomplete queries (best match first,
at most 25).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypedDict, TypeVar

from bot.core.content import METHODOLOGIES, MLOPS
from bot.core.errors import PhaseNumberOutOfRange, UnknownAspect, UnknownPhase, UnknownSubject
from bot.core.matching import Matcher
from bot.core.models import Aspect, Content, Phase, Subject, Table
from bot.core.text import normalize

MAX_CHOICES = 25
"""Discord shows at most 25 autocomplete choices."""

MAX_LISTED = 12
"""Names an "I don't know" message lists when nothing is close (then how many more)."""

CHOICE_LABEL_LIMIT = 100
"""Discord's limit on a choice's label."""

_PHASE_NUMBER = re.compile(r"^\s*(?:phase\s*)?#?([0-9]{1,9})\s*$", re.IGNORECASE)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Choice:
    """An autocomplete suggestion: what the user sees and the value submitted."""

    label: str
    value: str


class _Index(Generic[T]):
    """Names of one kind of entry, normalized, with the entry each one means.

    Built once, then queried per keystroke, so no query runs Python code over every
    name (at 1000 times the bundled content a keystroke still costs about a millisecond):

    * exact names: a dict;
    * prefixes: a sorted list (bisect), or, when a prefix is common, a scan in content
      order that stops once enough entries are found;
    * substrings: one string holding every name, grouped by entry in content order,
      searched with ``str.find`` (C speed) and skipping to the next entry after a hit;
    * typos: the names close to the word (:class:`~bot.core.matching.Matcher`), which
      only compares names of a similar length and the same first (or second) letter.
    """

    def __init__(self, entries: Sequence[T]) -> None:
        self.entries = tuple(entries)
        self.exact: dict[str, T] = {}
        self._sorted: list[tuple[str, int]] = []  # (normalized name, entry position)
        # Entries are distinct objects (their keys are unique), so identity finds them.
        self._position: dict[int, int] = {id(e): i for i, e in enumerate(self.entries)}
        # Built by freeze():
        self._words: list[str] = []  # the names of _sorted, in the same order
        self._haystack = ""  # _SEP + name for every name, grouped by entry, content order
        self._starts: list[int] = [0]  # where each entry's names begin in _haystack (+ end)
        self._matcher = Matcher(())

    def add(self, name: str, entry: T) -> None:
        word = normalize(name)
        if word and word not in self.exact:
            self.exact[word] = entry
            self._sorted.append((word, self._position_of(entry)))

    def _position_of(self, entry: T) -> int:
        position = self._position.get(id(entry))
        if position is None:  # not one of the entries themselves: an equal one, if any
            position = self.entries.index(entry)
        return position

    def freeze(self) -> None:
        self._sorted.sort()
        self._words = [word for word, _ in self._sorted]
        names_of: list[list[str]] = [[] for _ in self.entries]
        for word, position in self._sorted:
            names_of[position].append(word)
        blocks: list[str] = []
        starts: list[int] = []
        offset = 0
        for names in names_of:
            starts.append(offset)
            block = "".join(_SEP + name for name in names)
            blocks.append(block)
            offset += len(block)
        starts.append(offset)
        self._haystack = "".join(blocks)
        self._starts = starts
        self._matcher = Matcher(self.exact, longest=MAX_TYPED_NAME)

    def _entries_at(self, positions: Iterable[int]) -> list[T]:
        return [self.entries[i] for i in positions]

    def _scan(self, needle: str, limit: int | None) -> list[int]:
        """Positions of the entries with ``needle`` in their block, in content order."""
        haystack, starts = self._haystack, self._starts
        found: list[int] = []
        at = haystack.find(needle)
        while at != -1:
            position = bisect_right(starts, at) - 1
            found.append(position)
            if limit is not None and len(found) >= limit:
                break
            at = haystack.find(needle, starts[position + 1])
        return found

    def prefixed(self, word: str, limit: int | None = None) -> list[T]:
        """Entries with a name starting with ``word``, in content order, no repeats.

        With ``limit``, only the first ``limit`` of them.
        """
        start = bisect_left(self._words, word)
        end = bisect_left(self._words, word + _AFTER_ALL, start)
        if limit is not None and end - start > _DENSE_PREFIX:
            # Many names share the prefix: walk the entries in content order instead
            # (a name starts right after a separator) and stop at ``limit``.
            return self._entries_at(self._scan(_SEP + word, limit))
        found = sorted({self._sorted[i][1] for i in range(start, end)})
        return self._entries_at(found if limit is None else found[:limit])

    def containing(self, word: str, limit: int | None = None) -> list[T]:
        """Entries with a name containing ``word``, in content order (the first ``limit``)."""
        if not word:
            return self.prefixed(word, limit)
        return self._entries_at(self._scan(word, limit))

    def close(self, word: str, limit: int = 3) -> list[T]:
        """Entries whose names are close to ``word`` (typos), the closest first."""
        out: list[T] = []
        for name in self._matcher.close(word, limit * 3):
            entry = self.exact[name]
            if entry not in out:
                out.append(entry)
        return out[:limit]

    def find(self, query: str) -> T | None:
        """Exact name or alias, then a prefix that means one entry only."""
        word = normalize(query)
        if not word:
            return None
        if word in self.exact:
            return self.exact[word]
        prefixed = self.prefixed(word, 2)
        if len(prefixed) == 1:
            return prefixed[0]
        return None

    def rank(self, query: str, limit: int | None = None) -> list[T]:
        """Autocomplete order: exact, then prefix, then substring, then typo matches.

        With ``limit``, the first ``limit`` of that order (found without the rest).
        """
        word = normalize(query)
        if not word:
            return list(self.entries if limit is None else self.entries[:limit])
        ranked: list[T] = []
        seen: set[int] = set()

        def extend(items: Iterable[T]) -> None:
            for item in items:
                if id(item) not in seen:
                    seen.add(id(item))
                    ranked.append(item)

        if word in self.exact:
            extend([self.exact[word]])
        extend(self.prefixed(word, limit))
        if len(ranked) < MAX_CHOICES and (limit is None or len(ranked) < limit):
            # The first ``limit`` not already ranked are among the first limit + len(ranked).
            extend(self.containing(word, None if limit is None else limit + len(ranked)))
        if not ranked:
            extend(self.close(word))
        return ranked if limit is None else ranked[:limit]


_SEP = "\x00"
"""Separates names in an index's haystack (names are letters and digits only)."""

_AFTER_ALL = chr(0x10FFFF)
"""Sorts after any character a normalized name can hold: ``word + _AFTER_ALL`` ends its prefixes."""

_DENSE_PREFIX = 64
"""More names than this under one prefix: find the first few entries in content order."""

MAX_TYPED_NAME = 64
"""Longest name looked for when typed with a typo (a key is at most 64 characters)."""


class Catalog:
    """The content with its lookup indexes. Build once per loaded content."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self.methodologies = _require_table(content, METHODOLOGIES)
        self.mlops = _require_table(content, MLOPS)
        self._phase_keys: dict[str, Phase] = {}
        for phase in content.phases:
            self._phase_keys.setdefault(phase.key, phase)
        self._subject_keys: dict[str, Subject] = {}
        for table in content.tables:
            for subject in table.subjects:
                self._subject_keys.setdefault(subject.key, subject)

        self._phases: _Index[Phase] = _Index(content.phases)
        for phase in content.phases:
            self._phases.add(phase.key, phase)
            self._phases.add(phase.name, phase)
        for alias, key in content.aliases.phases.items():
            self._phases.add(alias, self.phase_by_key(key))
        self._phases.freeze()

        subjects = [s for t in content.tables for s in t.subjects]
        self._subject_table = {s.key: t for t in content.tables for s in t.subjects}
        self._subjects: _Index[Subject] = _Index(subjects)
        for subject in subjects:
            self._subjects.add(subject.key, subject)
            self._subjects.add(subject.name, subject)
        for alias, key in content.aliases.subjects.items():
            self._subjects.add(alias, self.subject_by_key(key))
        self._subjects.freeze()

        self._aspects: dict[str, _Index[Aspect]] = {}
        for table in content.tables:
            index: _Index[Aspect] = _Index(table.aspects)
            by_key: dict[str, Aspect] = {}
            for aspect in table.aspects:
                by_key.setdefault(aspect.key, aspect)
                index.add(aspect.key, aspect)
                index.add(aspect.name, aspect)
            for alias, key in content.aliases.aspects.get(table.key, {}).items():
                found = by_key.get(key)  # like table.aspect(key), without a scan per alias
                if found is not None:
                    index.add(alias, found)
            index.freeze()
            self._aspects[table.key] = index

    # -- phases -------------------------------------------------------------------------

    @property
    def phases(self) -> tuple[Phase, ...]:
        return self.content.phases

    def phase_by_key(self, key: str) -> Phase:
        phase = self._phase_keys.get(key)
        if phase is None:
            raise UnknownPhase(key)
        return phase

    def phase_by_number(self, number: int) -> Phase | None:
        if 1 <= number <= len(self.phases):
            return self.phases[number - 1]
        return None

    def phase(self, query: str) -> Phase:
        """Resolve a phase by key, alias, number ('5', 'phase 5'), name or unique prefix."""
        number = _PHASE_NUMBER.match(query)
        if number:
            found = self.phase_by_number(int(number.group(1)))
            if found is not None:
                return found
            raise PhaseNumberOutOfRange(int(number.group(1)), len(self.phases))
        phase = self._phases.find(query)
        if phase is None:
            suggestions = _suggest(self._phases, query)
            raise UnknownPhase(query.strip(), suggestions, **_known(suggestions, self.phases))
        return phase

    def complete_phase(self, current: str) -> list[Choice]:
        number = _PHASE_NUMBER.match(current)
        if number:
            found = self.phase_by_number(int(number.group(1)))
            ranked = [found] if found else []
        else:
            ranked = self._phases.rank(current, MAX_CHOICES)
        return [self._phase_choice(p) for p in ranked[:MAX_CHOICES]]

    def _phase_choice(self, phase: Phase) -> Choice:
        return Choice(f"{phase.number} · {phase.name}"[:100], phase.key)

    def neighbours(self, phase: Phase) -> tuple[Phase | None, Phase | None]:
        """The phases before and after ``phase``."""
        return self.phase_by_number(phase.number - 1), self.phase_by_number(phase.number + 1)

    # -- comparison tables --------------------------------------------------------------

    def subject_by_key(self, key: str) -> Subject:
        subject = self._subject_keys.get(key)
        if subject is None:
            raise UnknownSubject(key)
        return subject

    def subject(self, query: str, table: Table | None = None) -> Subject:
        """Resolve a methodology (or MLOps/DevOps) by key, alias, name or unique prefix.

        With ``table``, only that table's subjects count.
        """
        found = self._subjects.find(query)
        if found is not None and (table is None or self.table_of(found) is table):
            return found
        pool = self._subjects.rank(query) if normalize(query) else []
        if table is not None:
            pool = [s for s in pool if self.table_of(s) is table]
        suggestions = [s.name for s in pool[:3]]
        subjects = table.subjects if table is not None else self._subjects.entries
        raise UnknownSubject(
            query.strip(), suggestions, kind=_subject_kind(table), **_known(suggestions, subjects)
        )

    def table_of(self, subject: Subject) -> Table:
        return self._subject_table[subject.key]

    def complete_subject(self, current: str, table: Table | None = None) -> list[Choice]:
        if table is None:
            ranked = self._subjects.rank(current, MAX_CHOICES)
        else:
            ranked = [s for s in self._subjects.rank(current) if self.table_of(s) is table]
        return [Choice(_label(s.name), s.key) for s in ranked[:MAX_CHOICES]]

    def aspect(self, table: Table, query: str) -> Aspect:
        """Resolve an aspect of ``table`` by key, alias, name or unique prefix."""
        index = self._aspects[table.key]
        found = index.find(query)
        if found is None:
            names = _suggest(index, query)
            raise UnknownAspect(
                query.strip(),
                names,
                kind=f"aspect of {table.title}",
                **_known(names, table.aspects),
            )
        return found

    def complete_aspect(self, table: Table, current: str) -> list[Choice]:
        ranked = self._aspects[table.key].rank(current, MAX_CHOICES)
        return [Choice(_label(a.name), a.key) for a in ranked[:MAX_CHOICES]]


class _Named(Protocol):
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=_Named)


def _suggest(index: _Index[N], query: str) -> list[str]:
    """Names of the (up to 3) entries that start like ``query`` or are close to it; none
    for a query with no letters or digits ('🚀' is close to nothing)."""
    word = normalize(query)
    if not word:
        return []
    return [entry.name for entry in (index.prefixed(word, 3) or index.close(word))[:3]]


class _Known(TypedDict):
    known: Sequence[str]
    more: int


def _known(suggestions: Sequence[str], entries: Sequence[_Named]) -> _Known:
    """What there is, for a message with no suggestion: the first names and the rest."""
    if suggestions:
        return {"known": (), "more": 0}
    shown = [entry.name for entry in entries[:MAX_LISTED]]
    return {"known": shown, "more": len(entries) - len(shown)}


def _label(name: str) -> str:
    """A choice label within Discord's 100 characters (the value stays the full key)."""
    return name if len(name) <= CHOICE_LABEL_LIMIT else name[: CHOICE_LABEL_LIMIT - 1] + "…"


def _subject_kind(table: Table | None) -> str:
    if table is None:
        return "methodology"
    return "methodology" if table.key == METHODOLOGIES else "subject of " + table.title


def _require_table(content: Content, key: str) -> Table:
    table = content.table(key)
    if table is None:  # load_content guarantees both tables; a hand-built Content may not
        raise ValueError(f"content has no '{key}' table")
    return table
