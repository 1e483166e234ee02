"""Answers to Discord embeds, within Discord's limits, never cutting text silently.

:func:`plan_messages` splits an :class:`~bot.core.answer.Answer` into messages of
embeds as plain :class:`EmbedSpec` data (testable without Discord);
:func:`render_messages` turns those into :class:`discord.Embed` objects.
Long text is split at line breaks (or spaces, or, for one huge word, anywhere)
and continued in further fields, embeds or messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    title, description = answer.title, answer.description
    if len(title) > TITLE_LIMIT:
        # The full title goes first in the description; the title is marked as shortened.
        description = f"**{title}**\n\n{description}".strip()
        title = title[: TITLE_LIMIT - 1] + "…"

    embeds: list[EmbedSpec] = []
    for i, chunk in enumerate(split_text(description, DESCRIPTION_LIMIT) if description else [""]):
        embeds.append(EmbedSpec(title=title if i == 0 else "", description=chunk))

    fields: list[FieldSpec] = []
    for f in answer.fields:
        name = f.name
        if len(name) > FIELD_NAME_LIMIT:
            fields.append(FieldSpec(name[: FIELD_NAME_LIMIT - 1] + "…", name, False))
            name = "\u200b"
        for j, chunk in enumerate(split_text(f.value or "\u200b", FIELD_VALUE_LIMIT)):
            fields.append(
                FieldSpec(
                    name if j == 0 else f"{name} (continued)"[:FIELD_NAME_LIMIT], chunk, f.inline
                )
            )

    current = embeds[-1]
    size = current.size()  # kept as a running total: long tables have many fields
    for spec in fields:
        added = _field_size(spec)
        if len(current.fields) >= FIELD_COUNT_LIMIT or size + added > MESSAGE_TOTAL_LIMIT:
            current = EmbedSpec(title=f"{title} (continued)"[:TITLE_LIMIT] if title else "")
            embeds.append(current)
            size = current.size()
        current.fields.append(spec)
        size += added

    footer = answer.footer
    if len(footer) > FOOTER_LIMIT:
        embeds.append(EmbedSpec(description=footer))
        footer = ""
    if embeds[-1].size() + len(footer) > MESSAGE_TOTAL_LIMIT:
        embeds.append(EmbedSpec())
    embeds[-1].footer = footer

    messages: list[list[EmbedSpec]] = [[]]
    total = 0
    for embed in embeds:
        size = embed.size()
        if messages[-1] and (
            total + size > MESSAGE_TOTAL_LIMIT or len(messages[-1]) >= EMBEDS_PER_MESSAGE
        ):
            messages.append([])
            total = 0
        messages[-1].append(embed)
        total += size
    return messages


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


def render_messages(answer: Answer) -> list[list[discord.Embed]]:
    """Embeds for each message the answer needs (usually one message, one embed)."""
    return [[to_embed(spec, answer.tone) for spec in message] for message in plan_messages(answer)]
