"""The real bot answers through discord.py's dispatch: a first end-to-end check."""

from __future__ import annotations

from tests.discord.harness import Harness


async def test_phase_command_end_to_end(harness: Harness) -> None:
    result = await harness.command("phase", {"name": "testing"})
    assert result.callback_type == 4
    assert not result.ephemeral
    embed = result.embed()
    assert embed["title"] == "Phase 5 of 8 · Testing"
    assert embed["fields"][0]["name"] == "Activities"
    assert "Perform regression testing" in embed["fields"][0]["value"]


async def test_unknown_phase_is_refused_ephemerally(harness: Harness) -> None:
    result = await harness.command("phase", {"name": "tetsing"})
    assert result.ephemeral
    assert "Did you mean “Testing”" in result.content
    assert not result.embeds
