"""Sending answers: public by default, split over several messages when needed."""

from __future__ import annotations

import gzip
import io
from typing import Any

import discord

from bot.core.answer import MAX_MESSAGES, Answer, too_long_note
from bot.core.progress import clip
from bot.discord import limits
from bot.discord.render import markdown, render_messages, view_of


def _messages(answer: Answer) -> tuple[list[list[discord.Embed]], str | None]:
    """The messages to send, and a note when the answer is longer than chat should take.
    Only what can be shown is planned and rendered (and one more message, to know)."""
    messages = render_messages(answer, limit=MAX_MESSAGES + 1)
    if len(messages) <= MAX_MESSAGES:
        return messages, None
    shown = messages[: MAX_MESSAGES - 1]
    return shown, too_long_note(len(shown))


async def respond(
    interaction: discord.Interaction[Any], answer: Answer, *, ephemeral: bool = False
) -> None:
    """Answer an interaction: a new message, or in place of the message whose button or
    menu was used (``answer.replaces``); buttons and menus go under the first message."""
    view = view_of(answer)
    if answer.plain:
        content = clip(markdown(answer.description), limits.CONTENT)
        if answer.replaces:
            await interaction.response.edit_message(content=content, embeds=[], view=view)
        else:
            await _send(interaction, content=content, view=view, ephemeral=ephemeral)
        return
    messages, note = _messages(answer)
    first, *rest = messages
    if answer.file is not None and answer.file.mime.startswith("image/"):
        first[0].set_image(url=f"attachment://{answer.file.name}")
    if answer.replaces:
        await interaction.response.edit_message(content=None, embeds=first, view=view)
    else:
        files = [_file(answer)] if answer.file is not None else []
        await _send(interaction, embeds=first, view=view, files=files, ephemeral=ephemeral)
    for embeds in rest:
        await interaction.followup.send(embeds=embeds, ephemeral=ephemeral)
    if note is not None:
        await interaction.followup.send(note, ephemeral=ephemeral)


async def _send(interaction: discord.Interaction[Any], **kwargs: Any) -> None:
    kwargs = {k: v for k, v in kwargs.items() if v is not None and v != []}
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


def _file(answer: Answer) -> discord.File:
    """The answer's file; gzipped if it is over Discord's limit (an export of a very long
    history), which any spreadsheet or editor opens after a double-click."""
    assert answer.file is not None
    data, name = answer.file.data, answer.file.name
    if len(data) > limits.ATTACHMENT:
        data, name = gzip.compress(data), name + ".gz"
    return discord.File(io.BytesIO(data), filename=name)
