"""Shared helpers for the benchmark scripts (pytest never collects bench/).

The bot runs as ``phasebot run`` builds it (``load_services``, ``open_repository``,
``make_runner``, ``PhaseBot``), logged in against the Discord stand-in of
``tests/discord``: raw ``INTERACTION_CREATE`` payloads go through discord.py's gateway
parser, command tree and HTTP client to the stand-in's HTTP server on 127.0.0.1.
:class:`Driver` builds each payload before the clock starts; the clock stops when the
task discord.py spawned for the interaction has finished.
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
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # this checkout's bot/ and tests/, not an installed copy

RESULTS = ROOT / "bench" / "results"
JSON = dict[str, Any]
Call = tuple[JSON, Any]  # a payload and the stand-in's record of its interaction


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


def machine_line() -> str:
    import sqlite3

    import discord

    cpu = platform.machine()
    with contextlib.suppress(OSError):
        info = Path("/proc/cpuinfo").read_text().splitlines()
        names = [line for line in info if line.startswith("model name")]
        cpu = names[0].split(":", 1)[1].strip()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cpu} · {os.cpu_count()} cores · Python {platform.python_version()} · "
        f"discord.py {discord.__version__} · SQLite {sqlite3.sqlite_version} · load {load}"
    )


def commit() -> str:
    """The commit measured, marked "+changes" when bot/ differs from it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout

    dirty = "+changes" if git("status", "--porcelain", "--", "bot").strip() else ""
    return git("rev-parse", "--short", "HEAD").strip() + dirty


def write_results(name: str, data: Mapping[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "machine": machine_line(), "commit": commit(), **data}
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"written {path.relative_to(ROOT)}")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table; floats with 2 decimals, booleans as pass/FAIL."""
    cells = [[_cell(c) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    lines = [[h.ljust(w) for h, w in zip(headers, widths, strict=True)], ["-" * w for w in widths]]
    lines += [[c.ljust(w) for c, w in zip(row, widths, strict=True)] for row in cells]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "pass" if value else "FAIL"
    if isinstance(value, float):
        return "—" if math.isnan(value) else f"{value:.2f}"
    return str(value)


def workdir(prefix: str) -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix=f"phasebot-{prefix}-", dir=os.getenv("BENCH_TMPDIR"))


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


# -- the bot on the stand-in -----------------------------------------------------------------


class Driver:
    """Fires interactions at a logged-in bot through discord.py's gateway parser."""

    def __init__(self, harness: Any) -> None:
        self.harness = harness
        self.bot = harness.bot
        self.standin = harness.standin
        self.channels: dict[str, int] = {}
        self._spawned: list[asyncio.Task[Any]] | None = None

        def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
            task = asyncio.Task(coro, loop=loop, **kwargs)
            if self._spawned is not None:  # the tasks a parser call spawns
                self._spawned.append(task)
            return task

        asyncio.get_running_loop().set_task_factory(factory)

    def payload(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        focused: str | None = None,
        channel: str | None = None,
        channel_id: int | None = None,
        editor: bool = False,
    ) -> Call:
        """A fresh payload, registered with the stand-in: in a channel of the
        benchmark's own named ``channel`` (made on first use) or in ``channel_id``;
        ``editor``: the user may change projects (Manage Channels)."""
        from tests.discord.harness import state_from_payload
        from tests.discord.standin import snowflake

        h = self.harness
        permissions = h.world.member_permissions | 1 << 4 if editor else None
        payload = h.builder.slash(name, options, focused=focused, permissions=permissions)
        if channel is not None and channel not in self.channels:
            self.channels[channel] = snowflake()
            made = {**h.world.guild_channel(), "id": str(self.channels[channel]), "name": channel}
            self.standin.add_channel(made)
        if channel is not None or channel_id is not None:
            cid = str(self.channels[channel] if channel is not None else channel_id)
            payload["channel"] = {**payload["channel"], "id": cid, "name": channel or cid}
            payload["channel_id"] = cid
        state = state_from_payload(payload)
        self.standin.register_interaction(state)
        return payload, state

    async def _feed(self, payload: JSON) -> None:
        self._spawned = spawned = []
        try:
            self.bot._connection.parsers["INTERACTION_CREATE"](payload)
        finally:
            self._spawned = None
        if spawned:
            await asyncio.wait(spawned)

    async def fire(self, payload: JSON) -> float:
        """Seconds until discord.py has handled the payload."""
        started = time.perf_counter()
        await self._feed(payload)
        return time.perf_counter() - started

    async def fire_concurrently(self, slots: Sequence[Sequence[Call]]) -> float:
        """Each slot's calls in turn, all slots at once: the seconds taken."""

        async def client(calls: Sequence[Call]) -> None:
            for payload, _ in calls:
                await self._feed(payload)

        started = time.perf_counter()
        await asyncio.gather(*(client(calls) for calls in slots))
        return time.perf_counter() - started

    def check_answer(self, state: Any, *, autocomplete: bool = False, what: str = "") -> None:
        """Answered like a success: choices, or a public message (not an error's)."""
        if autocomplete:
            ok = state.callback_type == 8 and bool(state.choices)
        else:
            flags = int(((state.callback or {}).get("data") or {}).get("flags") or 0)
            ok = state.callback_type == 4 and not flags & 1 << 6
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
        kept_all = (s.requests, s.messages, s.message_history, s.message_meta, s.interactions)
        for kept in (*kept_all, s.uploads):
            kept.clear()
        s._tokens.clear()


@contextlib.asynccontextmanager
async def running_bot(
    workdir: Path,
    *,
    content_dir: Path | None = None,
    extra_commands: Callable[[Any], None] | None = None,
) -> AsyncIterator[Driver]:
    """The bot as ``phasebot run`` builds it, with a benchmark-only ``/ping`` that
    replies "pong" (the floor) and any ``extra_commands(bot)``, logged in and synced on
    the stand-in; the garbage collector tuned as ``phasebot run`` tunes it (``tune_gc``)
    once loaded, and set back when the bot has closed."""
    import gc

    import discord
    from discord import app_commands

    from bot.discord.bot import PhaseBot
    from bot.discord.runner import tune_gc
    from bot.services import load_services, make_runner, open_repository
    from tests.discord.harness import Harness

    @app_commands.command(name="ping", description="Benchmark floor: a tiny reply.")
    async def ping(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message("pong")

    config = settings(workdir / "phasebot.sqlite3", content_dir)
    services = load_services(content_dir)
    threshold = gc.get_threshold()
    try:
        async with open_repository(config) as repository:
            bot = PhaseBot(config, make_runner(services, repository))
            bot.tree.add_command(ping)
            if extra_commands is not None:
                extra_commands(bot)
            loggers = ("discord", "bot")
            async with Harness(bot, sync=True, timeout=30.0, capture_loggers=loggers) as h:
                tune_gc()
                try:
                    yield Driver(h)
                finally:
                    asyncio.get_running_loop().set_task_factory(None)
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
