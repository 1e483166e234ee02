"""What the bot posts on its own in other channels: announcements of moves, and
reminders when a channel's phase hasn't changed for a while.

A post that fails (a deleted channel, missing permissions) never undoes the change that
caused it: the failure is logged at WARNING and the editor is told once, ephemerally.
Reminders are sent by a task (``discord.ext.tasks``) that wakes when the next one falls
due; the database says which are due and which were sent, so a restart neither loses
nor repeats one, and of several processes exactly one sends each.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import discord
from discord.ext import tasks

from bot.core import team
from bot.core.answer import Answer, Post
from bot.discord.render import markdown, render_messages, view_of

if TYPE_CHECKING:
    from bot.discord.bot import PhaseBot

log = logging.getLogger(__name__)

LONGEST_SLEEP: Final = 600.0
"""Seconds the reminder task sleeps at most: another process may set a nearer one."""


async def send(bot: PhaseBot, channel_id: str, answer: Answer) -> None:
    """Post ``answer`` in a channel. Raises discord.py's errors if it can't."""
    channel = bot.get_channel(int(channel_id)) or await bot.fetch_channel(int(channel_id))
    if not isinstance(channel, discord.abc.Messageable):
        raise discord.ClientException("that channel can't take messages")
    view = view_of(answer)
    embeds = render_messages(answer, limit=1)[0]
    if view is None:
        await channel.send(embeds=embeds)
    else:
        await channel.send(embeds=embeds, view=view)


async def announce(
    bot: PhaseBot, interaction: discord.Interaction[Any], posts: tuple[Post, ...]
) -> None:
    for post in posts:
        where = post.channel.channel_id
        try:
            await send(bot, where, post.answer)
        except (discord.HTTPException, discord.ClientException, ValueError) as exc:
            log.warning("Could not announce in channel %s: %s", where, exc)
            told = markdown(team.not_announced(post.channel, _reason(exc)))
            await interaction.followup.send(told, ephemeral=True)


def _reason(exc: Exception) -> str:
    if isinstance(exc, discord.Forbidden):
        return "I'm not allowed to post there"
    if isinstance(exc, discord.NotFound):
        return "it no longer exists"
    return "Discord refused"


async def send_reminders(bot: PhaseBot, now: datetime) -> datetime | None:
    """Send every reminder due at ``now`` that this process claims; when the next is due."""

    async def post(channel: str, answer: Answer) -> None:
        try:
            await send(bot, channel, answer)
        except (discord.HTTPException, discord.ClientException, ValueError) as exc:
            log.warning("Could not send a reminder in channel %s: %s", channel, exc)

    return await team.send_due(bot.runner.app.tracker, "discord", now, post)


class Reminders:
    """The task that sends reminders, waking when the next one falls due."""

    def __init__(self, bot: PhaseBot) -> None:
        self.bot = bot
        self.loop = tasks.loop(seconds=LONGEST_SLEEP)(self._tick)
        self._sending = False
        self._again = False

    def start(self) -> None:
        self.loop.start()

    def stop(self) -> None:
        self.loop.cancel()

    def wake(self) -> None:
        """Look again now (a reminder was set here); never by cancelling a pass under
        way, which could stop a reminder between its claim and its post."""
        if self._sending:
            self._again = True
        elif self.loop.is_running():
            self.loop.restart()

    async def _tick(self) -> None:
        clock = self.bot.runner.app.tracker.clock
        self._sending, self._again = True, False
        try:
            later = await send_reminders(self.bot, clock())
        except Exception:
            log.exception("Sending reminders failed; trying again later")
            later = None
        finally:
            self._sending = False
        wait = LONGEST_SLEEP if later is None else (later - clock()).total_seconds()
        if self._again:
            wait = 1.0
        self.loop.change_interval(seconds=min(max(wait, 1.0), LONGEST_SLEEP))
