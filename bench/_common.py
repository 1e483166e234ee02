"""Shared helpers for the benchmark scripts (not a test module; pytest never collects bench/).

The bot runs as ``phasebot run`` builds it (``load_services``, ``open_repository``,
``make_runner``, ``PhaseBot``), logged in against the local Discord stand-in of
``tests/discord``: raw ``INTERACTION_CREATE`` payloads go through discord.py's gateway
parser, command tree, HTTP client and the stand-in's HTTP server on 127.0.0.1.

:class:`Driver` fires interactions with as little overhead of its own as possible:
payloads are built and registered with the stand-in before the clock starts, and the
clock stops when the task discord.py spawned for the interaction has finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # this checkout's bot/ and tests/, not an installed copy

RESULTS = ROOT / "bench" / "results"
JSON = dict[str, Any]
MANAGE_CHANNELS = 1 << 4


# -- statistics and output -------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), linear between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def median(values: Iterable[float]) -> float:
    xs = [v for v in values if not math.isnan(v)]
    return statistics.median(xs) if xs else math.nan


def ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """The median over rounds of each round's ratio a/b."""
    return median(x / y for x, y in zip(a, b, strict=True))


def ms(seconds: float) -> float:
    return seconds * 1000.0


def machine() -> JSON:
    import sqlite3

    import discord

    cpu = platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "discord.py": discord.__version__,
        "sqlite": sqlite3.sqlite_version,
        "load_average": os.getloadavg(),
    }


def machine_line() -> str:
    m = machine()
    load = " ".join(f"{x:.1f}" for x in m["load_average"])
    return (
        f"{m['cpu']} · {m['cores']} cores · {m['python']} · discord.py {m['discord.py']} · "
        f"SQLite {m['sqlite']} · load average {load}"
    )


def commit() -> str:
    """The commit measured, marked "+changes" when bot/ differs from it."""
    run = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout  # noqa: E731
    dirty = "+changes" if run("status", "--porcelain", "--", "bot").strip() else ""
    return run("rev-parse", "--short", "HEAD").strip() + dirty


