"""The Slack stand-in, proved with a toy slack-bolt AsyncApp (no mocks of bolt or slack_sdk)."""

from __future__ import annotations

import asyncio
import json
import struct
import time
import zlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltRequest, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.slack.signing import (
    SIGNING_SECRET,
    block_actions,
    button,
    form_body,
    interaction_body,
    signature,
    signed_headers,
    slash_command,
    static_select,
)
from tests.slack.standin import CHANNEL_ID, SlackStandIn, User, UserGroup, World, serve

JSON = dict[str, Any]
TIMEOUT = aiohttp.ClientTimeout(total=3)  # Slack gives up on an app that takes longer


def section(text: str) -> JSON:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def actions(*elements: JSON) -> JSON:
    return {"type": "actions", "block_id": "actions", "elements": list(elements)}


def button_block(text: str = "Next", value: str = "testing", action_id: str = "advance") -> JSON:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }


def options(n: int) -> list[JSON]:
    return [{"text": {"type": "plain_text", "text": str(i)}, "value": str(i)} for i in range(n)]


def select_block(n: int) -> JSON:
    select = {"type": "static_select", "action_id": "pick", "options": options(n)}
    return {**section("Pick one"), "accessory": select}


def tiny_png() -> bytes:
    """A valid 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x80\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


# -- the toy app --------------------------------------------------------------------------


@dataclass
class Toy:
    """A small bolt app: ``/phase`` acks, waits for ``release``, then responds with blocks."""

    app: AsyncApp
    release: asyncio.Event = field(default_factory=asyncio.Event)
    finished: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    respond_statuses: list[int] = field(default_factory=list)
    clicks: list[JSON] = field(default_factory=list)

    async def next_finished(self) -> str:
        return await asyncio.wait_for(self.finished.get(), timeout=5)


def make_toy(standin: SlackStandIn, token: str | None = None) -> Toy:
    client = AsyncWebClient(token=token or standin.world.bot_token, base_url=standin.api_url)
    # No token= beside client=: bolt would warn and use the client's token anyway.
    app = AsyncApp(client=client, signing_secret=SIGNING_SECRET, request_verification_enabled=True)
    toy = Toy(app)
    toy.release.set()

    @app.command("/phase")
    async def phase(ack: AsyncAck, command: JSON, respond: AsyncRespond) -> None:
        await ack(f"Looking up {command['text']}…")
        await toy.release.wait()
        blocks = [
            {"type": "header", "text": {"type": "plain_text", "text": "Project phase"}},
            section(f"*{command['text']}* for <@{command['user_id']}>"),
            actions(button_block()),
        ]
        resp = await respond(text="Project phase", blocks=blocks, response_type="in_channel")
        toy.respond_statuses.append(resp.status_code)
        toy.finished.put_nowait("phase")

    @app.action("advance")
    async def advance(ack: AsyncAck, action: JSON, respond: AsyncRespond) -> None:
        await ack()
        toy.clicks.append(action)
        resp = await respond(text=f"Moved to {action['value']}", replace_original=True)
        toy.respond_statuses.append(resp.status_code)
        toy.finished.put_nowait("advance")

    return toy


@pytest.fixture
def toy(standin: SlackStandIn) -> Toy:
    return make_toy(standin)


@pytest.fixture
async def bolt_url(toy: Toy) -> AsyncIterator[str]:
    """The toy app's real aiohttp server (bolt's HTTP adapter), on a free port."""
    async with serve(toy.app.web_app(path="/slack/events")) as origin:
        yield f"{origin}/slack/events"


def bolt_request(body: str) -> AsyncBoltRequest:
    """A signed request for ``AsyncApp.async_dispatch``, as bolt's HTTP adapters build it."""
    headers: dict[str, str | Sequence[str]] = {**signed_headers(body)}
    return AsyncBoltRequest(body=body, headers=headers)


async def post(url: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession(timeout=TIMEOUT) as session,
        session.post(url, data=body.encode(), headers=headers) as resp,
    ):
        return resp.status, await resp.text()


# -- signing ------------------------------------------------------------------------------


def test_signer_agrees_with_slack_sdk_verifier() -> None:
    body = form_body(slash_command("/phase", "status", response_url="http://127.0.0.1/r/1"))
    headers = signed_headers(body)
    ts, sig = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    assert SignatureVerifier(SIGNING_SECRET).is_valid(body, ts, sig)
    assert not SignatureVerifier("another-secret").is_valid(body, ts, sig)
    assert not SignatureVerifier(SIGNING_SECRET).is_valid(body + "x", ts, sig)
    assert SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=ts, body=body) == sig
    assert signature(body, ts) == sig


