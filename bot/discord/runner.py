"""Running the bot: `phasebot run` and `phasebot sync`.

The resources are built here, in ``main``, with ``async with``, and handed to the bot
(as in discord.py's ``examples/advanced_startup.py``): the content, then the database,
then the bot. Each is closed in reverse order however the run ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from functools import partial

import aiohttp
import discord

from bot.config import Settings
from bot.discord.bot import SYNC_LOCK, PhaseBot
from bot.services import exclusive, load_services, make_runner, open_repository

log = logging.getLogger(__name__)


class RunError(Exception):
    """Connecting failed in a way the user can fix."""


def _token(settings: Settings) -> str:
    assert settings.discord_token is not None  # checked by the CLI
    return settings.discord_token.get_secret_value()


async def _login(bot: discord.Client, token: str) -> None:
    try:
        await bot.login(token)
    except discord.LoginFailure:
        raise RunError(
            "Discord refused the token in DISCORD_TOKEN. Copy it again from the "
            "developer portal (Bot → Reset Token)."
        ) from None
    except aiohttp.ClientError as exc:
        raise RunError(f"cannot reach Discord ({type(exc).__name__}). Check the network.") from None


async def run(settings: Settings) -> int:
    """Connect and answer until SIGINT or SIGTERM, then close the database cleanly."""
    services = load_services(settings.content_dir)  # bad content fails here, before connecting
    async with open_repository(settings) as repository:
        runner = make_runner(services, repository)
        async with PhaseBot(settings, runner, partial(exclusive, repository)) as bot:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
                    loop.add_signal_handler(sig, _stop, bot, sig)
            tune_gc()
            await _login(bot, _token(settings))
            if bot.syncs_commands:
                await bot.sync_if_changed()
            else:
                log.info("the process holding shard 0 registers the commands; not this one")
            log.info("connecting %s", _shards(settings))
            if warning := _sqlite_shared(settings):
                log.warning("%s", warning)
            await bot.connect(reconnect=True)
    log.info("stopped")
    return 0


def _sqlite_shared(settings: Settings) -> str | None:
    """A warning when this process runs only some shards on a SQLite file: the other
    shards' processes would need the same database, and SQLite is one bot per file."""
    if settings.database_url is not None or settings.shard_ids is None:
        return None
    if len(settings.shard_ids) == settings.shard_count:
        return None
    return (
        "this process runs only some shards, and the processes running the others need the "
        f"same database, but SQLite ({settings.database_path}) is one bot per file: "
        "set DATABASE_URL (PostgreSQL) to run shards in several processes."
    )


def _shards(settings: Settings) -> str:
    if settings.shard_count is None:
        return "with Discord's recommended number of shards, all in this process"
    if settings.shard_ids is None:
        return f"all {settings.shard_count} shards in this process"
    ids = ", ".join(map(str, settings.shard_ids))
    return f"shards {ids} of {settings.shard_count}"


def tune_gc() -> None:
    """Call once everything is loaded. Loaded content lives as long as the process: keep
    the cyclic garbage collector off it (``gc.freeze``) and collect the young generation
    less often. The benchmarks run the bot the same way."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def _stop(bot: discord.Client, sig: signal.Signals) -> None:
    log.info("received %s; closing", sig.name)
    asyncio.get_running_loop().create_task(bot.close())


async def sync(settings: Settings, guild_id: int | None) -> int:
    services = load_services(settings.content_dir)
    async with (
        open_repository(settings) as repository,
        PhaseBot(settings, make_runner(services, repository)) as bot,
    ):
        await _login(bot, _token(settings))
        async with exclusive(repository, SYNC_LOCK):
            count = await bot.sync_commands(guild_id)
    where = f"to server {guild_id}" if guild_id else "globally (may take up to an hour to show)"
    print(f"registered {count} commands {where}")
    return 0
