"""Shared helpers for the benchmark scripts (not a test module; pytest never collects bench/).

Every benchmark runs the real bot end to end: ``create_bot`` is logged in against the
local Discord stand-in of ``tests/discord`` and raw ``INTERACTION_CREATE`` payloads go
through discord.py's real gateway parser, command tree, HTTP client and the stand-in's
HTTP server on 127.0.0.1. Figures are ratios to a floor measured in the same run, and the
ratio reported is the median over rounds.

:class:`Driver` fires interactions with as little driver overhead as possible: payloads
are built and registered with the stand-in *before* the clock starts, and the clock stops
when the task discord.py spawned for the interaction (the command-tree invoker, which
awaits the HTTP callback) has finished. The harness's own ``feed`` is used once per kind
of interaction to check that the answer is right.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the working tree's bot/ and tests/, not an installed copy

RESULTS = ROOT / "bench" / "results"

JSON = dict[str, Any]


# -- statistics ------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def median(values: Iterable[float]) -> float:
    xs = [v for v in values if not math.isnan(v)]
    return statistics.median(xs) if xs else math.nan


def ms(seconds: float) -> float:
    return seconds * 1000.0


# -- output ----------------------------------------------------------------------------------


def machine() -> JSON:
    """CPU model, cores, Python and library versions: printed with every table."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import sqlite3

    info: JSON = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "os": f"{platform.system()} {platform.release()}",
        "sqlite": sqlite3.sqlite_version,
    }
    with contextlib.suppress(Exception):
        import discord

        info["discord.py"] = discord.__version__
    with contextlib.suppress(Exception):
        import aiosqlite

        info["aiosqlite"] = aiosqlite.__version__
    return info


def machine_line(info: Mapping[str, Any] | None = None) -> str:
    m = dict(info or machine())
    return (
        f"{m['cpu']} · {m['cores']} cores · {m['implementation']} {m['python']} · "
        f"discord.py {m.get('discord.py', '?')} · SQLite {m['sqlite']} · {m['os']}"
    )


def code_version() -> JSON:
    """The commit measured, and which files of bot/ differ from it (others work in the tree)."""
    import subprocess

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout

    status = git("status", "--porcelain", "--", "bot").splitlines()
    changed = [line[3:] for line in status if len(line) > 3]
    return {"commit": git("rev-parse", "--short", "HEAD").strip(), "changed_in_bot": changed}


