"""/project: each channel's SDLC phase, its checklist, history and who may change it."""

from __future__ import annotations

import time
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.errors import InvalidRequest
from bot.core.progress import MAX_NOTE_LENGTH
from bot.core.project import HISTORY_PAGE_SIZE, HistoryPage
from bot.discord.bot import PhaseBot
from bot.discord.context import bot_of, choices
from bot.discord.errors import NotAllowed, guarded, safe_autocomplete
from bot.discord.permissions import actor_of, require_editor, require_manager, scope_of
from bot.discord.respond import component_view, edit_answer, send_answer

Note = app_commands.Range[str, 1, MAX_NOTE_LENGTH]
RESET_SECONDS = 60


@app_commands.allowed_installs(guilds=True, users=True)
@app_commands.allowed_contexts(guilds=True, dms=True, private_channels=False)
class ProjectCog(
    commands.GroupCog, group_name="project", group_description="This channel's project phase."
):
    def __init__(self, bot: PhaseBot) -> None:
        self.bot = bot
        super().__init__()

    # -- reading --------------------------------------------------------------------------

    @app_commands.command(name="status", description="The project's phase, progress and checklist.")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        await send_answer(interaction, await self.bot.tracker.status(scope_of(interaction)))

    @app_commands.command(name="history", description="Who moved the project, when and why.")
    @app_commands.describe(limit="Entries per page (1-50, default 10)")
    async def history(
        self,
        interaction: discord.Interaction[Any],
        limit: app_commands.Range[int, 1, 50] = HISTORY_PAGE_SIZE,
    ) -> None:
        page = await self.bot.tracker.history_near(scope_of(interaction), limit)
        await send_answer(interaction, page.answer, view=history_view(page, limit))

    # -- changing -------------------------------------------------------------------------

    @app_commands.command(name="set", description="Move the project to a phase.")
    @app_commands.describe(phase="The phase to move to", note="Why (optional)")
    async def set(
        self, interaction: discord.Interaction[Any], phase: str, note: Note | None = None
    ) -> None:
        await require_editor(interaction, self.bot.tracker)
        answer = await self.bot.tracker.set(
            scope_of(interaction), actor_of(interaction), phase, note
        )
        await send_answer(interaction, answer)

    @set.autocomplete("phase")
    @safe_autocomplete
    async def phase_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return choices(self.bot.services.catalog.complete_phase(current))

    @app_commands.command(name="next", description="Move the project one phase forward.")
    @app_commands.describe(note="Why (optional)")
    async def next(self, interaction: discord.Interaction[Any], note: Note | None = None) -> None:
        await require_editor(interaction, self.bot.tracker)
        answer = await self.bot.tracker.next(scope_of(interaction), actor_of(interaction), note)
        await send_answer(interaction, answer)

    @app_commands.command(name="back", description="Move the project one phase back.")
    @app_commands.describe(note="Why (optional)")
    async def back(self, interaction: discord.Interaction[Any], note: Note | None = None) -> None:
        await require_editor(interaction, self.bot.tracker)
        answer = await self.bot.tracker.back(scope_of(interaction), actor_of(interaction), note)
        await send_answer(interaction, answer)

    @app_commands.command(
        name="check", description="Tick or untick an activity of the current phase."
    )
    @app_commands.describe(activity="An activity of the current phase")
    async def check(self, interaction: discord.Interaction[Any], activity: str) -> None:
        await require_editor(interaction, self.bot.tracker)
        answer = await self.bot.tracker.check(
            scope_of(interaction), actor_of(interaction), activity
        )
        await send_answer(interaction, answer)

    @check.autocomplete("activity")
    @safe_autocomplete
    async def activity_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        found = await self.bot.tracker.activity_choices(scope_of(interaction), current)
        return choices(found)

    @app_commands.command(
        name="methodology",
        description="Set the process model: Waterfall, Agile, Spiral or V-Model.",
    )
    @app_commands.describe(name="Waterfall (default), Agile, Spiral or V-Model")
    async def methodology(self, interaction: discord.Interaction[Any], name: str) -> None:
        await require_editor(interaction, self.bot.tracker)
        answer = await self.bot.tracker.methodology(
            scope_of(interaction), actor_of(interaction), name
        )
        await send_answer(interaction, answer)

    @methodology.autocomplete("name")
    @safe_autocomplete
    async def methodology_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        catalog = self.bot.services.catalog
        return choices(catalog.complete_subject(current, catalog.methodologies))

    @app_commands.command(
        name="reset", description="Clear this channel's phase, checklist and history (asks first)."
    )
    async def reset(self, interaction: discord.Interaction[Any]) -> None:
        require_manager(interaction, "Resetting the project")
        expires = int(time.time()) + RESET_SECONDS
        view = component_view(
            ResetButton("yes", interaction.user.id, expires),
            ResetButton("no", interaction.user.id, expires),
        )
        await interaction.response.send_message(
            f"Clear this channel's phase, checklist and history? This can't be undone. "
            f"Only {interaction.user.mention} can confirm, within {RESET_SECONDS} seconds.",
            view=view,
        )

    @app_commands.command(
        name="editor-role", description="Set the role whose members may change phases here."
    )
    @app_commands.describe(
        role="Members of this role may change phases", clear="Remove the editor role"
    )
    async def editor_role(
        self,
        interaction: discord.Interaction[Any],
        role: discord.Role | None = None,
        clear: bool | None = None,
    ) -> None:
        if interaction.guild_id is None:
            raise InvalidRequest(
                "Editor roles exist only in servers; in a DM the progress is yours."
            )
        require_manager(interaction, "Setting the editor role")
        if (role is None) == (not clear):
            raise InvalidRequest(
                "Give either `role:` to set the editor role or `clear:true` to remove it."
            )
        role_id = None if clear else role.id if role else None
        answer = await self.bot.tracker.set_editor_role(
            interaction.guild_id, role_id, actor_of(interaction)
        )
        await send_answer(interaction, answer)


