"""Writes that finish what they started, even when their caller is cancelled."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def settled(step: Awaitable[T]) -> T:
    """Await a write to its outcome, even if the caller is cancelled meanwhile: once it
    is on its way, what it did (not the cancellation) decides what the caller hears, so
    that no change is written yet reported as not written."""
    future = asyncio.ensure_future(step)
    cancelled = False
    while not future.done():
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            cancelled = True
    task = asyncio.current_task()
    if cancelled and task is not None:
        task.uncancel()
    return future.result()
