"""Cases a review found: what a user is told must match what was written."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.core.answer import plain
from bot.core.runner import Runner
from bot.core.state import Actor, Place, Scope
from bot.core.surface import App, OpenGate, Request
from bot.core.tracker import DatabaseBusy, Tracker
from bot.services import load_services
from tests.fakes import MemoryRepository

ANN = Actor("1", "Ann")
HERE = Scope("console", "", "here", label="here")


class FailingSettings(MemoryRepository):
    """A repository whose settings can't be read (a busy or exhausted database)."""

    async def setting(self, place: Place, key: str) -> str | None:
        raise DatabaseBusy()


def runner_on(repository: MemoryRepository) -> Runner:
    services = load_services()
    tracker = Tracker(repository, services.catalog.content, lambda: datetime.now(UTC))
    return Runner(App(services.catalog, services.knowledge, services.asker, tracker))


def request() -> Request:
    return Request("console", ANN, HERE, OpenGate(), buttons=False)


async def test_a_move_that_is_refused_for_a_busy_database_wrote_nothing() -> None:
    repository = FailingSettings()
    runner = runner_on(repository)
    with pytest.raises(DatabaseBusy):
        await runner.run("project set", {"phase": "design"}, request())
    assert (await repository.load(HERE)).version == 0  # the user was told: nothing changed


async def test_a_reset_says_what_it_cleared() -> None:
    repository = MemoryRepository()
    runner = runner_on(repository)
    untouched = await runner.run("project reset", {"confirm": True}, request())
    assert untouched.title == "Nothing to reset"
    assert (await repository.load(HERE)).version == 0  # and nothing was written
    await runner.run("project methodology", {"name": "agile"}, request())
    cleared = await runner.run("project reset", {"confirm": True}, request())
    assert cleared.title == "Project progress reset"  # it had a history: it is cleared
    assert (await repository.history(HERE, 5)).total == 0
    assert (await repository.load(HERE)).state.methodology == "agile"


async def test_drawing_a_timeline_lets_other_work_run() -> None:
    runner = runner_on(MemoryRepository())
    for phase in ("planning", "analysis", "design"):
        await runner.run("project set", {"phase": phase}, request())
    ticks = 0

    async def other_users() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.005)

    beside = asyncio.create_task(other_users())
    answer = await runner.run("project timeline", {}, request())
    beside.cancel()
    assert answer.file is not None and "3 moves" in plain(answer.description)
    assert ticks > 3  # the loop kept answering while the picture was drawn
