"""Answers as Discord messages: markdown, embeds within Discord's limits, components.

:func:`markdown` writes structured text in Discord's markup (words users wrote are
escaped, so a note can't format, spoil or ping). :func:`iter_messages` splits an
answer into messages of embeds (as plain :class:`EmbedSpec` data), never cutting text
silently: long text is split at line breaks (or spaces, or, for one huge word,
anywhere) and continued in further fields, embeds or messages. :func:`view_of` turns an
answer's actions into buttons and selects whose ``custom_id`` is the action id.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import discord

from bot.core.answer import (
    Answer,
    Bold,
    Button,
    ChannelMention,
    Code,
    Inline,
    Mention,
    Menu,
    RoleMention,
    Style,
    Text,
    Time,
    Tone,
    UserText,
    render,
    split_text,
)
from bot.core.progress import clip
from bot.discord import limits

COLOURS = {
    Tone.INFO: 0x5865F2,
    Tone.SUCCESS: 0x57F287,
    Tone.WARNING: 0xFEE75C,
    Tone.ERROR: 0xED4245,
}
STYLES = {
    Style.PRIMARY: discord.ButtonStyle.primary,
    Style.SECONDARY: discord.ButtonStyle.secondary,
    Style.DANGER: discord.ButtonStyle.danger,
}


def markdown(value: str | Text) -> str:
    return render(value, _inline)


def _inline(piece: Inline) -> str:
    match piece:
        case str():
            return piece
        case Bold(words):
            return f"**{words}**"
        case Code(words):
            return f"`{words}`"
        case Mention(user_id, _):
            return f"<@{user_id}>"
        case RoleMention(role_id):
            return f"<@&{role_id}>"
        case ChannelMention(channel_id, _):
            return f"<#{channel_id}>"
        case Time(moment, style):
            return f"<t:{int(moment.timestamp())}:{style}>"
        case UserText(words):
            # escape_markdown leaves "<" alone: "\<" keeps <@&id>, <#id>, <t:…> as typed.
            escaped = discord.utils.escape_mentions(discord.utils.escape_markdown(words))
            return escaped.replace("<", "\\<")
    raise TypeError(piece)


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


def iter_messages(answer: Answer) -> Iterator[list[EmbedSpec]]:
    """The answer as messages of embeds, each within every Discord limit, planned only
    as far as it is read: the first few messages of a huge answer cost what they do."""
    title, description = answer.title, markdown(answer.description)
    if len(title) > limits.TITLE:
        # The full title goes first in the description; the title is marked as shortened.
        description = f"**{title}**\n\n{description}".strip()
        title = title[: limits.TITLE - 1] + "…"
    message: list[EmbedSpec] = []
    total = 0
    for embed in _embeds(answer, title, description):
        size = embed.size()
        if message and (
            total + size > limits.MESSAGE_TOTAL or len(message) >= limits.EMBEDS_PER_MESSAGE
        ):
            yield message
            message = []
            total = 0
        message.append(embed)
        total += size
    yield message


def _embeds(answer: Answer, title: str, description: str) -> Iterator[EmbedSpec]:
    """The answer's embeds, in order, each yielded once it is complete."""
    chunks = split_text(description, limits.DESCRIPTION) if description else [""]
    for i, chunk in enumerate(chunks[:-1]):
        yield EmbedSpec(title=title if i == 0 else "", description=chunk)
    current = EmbedSpec(title=title if len(chunks) == 1 else "", description=chunks[-1])
    size = current.size()  # kept as a running total: long tables have many fields
    for spec in _fields(answer):
        added = len(spec.name) + len(spec.value)
        if len(current.fields) >= limits.FIELDS or size + added > limits.MESSAGE_TOTAL:
            yield current
            current = EmbedSpec(title=f"{title} (continued)"[: limits.TITLE] if title else "")
            size = current.size()
        current.fields.append(spec)
        size += added
    footer = answer.footer
    if len(footer) > limits.FOOTER:
        yield current
        current = EmbedSpec(description=footer)
        footer = ""
    if current.size() + len(footer) > limits.MESSAGE_TOTAL:
        yield current
        current = EmbedSpec()
    current.footer = footer
    yield current


def _fields(answer: Answer) -> Iterator[FieldSpec]:
    """The answer's fields, long names and values split to fit."""
    for f in answer.fields:
        name = f.name
        if len(name) > limits.FIELD_NAME:
            yield FieldSpec(name[: limits.FIELD_NAME - 1] + "…", name, False)
            name = "\u200b"
        for j, chunk in enumerate(split_text(markdown(f.value) or "\u200b", limits.FIELD_VALUE)):
            yield FieldSpec(
                name if j == 0 else f"{name} (continued)"[: limits.FIELD_NAME], chunk, f.inline
            )


def to_embed(spec: EmbedSpec, tone: Tone) -> discord.Embed:
    embed = discord.Embed(
        title=spec.title or None, description=spec.description or None, colour=COLOURS[tone]
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


# -- components ------------------------------------------------------------------------------


class ActionItem(discord.ui.DynamicItem[discord.ui.Item[Any]], template=r"pb:.*"):
    """Any button or select of phasebot's: its custom_id is the core's action id, so a
    click on a message sent before a restart still works. Registered once with
    ``bot.add_dynamic_items``; the bot hands clicks to the core's runner."""

    def __init__(self, item: discord.ui.Item[Any]) -> None:
        super().__init__(item)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any, /
    ) -> ActionItem:
        return cls(item)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        values = list(getattr(self.item, "values", None) or [])
        await interaction.client.click(interaction, self.custom_id, values)  # type: ignore[attr-defined]


def view_of(answer: Answer) -> discord.ui.View | None:
    """The answer's buttons and menus, as far as Discord takes them (a menu with more
    options than a select holds, or an id longer than a custom_id, is left out)."""
    items: list[discord.ui.Item[Any]] = []
    for action in answer.actions:
        if len(action.action) > limits.CUSTOM_ID:
            continue
        if isinstance(action, Button):
            items.append(
                discord.ui.Button(
                    label=clip(action.label, limits.BUTTON_LABEL),
                    style=STYLES[action.style],
                    custom_id=action.action,
                    disabled=action.disabled,
                )
            )
        elif isinstance(action, Menu) and len(action.options) <= limits.SELECT_OPTIONS:
            options = [
                discord.SelectOption(
                    label=clip(o.label, limits.SELECT_LABEL), value=o.value, default=o.default
                )
                for o in action.options
            ]
            items.append(
                discord.ui.Select(
                    custom_id=action.action, placeholder=action.placeholder, options=options
                )
            )
    if not items:
        return None
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(ActionItem(item))
    return view
