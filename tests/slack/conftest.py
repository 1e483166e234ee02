"""Fixtures for the local Slack stand-in (:mod:`tests.slack.standin`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from tests.slack.standin import SlackStandIn, World

_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack_sdk sends every request through a proxy named in these, NO_PROXY or not."""
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def world() -> World:
    """The stand-in's workspace; override this fixture (or edit it) for other users and groups."""
    return World()


@pytest.fixture
async def standin(world: World) -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn(world) as standin:
        yield standin


@pytest.fixture
def slack_client(standin: SlackStandIn) -> AsyncWebClient:
    """A Web API client with the bot token, pointed at the stand-in."""
    return AsyncWebClient(token=standin.world.bot_token, base_url=standin.api_url)
