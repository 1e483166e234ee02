"""/compare: two methodologies (or MLOps and DevOps) side by side, with an aspect picker."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import PhasebotError
from bot.core.models import Subject
from bot.discord.bot import PhaseBot
from bot.discord.components import AspectSelect, compare_view
from bot.discord.context import choices, everywhere
from bot.discord.errors import safe_autocomplete
from bot.discord.respond import send_answer


class CompareCog(commands.Cog):
    def __init__(self, bot: PhaseBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="compare", description="Compare two methodologies, or MLOps and DevOps."
    )
    @app_commands.describe(
        first="Waterfall, Agile, Spiral, V-Model, MLOps or DevOps",
        second="Another from the same table",
        aspect="Only this aspect, e.g. testing or flexibility",
    )
    @everywhere
    async def compare(
        self,
        interaction: discord.Interaction[Any],
        first: str,
        second: str,
        aspect: str | None = None,
    ) -> None:
        answer = self.bot.services.knowledge.compare(first, second, aspect)
        view = compare_view(interaction, first, second, aspect)
        await send_answer(interaction, answer, view=view)

    @compare.autocomplete("first")
    @safe_autocomplete
    async def first_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return choices(self.bot.services.catalog.complete_subject(current))

    @compare.autocomplete("second")
    @safe_autocomplete
    async def second_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        catalog = self.bot.services.catalog
        first = _subject_of(self.bot, interaction.namespace.first)
        table = catalog.table_of(first) if first else None
        found = catalog.complete_subject(current, table)
        return choices([c for c in found if first is None or c.value != first.key])

    @compare.autocomplete("aspect")
    @safe_autocomplete
    async def aspect_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        catalog = self.bot.services.catalog
        first = _subject_of(self.bot, interaction.namespace.first)
        table = catalog.table_of(first) if first else catalog.methodologies
        return choices(catalog.complete_aspect(table, current))


def _subject_of(bot: PhaseBot, typed: object) -> Subject | None:
    """What the already-typed ``first`` option names, if anything."""
    if not typed:
        return None
    try:
        return bot.services.catalog.subject(str(typed))
    except PhasebotError:
        return None


async def setup(bot: PhaseBot) -> None:
    bot.add_dynamic_items(AspectSelect)
    await bot.add_cog(CompareCog(bot))