# -- components ---------------------------------------------------------------------------


class HistoryPageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"pb:hist:(?P<way>older|newer):(?P<anchor>\d+):(?P<size>\d+)",
):
    """◀ / ▶ under /project history: the page just newer or older than an event shown."""

    def __init__(self, way: str, anchor: int, size: int, disabled: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label="◀ Newer" if way == "newer" else "Older ▶",
                style=discord.ButtonStyle.secondary,
                custom_id=f"pb:hist:{way}:{anchor}:{size}",
                disabled=disabled,
            )
        )
        self.way, self.anchor, self.size = way, anchor, size

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any, /
    ) -> HistoryPageButton:
        return cls(match["way"], int(match["anchor"]), int(match["size"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        async def work() -> None:
            size = min(max(self.size, 1), 50)
            tracker = bot_of(interaction).tracker
            if self.way == "older":
                page = await tracker.history_near(
                    scope_of(interaction), size, older_than=self.anchor
                )
            else:
                page = await tracker.history_near(
                    scope_of(interaction), size, newer_than=self.anchor
                )
            await edit_answer(interaction, page.answer, view=history_view(page, size))

        await guarded(interaction, work)


def history_view(page: HistoryPage, size: int) -> discord.ui.View | None:
    if page.newest_id is None or page.oldest_id is None or page.pages <= 1:
        return None
    return component_view(
        HistoryPageButton("newer", page.newest_id, size, disabled=not page.has_newer),
        HistoryPageButton("older", page.oldest_id, size, disabled=not page.has_older),
    )


class ResetButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"pb:reset:(?P<answer>yes|no):(?P<user>\d+):(?P<expires>\d+)",
):
    """Confirm or cancel a reset: only the asker may press it, and only until it expires."""

    def __init__(self, answer: str, user_id: int, expires: int) -> None:
        yes = answer == "yes"
        super().__init__(
            discord.ui.Button(
                label="Yes, clear it" if yes else "Cancel",
                style=discord.ButtonStyle.danger if yes else discord.ButtonStyle.secondary,
                custom_id=f"pb:reset:{answer}:{user_id}:{expires}",
            )
        )
        self.answer, self.user_id, self.expires = answer, user_id, expires

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any, /
    ) -> ResetButton:
        return cls(match["answer"], int(match["user"]), int(match["expires"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await guarded(interaction, lambda: self._decide(interaction))

    async def _decide(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.user.id != self.user_id:
            raise NotAllowed(f"Only <@{self.user_id}>, who asked for the reset, can answer this.")
        if time.time() > self.expires:
            await interaction.response.edit_message(
                content="This reset request expired. Nothing was cleared.", view=None
            )
            return
        if self.answer != "yes":
            await interaction.response.edit_message(
                content="Reset cancelled. Nothing was cleared.", view=None
            )
            return
        require_manager(interaction, "Resetting the project")
        answer = await bot_of(interaction).tracker.reset(
            scope_of(interaction), actor_of(interaction)
        )
        await edit_answer(interaction, answer, view=None)


async def set_phase_from_button(interaction: discord.Interaction[Any], key: str) -> None:
    """The "Set as this channel's phase" button under /phase, under /project set's rules."""
    bot = bot_of(interaction)
    scope = scope_of(interaction)
    await require_editor(interaction, bot.tracker)
    answer = await bot.tracker.set(scope, actor_of(interaction), key)
    await send_answer(interaction, answer)


async def setup(bot: PhaseBot) -> None:
    bot.add_dynamic_items(HistoryPageButton, ResetButton)
    await bot.add_cog(ProjectCog(bot))
