"""A huge answer (a team's very large content pack) never floods the channel."""

from __future__ import annotations

from pathlib import Path

from bot.config import Settings
from bot.core.answer import MAX_MESSAGES
from bot.core.knowledge import MAX_LISTED
from bot.discord.bot import PhaseBot
from bot.services import load_services, make_runner
from bot.storage import SQLiteRepository
from tests.discord.conftest import BOT_LOGGERS
from tests.discord.harness import Harness


def _bot(settings: Settings, content: Path, repository: SQLiteRepository) -> PhaseBot:
    """The bot on a content pack of its own, as ``phasebot run`` builds it."""
    own = settings.model_copy(update={"content_dir": content})
    return PhaseBot(own, make_runner(load_services(own.content_dir), repository))


def _big_pack(directory: Path, phases: int, activities: int = 1) -> None:
    sdlc = directory / "sdlc.toml"
    extra = "".join(
        f'\n[[phases]]\nnumber = {n}\nkey = "extra-{n}"\nname = "Extra phase {n}"\n'
        f'objective = "Objective number {n} of a very large content pack, written out."\n'
        "activities = ["
        + ", ".join(
            f'{{ key = "do-{n}-{i}", text = "Do part {i} of the work of phase {n}, carefully." }}'
            for i in range(activities)
        )
        + "]\n"
        for n in range(9, phases + 1)
    )
    sdlc.write_text(sdlc.read_text(encoding="utf-8") + extra, encoding="utf-8")


async def test_a_huge_answer_is_shown_in_part_with_a_note(
    content_copy: Path, settings: Settings, repository: SQLiteRepository
) -> None:
    _big_pack(content_copy, 9, activities=3000)
    async with Harness(_bot(settings, content_copy, repository), capture_loggers=BOT_LOGGERS) as h:
        result = await h.command("phase", {"name": "extra-9"})
    assert not result.ephemeral
    assert result.embed()["title"] == "Phase 9 of 9 · Extra phase 9"
    assert len(result.followups) == MAX_MESSAGES - 1  # parts 2..4, then the note
    note = result.followups[-1]["content"]
    shown = MAX_MESSAGES - 1
    assert note.startswith(f"This answer is too long for chat: showing its first {shown} parts.")
    assert "Do part 0 of the work of phase 9" in result.embed()["fields"][0]["value"]


async def test_a_long_list_names_its_first_entries_and_counts_the_rest(
    content_copy: Path, settings: Settings, repository: SQLiteRepository
) -> None:
    _big_pack(content_copy, 400)
    async with Harness(_bot(settings, content_copy, repository), capture_loggers=BOT_LOGGERS) as h:
        result = await h.command("phases")
    assert not result.ephemeral
    assert result.embed()["title"] == "Software Development Life Cycle"
    embeds = result.embeds + [e for f in result.followups for e in f.get("embeds", [])]
    fields = [f for e in embeds for f in e.get("fields", [])]
    assert [f["name"] for f in fields[:2]] == ["1 · Planning", "2 · Analysis"]
    assert len(fields) == MAX_LISTED + 1
    assert fields[MAX_LISTED - 1]["name"] == f"{MAX_LISTED} · Extra phase {MAX_LISTED}"
    assert fields[-1]["value"] == (
        f"…and {400 - MAX_LISTED} more phases. `/phase <name>` shows any of them."
    )
    assert not any("too long for chat" in (f.get("content") or "") for f in result.followups)


async def test_long_subject_keys_drop_the_aspect_menu_not_the_answer(
    content_copy: Path, settings: Settings, repository: SQLiteRepository
) -> None:
    agile_key = "agile-" + "x" * 50
    spiral_key = "spiral-" + "y" * 50
    for name in ("methodologies.toml", "aliases.toml"):
        path = content_copy / name
        text = path.read_text(encoding="utf-8")
        text = text.replace('"agile"', f'"{agile_key}"').replace("agile = ", f"{agile_key} = ")
        text = text.replace('"spiral"', f'"{spiral_key}"').replace("spiral = ", f"{spiral_key} = ")
        path.write_text(text, encoding="utf-8")
    async with Harness(_bot(settings, content_copy, repository), capture_loggers=BOT_LOGGERS) as h:
        result = await h.command("compare", {"first": "Agile", "second": "Spiral"})
    assert not result.ephemeral
    assert result.embed()["title"] == "Agile vs Spiral"
    assert len(result.embed()["fields"]) == 10
    assert result.custom_ids() == []  # a custom_id would pass Discord's 100 characters
