"""Buttons and selects that keep working after a restart.

Each is a :class:`discord.ui.DynamicItem`: its state lives in its ``custom_id``,
so any running bot can handle a click on a message an earlier process sent.
Register them with ``bot.add_dynamic_items`` (the cogs do, in ``setup``).
"""

from __future__ import annotations

from typing import Any

import discord

from bot.core.models import Phase
from bot.discord.context import bot_of
from bot.discord.errors import guarded
from bot.discord.permissions import tracks_projects
from bot.discord.respond import component_view, edit_answer

ALL_ASPECTS = "*"
CUSTOM_ID_LIMIT = 100
"""Discord's limit on a component's custom_id."""
KEY = r"[a-z0-9]+(?:-[a-z0-9]+)*"


class PhaseNav(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"pb:phase:(?P<key>{KEY})"
):
    """◀ / ▶ on a /phase answer: show another phase in the same message."""

    def __init__(self, key: str, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80], style=discord.ButtonStyle.secondary, custom_id=f"pb:phase:{key}"
            )
        )
        self.key = key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any, /
    ) -> PhaseNav:
        return cls(match["key"], getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def work() -> None:
            bot = bot_of(interaction)
            phase = bot.services.catalog.phase_by_key(self.key)
            answer = bot.services.knowledge.phase_answer(phase)
            await edit_answer(interaction, answer, view=phase_view(interaction, phase))

        await guarded(interaction, work)


class SetPhaseButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"pb:setphase:(?P<key>{KEY})"
):
    """ "Set as this channel's phase" under a /phase answer; same rules as /project set."""

    def __init__(self, key: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Set as this channel's phase",
                style=discord.ButtonStyle.primary,
                custom_id=f"pb:setphase:{key}",
            )
        )
        self.key = key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any, /
    ) -> SetPhaseButton:
        return cls(match["key"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        from bot.discord.cogs.project import set_phase_from_button

        await guarded(interaction, lambda: set_phase_from_button(interaction, self.key))


def phase_view(interaction: discord.Interaction[Any], phase: Phase) -> discord.ui.View:
    catalog = bot_of(interaction).services.catalog
    before, after = catalog.neighbours(phase)
    items: list[discord.ui.Item[Any]] = []
    if before is not None:
        items.append(PhaseNav(before.key, f"◀ {before.number} · {before.name}"))
    if after is not None:
        items.append(PhaseNav(after.key, f"{after.number} · {after.name} ▶"))
    if tracks_projects(interaction):
        items.append(SetPhaseButton(phase.key))
    return component_view(*items)


class AspectSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=rf"pb:cmp:(?P<first>{KEY}):(?P<second>{KEY})",
):
    """The select under a comparison: switch to one aspect, or back to all."""

    def __init__(self, first: str, second: str, options: list[discord.SelectOption]) -> None:
        super().__init__(
            discord.ui.Select(
                custom_id=f"pb:cmp:{first}:{second}",
                placeholder="Show one aspect…",
                options=options,
            )
        )
        self.first, self.second = first, second

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any, /
    ) -> AspectSelect:
        return cls(match["first"], match["second"], list(getattr(item, "options", [])))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def work() -> None:
            picked = self.item.values[0] if self.item.values else ALL_ASPECTS
            aspect = None if picked == ALL_ASPECTS else picked
            knowledge = bot_of(interaction).services.knowledge
            answer = knowledge.compare(self.first, self.second, aspect)
            view = compare_view(interaction, self.first, self.second, aspect)
            await edit_answer(interaction, answer, view=view)

        await guarded(interaction, work)


def compare_view(
    interaction: discord.Interaction[Any], first: str, second: str, aspect: str | None
) -> discord.ui.View | None:
    """A select of the table's aspects (when they fit in one select menu)."""
    catalog = bot_of(interaction).services.catalog
    subject = catalog.subject(first)
    table = catalog.table_of(subject)
    if len(table.aspects) > 24:
        return None
    chosen = catalog.aspect(table, aspect).key if aspect else ALL_ASPECTS
    options = [
        discord.SelectOption(label="All aspects", value=ALL_ASPECTS, default=chosen == ALL_ASPECTS)
    ]
    options += [
        discord.SelectOption(label=a.name[:100], value=a.key, default=a.key == chosen)
        for a in table.aspects
    ]
    custom_id = f"pb:cmp:{subject.key}:{catalog.subject(second).key}"
    if len(custom_id) > CUSTOM_ID_LIMIT:  # very long keys in a team's own content
        return None
    _, _, first_key, second_key = custom_id.split(":")
    return component_view(AspectSelect(first_key, second_key, options))


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    PhaseNav,
    SetPhaseButton,
    AspectSelect,
)
