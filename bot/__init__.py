"""phasebot: answers about the SDLC and MLOps, and each channel's project phase.

``from bot import Settings, create_bot`` is the entry point for code and tests.
``create_bot`` is imported lazily so that the console and ``phasebot ask`` start
without loading discord.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.config import Settings

if TYPE_CHECKING:
    from bot.discord.bot import create_bot

__all__ = ["Settings", "create_bot"]


def __getattr__(name: str) -> Any:
    if name == "create_bot":
        from bot.discord.bot import create_bot

        return create_bot
    raise AttributeError(f"module 'bot' has no attribute {name!r}")