# -- bolt over HTTP and in-process --------------------------------------------------------


async def test_slash_command_over_http_acks_first_then_responds(
    standin: SlackStandIn, toy: Toy, bolt_url: str
) -> None:
    toy.release.clear()  # the handler acks, then blocks until the test has seen the ack
    fields = slash_command("/phase", "status", response_url=standin.new_response_url())
    body = form_body(fields)
    started = time.monotonic()
    status, text = await post(bolt_url, body, signed_headers(body))
    assert time.monotonic() - started < 3
    assert status == 200
    assert text == "Looking up status…"  # ack(text) is plain text; ack(blocks=...) is JSON
    assert standin.responses == []  # bolt answered before the handler went on

    toy.release.set()
    assert await toy.next_finished() == "phase"
    (posted,) = standin.responses
    assert fields["response_url"].endswith(posted.response_id)
    assert posted.response_type == "in_channel"
    assert posted.blocks is not None
    assert posted.blocks[0]["text"]["text"] == "Project phase"
    assert posted.blocks[1]["text"]["text"] == "*status* for <@U0MEMBER>"
    assert toy.respond_statuses == [200]
    assert standin.rejected == []
    # bolt checks the token with auth.test on the first request, not at start-up
    assert [c.token for c in standin.calls_to("auth.test")] == ["xoxb-test"]


async def test_slash_command_dispatched_in_process(standin: SlackStandIn, toy: Toy) -> None:
    body = form_body(slash_command("/phase", "design", response_url=standin.new_response_url()))
    resp = await toy.app.async_dispatch(bolt_request(body))
    assert resp.status == 200
    assert resp.body == "Looking up design…"
    assert await toy.next_finished() == "phase"
    assert standin.responses[0].blocks is not None
    assert standin.responses[0].blocks[1]["text"]["text"].startswith("*design*")


@pytest.mark.parametrize(
    ("secret", "age", "expected"),
    [
        ("not-the-signing-secret", 0, 401),
        (SIGNING_SECRET, 5 * 60 + 10, 401),  # stale: more than five minutes old
        (SIGNING_SECRET, 4 * 60, 200),  # old, but within five minutes
    ],
    ids=["bad-signature", "stale-timestamp", "four-minutes-old"],
)
async def test_request_verification(
    standin: SlackStandIn, toy: Toy, bolt_url: str, secret: str, age: int, expected: int
) -> None:
    body = form_body(slash_command("/phase", "status", response_url=standin.new_response_url()))
    headers = signed_headers(body, secret=secret, timestamp=int(time.time()) - age)
    status, _ = await post(bolt_url, body, headers)
    assert status == expected
    if expected == 200:
        assert await toy.next_finished() == "phase"
    else:
        assert standin.calls == []  # refused before authorization or any handler
    assert len(standin.responses) == (expected == 200)


async def test_button_click_reaches_action_handler(
    standin: SlackStandIn, toy: Toy, bolt_url: str
) -> None:
    message = {"type": "message", "ts": "1700000000.000200", "text": "Project phase"}
    payload = block_actions(
        [button("advance", "testing", text="Next")],
        response_url=standin.new_response_url(),
        message=message,
    )
    body = interaction_body(payload)
    status, text = await post(bolt_url, body, signed_headers(body))
    assert (status, text) == (200, "")
    assert await toy.next_finished() == "advance"
    assert [a["value"] for a in toy.clicks] == ["testing"]
    (posted,) = standin.responses
    assert posted.replace_original
    assert posted.text == "Moved to testing"


def test_select_payload_shape() -> None:
    action = static_select("pick", "design", text="Design")
    payload = block_actions([action], response_url="http://127.0.0.1/r/1")
    assert payload["actions"][0]["selected_option"]["value"] == "design"
    assert payload["container"]["message_ts"] == payload["message"]["ts"]


async def test_bolt_drops_http_slash_commands_that_mention_payload(
    standin: SlackStandIn, toy: Toy, bolt_url: str
) -> None:
    """Known bolt 1.30 behaviour the app must live with: over HTTP, a form body containing the
    substring "payload" (in the command text, a channel or user name) is taken for an
    interaction, and parses to {}; no listener matches. Socket Mode is not affected."""
    body = form_body(slash_command("/phase", "what is a payload", response_url="http://x/r/1"))
    status, _ = await post(bolt_url, body, signed_headers(body))
    assert status == 404
    assert toy.finished.empty()


