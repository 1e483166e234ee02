"""How Slack reaches the app: the real HTTP server (signed requests, in process and as
``python -m bot slack``), Socket Mode over the stand-in's websocket, a restart between a
message and its click, and a clean stop that never logs a secret."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from bot.core.tracker import Repository
from bot.slack.app import SlackEdge
from bot.slack.runner import connected
from bot.storage import SQLiteRepository
from tests.slack.harness import Slack
from tests.slack.signing import SIGNING_SECRET, form_body, signed_headers, slash_command
from tests.slack.standin import SlackStandIn, World

REPO = Path(__file__).resolve().parents[2]
BOT_TOKEN = "xoxb-1111-2222-distinctive-bot-token"
APP_TOKEN = "xapp-1-A0TEST-3333-distinctive-app-token"
SECRET = "distinctive-signing-secret-4444"
SETTINGS = ("DISCORD_TOKEN", "DATABASE_PATH", "CONTENT_DIR", "DEV_GUILD_ID", "LOG_LEVEL")


async def post(url: str, body: str, headers: dict[str, str]) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session,
        session.post(url, data=body.encode(), headers=headers) as resp,
    ):
        return resp.status, await resp.text()


# -- the HTTP server, in process -------------------------------------------------------------


async def test_a_signed_command_over_http_is_acked_then_answered(served: Slack) -> None:
    started = time.monotonic()
    reply = await served.command("/phase", "testing", via="http")
    assert (reply.status, reply.ack) == (200, "")
    assert time.monotonic() - started < 3
    assert reply.header() == "Phase 5 of 8 · Testing"


@pytest.mark.parametrize(
    ("secret", "age"),
    [("not-the-signing-secret", 0), (SIGNING_SECRET, 5 * 60 + 10)],
    ids=["bad-signature", "stale"],
)
async def test_a_bad_or_stale_signature_gets_401_and_nothing_else(
    served: Slack, standin: SlackStandIn, secret: str, age: int
) -> None:
    fields = slash_command("/project", "reset", response_url=standin.new_response_url())
    body = form_body(fields)
    headers = signed_headers(body, secret=secret, timestamp=int(time.time()) - age)
    status, _ = await post(served.url, body, headers)
    assert status == 401
    await served.edge.finish(5)
    assert standin.calls == [] and standin.responses == []


async def test_an_unsigned_request_gets_401(served: Slack, standin: SlackStandIn) -> None:
    body = form_body(slash_command("/phase", "testing", response_url=standin.new_response_url()))
    status, _ = await post(served.url, body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 401
    assert standin.responses == []


async def test_clicks_come_over_http_too(served: Slack) -> None:
    shown = await served.command("/phase", "testing", via="http")
    after = await served.click(shown.button("Deployment ▶"), on=shown, via="http")
    assert after.posts[0].replace_original
    assert after.header() == "Phase 6 of 8 · Deployment"


async def test_only_the_events_path_is_served(served: Slack) -> None:
    status, _ = await post(served.url.replace("/slack/events", "/other"), "x", {})
    assert status == 404


# -- Socket Mode -----------------------------------------------------------------------------


async def test_socket_mode_over_the_standins_websocket(
    slack: Slack, standin: SlackStandIn, edge: SlackEdge
) -> None:
    async with connected(edge, standin.world.app_token):
        await standin.wait_for(lambda: standin.connections)
        opened = standin.calls_to("apps.connections.open")
        assert [c.token for c in opened] == [standin.world.app_token]
        shown = await slack.command("/phasebot", "phase qa", via="socket")
        assert shown.header() == "Phase 5 of 8 · Testing"
        asked = await slack.command("/ask", "what is a payload?", via="socket")
        assert len(asked.public) == 1  # bolt's "payload" trouble is HTTP's only
        after = await slack.click(shown.button("◀ 4"), on=shown, via="socket")
        assert after.header() == "Phase 4 of 8 · Implementation (Coding)"
        refused = await slack.command("/project", "set design", user="U0GUEST", via="socket")
        assert refused.refusal().startswith("Changing this channel's project needs")
    await standin.wait_for(lambda: not standin.connections)


async def test_a_refused_app_token_is_one_plain_error(edge: SlackEdge) -> None:
    from bot.slack.runner import RunError

    with pytest.raises(
        RunError, match=r"^Slack refused the token in SLACK_APP_TOKEN \(invalid_auth\)"
    ):
        async with connected(edge, "xapp-wrong"):
            pass


# -- a restart between a message and its click -----------------------------------------------


@asynccontextmanager
async def running(
    standin: SlackStandIn, make_edge: Callable[[Repository], SlackEdge], database: Path
) -> AsyncIterator[Slack]:
    """The app as one run of ``phasebot slack``: its own store on the file, closed after."""
    async with await SQLiteRepository.open(database) as repository:
        yield Slack(standin, make_edge(repository))


async def test_clicks_on_messages_from_before_a_restart_still_work(
    standin: SlackStandIn, make_edge: Callable[[Repository], SlackEdge], database: Path
) -> None:
    async with running(standin, make_edge, database) as before:
        shown = await before.command("/phase", "testing")
        compared = await before.command("/compare", "agile spiral")
        for _ in range(3):
            await before.command("/project", "next" if _ else "set planning", user="U0ADMIN")
        pages = await before.command("/project", "history limit:1")
        prompt = await before.command("/project", "reset", user="U0ADMIN")
    async with running(standin, make_edge, database) as after:
        moved = await after.click(shown.button("Set as this"), on=shown, user="U0ADMIN")
        assert moved.header() == "Moved to Phase 5 of 8 · Testing"
        menu = compared.element("pb:cmp:agile:spiral")
        one = await after.click({**menu, "selected_option": menu["options"][2]}, on=compared)
        assert one.header() == "Agile vs Spiral · Flexibility"
        older = await after.click(pages.button("Older"), on=pages)
        assert older.texts()[2] == "Page 3 of 4 · 4 entries · newest first"  # anchored
        done = await after.click(prompt.button("Yes"), on=prompt, user="U0ADMIN")
        assert done.header() == "Project progress reset"
    assert standin.rejected == []


# -- `python -m bot slack`, as users run it --------------------------------------------------


@pytest.fixture
def world() -> World:
    return World(bot_token=BOT_TOKEN, app_token=APP_TOKEN)


class Process:
    """``python -m bot slack ARGS`` against the stand-in, its stderr read as it comes."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []

    async def wait_for_line(self, pattern: str, seconds: float = 30) -> re.Match[str]:
        assert self.proc.stderr is not None
        async with asyncio.timeout(seconds):
            while True:
                for line in self.lines:
                    if found := re.search(pattern, line):
                        return found
                raw = await self.proc.stderr.readline()
                if not raw:
                    raise AssertionError(f"exited without {pattern!r}:\n{''.join(self.lines)}")
                self.lines.append(raw.decode())

    async def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        self.proc.send_signal(sig)
        out, err = await asyncio.wait_for(self.proc.communicate(), 30)
        output = "".join(self.lines) + err.decode() + out.decode()
        return await self.proc.wait(), output


