"""Loading the content: no garbage collection while it loads, the collector as it was after."""

from __future__ import annotations

import gc

import pytest

import bot.services
from bot.core.knowledge import Knowledge
from bot.core.search import Asker


@pytest.mark.parametrize("enabled", [True, False])
def test_loading_pauses_the_collector_and_restores_it(
    enabled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    while_indexing: list[bool] = []

    def asker(knowledge: Knowledge) -> Asker:
        while_indexing.append(gc.isenabled())
        return Asker(knowledge)

    monkeypatch.setattr(bot.services, "Asker", asker)
    was_enabled = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        services = bot.services.load_services()
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was_enabled else gc.disable)()
    assert while_indexing == [False]
    assert services.catalog.phase("testing").number == 5


def test_the_collector_is_back_on_when_loading_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(knowledge: Knowledge) -> Asker:
        raise OSError("disk gone")

    monkeypatch.setattr(bot.services, "Asker", broken)
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        with pytest.raises(OSError):
            bot.services.load_services()
        assert gc.isenabled()
    finally:
        (gc.enable if was_enabled else gc.disable)()
