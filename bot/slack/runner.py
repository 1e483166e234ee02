"""Running the Slack app: ``phasebot slack``.

The resources are built here, in order, and closed in reverse however the run ends: the
content, the database, one HTTP session (for the Web API and response_urls) and the Web
API client on it (its token checked with ``auth.test`` before anything listens), then
either a Socket Mode connection (with ``SLACK_APP_TOKEN``) or an HTTP server whose one
path, ``/slack/events``, takes slash commands and interactivity, each checked against
``SLACK_SIGNING_SECRET``. On SIGINT or SIGTERM it stops taking requests, lets those under
way finish, then closes the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Final
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncBoltRequest
from slack_bolt.request.async_internals import build_async_context
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.services import load_services, make_runner, open_repository
from bot.slack.app import SlackEdge

log = logging.getLogger(__name__)

PATH: Final = "/slack/events"
"""Where Slack posts slash commands and interactivity in HTTP mode."""
GRACE_SECONDS: Final = 10.0
"""How long requests under way may still finish once a stop is asked for."""


class RunError(Exception):
    """Starting failed in a way the user can fix."""


def make_client(settings: Settings, session: aiohttp.ClientSession | None = None) -> AsyncWebClient:
    """The Web API client, at ``SLACK_API_URL``, on ``session`` (kept-alive connections,
    shared with the answers to response_urls); a rate-limited call is retried once after
    the Retry-After Slack gives."""
    assert settings.slack_bot_token is not None  # checked by the CLI
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        session=session,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=1),
        ],
    )


async def check_token(client: AsyncWebClient, api_url: str) -> None:
    """Sign in with the bot token (``auth.test``), or say plainly why not."""
    try:
        auth = await client.auth_test()
    except SlackApiError as error:
        raise RunError(
            f"Slack refused the token in SLACK_BOT_TOKEN ({error.response.get('error')}). "
            "Copy the Bot User OAuth Token again from your app's OAuth & Permissions page."
        ) from None
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise RunError(
            f"cannot reach Slack at {api_url} ({type(error).__name__}). "
            "Check the network, or SLACK_API_URL."
        ) from None
    log.info("signed in to Slack workspace %s as %s", auth.get("team"), auth.get("user"))


# -- HTTP ------------------------------------------------------------------------------------


def bolt_request(
    body: str, query: str, headers: Mapping[str, str] | Sequence[tuple[str, str]]
) -> AsyncBoltRequest:
    """A request for bolt, as its aiohttp adapter builds it, except that a slash command
    whose form mentions "payload" (``/ask what is a payload?``) is read as the form it is:
    bolt 1.30 takes any form body containing that word for an interaction's ``payload``
    field and reads nothing. The raw body, which the signature covers, is kept as sent."""
    request = AsyncBoltRequest(body=body, query=query, headers=dict(headers))
    if not request.body and body and not body.startswith("{"):
        fields = dict(parse_qsl(body, keep_blank_values=True))
        if "payload" not in fields:
            request.body = fields
            request.context = build_async_context(AsyncBoltContext({}), fields)
    return request


def web_app(app: AsyncApp) -> web.Application:
    """The HTTP side: ``POST /slack/events``, verified and answered by bolt."""

    async def handle(request: web.Request) -> web.Response:
        body = await request.text()
        headers = list(request.headers.items())
        response = await app.async_dispatch(bolt_request(body, request.query_string, headers))
        return await to_aiohttp_response(response)

    served = web.Application()
    served.router.add_post(PATH, handle)
    return served


@asynccontextmanager
async def serving_http(edge: SlackEdge, host: str, port: int) -> AsyncIterator[str]:
    """Listen on ``host:port`` for as long as the block runs; yields the events URL."""
    runner = web.AppRunner(
        web_app(edge.app), access_log=None, handle_signals=False, shutdown_timeout=GRACE_SECONDS
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as error:
            raise RunError(
                f"cannot listen on {host}:{port} ({error.strerror or error}). "
                "Pick another --port or --host."
            ) from None
        bound_host, bound_port = runner.addresses[0][:2]
        url = f"http://{bound_host}:{bound_port}{PATH}"
        log.info("listening for Slack on %s", url)
        yield url
    finally:
        await runner.cleanup()


# -- Socket Mode -----------------------------------------------------------------------------


@asynccontextmanager
async def connected(edge: SlackEdge, app_token: str) -> AsyncIterator[None]:
    """A Socket Mode connection for as long as the block runs. The first connection's URL
    is asked for here, so that a refused app token is one plain error rather than
    endless retries."""
    try:
        opened = await edge.client.apps_connections_open(app_token=app_token)
    except SlackApiError as error:
        raise RunError(
            f"Slack refused the token in SLACK_APP_TOKEN ({error.response.get('error')}). "
            "Make one with the connections:write scope under Basic Information → "
            "App-Level Tokens, and turn on Socket Mode."
        ) from None
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        raise RunError(f"cannot reach Slack ({type(error).__name__}). Check the network.") from None
    handler = AsyncSocketModeHandler(edge.app, app_token=app_token)
    handler.client.wss_uri = str(opened["url"])
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]
        log.info("connected to Slack in Socket Mode")
        yield
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


# -- the run ---------------------------------------------------------------------------------


async def run(settings: Settings, host: str, port: int) -> int:
    """Answer Slack until SIGINT or SIGTERM, then close everything cleanly."""
    services = load_services(settings.content_dir)  # bad content fails here, before connecting
    async with open_repository(settings) as repository, aiohttp.ClientSession() as session:
        client = make_client(settings, session)
        await check_token(client, settings.slack_api_url)
        secret = settings.slack_signing_secret
        edge = SlackEdge(
            make_runner(services, repository), client, secret.get_secret_value() if secret else ""
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
                loop.add_signal_handler(sig, _stop, stop, sig)
        edge.reminders.start()
        try:
            if settings.slack_app_token is not None:
                async with connected(edge, settings.slack_app_token.get_secret_value()):
                    await stop.wait()
            else:
                async with serving_http(edge, host, port):
                    await stop.wait()
            await edge.finish(GRACE_SECONDS)
        finally:
            await edge.reminders.stop()
    log.info("stopped")
    return 0


def _stop(stop: asyncio.Event, sig: signal.Signals) -> None:
    log.info("received %s; closing", sig.name)
    stop.set()
