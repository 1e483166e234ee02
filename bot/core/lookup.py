"""Finding content by what users type: key, alias, number, name, prefix, typo.

:class:`Catalog` indexes a loaded :class:`~bot.core.models.Content` once and then
answers lookups (raising typed ``Unknown*`` errors with "did you mean" suggestions)
and autocomplete queries (best match first, at most 25).
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.core.content import METHODOLOGIES, MLOPS
from bot.core.errors import PhaseNumberOutOfRange, UnknownAspect, UnknownPhase, UnknownSubject
from bot.core.models import Aspect, Content, Phase, Subject, Table
from bot.core.text import normalize

MAX_CHOICES = 25
"""Discord shows at most 25 autocomplete choices."""

_PHASE_NUMBER = re.compile(r"^\s*(?:phase\s*)?#?(\d+)\s*$", re.IGNORECASE)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Choice:
    """An autocomplete suggestion: what the user sees and the value submitted."""

    label: str
    value: str


class _Index(Generic[T]):
    """Names of one kind of entry, normalized, with the entry each one means."""

    def __init__(self, entries: Sequence[T]) -> None:
        self.entries = tuple(entries)
        self.exact: dict[str, T] = {}
        self._sorted: list[tuple[str, int]] = []  # (normalized name, entry position)

    def add(self, name: str, entry: T) -> None:
        word = normalize(name)
        if word and word not in self.exact:
            self.exact[word] = entry
            self._sorted.append((word, self.entries.index(entry)))

    def freeze(self) -> None:
        self._sorted.sort()

    def prefixed(self, word: str) -> list[T]:
        """Entries with a name starting with ``word``, in content order, no repeats."""
        found: set[int] = set()
        start = bisect_left(self._sorted, (word, -1))
        for name, position in self._sorted[start:]:
            if not name.startswith(word):
                break
            found.add(position)
        return [self.entries[i] for i in sorted(found)]

    def containing(self, word: str) -> list[T]:
        found = {position for name, position in self._sorted if word in name}
        return [self.entries[i] for i in sorted(found)]

    def close(self, word: str, limit: int = 3) -> list[T]:
        """Entries whose names are close to ``word`` (typos), best first."""
        names = difflib.get_close_matches(word, list(self.exact), n=limit * 3, cutoff=0.6)
        out: list[T] = []
        for name in names:
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
        prefixed = self.prefixed(word)
        if len(prefixed) == 1:
            return prefixed[0]
        return None

    def rank(self, query: str) -> list[T]:
        """Autocomplete order: exact, then prefix, then substring, then typo matches."""
        word = normalize(query)
        if not word:
            return list(self.entries)
        ranked: list[T] = []
        seen: set[int] = set()

        def extend(items: Iterable[T]) -> None:
            for item in items:
                if id(item) not in seen:
                    seen.add(id(item))
                    ranked.append(item)

        if word in self.exact:
            extend([self.exact[word]])
        extend(self.prefixed(word))
        if len(ranked) < MAX_CHOICES:
            extend(self.containing(word))
        if not ranked:
            extend(self.close(word))
        return ranked


class Catalog:
    """The content with its lookup indexes. Build once per loaded content."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self.methodologies = _require_table(content, METHODOLOGIES)
        self.mlops = _require_table(content, MLOPS)

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
            for aspect in table.aspects:
                index.add(aspect.key, aspect)
                index.add(aspect.name, aspect)
            for alias, key in content.aliases.aspects.get(table.key, {}).items():
                found = table.aspect(key)
                if found is not None:
                    index.add(alias, found)
            index.freeze()
            self._aspects[table.key] = index

    # -- phases -------------------------------------------------------------------------

    @property
    def phases(self) -> tuple[Phase, ...]:
        return self.content.phases

    def phase_by_key(self, key: str) -> Phase:
        for phase in self.content.phases:
            if phase.key == key:
                return phase
        raise UnknownPhase(key)

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
            raise UnknownPhase(query.strip(), self._suggest_phases(query))
        return phase

    def _suggest_phases(self, query: str) -> list[str]:
        word = normalize(query)
        candidates = self._phases.prefixed(word) or self._phases.close(word)
        return [p.name for p in candidates[:3]]

    def complete_phase(self, current: str) -> list[Choice]:
        number = _PHASE_NUMBER.match(current)
        if number:
            found = self.phase_by_number(int(number.group(1)))
            ranked = [found] if found else []
        else:
            ranked = self._phases.rank(current)
        return [self._phase_choice(p) for p in ranked[:MAX_CHOICES]]

    def _phase_choice(self, phase: Phase) -> Choice:
        return Choice(f"{phase.number} · {phase.name}"[:100], phase.key)

    def neighbours(self, phase: Phase) -> tuple[Phase | None, Phase | None]:
        """The phases before and after ``phase``."""
        return self.phase_by_number(phase.number - 1), self.phase_by_number(phase.number + 1)

    # -- comparison tables --------------------------------------------------------------

    def subject_by_key(self, key: str) -> Subject:
        for table in self.content.tables:
            subject = table.subject(key)
            if subject is not None:
                return subject
        raise UnknownSubject(key)

    def subject(self, query: str, table: Table | None = None) -> Subject:
        """Resolve a methodology (or MLOps/DevOps) by key, alias, name or unique prefix.

        With ``table``, only that table's subjects count.
        """
        found = self._subjects.find(query)
        if found is not None and (table is None or self.table_of(found) is table):
            return found
        pool = self._subjects.rank(query)
        if table is not None:
            pool = [s for s in pool if self.table_of(s) is table] or list(table.subjects)
        raise UnknownSubject(query.strip(), [s.name for s in pool[:3]], kind=_subject_kind(table))

    def table_of(self, subject: Subject) -> Table:
        return self._subject_table[subject.key]

    def complete_subject(self, current: str, table: Table | None = None) -> list[Choice]:
        ranked = self._subjects.rank(current)
        if table is not None:
            ranked = [s for s in ranked if self.table_of(s) is table]
        return [Choice(s.name, s.key) for s in ranked[:MAX_CHOICES]]

    def aspect(self, table: Table, query: str) -> Aspect:
        """Resolve an aspect of ``table`` by key, alias, name or unique prefix."""
        index = self._aspects[table.key]
        found = index.find(query)
        if found is None:
            word = normalize(query)
            suggestions = index.prefixed(word) or index.close(word)
            names = [a.name for a in suggestions[:3]]
            raise UnknownAspect(query.strip(), names, kind=f"aspect of {table.title}")
        return found

    def complete_aspect(self, table: Table, current: str) -> list[Choice]:
        ranked = self._aspects[table.key].rank(current)
        return [Choice(a.name, a.key) for a in ranked[:MAX_CHOICES]]


def _subject_kind(table: Table | None) -> str:
    if table is None:
        return "methodology"
    return "methodology" if table.key == METHODOLOGIES else "subject of " + table.title


def _require_table(content: Content, key: str) -> Table:
    table = content.table(key)
    if table is None:  # load_content guarantees both tables; a hand-built Content may not
        raise ValueError(f"content has no '{key}' table")
    return table
