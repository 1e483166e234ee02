"""A local stand-in for Slack: the Web API, ``response_url`` endpoints and Socket Mode.

One aiohttp server on ``127.0.0.1`` (a free port) answers, with the shapes Slack documents:

* ``POST|GET {api_url}<method>`` for ``auth.test``, ``users.info``, ``usergroups.users.list``,
  ``chat.postMessage``, ``chat.update``, ``chat.postEphemeral``, ``apps.connections.open``,
  ``files.getUploadURLExternal`` and ``files.completeUploadExternal``. ``api_url`` is
  ``http://127.0.0.1:PORT/api/``: give it to ``AsyncWebClient(base_url=...)``, trailing slash
  included. Arguments are read from the query string and from a JSON or form body, the token
  from ``Authorization: Bearer`` or a ``token`` argument. A wrong or missing token gets
  ``invalid_auth`` / ``not_authed``; an unknown method ``unknown_method`` (and is listed in
  :attr:`SlackStandIn.unexpected`).
* ``POST /response/<id>``: a ``response_url`` (make one with :meth:`SlackStandIn.new_response_url`).
  Answers ``200 ok``, or ``400`` with a reason when Slack would refuse the message.
* ``POST /upload/<file_id>``: the upload URL that ``files.getUploadURLExternal`` hands out.
* ``GET /link/``: the Socket Mode websocket that ``apps.connections.open`` hands out. It sends
  ``hello``, :meth:`SlackStandIn.push` sends envelopes, and acks are kept in :attr:`acks`.

Every call is in :attr:`calls`, every response_url post in :attr:`responses`. Messages whose
``blocks`` Slack would refuse (see :mod:`tests.slack.blocks`) get ``invalid_blocks`` and are kept
in :attr:`rejected`, so a test can assert there were none. :meth:`fail` makes a method (or
``"response_url"``) fail on demand; :meth:`wait_for` waits for something to be recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import WSMsgType, web

from tests.slack.blocks import MAX_MESSAGE_TEXT, block_problems

logger = logging.getLogger(__name__)

JSON = dict[str, Any]
T = TypeVar("T")

TEAM_ID = "T0TEST"
TEAM_DOMAIN = "phasebot-test"
APP_ID = "A0TEST"
BOT_TOKEN = "xoxb-test"
APP_TOKEN = "xapp-test"
CHANNEL_ID = "C0GENERAL"
CHANNEL_NAME = "general"


@dataclass
class User:
    id: str
    name: str
    is_admin: bool = False
    is_owner: bool = False
    is_primary_owner: bool = False
    is_bot: bool = False
    deleted: bool = False

    def payload(self, team_id: str) -> JSON:
        """The ``user`` object of ``users.info``."""
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": self.name.title(),
            "deleted": self.deleted,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_primary_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "tz": "Europe/London",
            "profile": {"real_name": self.name.title(), "display_name": self.name},
        }


@dataclass
class UserGroup:
    id: str
    handle: str
    members: list[str] = field(default_factory=list)


def _default_users() -> list[User]:
    return [
        User("U0OWNER", "owner", is_admin=True, is_owner=True, is_primary_owner=True),
        User("U0ADMIN", "admin", is_admin=True),
        User("U0MEMBER", "member"),
        User("U0GUEST", "guest"),
        User("U0BOT", "phasebot", is_bot=True),
    ]


@dataclass
class World:
    """The workspace the stand-in pretends to be: tokens, ids, users and user groups."""

    team_id: str = TEAM_ID
    team_domain: str = TEAM_DOMAIN
    app_id: str = APP_ID
    bot_token: str = BOT_TOKEN
    app_token: str = APP_TOKEN
    bot_user_id: str = "U0BOT"
    bot_id: str = "B0BOT"
    users: list[User] = field(default_factory=_default_users)
    usergroups: list[UserGroup] = field(
        default_factory=lambda: [UserGroup("S0LEADS", "leads", ["U0ADMIN", "U0MEMBER"])]
    )

    def user(self, user_id: str) -> User | None:
        return next((u for u in self.users if u.id == user_id), None)


@dataclass(frozen=True)
class ApiCall:
    method: str
    args: JSON
    headers: dict[str, str]
    token: str | None
    response: JSON


@dataclass(frozen=True)
class ResponsePost:
    """One POST to a response_url, accepted or not."""

    response_id: str
    body: JSON
    status: int

    @property
    def response_type(self) -> str:
        return str(self.body.get("response_type") or "ephemeral")  # Slack's default

    @property
    def replace_original(self) -> bool:
        return bool(self.body.get("replace_original"))

    @property
    def text(self) -> str | None:
        return self.body.get("text")

    @property
    def blocks(self) -> list[JSON] | None:
        return self.body.get("blocks")


@dataclass(frozen=True)
class Rejection:
    where: str
    """The API method, or ``"response_url"``."""
    reasons: list[str]
    body: JSON


@dataclass(frozen=True)
class Ack:
    envelope_id: str
    payload: JSON | None


@dataclass
class Upload:
    file_id: str
    filename: str
    length: int
    data: bytes | None = None
    title: str | None = None
    channel_id: str | None = None
    initial_comment: str | None = None
    completed: bool = False


@dataclass
class Failure:
    error: str
    times: int
    retry_after: int | None


class SlackError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1; yields its origin, ``http://127.0.0.1:PORT``."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


Handler = Callable[[JSON], Awaitable[JSON]]


class SlackStandIn:
    def __init__(self, world: World | None = None) -> None:
        self.world = world or World()
        self.calls: list[ApiCall] = []
        self.responses: list[ResponsePost] = []
        self.rejected: list[Rejection] = []
        self.unexpected: list[str] = []
        self.uploads: dict[str, Upload] = {}
        self.messages: dict[str, JSON] = {}
        """Messages by ``ts``, as last posted or updated through the Web API."""
        self.acks: list[Ack] = []
        self.connections: list[web.WebSocketResponse] = []
        self._failures: dict[str, Failure] = {}
        self._counter = itertools.count(1)
        self._changed = asyncio.Event()
        self._stack: AsyncExitStack | None = None
        self.origin = ""
        self._methods: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "apps.connections.open": self._apps_connections_open,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{id}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/link/", self._socket)
        self._stack = AsyncExitStack()
        self.origin = await self._stack.enter_async_context(serve(app))

    async def stop(self) -> None:
        for ws in list(self.connections):
            await ws.close()
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None

    async def __aenter__(self) -> SlackStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        return f"{self.origin}/api/"

    def new_response_url(self) -> str:
        return f"{self.origin}/response/{uuid.uuid4().hex}"

    # -- for tests -------------------------------------------------------------------------

    def fail(
        self, method: str, error: str, *, times: int = 1, retry_after: int | None = None
    ) -> None:
        """Make the next ``times`` calls of ``method`` (or ``"response_url"``) fail with ``error``.

        ``ratelimited`` is answered as Slack does: HTTP 429 with a ``Retry-After`` header
        (``retry_after``, default 1). Other API errors are HTTP 200 with ``ok: false``; a
        failing response_url answers HTTP 404 with the error as its body.
        """
        if error == "ratelimited" and retry_after is None:
            retry_after = 1
        self._failures[method] = Failure(error, times, retry_after)

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, predicate: Callable[[], T | None], seconds: float = 5.0) -> T:
        """Wait until ``predicate()`` is truthy (re-checked whenever the stand-in records)."""
        try:
            async with asyncio.timeout(seconds):
                while True:
                    value = predicate()
                    if value:
                        return value
                    await self._changed.wait()
        except TimeoutError:
            raise TimeoutError(f"nothing satisfied the predicate within {seconds} s") from None

    async def push(
        self, envelope_type: str, payload: JSON, *, accepts_response_payload: bool | None = None
    ) -> str:
        """Send a Socket Mode envelope to the newest connection; returns its ``envelope_id``."""
        if not self.connections:
            raise RuntimeError("no Socket Mode client is connected")
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type == "slash_commands"
        envelope_id = str(uuid.uuid4())
        envelope: JSON = {"envelope_id": envelope_id, "payload": payload, "type": envelope_type}
        envelope["accepts_response_payload"] = accepts_response_payload
        await self.connections[-1].send_json(envelope)
        return envelope_id

    async def wait_for_ack(self, envelope_id: str, seconds: float = 5.0) -> Ack:
        return await self.wait_for(
            lambda: next((a for a in self.acks if a.envelope_id == envelope_id), None), seconds
        )

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._counter):06d}"

    # -- HTTP handlers ---------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args, headers = await _read_args(request), dict(request.headers)
        token = args.pop("token", None)
        auth = request.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            token = auth.removeprefix("Bearer ")
        status, extra_headers = 200, {}
        try:
            handler = self._methods.get(method)
            if handler is None:
                self.unexpected.append(method)
                raise SlackError("unknown_method")
            self._check_token(method, token)
            failure = self._take_failure(method)
            if failure is not None:
                if failure.retry_after is not None:
                    status, extra_headers = 429, {"Retry-After": str(failure.retry_after)}
                raise SlackError(failure.error)
            body = {"ok": True, **await handler(args)}
        except SlackError as e:
            body = {"ok": False, "error": e.error, **e.extra}
        self.calls.append(ApiCall(method, args, headers, token, body))
        self._notify()
        logger.debug("%s %s -> %s", method, args, body)
        return web.json_response(body, status=status, headers=extra_headers)

    def _check_token(self, method: str, token: str | None) -> None:
        if not token:
            raise SlackError("not_authed")
        wanted = self.world.app_token if method == "apps.connections.open" else self.world.bot_token
        if token in (self.world.app_token, self.world.bot_token) and token != wanted:
            raise SlackError("not_allowed_token_type")
        if token != wanted:
            raise SlackError("invalid_auth")

    def _take_failure(self, where: str) -> Failure | None:
        failure = self._failures.get(where)
        if failure is None:
            return None
        failure.times -= 1
        if failure.times <= 0:
            del self._failures[where]
        return failure

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await _read_args(request)
        status, reply, headers = 200, "ok", {}
        problem = message_problem(body, needs_content=not body.get("delete_original"))
        failure = self._take_failure("response_url")
        if failure is not None:
            status, reply = (429 if failure.retry_after is not None else 404), failure.error
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
        elif problem is not None:
            error, reasons = problem
            status, reply = 400, f"{error}: {'; '.join(reasons)}"
            self.rejected.append(Rejection("response_url", reasons, body))
        self.responses.append(ResponsePost(request.match_info["id"], body, status))
        self._notify()
        return web.Response(status=status, text=reply, headers=headers)

    async def _upload(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="file_not_found")
        upload.data = await request.read()
        self._notify()
        return web.Response(text=f"OK - {len(upload.data)}")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections.append(ws)
        self._notify()
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self.connections),
                "debug_info": {"host": "standin", "approximate_connection_time": 18060},
                "connection_info": {"app_id": self.world.app_id},
            }
        )
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                data = json.loads(msg.data)
                if "envelope_id" in data:
                    ack = Ack(data["envelope_id"], data.get("payload"))
                    problem = message_problem(ack.payload or {}, needs_content=False)
                    if problem is not None:
                        self.rejected.append(Rejection("ack", problem[1], ack.payload or {}))
                    self.acks.append(ack)
                    self._notify()
                else:
                    logger.warning("Socket Mode message that is not an ack: %s", data)
        finally:
            self.connections.remove(ws)
            self._notify()
        return ws

    # -- Web API methods -------------------------------------------------------------------

    async def _auth_test(self, args: JSON) -> JSON:
        w = self.world
        return {
            "url": f"https://{w.team_domain}.slack.com/",
            "team": w.team_domain,
            "user": "phasebot",
            "team_id": w.team_id,
            "user_id": w.bot_user_id,
            "bot_id": w.bot_id,
            "is_enterprise_install": False,
        }

    async def _users_info(self, args: JSON) -> JSON:
        user = self.world.user(str(args.get("user")))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user.payload(self.world.team_id)}

    async def _usergroups_users_list(self, args: JSON) -> JSON:
        wanted = args.get("usergroup")
        group = next((g for g in self.world.usergroups if g.id == wanted), None)
        if group is None:
            raise SlackError("no_such_subteam")
        return {"users": list(group.members)}

    def _check_message(self, method: str, args: JSON) -> None:
        if not args.get("channel"):
            raise SlackError("channel_not_found")
        problem = message_problem(args, needs_content=True)
        if problem is not None:
            error, reasons = problem
            self.rejected.append(Rejection(method, reasons, args))
            raise SlackError(error, errors=reasons)

    def _message(self, args: JSON, ts: str) -> JSON:
        message: JSON = {
            "type": "message",
            "user": self.world.bot_user_id,
            "bot_id": self.world.bot_id,
            "app_id": self.world.app_id,
            "team": self.world.team_id,
            "text": args.get("text", ""),
            "ts": ts,
        }
        if args.get("blocks") is not None:
            message["blocks"] = args["blocks"]
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        return message

    async def _chat_post_message(self, args: JSON) -> JSON:
        self._check_message("chat.postMessage", args)
        ts = self._next_ts()
        self.messages[ts] = self._message(args, ts)
        return {"channel": args["channel"], "ts": ts, "message": self.messages[ts]}

    async def _chat_update(self, args: JSON) -> JSON:
        if not args.get("ts"):
            raise SlackError("message_not_found")
        self._check_message("chat.update", args)
        ts = str(args["ts"])
        self.messages[ts] = self._message(args, ts)
        return {
            "channel": args["channel"],
            "ts": ts,
            "text": args.get("text", ""),
            "message": self.messages[ts],
        }

    async def _chat_post_ephemeral(self, args: JSON) -> JSON:
        if self.world.user(str(args.get("user"))) is None:
            raise SlackError("user_not_in_channel")
        self._check_message("chat.postEphemeral", args)
        return {"message_ts": self._next_ts()}

    async def _apps_connections_open(self, args: JSON) -> JSON:
        ticket = uuid.uuid4().hex
        origin = self.origin.replace("http", "ws", 1)
        return {"url": f"{origin}/link/?ticket={ticket}&app_id={self.world.app_id}"}

    async def _files_get_upload_url_external(self, args: JSON) -> JSON:
        filename, length = args.get("filename"), args.get("length")
        if not filename or not str(length).isdigit():
            raise SlackError("invalid_arguments")
        file_id = f"F{next(self._counter):08d}"
        self.uploads[file_id] = Upload(file_id, str(filename), int(str(length)))
        return {"upload_url": f"{self.origin}/upload/{file_id}", "file_id": file_id}

    async def _files_complete_upload_external(self, args: JSON) -> JSON:
        files = args.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments")
        done: list[JSON] = []
        for f in files:
            upload = self.uploads.get(f.get("id"))
            if upload is None or upload.data is None:
                raise SlackError("file_not_found")
            upload.title = f.get("title") or upload.filename
            upload.channel_id = args.get("channel_id")
            upload.initial_comment = args.get("initial_comment")
            upload.completed = True
            done.append({"id": upload.file_id, "title": upload.title})
        return {"files": done}


def message_problem(args: JSON, *, needs_content: bool) -> tuple[str, list[str]] | None:
    """``(error, reasons)`` if Slack would refuse this message, else None."""
    blocks, text = args.get("blocks"), args.get("text")
    if blocks is not None:
        reasons = block_problems(blocks)
        return ("invalid_blocks", reasons) if reasons else None
    if not text:
        return ("no_text", ["neither text nor blocks"]) if needs_content else None
    if len(str(text)) > MAX_MESSAGE_TEXT:
        return ("msg_too_long", [f"text has {len(str(text))} characters; at most 40000"])
    return None


async def _read_args(request: web.Request) -> JSON:
    """Query string plus a JSON or form body; JSON-encoded ``blocks`` in a form are decoded."""
    args: JSON = dict(request.query)
    if request.content_type == "application/json":
        args.update(await request.json())
    elif request.can_read_body:
        args.update((await request.post()).items())
    for key in ("blocks", "attachments"):
        if isinstance(args.get(key), str):
            with contextlib.suppress(json.JSONDecodeError):  # else left a string, and refused
                args[key] = json.loads(args[key])
    return args
