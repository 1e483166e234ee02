"""phasebot's Slack edge, driven the way Slack drives it, against the local stand-in.

:class:`Slack` sends slash commands and clicks to a real :class:`~bot.slack.app.SlackEdge`
(slack-bolt's ``AsyncApp``, nothing mocked), signed as Slack signs them, by one of three
routes: ``dispatch`` (in process, ``AsyncApp.async_dispatch`` on the request the HTTP server
would build), ``http`` (POSTed to the edge's real aiohttp server) or ``socket`` (pushed over
the stand-in's Socket Mode websocket). Every command or click gets its own response_url;
once the edge has finished the request, a :class:`Reply` holds what was posted to it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import aiohttp

from bot.slack.app import SlackEdge
from bot.slack.runner import bolt_request
from tests.slack.signing import (
    block_actions,
    form_body,
    interaction_body,
    signed_headers,
    slash_command,
    static_select,
)
from tests.slack.standin import CHANNEL_ID, TEAM_ID, ResponsePost, SlackStandIn

JSON = dict[str, Any]
Route = Literal["dispatch", "http", "socket"]
NAMES = {"U0OWNER": "owner", "U0ADMIN": "admin", "U0MEMBER": "member", "U0GUEST": "guest"}
DM = "D0MEMBER"
"""A DM channel (Slack's ids for DMs start with D)."""


class Clock:
    """A clock the test moves: ``clock.advance(seconds=61)``."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Ticks:
    """A monotonic clock the test moves (for the permission cache)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Reply:
    """What a command or click got: the HTTP (or Socket Mode) ack and the response_url posts."""

    posts: list[ResponsePost]
    status: int
    ack: str

    @property
    def public(self) -> list[ResponsePost]:
        return [p for p in self.posts if p.response_type == "in_channel"]

    @property
    def ephemeral(self) -> list[ResponsePost]:
        return [p for p in self.posts if p.response_type == "ephemeral"]

    def refusal(self) -> str:
        """The one ephemeral line a refused request gets, and nothing else."""
        assert self.status == 200
        assert len(self.posts) == 1, [p.body for p in self.posts]
        (post,) = self.posts
        assert post.response_type == "ephemeral"
        assert not post.replace_original
        assert post.blocks is None
        assert post.status == 200
        text = str(post.text)
        for leak in ("Traceback", "Exception", 'File "', "bot/"):
            assert leak not in text
        return text

    def blocks(self, index: int = 0) -> list[JSON]:
        found = self.public[index].blocks
        assert found is not None
        return found

    def header(self, index: int = 0) -> str:
        return str(next(b["text"]["text"] for b in self.blocks(index) if b["type"] == "header"))

    def texts(self, index: int | None = None) -> list[str]:
        """Every text shown in the blocks (headers, sections, fields, context), in order."""
        posts = self.public if index is None else [self.public[index]]
        found: list[str] = []
        for post in posts:
            for block in post.blocks or []:
                found += _texts_of(block)
        return found

    def text(self) -> str:
        return "\n".join(self.texts())

    def elements(self, index: int = 0) -> list[JSON]:
        return [e for b in self.blocks(index) if b["type"] == "actions" for e in b["elements"]]

    def action_ids(self, index: int = 0) -> list[str]:
        return [str(e["action_id"]) for e in self.elements(index)]

    def element(self, action_id: str) -> JSON:
        return next(e for e in self.elements() if e["action_id"] == action_id)

    def button(self, label_part: str) -> JSON:
        """The clicked form of the button whose label contains ``label_part``."""
        element = next(
            e for e in self.elements() if e["type"] == "button" and label_part in e["text"]["text"]
        )
        return clicked(element)

    def message(self, ts: str = "1700000000.000100") -> JSON:
        """The first public message as a block_actions payload carries it."""
        post = self.public[0]
        return {"type": "message", "ts": ts, "text": post.text, "blocks": post.blocks}


def _texts_of(block: JSON) -> Iterator[str]:
    if block["type"] in ("header", "section") and "text" in block:
        yield block["text"]["text"]
    for field in block.get("fields") or []:
        yield field["text"]
    if block["type"] == "context":
        for element in block["elements"]:
            yield element["text"]


def clicked(element: JSON, value: str | None = None) -> JSON:
    """A rendered button or select as block_actions carries it when clicked (a select
    with ``value`` picked)."""
    if element["type"] == "static_select":
        assert value is not None
        label = next(o["text"]["text"] for o in element["options"] if o["value"] == value)
        return static_select(element["action_id"], value, text=label)
    action: JSON = {
        "type": "button",
        "action_id": element["action_id"],
        "block_id": "b1",
        "text": element["text"],
        "action_ts": f"{time.time():.6f}",
    }
    if "value" in element:
        action["value"] = element["value"]
    return action


def forged_button(action_id: Any) -> JSON:
    return {"type": "button", "action_id": action_id, "block_id": "b1", "action_ts": "1.0"}


class Slack:
    """Sends commands and clicks to the edge; ``url`` is its HTTP server's, if started."""

    def __init__(self, standin: SlackStandIn, edge: SlackEdge, url: str = "") -> None:
        self.standin = standin
        self.edge = edge
        self.url = url

    async def command(
        self,
        command: str,
        text: str = "",
        *,
        user: str = "U0MEMBER",
        channel: str = CHANNEL_ID,
        team: str = TEAM_ID,
        via: Route = "dispatch",
    ) -> Reply:
        response_url = self.standin.new_response_url()
        fields = slash_command(
            command,
            text,
            response_url=response_url,
            user_id=user,
            user_name=NAMES.get(user, user.lower()),
            channel_id=channel,
            channel_name="directmessage" if channel.startswith("D") else "general",
            team_id=team,
        )
        status, ack = await self._deliver(form_body(fields), "slash_commands", fields, via)
        return await self._reply(response_url, status, ack)

    async def click(
        self,
        action: JSON,
        *,
        on: Reply | None = None,
        user: str = "U0MEMBER",
        channel: str = CHANNEL_ID,
        team: str = TEAM_ID,
        via: Route = "dispatch",
    ) -> Reply:
        response_url = self.standin.new_response_url()
        payload = block_actions(
            [action],
            response_url=response_url,
            message=on.message() if on is not None else None,
            user_id=user,
            user_name=NAMES.get(user, user.lower()),
            channel_id=channel,
            channel_name="directmessage" if channel.startswith("D") else "general",
            team_id=team,
        )
        status, ack = await self._deliver(interaction_body(payload), "interactive", payload, via)
        return await self._reply(response_url, status, ack)

    async def _deliver(self, body: str, kind: str, payload: JSON, via: Route) -> tuple[int, str]:
        if via == "dispatch":
            request = bolt_request(body, "", signed_headers(body))
            dispatched = await self.edge.app.async_dispatch(request)
            return dispatched.status, dispatched.body
        if via == "http":
            assert self.url, "start the HTTP server first"
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session,
                session.post(self.url, data=body.encode(), headers=signed_headers(body)) as resp,
            ):
                return resp.status, await resp.text()
        envelope_id = await self.standin.push(kind, payload)
        ack = await self.standin.wait_for_ack(envelope_id)
        return 200, str(ack.payload or "")

    async def _reply(self, response_url: str, status: int, ack: str) -> Reply:
        await self.edge.finish(10)
        response_id = response_url.rsplit("/", 1)[1]
        posts = [p for p in self.standin.responses if p.response_id == response_id]
        return Reply(posts, status, ack)