def write_results(name: str, data: Mapping[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "machine": machine(), "commit": commit(), **data}
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"written {path.relative_to(ROOT)}")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub Markdown table."""
    cells = [[_cell(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    line = lambda items: "| " + " | ".join(s.ljust(w) for s, w in zip(items, widths)) + " |"  # noqa: E731
    return "\n".join(
        [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
        + [line(r) for r in cells]
    )


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "pass" if value else "FAIL"
    if isinstance(value, float):
        return "—" if math.isnan(value) else f"{value:.2f}"
    return str(value)


def workdir(prefix: str) -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(
        prefix=f"phasebot-{prefix}-", dir=os.environ.get("BENCH_TMPDIR")
    )


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


def timed_standin() -> Any:
    """A stand-in that adds up the time its request handler runs (Discord's side)."""
    from tests.discord.standin import StandIn

    class TimedStandIn(StandIn):
        seconds = 0.0

        async def _dispatch(self, request: Any) -> Any:
            started = time.perf_counter()
            try:
                return await super()._dispatch(request)
            finally:
                self.seconds += time.perf_counter() - started

    return TimedStandIn()


@dataclass
class Fired:
    seconds: float
    state: Any
    standin_seconds: float = 0.0


@dataclass
class Driver:
    """Fires interactions at a logged-in bot through discord.py's gateway parser."""

    harness: Any
    channels: dict[str, int] = field(default_factory=dict)
    _spawned: list[asyncio.Task[Any]] | None = None

    @property
    def bot(self) -> Any:
        return self.harness.bot

    @property
    def standin(self) -> Any:
        return self.harness.standin

    def install(self) -> None:
        """Record the tasks each parser call spawns (a task factory on the loop)."""

        def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
            task = asyncio.Task(coro, loop=loop, **kwargs)
            if self._spawned is not None:
                self._spawned.append(task)
            return task

        asyncio.get_running_loop().set_task_factory(factory)

    def channel(self, name: str) -> int:
        """A guild channel of the benchmark's own for ``name``, made on first use."""
        from tests.discord.standin import snowflake

        if name not in self.channels:
            self.channels[name] = cid = snowflake()
            self.standin.add_channel(
                {**self.harness.world.guild_channel(), "id": str(cid), "name": name}
            )
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
        """A fresh INTERACTION_CREATE payload, registered with the stand-in; in the
        benchmark's own channel ``channel`` or in any channel id ``channel_id``."""
        from tests.discord.harness import state_from_payload

        world = self.harness.world
        permissions = world.member_permissions | MANAGE_CHANNELS if editor else None
        payload = self.harness.builder.slash(
            name, options, focused=focused, permissions=permissions
        )
        if channel is not None or channel_id is not None:
            cid = str(channel_id if channel_id is not None else self.channel(channel or ""))
            payload["channel"] = {**payload["channel"], "id": cid, "name": channel or cid}
            payload["channel_id"] = cid
        state = state_from_payload(payload)
        self.standin.register_interaction(state)
        return payload, state

    async def _feed(self, payload: JSON) -> None:
        """Parse one payload and wait for the tasks discord.py spawned for it."""
        self._spawned = spawned = []
        try:
            self.bot._connection.parsers["INTERACTION_CREATE"](payload)
        finally:
            self._spawned = None
        if spawned:
            await asyncio.wait(spawned)

    async def fire(self, payload: JSON, state: Any) -> Fired:
        before = self.standin.seconds
        started = time.perf_counter()
        await self._feed(payload)
        elapsed = time.perf_counter() - started
        return Fired(elapsed, state, self.standin.seconds - before)

    async def fire_concurrently(self, slots: Sequence[Sequence[tuple[JSON, Any]]]) -> float:
        """Each slot's payloads in order, all slots at once; returns the seconds taken."""

        async def client(calls: Sequence[tuple[JSON, Any]]) -> None:
            for payload, _ in calls:
                await self._feed(payload)

        started = time.perf_counter()
        await asyncio.gather(*(client(calls) for calls in slots))
        return time.perf_counter() - started

    def check_answer(self, state: Any, *, autocomplete: bool = False, what: str = "") -> None:
        """The interaction was answered like a success, not with an (ephemeral) error."""
        data = (state.callback or {}).get("data") or {}
        if autocomplete:
            ok = state.callback_type == 8 and bool(state.choices)
        else:
            ok = state.callback_type == 4 and not int(data.get("flags") or 0) & (1 << 6)
        if not ok:
            logged = [r.getMessage() for r in self.harness._capture.records]
            raise AssertionError(f"{what}: answered {state.callback}; logged: {logged}")

    def check_and_forget(self) -> None:
        """Fail on anything logged, raised or rejected so far; then drop what the
        stand-in recorded (it keeps every message and request)."""
        h, s = self.harness, self.standin
        errors = [r.getMessage() for r in h._capture.records] + h._loop_errors + s.internal_errors
        errors += [str(r) for r in s.requests if r.route is None or r.status >= 400]
        if errors:
            raise AssertionError("errors during the run:\n" + "\n".join(map(str, errors[:10])))
        for store in (
            s.requests,
            s.messages,
            s.message_history,
            s.message_meta,
            s.interactions,
            s._tokens,
        ):
            store.clear()


def add_floor(bot: Any) -> None:
    """The floor: a bare ``/ping`` that replies "pong". Benchmark-only."""
    import discord
    from discord import app_commands

    @app_commands.command(name="ping", description="Benchmark floor: a tiny reply.")
    async def ping(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message("pong")

    bot.tree.add_command(ping)


@contextlib.asynccontextmanager
async def running_bot(
    workdir: Path,
    *,
    content_dir: Path | None = None,
    extra_commands: Callable[[Any], None] | None = None,
) -> AsyncIterator[Driver]:
    """The bot as ``phasebot run`` builds it, with the ``/ping`` floor (and any
    ``extra_commands(bot)``), logged in and synced on a timed stand-in. Once it is
    loaded the garbage collector is tuned as ``phasebot run`` tunes it (``tune_gc``),
    and set back when the bot has closed."""
    import gc

    from bot.discord.bot import PhaseBot
    from bot.discord.runner import tune_gc
    from bot.services import load_services, make_runner, open_repository
    from tests.discord.harness import Harness

    config = settings(workdir / "phasebot.sqlite3", content_dir)
    services = load_services(content_dir)
    threshold = gc.get_threshold()
    try:
        async with open_repository(config) as repository:
            bot = PhaseBot(config, make_runner(services, repository))
            add_floor(bot)
            if extra_commands is not None:
                extra_commands(bot)
            harness = Harness(
                bot,
                sync=True,
                standin=timed_standin(),
                timeout=30.0,
                capture_loggers=("discord", "bot"),
            )
            async with harness as h:
                tune_gc()
                driver = Driver(h)
                driver.install()
                try:
                    yield driver
                finally:
                    asyncio.get_running_loop().set_task_factory(None)
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
