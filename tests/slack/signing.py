"""Requests as Slack sends them to an app: slash commands and block_actions, signed.

Slack signs each request to an app's Request URL with the app's signing secret:
``X-Slack-Signature: v0=hex(HMAC-SHA256(secret, "v0:{timestamp}:{raw body}"))`` and
``X-Slack-Request-Timestamp: {timestamp}`` (bolt refuses a timestamp more than five minutes
away). Bodies are form-encoded: a slash command's fields directly, an interaction's JSON in a
``payload`` field. Over Socket Mode the same dicts are the envelope's ``payload``, unsigned.

    fields = slash_command("/phase", "status", response_url=standin.new_response_url())
    body = form_body(fields)
    await session.post(url, data=body, headers=signed_headers(body))
    await standin.push("slash_commands", fields)  # the same command over Socket Mode
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from tests.slack.standin import APP_ID, CHANNEL_ID, CHANNEL_NAME, TEAM_DOMAIN, TEAM_ID

JSON = dict[str, Any]

SIGNING_SECRET = "test-signing-secret"
"""An obviously fake signing secret for the toy apps in tests."""


def signature(body: str, timestamp: int | str, secret: str = SIGNING_SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: str,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    """The headers Slack sends with ``body``; ``timestamp`` defaults to now."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": signature(body, ts, secret),
    }


def _trigger_id() -> str:
    return f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"


def form_body(fields: Mapping[str, str]) -> str:
    return urlencode(fields)


def interaction_body(payload: JSON) -> str:
    return urlencode({"payload": json.dumps(payload)})


def slash_command(
    command: str,
    text: str = "",
    *,
    response_url: str,
    user_id: str = "U0MEMBER",
    user_name: str = "member",
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    team_id: str = TEAM_ID,
) -> dict[str, str]:
    """A slash command's fields, as Slack posts them (form) or pushes them (Socket Mode)."""
    return {
        "token": "legacy-verification-token",
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": _trigger_id(),
    }


def button(action_id: str, value: str, *, text: str = "Button", block_id: str = "actions") -> JSON:
    """A clicked button, as it appears in a block_actions payload's ``actions``."""
    return {
        "type": "button",
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "value": value,
        "action_ts": f"{time.time():.6f}",
    }


def static_select(
    action_id: str, value: str, *, text: str | None = None, block_id: str = "actions"
) -> JSON:
    """A chosen option of a static select, as it appears in ``actions``."""
    return {
        "type": "static_select",
        "action_id": action_id,
        "block_id": block_id,
        "selected_option": {"text": {"type": "plain_text", "text": text or value}, "value": value},
        "action_ts": f"{time.time():.6f}",
    }


def block_actions(
    actions: list[JSON],
    *,
    response_url: str,
    message: JSON | None = None,
    user_id: str = "U0MEMBER",
    user_name: str = "member",
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    team_id: str = TEAM_ID,
) -> JSON:
    """A block_actions payload for a click on a message the app posted (``message``)."""
    message = message or {"type": "message", "text": "", "ts": "1700000000.000100"}
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": _trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
        "message": message,
        "state": {"values": {}},
        "response_url": response_url,
        "actions": actions,
    }
