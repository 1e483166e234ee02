"""Sending answers: public by default, split over several messages when needed."""

from __future__ import annotations

import gzip
import io
from collections.abc import Awaitable
from typing import Any

import discord

from bot.core.answer import MAX_MESSAGES, Answer, too_long_note
from bot.core.progress import clip
from bot.core.runner import KEPT
from bot.discord import limits
from bot.discord.render import markdown, render_messages, view_of

_RENDERED: dict[int, tuple[Answer, list[list[discord.Embed]], str | None]] = {}
"""By answer id, least recently used first."""


def _messages(answer: Answer, kept: bool = False) -> tuple[list[list[discord.Embed]], str | None]:
    """The messages to send, and a note when the answer is longer than chat should take.
    Only what can be shown is planned and rendered (and one more message, to know).
    A ``kept`` answer (one the runner hands out again: ``SAME_ANSWER``) keeps its
    messages too, for as many as the runner keeps."""
    found = _RENDERED.pop(id(answer), None)
    if found is not None and found[0] is answer:
        _RENDERED[id(answer)] = found
        return found[1], found[2]
    messages = render_messages(answer, limit=MAX_MESSAGES + 1)
    note = None
    if len(messages) > MAX_MESSAGES:
        messages = messages[: MAX_MESSAGES - 1]
        note = too_long_note(len(messages))
    if kept and answer.file is None:  # (an image's embed is changed to show it)
        if len(_RENDERED) >= KEPT:
            del _RENDERED[next(iter(_RENDERED))]
        _RENDERED[id(answer)] = (answer, messages, note)
    return messages, note


async def respond(
    interaction: discord.Interaction[Any],
    answer: Answer,
    *,
    ephemeral: bool = False,
    kept: bool = False,
) -> None:
    """Answer an interaction: a new message, or in place of the message whose button or
    menu was used (``answer.replaces``); buttons and menus go under the first message.
    ``kept``: the runner may hand out this very answer again (its messages are kept)."""
    view = view_of(answer)
    if answer.plain:
        content = clip(markdown(answer.description), limits.CONTENT)
        if answer.replaces:
            await _edit(interaction, content=content, embeds=[], view=view)
        else:
            await _send(interaction, content=content, view=view, ephemeral=ephemeral)
        return
    messages, note = _messages(answer, kept)
    first, *rest = messages
    if answer.file is not None and answer.file.mime.startswith("image/"):
        first[0].set_image(url=f"attachment://{answer.file.name}")
    if answer.replaces:
        await _edit(interaction, content=None, embeds=first, view=view)
    else:
        files = [_file(answer)] if answer.file is not None else []
        await _send(interaction, embeds=first, view=view, files=files, ephemeral=ephemeral)
    for embeds in rest:
        await interaction.followup.send(embeds=embeds, ephemeral=ephemeral)
    if note is not None:
        await interaction.followup.send(note, ephemeral=ephemeral)


def _send(interaction: discord.Interaction[Any], **kwargs: Any) -> Awaitable[Any]:
    """The first message's sending, to be awaited (not a coroutine of its own: each one
    awaited in between is one more frame to resume at every step of the HTTP request)."""
    kwargs = {k: v for k, v in kwargs.items() if v is not None and v != []}
    if interaction.response.is_done():
        return interaction.followup.send(**kwargs)
    return interaction.response.send_message(**kwargs)


def _edit(interaction: discord.Interaction[Any], **kwargs: Any) -> Awaitable[Any]:
    """Replace the clicked message: in the response, or, once a slow click was deferred,
    by editing it."""
    if interaction.response.is_done():
        return interaction.edit_original_response(**kwargs)
    return interaction.response.edit_message(**kwargs)


def _file(answer: Answer) -> discord.File:
    """The answer's file; gzipped if it is over Discord's limit (an export of a very long
    history), which any spreadsheet or editor opens after a double-click."""
    assert answer.file is not None
    data, name = answer.file.data, answer.file.name
    if len(data) > limits.ATTACHMENT:
        data, name = gzip.compress(data), name + ".gz"
    return discord.File(io.BytesIO(data), filename=name)