def environment(standin: SlackStandIn, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS and "proxy" not in k.lower()}
    env = {k: v for k, v in env.items() if not k.startswith("SLACK_")}
    env.update(
        DATABASE_PATH=str(tmp_path / "db.sqlite3"),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=standin.api_url,
        LOG_LEVEL="DEBUG",
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env


async def start(args: list[str], env: dict[str, str], cwd: Path) -> Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "slack", *args,
        env=env, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    return Process(proc)


def assert_clean(code: int, output: str, tmp_path: Path) -> None:
    assert code == 0, output
    assert "Traceback" not in output
    assert "closed the SQLite store" in output
    assert "bot.slack.runner: stopped" in output
    for secret in (BOT_TOKEN, APP_TOKEN, SECRET):
        assert secret not in output
    assert not (tmp_path / "db.sqlite3-wal").exists()  # the last close checkpoints the WAL
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        assert db.execute("SELECT platform, phase_key FROM projects").fetchall() == [
            ("slack", "design")
        ]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_python_m_bot_slack_serves_http_and_stops_cleanly(
    standin: SlackStandIn, tmp_path: Path, sig: int
) -> None:
    env = environment(standin, tmp_path, SLACK_SIGNING_SECRET=SECRET)
    app = await start(["--port", "0"], env, tmp_path)
    url = (await app.wait_for_line(r"listening for Slack on (\S+)")).group(1)
    for text, user in [("phase testing", "U0MEMBER"), ("project set design", "U0ADMIN")]:
        fields = slash_command(
            "/phasebot", text, response_url=standin.new_response_url(), user_id=user
        )
        body = form_body(fields)
        assert await post(url, body, signed_headers(body, secret=SECRET)) == (200, "")
    bad = form_body(slash_command("/phase", "x", response_url=standin.new_response_url()))
    assert (await post(url, bad, signed_headers(bad)))[0] == 401  # signed with another secret
    await standin.wait_for(lambda: len(standin.responses) == 2)
    assert [r.status for r in standin.responses] == [200, 200]
    assert standin.responses[0].blocks[0]["text"]["text"] == "Phase 5 of 8 · Testing"  # type: ignore[index]
    assert_clean(*await app.stop(sig), tmp_path)
    assert standin.rejected == []


async def test_python_m_bot_slack_in_socket_mode(standin: SlackStandIn, tmp_path: Path) -> None:
    env = environment(standin, tmp_path, SLACK_APP_TOKEN=APP_TOKEN)
    app = await start([], env, tmp_path)
    await app.wait_for_line("connected to Slack in Socket Mode")
    await standin.wait_for(lambda: standin.connections)
    fields = slash_command(
        "/project", "set design", response_url=standin.new_response_url(), user_id="U0OWNER"
    )
    await standin.wait_for_ack(await standin.push("slash_commands", fields))
    await standin.wait_for(lambda: standin.responses)
    assert standin.responses[0].blocks[0]["text"]["text"].startswith("Moved to Phase 3")  # type: ignore[index]
    assert_clean(*await app.stop(), tmp_path)
    assert standin.rejected == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"SLACK_BOT_TOKEN": "xoxb-wrong", "SLACK_SIGNING_SECRET": SECRET},
            "phasebot: Slack refused the token in SLACK_BOT_TOKEN (invalid_auth).",
        ),
        (
            {"SLACK_APP_TOKEN": "xapp-wrong"},
            "phasebot: Slack refused the token in SLACK_APP_TOKEN (invalid_auth).",
        ),
    ],
    ids=["bot-token", "app-token"],
)
async def test_a_refused_token_is_one_line_and_exit_1(
    standin: SlackStandIn, tmp_path: Path, extra: dict[str, str], message: str
) -> None:
    app = await start([], environment(standin, tmp_path, **extra), tmp_path)
    out, err = await asyncio.wait_for(app.proc.communicate(), 30)
    assert await app.proc.wait() == 1
    last = err.decode().strip().splitlines()[-1]
    assert last.startswith(message)
    assert "xoxb-wrong" not in err.decode() + out.decode()
    assert "xapp-wrong" not in err.decode() + out.decode()


