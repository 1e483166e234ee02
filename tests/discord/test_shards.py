"""Shards: SHARD_COUNT and SHARD_IDS reach discord.py's AutoShardedBot; only the process
holding shard 0 syncs the commands; on PostgreSQL, processes syncing at once sync once
(an advisory lock, the schema's hash in the database)."""

from __future__ import annotations

import asyncio
from functools import partial

import pytest
from discord.ext import commands

from bot.config import Settings
from bot.core.state import Place
from bot.core.tracker import Repository
from bot.discord.bot import SYNC_HASH_KEY, PhaseBot
from bot.services import Services, exclusive, make_runner, open_repository
from tests.discord.conftest import BOT_LOGGERS, Clock
from tests.discord.harness import Harness
from tests.discord.test_project_helpers import EDITOR


def sharded(settings: Settings, count: int | None, ids: tuple[int, ...] | None) -> Settings:
    return Settings(**{**settings.model_dump(), "shard_count": count, "shard_ids": ids})


@pytest.mark.parametrize(
    ("count", "ids", "syncs"),
    [
        (None, None, True),  # Discord's recommended count, all in this process
        (4, None, True),  # all four shards in this process
        (4, (0, 1), True),
        (4, (2, 3), False),
    ],
)
def test_shard_settings_reach_the_bot(
    settings: Settings,
    services: Services,
    repository: Repository,
    clock: Clock,
    count: int | None,
    ids: tuple[int, ...] | None,
    syncs: bool,
) -> None:
    bot = PhaseBot(sharded(settings, count, ids), make_runner(services, repository, clock))
    assert isinstance(bot, commands.AutoShardedBot)
    assert bot.shard_count == count
    assert bot.shard_ids == (list(ids) if ids else None)
    assert bot.syncs_commands is syncs


async def test_a_process_without_shard_0_answers_project_commands(
    settings: Settings, services: Services, repository: Repository, clock: Clock
) -> None:
    bot = PhaseBot(sharded(settings, 2, (1,)), make_runner(services, repository, clock))
    async with Harness(bot, sync=True, capture_loggers=BOT_LOGGERS) as h:
        await h.command("project set", {"phase": "design"}, permissions=EDITOR)
        result = await h.command("project status")
        assert "Design" in str(result.embed())


@pytest.mark.store_backends("postgres")
async def test_processes_syncing_at_once_sync_once(
    settings: Settings, services: Services, clock: Clock
) -> None:
    async with open_repository(settings) as one, open_repository(settings) as two:
        bots = [
            PhaseBot(settings, make_runner(services, repo, clock), partial(exclusive, repo))
            for repo in (one, two)
        ]
        async with (
            Harness(bots[0], capture_loggers=BOT_LOGGERS) as first,
            first.successor(bots[1]) as _second,
        ):
            results = await asyncio.gather(*(bot.sync_if_changed() for bot in bots))
            assert sorted(results) == [False, True]  # one synced; the other waited, then saw
            for _ in range(2):  # the same schema: nobody syncs again
                assert await asyncio.gather(*(b.sync_if_changed() for b in bots)) == [False] * 2
            assert len(first.standin.command_puts) == 1
            where = (Place("discord", ""), SYNC_HASH_KEY)
            hashes = [await bot.runner.app.tracker.setting(*where) for bot in bots]
            assert hashes == [bots[0].schema_hash()] * 2


def test_some_shards_on_a_sqlite_file_are_warned_about(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.discord.runner import _sqlite_shared

    for name in ("DATABASE_URL", "SHARD_COUNT", "SHARD_IDS"):
        monkeypatch.delenv(name, raising=False)

    def warning(**values: object) -> str | None:
        return _sqlite_shared(Settings(_env_file=None, **values))  # type: ignore[call-arg]

    assert warning() is None
    assert warning(shard_count=4) is None  # every shard in this process
    assert warning(shard_count=2, shard_ids="0-1") is None
    assert warning(shard_count=4, shard_ids="0,1", database_url="postgresql://h/db") is None
    text = warning(shard_count=4, shard_ids="0,1")
    assert text is not None and "is one bot per file" in text
    assert "set DATABASE_URL (PostgreSQL)" in text
