"""`phasebot run`'s process set-up."""

from __future__ import annotations

import gc

from bot.discord import runner


def test_tune_gc_freezes_the_loaded_heap_and_collects_less_often() -> None:
    threshold = gc.get_threshold()
    gc.unfreeze()
    try:
        runner.tune_gc()
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (20_000, 20, 20)
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