# -- an answer with a file -----------------------------------------------------------------


async def test_an_answer_with_a_file_uploads_it_to_the_channel(
    slack: Slack, standin: SlackStandIn, edge: SlackEdge
) -> None:
    """An answer's file (a timeline's picture, an export) is posted with
    files_upload_v2, after the message."""
    from bot.core.answer import Answer, File
    from bot.slack.respond import send

    reply = edge.reply_to({"response_url": standin.new_response_url()})
    chart = File("phase.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")
    await send(
        reply,
        Answer(title="Chart", description="Here", file=chart),
        edge.uploader("C0GENERAL", reply),
    )
    (upload,) = standin.uploads.values()
    assert (upload.filename, upload.channel_id, upload.data, upload.completed) == (
        "phase.png", "C0GENERAL", chart.data, True,
    )  # fmt: skip
    assert standin.responses[0].blocks is not None

    standin.fail("files.completeUploadExternal", "not_in_channel")
    refused = edge.reply_to({"response_url": standin.new_response_url()})
    await send(refused, Answer(title="Chart", file=chart), edge.uploader("C0OTHER", refused))
    assert standin.responses[-1].response_type == "ephemeral"
    assert standin.responses[-1].text == (
        "I couldn't attach the file here. Invite me to this channel (/invite @phasebot) "
        "and ask again."
    )