async def test_bolt_with_a_wrong_token_answers_with_an_apology(standin: SlackStandIn) -> None:
    toy = make_toy(standin, token="xoxb-wrong")
    body = form_body(slash_command("/phase", "status", response_url=standin.new_response_url()))
    resp = await toy.app.async_dispatch(bolt_request(body))
    assert resp.status == 200  # not an error status: bolt shows the user a message instead
    assert "no longer available" in resp.body
    assert [c.response["error"] for c in standin.calls_to("auth.test")] == ["invalid_auth"]
    assert toy.finished.empty()


# -- block validation ---------------------------------------------------------------------


INVALID_BLOCKS = {
    "51-blocks": ([section("x")] * 51, "51 blocks"),
    "76-char-button-text": ([actions(button_block(text="b" * 76))], "button text"),
    "2001-char-button-value": ([actions(button_block(value="v" * 2001))], "button value"),
    "256-char-action-id": ([actions(button_block(action_id="a" * 256))], "action_id"),
    "3001-char-section": ([section("s" * 3001)], "section text"),
    "11-fields": ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}], "11"),
    "2001-char-field": (
        [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}],
        "fields[0]",
    ),
    "151-char-header": (
        [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        "header text",
    ),
    "101-options": ([select_block(101)], "101 options"),
    "12001-chars-in-all": ([section("t" * 3000)] * 4 + [section("t")], "12001 characters"),
    "unknown-block-type": ([{"type": "sektion", "text": "x"}], "unknown block type"),
    "misspelt-key": ([{**section("x"), "feilds": []}], ".feilds"),
    "unknown-element": ([actions({"type": "buton", "action_id": "a"})], ".elements[0]"),
    "not-a-list": ({"type": "divider"}, "must be a list"),
}


@pytest.mark.parametrize(("blocks", "reason"), INVALID_BLOCKS.values(), ids=INVALID_BLOCKS.keys())
async def test_invalid_blocks_are_refused(
    standin: SlackStandIn, slack_client: AsyncWebClient, blocks: Any, reason: str
) -> None:
    with pytest.raises(SlackApiError) as caught:
        await slack_client.chat_postMessage(channel=CHANNEL_ID, text="fallback", blocks=blocks)
    assert caught.value.response["error"] == "invalid_blocks"
    (rejection,) = standin.rejected
    assert rejection.where == "chat.postMessage"
    assert any(reason in r for r in rejection.reasons), rejection.reasons
    assert standin.messages == {}


async def test_blocks_at_the_limits_are_accepted(
    standin: SlackStandIn, slack_client: AsyncWebClient
) -> None:
    fields = [{"type": "mrkdwn", "text": "f" * 200}] * 10
    at_limits = [
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}},
        section("s" * 3000),
        {"type": "section", "fields": fields},
        actions(button_block(text="b" * 75, value="v" * 2000, action_id="a" * 255)),
        select_block(100),
    ]
    await slack_client.chat_postMessage(channel=CHANNEL_ID, text="limits", blocks=at_limits)
    await slack_client.chat_postMessage(channel=CHANNEL_ID, text="50", blocks=[section("x")] * 50)
    await slack_client.chat_postMessage(channel=CHANNEL_ID, text="t" * 40_000)
    assert standin.rejected == []
    assert len(standin.messages) == 3


