"""Fixtures for the local Slack stand-in (:mod:`tests.slack.standin`), and for phasebot's
Slack edge driven against it (:mod:`tests.slack.harness`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.tracker import Repository
from bot.services import Services, load_services, make_runner
from bot.slack.app import SlackEdge
from bot.slack.permissions import Directory
from bot.slack.runner import serving_http
from bot.storage import SQLiteRepository
from tests.slack.harness import Clock, Slack, Ticks
from tests.slack.signing import SIGNING_SECRET
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


# -- phasebot's Slack edge ------------------------------------------------------------------


@pytest.fixture(scope="session")
def services() -> Services:
    return load_services()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "phasebot.sqlite3"


@pytest.fixture
async def repository(database: Path) -> AsyncIterator[SQLiteRepository]:
    async with await SQLiteRepository.open(database) as repository:
        yield repository


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def make_edge(
    standin: SlackStandIn,
    services: Services,
    clock: Clock,
    ticks: Ticks,
    session: aiohttp.ClientSession,
) -> Callable[[Repository], SlackEdge]:
    """An edge as ``phasebot slack`` builds it, on a repository of the test's choosing."""

    def make(repository: Repository) -> SlackEdge:
        client = AsyncWebClient(
            token=standin.world.bot_token, base_url=standin.api_url, session=session
        )
        runner = make_runner(services, repository, clock)
        return SlackEdge(runner, client, SIGNING_SECRET, Directory(client, clock=ticks))

    return make


@pytest.fixture
def edge(make_edge: Callable[[Repository], SlackEdge], repository: SQLiteRepository) -> SlackEdge:
    return make_edge(repository)


@pytest.fixture
async def slack(standin: SlackStandIn, edge: SlackEdge) -> AsyncIterator[Slack]:
    """The edge, driven as Slack drives it. Every message it posted must have been one
    Slack takes, and it must have called no method the stand-in doesn't know."""
    yield Slack(standin, edge)
    assert standin.rejected == []
    assert standin.unexpected == []


@pytest.fixture
async def served(slack: Slack, edge: SlackEdge) -> AsyncIterator[Slack]:
    """``slack`` with the edge's real HTTP server listening on a free port (``via="http"``)."""
    async with serving_http(edge, "127.0.0.1", 0) as url:
        slack.url = url
        yield slack
