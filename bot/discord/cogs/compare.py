"""/compare: two methodologies (or MLOps and DevOps) side by side, with an aspect picker."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import PhasebotError
from bot.discord.bot import PhaseBot
from bot.discord.components import AspectSelect, compare_view
from bot.discord.context import choices, everywhere
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
    async def first_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return choices(self.bot.services.catalog.complete_subject(current))

    @compare.autocomplete("second")
    async def second_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        catalog = self.bot.services.catalog
        table = _table_of(self.bot, interaction.namespace.first)
        found = catalog.complete_subject(current, table)
        first = str(interaction.namespace.first or "")
        return choices([c for c in found if c.value != first])

    @compare.autocomplete("aspect")
    async def aspect_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        catalog = self.bot.services.catalog
        table = _table_of(self.bot, interaction.namespace.first) or catalog.methodologies
        return choices(catalog.complete_aspect(table, current))


def _table_of(bot: PhaseBot, first: object) -> Any:
    """The table the already-typed ``first`` belongs to, if it names one."""
    if not first:
        return None
    catalog = bot.services.catalog
    try:
        return catalog.table_of(catalog.subject(str(first)))
    except PhasebotError:
        return None


async def setup(bot: PhaseBot) -> None:
    bot.add_dynamic_items(AspectSelect)
    await bot.add_cog(CompareCog(bot))
