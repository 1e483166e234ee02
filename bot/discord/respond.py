"""Sending answers: public by default, split over several messages when needed."""

from __future__ import annotations

from typing import Any

import discord

from bot.core.answer import Answer
from bot.discord.render import render_messages

MAX_MESSAGES = 5
"""An answer longer than this many messages (only with very large content packs) is
shown in part, with a note saying so and how to narrow it, instead of flooding the chat."""


def _messages(answer: Answer) -> tuple[list[list[discord.Embed]], str | None]:
    """The messages to send, and a note when the answer is longer than chat should take.
    Only what can be shown is planned and rendered (and one more message, to know)."""
    messages = render_messages(answer, limit=MAX_MESSAGES + 1)
    if len(messages) <= MAX_MESSAGES:
        return messages, None
    shown = messages[: MAX_MESSAGES - 1]
    note = (
        f"This answer is too long for chat: showing its first {len(shown)} parts. "
        "Narrow it down, e.g. with an `aspect:` or a single phase."
    )
    return shown, note


async def send_answer(
    interaction: discord.Interaction[Any],
    answer: Answer,
    *,
    view: discord.ui.View | None = None,
    ephemeral: bool = False,
) -> None:
    """Reply with the answer; the view goes under the first message."""
    messages, note = _messages(answer)
    first, *rest = messages
    kwargs: dict[str, Any] = {"embeds": first, "ephemeral": ephemeral}
    if view is not None:
        kwargs["view"] = view
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)
    for embeds in rest:
        await interaction.followup.send(embeds=embeds, ephemeral=ephemeral)
    if note is not None:
        await interaction.followup.send(note, ephemeral=ephemeral)


async def edit_answer(
    interaction: discord.Interaction[Any], answer: Answer, *, view: discord.ui.View | None
) -> None:
    """Replace the message a component was clicked on with a new answer (and no text)."""
    messages, note = _messages(answer)
    first, *rest = messages
    await interaction.response.edit_message(content=None, embeds=first, view=view)
    for embeds in rest:
        await interaction.followup.send(embeds=embeds)
    if note is not None:
        await interaction.followup.send(note)


def component_view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    """A view that holds persistent (dynamic) items and never times out."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view
