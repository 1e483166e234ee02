"""Sending answers: public by default, split over several messages when needed."""

from __future__ import annotations

from typing import Any

import discord

from bot.core.answer import Answer
from bot.discord.render import render_messages


async def send_answer(
    interaction: discord.Interaction[Any],
    answer: Answer,
    *,
    view: discord.ui.View | None = None,
    ephemeral: bool = False,
) -> None:
    """Reply with the answer; the view goes under the first message."""
    first, *rest = render_messages(answer)
    kwargs: dict[str, Any] = {"embeds": first, "ephemeral": ephemeral}
    if view is not None:
        kwargs["view"] = view
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)
    for embeds in rest:
        await interaction.followup.send(embeds=embeds, ephemeral=ephemeral)


async def edit_answer(
    interaction: discord.Interaction[Any], answer: Answer, *, view: discord.ui.View | None
) -> None:
    """Replace the message a component was clicked on with a new answer (and no text)."""
    first, *rest = render_messages(answer)
    await interaction.response.edit_message(content=None, embeds=first, view=view)
    for embeds in rest:
        await interaction.followup.send(embeds=embeds)


def component_view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    """A view that holds persistent (dynamic) items and never times out."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view
