"""A huge answer (a team's very large content pack) never floods the channel."""

from __future__ import annotations

from pathlib import Path

from bot import Settings, create_bot
from bot.discord.respond import MAX_MESSAGES
from tests.discord.harness import Harness


def _big_pack(directory: Path, phases: int) -> None:
    sdlc = directory / "sdlc.toml"
    extra = "".join(
        f'\n[[phases]]\nnumber = {n}\nkey = "extra-{n}"\nname = "Extra phase {n}"\n'
        f'objective = "Objective number {n} of a very large content pack, written out."\n'
        f'activities = [{{ key = "do-{n}", text = "Do the work of phase {n}." }}]\n'
        for n in range(9, phases + 1)
    )
    sdlc.write_text(sdlc.read_text(encoding="utf-8") + extra, encoding="utf-8")


async def test_a_huge_answer_is_shown_in_part_with_a_note(
    content_copy: Path, settings: Settings
) -> None:
    _big_pack(content_copy, 400)
    big = Settings(**{**settings.model_dump(), "content_dir": content_copy})
    async with Harness(create_bot(big)) as h:
        result = await h.command("phases")
    assert not result.ephemeral
    assert result.embed()["title"] == "Software Development Life Cycle"
    assert len(result.followups) == MAX_MESSAGES - 1  # parts 2..4, then the note
    note = result.followups[-1]["content"]
    shown = MAX_MESSAGES - 1
    assert note.startswith(f"This answer is too long for chat: showing its first {shown} parts.")
    field_names = [f["name"] for f in result.embeds[0]["fields"]]
    assert field_names[:2] == ["1 · Planning", "2 · Analysis"]


async def test_long_subject_keys_drop_the_aspect_menu_not_the_answer(
    content_copy: Path, settings: Settings
) -> None:
    agile_key = "agile-" + "x" * 50
    spiral_key = "spiral-" + "y" * 50
    for name in ("methodologies.toml", "aliases.toml"):
        path = content_copy / name
        text = path.read_text(encoding="utf-8")
        text = text.replace('"agile"', f'"{agile_key}"').replace("agile = ", f"{agile_key} = ")
        text = text.replace('"spiral"', f'"{spiral_key}"').replace("spiral = ", f"{spiral_key} = ")
        path.write_text(text, encoding="utf-8")
    custom = Settings(**{**settings.model_dump(), "content_dir": content_copy})
    async with Harness(create_bot(custom)) as h:
        result = await h.command("compare", {"first": "Agile", "second": "Spiral"})
    assert not result.ephemeral
    assert result.embed()["title"] == "Agile vs Spiral"
    assert len(result.embed()["fields"]) == 10
    assert result.custom_ids() == []  # a custom_id would pass Discord's 100 characters
