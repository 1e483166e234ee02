"""Answers to Discord embeds, within Discord's limits, never cutting text silently.

:func:`plan_messages` splits an :class:`~bot.core.answer.Answer` into messages of
embeds as plain :class:`EmbedSpec` data (testable without Discord);
:func:`render_messages` turns those into :class:`discord.Embed` objects.
Long text is split at line breaks (or spaces, or, for one huge word, anywhere)
and continued in further fields, embeds or messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

import discord

from bot.core.answer import (
    DESCRIPTION_LIMIT,
    FIELD_COUNT_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    MESSAGE_TOTAL_LIMIT,
    TITLE_LIMIT,
    Answer,
    Tone,
)

EMBEDS_PER_MESSAGE = 10

COLOURS = {
    Tone.INFO: 0x5865F2,
    Tone.SUCCESS: 0x57F287,
    Tone.WARNING: 0xFEE75C,
    Tone.ERROR: 0xED4245,
}


@dataclass(slots=True)
class FieldSpec:
    name: str
    value: str
    inline: bool = False


@dataclass(slots=True)
class EmbedSpec:
    title: str = ""
    description: str = ""
    fields: list[FieldSpec] = field(default_factory=list)
    footer: str = ""

    def size(self) -> int:
        return (
            len(self.title)
            + len(self.description)
            + len(self.footer)
            + sum(len(f.name) + len(f.value) for f in self.fields)
        )


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters, at lines, then spaces."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest:
        chunks.append(rest)
    return [c for c in chunks if c]


def plan_messages(answer: Answer) -> list[list[EmbedSpec]]:
    """The answer as messages of embeds, each within every Discord limit."""
    return list(iter_messages(answer))


def iter_messages(answer: Answer) -> Iterator[list[EmbedSpec]]:
    """:func:`plan_messages` one message at a time, planned only as far as it is read:
    showing the first few messages of a huge answer costs what they do, not the rest."""
    title, description = answer.title, answer.description
    if len(title) > TITLE_LIMIT:
        # The full title goes first in the description; the title is marked as shortened.
        description = f"**{title}**\n\n{description}".strip()
        title = title[: TITLE_LIMIT - 1] + "…"
    message: list[EmbedSpec] = []
    total = 0
    for embed in _embeds(answer, title, description):
        size = embed.size()
        if message and (total + size > MESSAGE_TOTAL_LIMIT or len(message) >= EMBEDS_PER_MESSAGE):
            yield message
            message = []
            total = 0
        message.append(embed)
        total += size
    yield message


def _embeds(answer: Answer, title: str, description: str) -> Iterator[EmbedSpec]:
    """The answer's embeds, in order, each yielded once it is complete."""
    chunks = split_text(description, DESCRIPTION_LIMIT) if description else [""]
    for i, chunk in enumerate(chunks[:-1]):
        yield EmbedSpec(title=title if i == 0 else "", description=chunk)
    current = EmbedSpec(title=title if len(chunks) == 1 else "", description=chunks[-1])
    size = current.size()  # kept as a running total: long tables have many fields
    for spec in _fields(answer):
        added = _field_size(spec)
        if len(current.fields) >= FIELD_COUNT_LIMIT or size + added > MESSAGE_TOTAL_LIMIT:
            yield current
            current = EmbedSpec(title=f"{title} (continued)"[:TITLE_LIMIT] if title else "")
            size = current.size()
        current.fields.append(spec)
        size += added

    footer = answer.footer
    if len(footer) > FOOTER_LIMIT:
        yield current
        current = EmbedSpec(description=footer)
        footer = ""
    if current.size() + len(footer) > MESSAGE_TOTAL_LIMIT:
        yield current
        current = EmbedSpec()
    current.footer = footer
    yield current


def _fields(answer: Answer) -> Iterator[FieldSpec]:
    """The answer's fields, long names and values split to fit."""
    for f in answer.fields:
        name = f.name
        if len(name) > FIELD_NAME_LIMIT:
            yield FieldSpec(name[: FIELD_NAME_LIMIT - 1] + "…", name, False)
            name = "\u200b"
        for j, chunk in enumerate(split_text(f.value or "\u200b", FIELD_VALUE_LIMIT)):
            yield FieldSpec(
                name if j == 0 else f"{name} (continued)"[:FIELD_NAME_LIMIT], chunk, f.inline
            )


def _field_size(spec: FieldSpec) -> int:
    return len(spec.name) + len(spec.value)


def to_embed(spec: EmbedSpec, tone: Tone) -> discord.Embed:
    embed = discord.Embed(
        title=spec.title or None,
        description=spec.description or None,
        colour=COLOURS[tone],
    )
    for f in spec.fields:
        embed.add_field(name=f.name, value=f.value, inline=f.inline)
    if spec.footer:
        embed.set_footer(text=spec.footer)
    return embed


def render_messages(answer: Answer, limit: int | None = None) -> list[list[discord.Embed]]:
    """Embeds for each message the answer needs (usually one message, one embed); with
    ``limit``, for its first ``limit`` messages only."""
    return [
        [to_embed(spec, answer.tone) for spec in message]
        for message in islice(iter_messages(answer), limit)
    ]
