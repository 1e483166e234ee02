"""What the app posts on its own in Slack channels: announcements of moves, and reminders
when a channel's phase hasn't changed for a while (the core decides both: :mod:`bot.core.team`).

Posts go out with ``chat.postMessage``, which needs the app to be in the channel. A post
that fails never undoes the change that caused it: the failure is logged at WARNING and
the editor is told, only them. Reminders are sent by a task that wakes when the next one
falls due; the database says which are due and which were sent, so a restart neither
loses nor repeats one, and of several processes exactly one sends each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Final

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import team
from bot.core.answer import Answer, Post
from bot.core.tracker import Tracker
from bot.slack.blocks import iter_messages, mrkdwn
from bot.slack.respond import ResponseUrl, tell

log = logging.getLogger(__name__)

PLATFORM: Final = "slack"
LONGEST_SLEEP: Final = 600.0
"""Seconds the reminder task sleeps at most: another process may set a nearer one."""
_REASONS: Final = {
    "not_in_channel": "I'm not in that channel: /invite @phasebot there",
    "channel_not_found": "I can't see that channel",
    "is_archived": "it is archived",
}


async def post(client: AsyncWebClient, channel: str, answer: Answer) -> None:
    """Post ``answer`` in a channel (its first message). Raises SlackApiError if Slack
    refuses."""
    message = next(iter_messages(answer))
    await client.chat_postMessage(channel=channel, text=message["text"], blocks=message["blocks"])


async def announce(client: AsyncWebClient, reply: ResponseUrl, posts: tuple[Post, ...]) -> None:
    for found in posts:
        where = found.channel.channel_id
        try:
            await post(client, where, found.answer)
        except SlackApiError as error:
            code = str(error.response.get("error"))
            log.warning("Could not announce in channel %s: %s", where, code)
            reason = _REASONS.get(code, "Slack refused")
            await tell(reply, mrkdwn(team.not_announced(found.channel, reason)))


async def send_reminders(
    client: AsyncWebClient, tracker: Tracker, now: datetime
) -> datetime | None:
    """Send every reminder due at ``now`` that this process claims; when the next is due."""

    async def posted(channel: str, answer: Answer) -> None:
        try:
            await post(client, channel, answer)
        except SlackApiError as error:
            log.warning(
                "Could not send a reminder in channel %s: %s", channel, error.response.get("error")
            )

    return await team.send_due(tracker, PLATFORM, now, posted)


class Reminders:
    """The task that sends reminders, waking when the next one falls due."""

    def __init__(self, client: AsyncWebClient, tracker: Tracker) -> None:
        self.client = client
        self.tracker = tracker
        self._woken = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def wake(self) -> None:
        """Look again now (a reminder was set)."""
        self._woken.set()

    async def _run(self) -> None:
        clock = self.tracker.clock
        while True:
            self._woken.clear()  # before the pass: a wake during it is not lost
            try:
                later = await send_reminders(self.client, self.tracker, clock())
            except Exception:
                log.exception("Sending reminders failed; trying again later")
                later = None
            wait = LONGEST_SLEEP if later is None else (later - clock()).total_seconds()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), min(max(wait, 1.0), LONGEST_SLEEP))
