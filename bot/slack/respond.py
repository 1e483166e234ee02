"""Sending answers through a ``response_url``: in the channel, over several messages when
needed; refusals and errors only to the user who asked, in the core's words.

Posts go through the app's pooled HTTP session (bolt's ``respond`` opens a new session,
and so a new connection, for every post). A refused post doesn't raise (Slack answers
with an HTTP status), so each post is checked and a refusal logged; nothing after it is
sent.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, Final

import aiohttp
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.core.answer import Answer, File
from bot.core.errors import APOLOGY, PhasebotError
from bot.slack.blocks import Message, escape, plan

log = logging.getLogger(__name__)

Upload = Callable[[File], Awaitable[None]]
"""Posts an answer's file in the channel (the edge knows which)."""

_MENTIONS: Final = re.compile(
    r"&lt;(@[UW][A-Z0-9]{1,31}|#[CDG][A-Z0-9]{1,31}|!subteam\^S[A-Z0-9]{1,31})&gt;"
)


class ResponseUrl:
    """Where one command or click is answered: its ``response_url`` (at most five posts,
    within 30 minutes)."""

    def __init__(
        self, url: str, session: aiohttp.ClientSession | None = None, proxy: str | None = None
    ) -> None:
        self.url = url
        self._client = AsyncWebhookClient(url, session=session, proxy=proxy) if url else None

    async def post(self, message: Message, response_type: str, *, replace: bool = False) -> bool:
        """Post ``message``; False (logged) if Slack refused it or couldn't be reached."""
        if self._client is None:
            log.warning("A request without a response_url: nothing can be answered")
            return False
        body: dict[str, Any] = {
            **message,
            "response_type": response_type,
            "replace_original": replace,
        }
        try:
            response = await self._client.send_dict(body)
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            log.warning("Could not reach the response_url: %s", type(error).__name__)
            return False
        if response.status_code != 200:
            status, reason = response.status_code, response.body
            log.warning("Slack refused a message (HTTP %d): %.300s", status, reason)
            return False
        return True


async def send(reply: ResponseUrl, answer: Answer, upload: Upload | None = None) -> None:
    """Answer in the channel: a new message, or in place of the message whose button or
    menu was used (``answer.replaces``); then any further parts, the note, the file."""
    messages, note = plan(answer)
    for i, message in enumerate(messages):
        if not await reply.post(message, "in_channel", replace=answer.replaces and i == 0):
            return
    if note is not None and not await reply.post({"text": escape(note)}, "in_channel"):
        return
    if answer.file is not None and upload is not None:
        await upload(answer.file)


def user_message(error: BaseException) -> str | None:
    """The reply for an expected error, or None for a bug."""
    return error.user_message() if isinstance(error, PhasebotError) else None


async def report(reply: ResponseUrl, error: BaseException, where: str) -> None:
    """Tell the user who asked (and only them); log bugs with what was asked."""
    message = user_message(error)
    if message is None:
        log.error("Unexpected error in %s", where, exc_info=error)
        message = APOLOGY
    else:
        log.info("Refused %s: %s", where, message)
    await tell(reply, message)


async def tell(reply: ResponseUrl, message: str) -> None:
    """A line of the bot's own words for the user alone. Words a user typed may be in it
    (a name that matched nothing), so it is escaped; only mentions stay markup."""
    text = _MENTIONS.sub(r"<\1>", escape(message))
    await reply.post({"text": text}, "ephemeral")