def write_results(name: str, data: Mapping[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "machine": machine(),
        "code": code_version(),
        "written_at": time.time(),
        **data,
    }
    path.write_text(json.dumps(payload, indent=2, default=_jsonable) + "\n", encoding="utf-8")
    return path


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    raise TypeError(f"not JSON serializable: {value!r}")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table (GitHub Markdown compatible)."""
    cells = [[_cell(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))

    def line(items: Sequence[str]) -> str:
        return "| " + " | ".join(s.ljust(widths[i]) for i, s in enumerate(items)) + " |"

    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(row) for row in cells]
    return "\n".join(out)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return f"{value:.2f}" if abs(value) >= 0.1 or value == 0 else f"{value:.3f}"
    if isinstance(value, bool):
        return "pass" if value else "FAIL"
    return str(value)


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


# -- the bot on the stand-in -----------------------------------------------------------------


def settings(database_path: Path, content_dir: Path | None = None) -> Any:
    from bot.config import Settings

    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token=None,
        database_path=database_path,
        content_dir=content_dir,
        dev_guild_id=None,
        log_level="WARNING",
    )


def add_floor_command(bot: Any) -> None:
    """The floor: a bare ``/ping`` that replies with a tiny message. Benchmark-only."""
    import discord
    from discord import app_commands

    @app_commands.command(name="ping", description="Benchmark floor: a tiny reply.")
    async def ping(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message("pong")

    bot.tree.add_command(ping)


def timed_standin() -> Any:
    """A stand-in that also adds up the time its request handler runs (server-side CPU)."""
    from tests.discord.standin import StandIn

    class TimedStandIn(StandIn):
        server_seconds = 0.0
        server_requests = 0

        async def _dispatch(self, request: Any) -> Any:
            started = time.perf_counter()
            try:
                return await super()._dispatch(request)
            finally:
                self.server_seconds += time.perf_counter() - started
                self.server_requests += 1

    return TimedStandIn()


MANAGE_CHANNELS = 1 << 4


@dataclass
class Fired:
    seconds: float
    state: Any
    server_seconds: float = 0.0


class GcClock:
    """Adds up the time the cyclic garbage collector runs (via ``gc.callbacks``)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = [0, 0, 0]
        self._started = 0.0

    def __call__(self, phase: str, info: Mapping[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.collections[int(info["generation"])] += 1

    def __enter__(self) -> GcClock:
        import gc

        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        import gc

        gc.callbacks.remove(self)


@dataclass
class Driver:
    """Fires interactions at a logged-in bot through discord.py's gateway parser."""

    harness: Any
    _capturing: list[asyncio.Task[Any]] | None = None
    _previous_factory: Any = None
    _installed: bool = False
    editor_permissions: int = 0
    channels: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.editor_permissions = self.harness.world.member_permissions | MANAGE_CHANNELS

    @property
    def bot(self) -> Any:
        return self.harness.bot

    @property
    def standin(self) -> Any:
        return self.harness.standin

    def install(self) -> None:
        """Record the tasks each parser call spawns (via a task factory on the loop)."""
        loop = asyncio.get_running_loop()
        self._previous_factory = loop.get_task_factory()

        def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
            task = asyncio.Task(coro, loop=loop, **kwargs)
            if self._capturing is not None:
                self._capturing.append(task)
            return task

        loop.set_task_factory(factory)
        self._installed = True

    def uninstall(self) -> None:
        if self._installed:
            asyncio.get_running_loop().set_task_factory(self._previous_factory)
            self._installed = False

    def channel(self, name: str) -> int:
        """A guild channel id of its own for ``name`` (each write benchmark gets one)."""
        from tests.discord.standin import snowflake

        if name not in self.channels:
            cid = snowflake()
            self.channels[name] = cid
            chan = {**self.harness.world.guild_channel(), "id": str(cid), "name": name}
            self.standin.add_channel(chan)
        return self.channels[name]

    def payload(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        focused: str | None = None,
        channel: str | None = None,
        channel_id: int | None = None,
        editor: bool = False,
    ) -> tuple[JSON, Any]:
        """A fresh INTERACTION_CREATE payload, registered with the stand-in.

        ``channel`` names a guild channel of the benchmark's own (created on first use);
        ``channel_id`` puts the interaction in any channel id of the world's guild.
        """
        from tests.discord.harness import state_from_payload

        payload = self.harness.builder.slash(
            name,
            options,
            focused=focused,
            permissions=self.editor_permissions if editor else None,
        )
        if channel is not None or channel_id is not None:
            cid = str(channel_id if channel_id is not None else self.channel(channel or ""))
            payload["channel"] = {**payload["channel"], "id": cid, "name": channel or cid}
            payload["channel_id"] = cid
        state = state_from_payload(payload)
        self.standin.register_interaction(state)
        return payload, state

    async def fire(self, payload: JSON, state: Any) -> Fired:
        """Feed one payload; return the time until discord.py finished handling it."""
        parser = self.bot._connection.parsers["INTERACTION_CREATE"]
        server_before = self.standin.server_seconds
        started = time.perf_counter()
        await self._feed(parser, payload)
        elapsed = time.perf_counter() - started
        return Fired(elapsed, state, self.standin.server_seconds - server_before)

    async def _feed(self, parser: Callable[[JSON], None], payload: JSON) -> None:
        """Parse one payload and wait for the tasks discord.py spawned for it."""
        spawned: list[asyncio.Task[Any]] = []
        self._capturing = spawned
        try:
            parser(payload)
        finally:
            self._capturing = None
        if spawned:
            await asyncio.wait(spawned)

    async def fire_concurrently(
        self, slots: Sequence[Sequence[tuple[JSON, Any]]]
    ) -> tuple[float, list[Any]]:
        """Fire each slot's payloads in order, all slots at once; returns (seconds, states).

        ``len(slots)`` interactions are in flight at any time. Payloads are built (and
        registered with the stand-in) before the clock starts.
        """
        parser = self.bot._connection.parsers["INTERACTION_CREATE"]
        states = [state for calls in slots for _, state in calls]

        async def client(calls: Sequence[tuple[JSON, Any]]) -> None:
            for payload, _state in calls:
                await self._feed(parser, payload)

        started = time.perf_counter()
        await asyncio.gather(*(client(calls) for calls in slots))
        return time.perf_counter() - started, states

    def forget(self) -> None:
        """Drop what the stand-in recorded (messages, requests), between rounds."""
        s = self.standin
        for store in (
            s.requests,
            s.messages,
            s.message_history,
            s.message_meta,
            s.interactions,
            s._tokens,
        ):
            store.clear()

    def errors(self) -> list[str]:
        """Errors logged by discord.py or the bot, rejected or unknown requests so far."""
        h = self.harness
        out = [r.getMessage() for r in h._capture.records]
        out += list(h._loop_errors) + list(self.standin.internal_errors)
        out += [str(r) for r in self.standin.requests if r.route is None or r.status >= 400]
        return out


def check_answer(state: Any, *, autocomplete: bool = False, what: str = "") -> None:
    """The interaction was answered like a success, not with an (ephemeral) error."""
    if state.callback_type is None:
        raise AssertionError(f"{what}: never acknowledged")
    if autocomplete:
        if state.callback_type != 8 or not state.choices:
            raise AssertionError(f"{what}: expected autocomplete choices, got {state.callback}")
        return
    data = (state.callback or {}).get("data") or {}
    if state.callback_type != 4 or int(data.get("flags") or 0) & (1 << 6):
        raise AssertionError(f"{what}: expected a public answer, got {data}")


@contextlib.asynccontextmanager
async def running_bot(
    workdir: Path,
    *,
    content_dir: Path | None = None,
    database: Path | None = None,
    extra_commands: Callable[[Any], None] | None = None,
    python_gc: bool = False,
) -> Any:
    """``create_bot`` with the ``/ping`` floor, logged in and synced on a timed stand-in.

    ``extra_commands(bot)`` may add more benchmark-only commands before the sync. Once it
    is loaded, the garbage collector is tuned as ``phasebot run`` tunes it
    (:func:`bot.discord.runner.tune_gc`), unless ``python_gc`` keeps Python's defaults;
    and the collector is set back (and unfrozen) when the bot has closed.
    """
    import gc

    from bot import create_bot
    from bot.discord.runner import tune_gc
    from tests.discord.harness import Harness

    db = database or workdir / "phasebot.sqlite3"
    bot = create_bot(settings(db, content_dir))
    add_floor_command(bot)
    if extra_commands is not None:
        extra_commands(bot)
    harness = Harness(bot, sync=True, standin=timed_standin(), timeout=30.0)
    threshold = gc.get_threshold()
    try:
        async with harness as h:
            if not python_gc:
                tune_gc()
            driver = Driver(h)
            driver.install()
            try:
                yield driver
            finally:
                driver.uninstall()
    finally:
        if not python_gc:
            gc.unfreeze()
        gc.set_threshold(*threshold)


def workdir(prefix: str) -> tempfile.TemporaryDirectory[str]:
    base = os.environ.get("BENCH_TMPDIR")
    return tempfile.TemporaryDirectory(prefix=f"phasebot-{prefix}-", dir=base)
