"""phasebot's Slack app: slack-bolt in, the core's runner out.

Every slash command reaches one listener and every button or menu another. A command's
text is read as a console line (:mod:`bot.slack.read`, then :mod:`bot.core.parse`) and run
by the core's runner; a click's action id goes to :meth:`Runner.click`, which reads all
its state from it, so a click on a message sent before a restart still works. Each
request is acknowledged at once (Slack waits three seconds at most) and answered through
its ``response_url`` (:mod:`bot.slack.respond`), in Block Kit (:mod:`bot.slack.blocks`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any, Final

import aiohttp
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.answer import File
from bot.core.parse import parse
from bot.core.runner import Runner
from bot.core.state import Actor, Scope
from bot.core.surface import Request
from bot.slack import notices, read
from bot.slack.permissions import Directory, SlackGate
from bot.slack.respond import ResponseUrl, Upload, report, send, tell

log = logging.getLogger(__name__)

PLATFORM: Final = read.PLATFORM
COMMANDS: Final = re.compile(
    "^/(?:" + "|".join(map(re.escape, sorted(read.TOP_LEVEL | {read.UMBRELLA}))) + ")$"
)
"""The slash commands answered here: each top-level command, and the umbrella."""
_ANY: Final = re.compile(r".*", re.DOTALL)
NO_FILE: Final = (
    "I couldn't attach the file here. Invite me to this channel (/invite @phasebot) and ask again."
)


class SlackEdge:
    """The bolt app and what it answers with (built in ``main`` and passed in)."""

    def __init__(
        self,
        runner: Runner,
        client: AsyncWebClient,
        signing_secret: str = "",
        directory: Directory | None = None,
    ) -> None:
        """``client`` is the Web API client; its HTTP session (if it has one) also carries
        the answers to response_urls."""
        self.runner = runner
        self.client = client
        self.directory = directory or Directory(client)
        self.reminders = notices.Reminders(client, runner.app.tracker)
        """Started by whoever runs the app (``phasebot slack``)."""
        self.busy: set[asyncio.Task[Any]] = set()
        """The requests being answered (a clean stop lets them finish)."""
        # An empty signing secret (Socket Mode, which has no signatures) refuses every
        # HTTP request: there is no way to turn the check off here.
        with _quiet(logging.getLogger("slack_bolt.AsyncApp")):
            self.app = AsyncApp(
                name="phasebot",
                client=client,
                signing_secret=signing_secret,
                request_verification_enabled=True,
            )
        self.app.use(_readable)
        self.app.command(COMMANDS)(self._on_command)
        self.app.action(_ANY)(self._on_action)

    # -- who asks, where ---------------------------------------------------------------------

    def request(self, team: str, channel: str, user_id: str, user_name: str) -> Request:
        """The request of a Slack user in a channel: each channel's progress is keyed by
        the workspace and the channel; in a DM (a ``D…`` channel) it is the user's."""
        scope = None
        if team and channel:
            scope = Scope(PLATFORM, team, channel, private=channel.startswith("D"))
        gate = SlackGate(self.directory, self.runner.app.tracker, scope)
        actor = Actor(user_id, user_name or user_id)

        def channel_of(value: str) -> Scope:  # a channel option's id (read.checked checks it)
            return Scope(PLATFORM, team, value)

        return Request(PLATFORM, actor, scope, gate, channel=channel_of)

    # -- listeners -----------------------------------------------------------------------------

    async def _on_command(self, ack: AsyncAck, command: dict[str, Any]) -> None:
        with self._busy():
            await ack()
            await self.command(command, self.reply_to(command))

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        with self._busy():
            await ack()
            await self.click(body, action, self.reply_to(body))

    def reply_to(self, body: Mapping[str, Any]) -> ResponseUrl:
        session: aiohttp.ClientSession | None = self.client.session
        return ResponseUrl(str(body.get("response_url") or ""), session, self.client.proxy)

    @contextlib.contextmanager
    def _busy(self) -> Iterator[None]:
        task = asyncio.current_task()
        if task is not None:
            self.busy.add(task)
        try:
            yield
        finally:
            if task is not None:
                self.busy.discard(task)

    async def finish(self, seconds: float) -> None:
        """Let the requests under way finish, for up to ``seconds``."""
        pending = {task for task in self.busy if task is not asyncio.current_task()}
        if pending:
            log.info("letting %d request(s) finish", len(pending))
            await asyncio.wait(pending, timeout=seconds)

    # -- answering -----------------------------------------------------------------------------

    async def command(self, payload: Mapping[str, Any], reply: ResponseUrl) -> None:
        """Run a slash command and answer it; refusals and errors go to its user alone."""
        name, text = str(payload.get("command") or ""), str(payload.get("text") or "")
        where = f"{name} {text!r}"
        channel = str(payload.get("channel_id") or "")
        request = self.request(
            str(payload.get("team_id") or ""),
            channel,
            str(payload.get("user_id") or ""),
            str(payload.get("user_name") or ""),
        )
        try:
            command, options = parse(read.command_line(name, text), PLATFORM)
            options = read.checked(command, options)
            log.debug("slack command /%s %s", command.name, options)
            answer = await self.runner.run(command.name, options, request)
            await send(reply, answer, self.uploader(channel, reply))
            await notices.announce(self.client, reply, answer.posts)
            if command.name == "project remind":
                self.reminders.wake()
        except Exception as error:
            await report(reply, error, where)

    async def click(
        self, body: Mapping[str, Any], action: Mapping[str, Any], reply: ResponseUrl
    ) -> None:
        """Run a button or menu's action id through the core; answer in place or anew."""
        action_id = action.get("action_id")
        values = read.click_values(action)
        where = f"action {action_id!r} values={values}"
        user, team, channel = _mapping(body, "user"), _mapping(body, "team"), _channel(body)
        request = self.request(
            str(team.get("id") or user.get("team_id") or ""),
            channel,
            str(user.get("id") or ""),
            str(user.get("username") or user.get("name") or ""),
        )
        try:
            answer = await self.runner.click(action_id, values, request)
            await send(reply, answer, self.uploader(channel, reply))
            await notices.announce(self.client, reply, answer.posts)
        except Exception as error:
            await report(reply, error, where)

    def uploader(self, channel: str, reply: ResponseUrl) -> Upload:
        async def upload(file: File) -> None:
            try:
                await self.client.files_upload_v2(
                    channel=channel, file=file.data, filename=file.name, title=file.name
                )
            except SlackApiError as error:
                log.warning("could not upload %s: %s", file.name, error.response.get("error"))
                await tell(reply, NO_FILE)

        return upload


async def _readable(body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> None:
    """A click Slack would never send (no action, or an action id that isn't text) is read
    as a click on nothing, which the core refuses politely, instead of failing in bolt."""
    if body.get("type") == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
            body["actions"] = actions = [{}]
        if not isinstance(actions[0].get("action_id"), str):
            actions[0]["action_id"] = ""
    await next()


@contextlib.contextmanager
def _quiet(logger: logging.Logger) -> Iterator[None]:
    """bolt reads SLACK_BOT_TOKEN from the environment by itself, then warns that the
    client it was given wins (it does, and holds that same token): not worth a warning."""
    skipped = warning_client_prioritized_and_token_skipped()

    def keep(record: logging.LogRecord) -> bool:
        return record.getMessage() != skipped

    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


def _mapping(body: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = body.get(key)
    return value if isinstance(value, Mapping) else {}


def _channel(body: Mapping[str, Any]) -> str:
    """The channel of a click: ``channel.id``, or the message container's."""
    channel = _mapping(body, "channel").get("id") or _mapping(body, "container").get("channel_id")
    return str(channel or "")
