"""Free-text questions answered from the content: the engine behind ``/ask``.

:class:`Asker` indexes the content once (:class:`~bot.core.search_index.SearchIndex`) and
then answers a question such as "how flexible is waterfall" with the single best
matching piece of content, built by :class:`~bot.core.knowledge.Knowledge` exactly as the
commands build it, plus up to two "see also" suggestions written as the slash commands
that show them.

How a question is answered
--------------------------

1. It is read into slots (:func:`~bot.core.search_query.read`): names of phases,
   methodologies, aspects and the life cycle, and other meaningful words, with typos
   corrected.
2. Targets (candidate answers) are scored slot by slot: each slot adds its best match
   with the target, either a *concept* the target is about (a named subject weighs
   most: "testing in the V-Model" is the V-Model's Testing, not the Testing phase) or
   a term of the target's text weighted by its rarity (IDF). Candidates come from the
   concepts named and from an inverted index of text terms built once; comparisons of
   two methodologies are composed from the methodologies named.
3. A best score under the bar (:data:`~bot.core.search_query.MIN_SCORE`, raised for
   every word that matches nothing) means the question is not understood: the answer
   says so and lists what can be asked, rather than guessing.

Cost: a question reads a bounded number of words (see :mod:`bot.core.search_query`),
then the postings of its slots, each read up to
:data:`~bot.core.search_index.MAX_POSTINGS`; nothing scans every target. Postings are
grouped by weight (a group is scored in one call), a target's concepts carry their
weights, the targets a concept makes up are looked up by it, and only the hits that are
read are made.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import replace
from functools import cached_property
from typing import Protocol

from bot.core.answer import Answer, Code, Field, Text, Tone, UserText
from bot.core.errors import InvalidRequest
from bot.core.knowledge import MAX_LISTED, Knowledge
from bot.core.search_index import SearchIndex, vs
from bot.core.search_query import MIN_SCORE, Query, read
from bot.core.search_rank import Ranker, aspect_of, subject_of
from bot.core.search_targets import Hit, Kind, Target

log = logging.getLogger(__name__)

__all__ = [
    "MIN_SCORE",
    "NOT_SURE_TITLE",
    "SEE_ALSO",
    "UNCOVERED_TITLE",
    "Asker",
    "Hit",
    "Kind",
    "Target",
]

NOT_SURE_TITLE = "I'm not sure what you're asking"
"""Title of the answer to a question that matches nothing well enough."""

UNCOVERED_TITLE = "not something I know"
"""End of the title of the answer to a question about something of a methodology that
the content does not hold ('what is a sprint retrospective')."""

SEE_ALSO = "See also"
"""Name of the field listing the runner-ups as slash commands."""

TEXT_CANDIDATES = 64
"""Targets found by their text alone that are scored in full."""

MAX_NAMED = 4
"""Methodologies (and aspects) of one question considered for composed comparisons."""

ANSWER_CACHE = 256
"""Answers kept built, by target: some are large (the overview lists every phase)."""

MIN_SUPPORT = 2
"""Words of the question an answer must stand on when other words match nothing: one
word shared with the content ('design' in 'a design for my wedding invitations') is
not enough to tell it is asked about."""

_SEE_ALSO_SHARE = 0.4
"""A runner-up is suggested only when it scores at least this share of the best."""

_CELL = Kind.CELL  # (an enum's member is slower to reach by its class, in hot loops)

_WHOLE_SUBJECTS = (Kind.METHODOLOGY, Kind.TABLE)
"""Answers that show a subject whole: given for a question about a part of it that the
content does not hold, they would look like an answer to it."""


class Asker:
    """Answers free-text questions from the content. Build once per loaded content."""

    def __init__(self, knowledge: Knowledge) -> None:
        started = time.perf_counter()
        self.knowledge = knowledge
        self.catalog = knowledge.catalog
        self.index = SearchIndex(self.catalog)
        self._ranker = Ranker(self.index)
        self._answers: OrderedDict[Target, Answer] = OrderedDict()
        log.debug(
            "ask index: %d targets, %d terms, %d names in %.1f ms",
            len(self.index.targets),
            len(self.index.postings),
            len(self.index.phrases),
            (time.perf_counter() - started) * 1000,
        )

    # -- answering ------------------------------------------------------------------------

    def ask(self, question: str) -> Answer:
        """The best answer with up to two "see also" commands, or say it's not understood.

        Raises :class:`~bot.core.errors.InvalidRequest` for an empty question.
        """
        started = time.perf_counter()
        uncovered, hits = self._search(question)
        best = next(hits, None)
        if best is None:
            return self.not_sure(question)
        if uncovered and best.target.kind in _WHOLE_SUBJECTS:
            return self.uncovered(best.target, uncovered[0])
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
            see_also = Field(SEE_ALSO, coded("\n".join(lines)))
            answer = replace(answer, fields=(*answer.fields, see_also))
        log.debug(
            "ask %r -> %s (%.2f) in %.2f ms",
            question[:200],
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
        subjects = tuple(subject_of(table, key) for key in target.subjects)
        aspect = aspect_of(table, target.aspect) if target.aspect else None
        if target.kind is Kind.METHODOLOGY:
            return knowledge.methodology(subjects[0].key)
        if target.kind is Kind.CELL and aspect is not None:
            return knowledge.aspect_answer(table, subjects[0], aspect)
        return knowledge.comparison_answer(table, subjects, aspect)

    def not_sure(self, question: str) -> Answer:
        """The answer to a question nothing matches: what can be asked instead."""
        shown = " ".join(question.lstrip()[:200].split())
        if len(shown) > 80:
            shown = shown[:79] + "…"
        return Answer(
            title=NOT_SURE_TITLE,
            description=(
                "Nothing I know matches “",
                UserText(shown),
                "” well enough, so I won't guess. "
                "Try naming a phase, a methodology or an MLOps topic, or use a command.",
            ),
            fields=(self._can_answer,),
            tone=Tone.WARNING,
        )

    def uncovered(self, target: Target, asked: str) -> Answer:
        """The answer to a question about something of a methodology (or of MLOps vs
        DevOps) that the content does not hold: what it does hold for it."""
        table = self.catalog.content.table(target.table)
        if table is None:
            raise InvalidRequest(f"There is no table '{target.table}'.")
        if target.kind is Kind.METHODOLOGY:
            subject = subject_of(table, target.subjects[0])
            name = subject.name
            lines = [
                f"• {a.name} — `/methodology name:{subject.key} aspect:{a.key}`"
                for a in table.aspects[:MAX_LISTED]
            ]
            lines.append(f"• {name} beside another — `/compare first:{subject.key} second:<name>`")
        else:
            name = table.title
            lines = [f"• {a.name} — `/mlops aspect:{a.key}`" for a in table.aspects[:MAX_LISTED]]
        more = len(table.aspects) - MAX_LISTED
        if more > 0:
            lines.append(f"• …and {more:,} more")
        return Answer(
            title=f"{name} · {UNCOVERED_TITLE}",
            description=(
                f"What I know of {name} says nothing about “{asked}”, so I won't guess. "
                f"It covers {name} aspect by aspect:"
            ),
            fields=(Field("I can answer", coded("\n".join(lines))),),
            footer=table.title,
            tone=Tone.WARNING,
        )

    @cached_property
    def _can_answer(self) -> Field:
        """What can be asked, for :meth:`not_sure` (made once: it depends on the content)."""
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
            f"• {vs(mlops.subjects)}, whole or on one aspect "
            f"({_listing(mlops.aspects)}) — `/mlops`",
        ]
        return Field("I can answer", coded("\n".join(lines)))

    # -- ranking --------------------------------------------------------------------------

    def _search(self, question: str) -> tuple[tuple[str, ...], Iterator[Hit]]:
        """What ``question`` asks that the content does not hold, and its hits, best
        first, made as they are read (``ask`` reads three or so); none when it is not
        understood."""
        _require(question)
        query = read(self.index, question)
        return query.uncovered, self._hits(question, query)

    def _hits(self, question: str, query: Query) -> Iterator[Hit]:
        ranked, comparisons = self._ranker.rank(query)
        if (  # words of something else: the answer must stand on more than one word
            ranked
            and query.foreign
            and not query.context
            and self._ranker.support(ranked[0], comparisons, query) < MIN_SUPPORT
        ):
            log.debug("ask: %r is about something else", question[:200])
            return iter(())
        if not ranked or -ranked[0][0] < query.bar:
            best = -ranked[0][0] if ranked else 0.0
            log.debug(
                "ask: %r not understood (best %.2f, bar %.2f)", question[:200], best, query.bar
            )
            return iter(())
        return (self._ranker.hit(entry, comparisons) for entry in ranked)


# -- helpers ------------------------------------------------------------------------------


def _require(question: str) -> None:
    if not question or not question.strip():
        raise InvalidRequest(
            "Ask me a question, for example `/ask question:how flexible is waterfall?`"
        )


def coded(line: str) -> Text:
    """Text with its `backticked` commands as :class:`Code`."""
    return tuple(Code(part) if i % 2 else part for i, part in enumerate(line.split("`")) if part)


class _HasName(Protocol):
    @property
    def name(self) -> str: ...


def _listing(items: Sequence[_HasName], limit: int = 8) -> str:
    """The names of the first ``limit`` items, and how many more there are (not read)."""
    shown = ", ".join(item.name for item in items[:limit])
    more = len(items) - limit
    return shown + (f" and {more} more" if more > 0 else "")