async def test_text_limits(standin: SlackStandIn, slack_client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as too_long:
        await slack_client.chat_postMessage(channel=CHANNEL_ID, text="t" * 40_001)
    assert too_long.value.response["error"] == "msg_too_long"
    with pytest.raises(SlackApiError) as empty:
        await slack_client.api_call(
            "chat.postEphemeral", json={"channel": CHANNEL_ID, "user": "U0MEMBER", "text": ""}
        )
    assert empty.value.response["error"] == "no_text"
    assert [r.where for r in standin.rejected] == ["chat.postMessage", "chat.postEphemeral"]


async def test_response_url_refuses_invalid_blocks(standin: SlackStandIn) -> None:
    webhook = AsyncWebhookClient(url=standin.new_response_url())
    resp = await webhook.send(text="too many", blocks=[section("x")] * 51)
    assert resp.status_code == 400  # respond() returns this; it does not raise
    assert resp.body.startswith("invalid_blocks: 51 blocks")
    (rejection,) = standin.rejected
    assert rejection.where == "response_url"
    assert standin.responses[0].status == 400


# -- Web API ------------------------------------------------------------------------------


async def test_chat_methods_are_recorded(
    standin: SlackStandIn, slack_client: AsyncWebClient
) -> None:
    posted = await slack_client.chat_postMessage(
        channel=CHANNEL_ID, text="Phase: design", blocks=[section("*design*")]
    )
    ts = posted["ts"]
    assert posted["message"]["blocks"] == [section("*design*")]
    (call,) = standin.calls_to("chat.postMessage")
    assert call.args == {
        "channel": CHANNEL_ID,
        "text": "Phase: design",
        "blocks": [section("*design*")],
    }
    assert call.token == "xoxb-test"
    assert call.headers["Content-Type"].startswith("application/json")

    await slack_client.chat_update(channel=CHANNEL_ID, ts=ts, text="Phase: testing")
    assert standin.messages[ts]["text"] == "Phase: testing"
    eph = await slack_client.chat_postEphemeral(channel=CHANNEL_ID, user="U0ADMIN", text="psst")
    assert eph["message_ts"]
    assert [c.method for c in standin.calls] == [
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
    ]


async def test_form_encoded_and_query_arguments(
    standin: SlackStandIn, slack_client: AsyncWebClient
) -> None:
    blocks = [section("from a form")]
    await slack_client.api_call(
        "chat.postMessage",
        data={"channel": CHANNEL_ID, "text": "form", "blocks": json.dumps(blocks)},
    )
    await slack_client.users_info(user="U0ADMIN")  # a GET with a query string
    form_call, query_call = standin.calls
    assert form_call.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert form_call.args["blocks"] == blocks
    assert query_call.args == {"user": "U0ADMIN"}
    assert standin.rejected == []


async def test_users_and_usergroups_come_from_the_world() -> None:
    world = World(
        users=[
            User("U0OWNER", "olive", is_admin=True, is_owner=True, is_primary_owner=True),
            User("U0ADMIN", "ada", is_admin=True),
            User("U0MEMBER", "max"),
        ],
        usergroups=[UserGroup("S0LEADS", "leads", ["U0ADMIN", "U0MEMBER"])],
    )
    async with SlackStandIn(world) as standin:
        client = AsyncWebClient(token=world.bot_token, base_url=standin.api_url)
        owner = (await client.users_info(user="U0OWNER"))["user"]
        assert (owner["name"], owner["is_owner"], owner["is_admin"]) == ("olive", True, True)
        member = (await client.users_info(user="U0MEMBER"))["user"]
        assert (member["name"], member["is_admin"], member["is_owner"]) == ("max", False, False)
        leads = await client.usergroups_users_list(usergroup="S0LEADS")
        assert leads["users"] == ["U0ADMIN", "U0MEMBER"]
        for call, error in [
            (client.users_info(user="U0NOBODY"), "user_not_found"),
            (client.usergroups_users_list(usergroup="S0NONE"), "no_such_subteam"),
        ]:
            with pytest.raises(SlackApiError) as caught:
                await call
            assert caught.value.response["error"] == error


async def test_tokens_are_checked(standin: SlackStandIn) -> None:
    cases = [
        ("xoxb-wrong", "auth.test", "invalid_auth"),
        ("xapp-test", "chat.postMessage", "not_allowed_token_type"),
        ("xoxb-test", "apps.connections.open", "not_allowed_token_type"),
        (None, "auth.test", "not_authed"),
    ]
    for token, method, error in cases:
        client = AsyncWebClient(token=token, base_url=standin.api_url)
        with pytest.raises(SlackApiError) as caught:
            await client.api_call(method, json={"channel": CHANNEL_ID, "text": "x"})
        assert caught.value.response["error"] == error, (token, method)
    ok = await AsyncWebClient(token="xapp-test", base_url=standin.api_url).apps_connections_open(
        app_token="xapp-test"
    )
    assert ok["url"].startswith(standin.origin.replace("http", "ws", 1))


async def test_failures_on_demand(standin: SlackStandIn, slack_client: AsyncWebClient) -> None:
    standin.fail("chat.postMessage", "not_in_channel")
    with pytest.raises(SlackApiError) as caught:
        await slack_client.chat_postMessage(channel=CHANNEL_ID, text="hi")
    assert caught.value.response["error"] == "not_in_channel"
    await slack_client.chat_postMessage(channel=CHANNEL_ID, text="hi")  # once only

    standin.fail("chat.postMessage", "ratelimited", retry_after=7)
    with pytest.raises(SlackApiError) as limited:
        await slack_client.chat_postMessage(channel=CHANNEL_ID, text="hi")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"

    standin.fail("chat.postMessage", "ratelimited", retry_after=0)
    patient = AsyncWebClient(
        token="xoxb-test",
        base_url=standin.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    await patient.chat_postMessage(channel=CHANNEL_ID, text="hi")  # retried after Retry-After
    outcomes = [c.response.get("error", "ok") for c in standin.calls_to("chat.postMessage")]
    assert outcomes == ["not_in_channel", "ok", "ratelimited", "ratelimited", "ok"]

    standin.fail("response_url", "expired_url")
    resp = await AsyncWebhookClient(url=standin.new_response_url()).send(text="late")
    assert (resp.status_code, resp.body) == (404, "expired_url")

    with pytest.raises(SlackApiError) as unknown:
        await slack_client.api_call("chat.frobnicate")
    assert unknown.value.response["error"] == "unknown_method"
    assert standin.unexpected == ["chat.frobnicate"]


async def test_files_upload_v2(standin: SlackStandIn, slack_client: AsyncWebClient) -> None:
    png = tiny_png()
    resp = await slack_client.files_upload_v2(
        channel=CHANNEL_ID,
        file=png,
        filename="phase.png",
        title="Phase chart",
        initial_comment="Here is the chart",
    )
    (upload,) = standin.uploads.values()
    assert resp["file"] == {"id": upload.file_id, "title": "Phase chart"}
    assert upload.data == png
    assert upload.length == len(png)
    assert (upload.filename, upload.channel_id) == ("phase.png", CHANNEL_ID)
    assert upload.initial_comment == "Here is the chart"
    assert upload.completed
    methods = [c.method for c in standin.calls]
    assert methods == ["files.getUploadURLExternal", "files.completeUploadExternal"]


# -- Socket Mode --------------------------------------------------------------------------


@pytest.fixture
async def socket_mode(standin: SlackStandIn, toy: Toy) -> AsyncIterator[AsyncSocketModeHandler]:
    handler = AsyncSocketModeHandler(toy.app, app_token=standin.world.app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]  # apps.connections.open, then ws
    await standin.wait_for(lambda: standin.connections)
    yield handler
    await handler.close_async()  # type: ignore[no-untyped-call]


async def test_socket_mode_slash_command(
    standin: SlackStandIn, toy: Toy, socket_mode: AsyncSocketModeHandler
) -> None:
    (opened,) = standin.calls_to("apps.connections.open")
    assert opened.token == "xapp-test"
    fields = slash_command("/phase", "what is a payload", response_url=standin.new_response_url())
    envelope_id = await standin.push("slash_commands", fields)
    ack = await standin.wait_for_ack(envelope_id)
    assert ack.payload == {"text": "Looking up what is a payload…"}
    assert await toy.next_finished() == "phase"
    (posted,) = standin.responses
    assert posted.response_type == "in_channel"
    assert posted.status == 200
    assert standin.rejected == []


async def test_socket_mode_button_click(
    standin: SlackStandIn, toy: Toy, socket_mode: AsyncSocketModeHandler
) -> None:
    payload = block_actions(
        [button("advance", "deployment")], response_url=standin.new_response_url()
    )
    envelope_id = await standin.push("interactive", payload)
    ack = await standin.wait_for_ack(envelope_id)
    assert ack.payload is None
    assert await toy.next_finished() == "advance"
    assert standin.responses[0].text == "Moved to deployment"


async def test_socket_mode_protocol(standin: SlackStandIn) -> None:
    """The websocket as a bare client sees it: hello, envelopes, and acks checked like messages."""
    opened = await AsyncWebClient(base_url=standin.api_url).apps_connections_open(
        app_token="xapp-test"
    )
    async with aiohttp.ClientSession() as session, session.ws_connect(opened["url"]) as ws:
        hello = await ws.receive_json(timeout=3)
        assert (hello["type"], hello["connection_info"]) == ("hello", {"app_id": "A0TEST"})
        envelope_id = await standin.push("interactive", {"type": "block_actions"})
        envelope = await ws.receive_json(timeout=3)
        assert envelope == {
            "envelope_id": envelope_id,
            "payload": {"type": "block_actions"},
            "type": "interactive",
            "accepts_response_payload": False,
        }
        bad = {"text": "hi", "blocks": [section("x" * 3001)]}
        await ws.send_json({"envelope_id": envelope_id, "payload": bad})
        ack = await standin.wait_for_ack(envelope_id)
    assert ack.payload == bad
    (rejection,) = standin.rejected
    assert rejection.where == "ack"
    assert "section text has 3001 characters; at most 3000" in rejection.reasons[0]
    await standin.wait_for(lambda: not standin.connections)
