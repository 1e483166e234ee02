"""/project history, end to end: newest first, every kind of entry, ◀ ▶ pages edited in place."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from tests.discord.conftest import Clock
from tests.discord.harness import FakeUser, Harness, InteractionResult, UnsendableInteraction
from tests.discord.test_project_helpers import (
    INFO_COLOUR,
    OWNER,
    PHASES,
    assert_at,
    editor,
    lines,
    mention,
    set_phase,
)

pytestmark = pytest.mark.store_backends("sqlite", "postgres")

NEWER, OLDER = "◀ Newer", "Older ▶"


def plain(text: str) -> str:
    """The text with every relative timestamp replaced by ``<t>``."""
    return re.sub(r"<t:\d+:R>", "<t>", text)


def button(result: InteractionResult, label: str) -> dict[str, Any]:
    [found] = [c for c in result.components[0]["components"] if c["label"] == label]
    assert isinstance(found, dict)
    return found


async def walk_phases(h: Harness, count: int) -> None:
    """``count`` phase entries: set Planning, then ``next`` ``count - 1`` times."""
    await set_phase(h, PHASES[0])
    for _ in range(count - 1):
        assert not (await editor(h, "project next")).ephemeral


async def test_history_of_an_untouched_channel(harness: Harness) -> None:
    result = await harness.command("project history")

    assert result.callback_type == 4
    assert not result.ephemeral
    [embed] = result.embeds
    assert embed["title"] == "Project history"
    assert embed["description"] == (
        "Nothing has happened here yet. Start with `/project set phase:1`."
    )
    assert "footer" not in embed
    assert result.custom_ids() == []


async def test_history_lists_every_change_newest_first(harness: Harness, clock: Clock) -> None:
    ann, bob, carl = FakeUser.new("ann"), FakeUser.new("bob"), FakeUser.new("carl")
    await set_phase(harness, "planning", "kick-off", user=ann)
    await editor(harness, "project check", {"activity": "feasibility-studies"}, user=bob)
    await editor(harness, "project check", {"activity": "feasibility-studies"}, user=bob)
    await editor(harness, "project next", user=carl)
    await editor(harness, "project back", {"note": "scope changed"}, user=ann)
    await editor(harness, "project methodology", {"name": "agile"}, user=carl)
    clock.advance(hours=1)  # the page shows when each change was made, not when it is read

    result = await harness.command("project history", user=FakeUser.new("reader"))

    assert not result.ephemeral
    [embed] = result.embeds
    assert embed["title"] == "Project history"
    assert embed["color"] == INFO_COLOUR
    assert lines(plain(embed["description"])) == [
        f"Methodology → **Agile** · {mention(carl)} · <t>",
        f"Analysis → **Planning** · {mention(ann)} · <t> · “scope changed” · rework ↺",
        f"Planning → **Analysis** · {mention(carl)} · <t>",
        f"☐ Conduct feasibility studies. (Planning) · {mention(bob)} · <t>",
        f"☑ Conduct feasibility studies. (Planning) · {mention(bob)} · <t>",
        f"Start → **Planning** · {mention(ann)} · <t> · “kick-off”",
    ]
    assert_at(embed["description"], clock() - timedelta(hours=1))
    assert embed["footer"]["text"] == "Page 1 of 1 · 6 entries · newest first"
    assert result.custom_ids() == []


async def test_a_page_exactly_full_has_no_buttons(harness: Harness) -> None:
    await walk_phases(harness, 3)
    full = await harness.command("project history", {"limit": 3})
    assert full.custom_ids() == []
    assert full.embed()["footer"]["text"] == "Page 1 of 1 · 3 entries · newest first"

    await editor(harness, "project next")
    paged = await harness.command("project history", {"limit": 3})
    assert [re.sub(r":\d+:", ":<id>:", c) for c in paged.custom_ids()] == [
        "pb:hist:newer:<id>:3",
        "pb:hist:older:<id>:3",
    ]
    assert paged.embed()["footer"]["text"] == "Page 1 of 2 · 4 entries · newest first"


async def test_history_pages_are_turned_in_place(harness: Harness) -> None:
    await walk_phases(harness, 7)  # Planning … Maintenance: 7 entries, 3 pages of 3
    reader = FakeUser.new("reader")

    first = await harness.command("project history", {"limit": 3}, user=reader)

    assert lines(plain(first.embed()["description"]))[0].startswith(
        "Deployment → **Maintenance and Support** · "
    )
    assert len(lines(first.embed()["description"])) == 3
    assert first.embed()["footer"]["text"] == "Page 1 of 3 · 7 entries · newest first"
    assert button(first, NEWER) == {
        "type": 2,
        "style": 2,
        "label": NEWER,
        "custom_id": button(first, NEWER)["custom_id"],
        "disabled": True,
        "id": button(first, NEWER)["id"],
    }
    assert re.fullmatch(r"pb:hist:older:\d+:3", button(first, OLDER)["custom_id"])
    assert not button(first, OLDER).get("disabled")

    # Anyone may turn the page (reading is open); the same message is edited.
    older = button(first, OLDER)["custom_id"]
    second = await harness.click(first, older, user=FakeUser.new("someone-else"))

    assert second.callback_type == 7
    assert second.message_id == first.message_id
    assert second.followups == []
    page2 = first.embed()  # the message as edited
    assert [plain(line).split(" · ")[0] for line in lines(page2["description"])] == [
        "Design → **Implementation (Coding)**",
        "Analysis → **Design**",
        "Planning → **Analysis**",
    ]
    assert page2["footer"]["text"] == "Page 2 of 3 · 7 entries · newest first"
    assert len(first.custom_ids()) == 2
    assert not button(first, NEWER).get("disabled")

    third = await harness.click(first, button(first, OLDER)["custom_id"])
    assert third.callback_type == 7
    page3 = first.embed()
    assert [plain(line).split(" · ")[0] for line in lines(page3["description"])] == [
        "Start → **Planning**"
    ]
    assert page3["footer"]["text"] == "Page 3 of 3 · 7 entries · newest first"
    assert button(first, OLDER)["disabled"] is True
    with pytest.raises(UnsendableInteraction, match="is disabled"):
        await harness.click(first, button(first, OLDER)["custom_id"])

    back = await harness.click(first, button(first, NEWER)["custom_id"])
    assert back.callback_type == 7
    assert first.embed()["footer"]["text"] == "Page 2 of 3 · 7 entries · newest first"
    assert len(first.versions) == 4  # sent once, edited three times, never re-sent


async def test_history_limit_is_1_to_50(harness: Harness) -> None:
    for bad in (0, 51):
        with pytest.raises(UnsendableInteraction, match=r"must be (>= 1|<= 50)"):
            await harness.command("project history", {"limit": bad})
    await walk_phases(harness, 2)
    one = await harness.command("project history", {"limit": 1})
    assert one.embed()["footer"]["text"] == "Page 1 of 2 · 2 entries · newest first"
    assert len(lines(one.embed()["description"])) == 1


async def _every_page(h: Harness, first: InteractionResult) -> list[str]:
    """The entry lines of every page (all embeds and follow-ups), turning pages with Older ▶."""

    def entry_lines(messages: list[dict[str, Any]]) -> list[str]:
        found: list[str] = []
        for message in messages:
            for embed in message.get("embeds") or []:
                found += [ln for ln in lines(embed.get("description") or "") if "<t:" in ln]
        return found

    assert first.message is not None
    collected = entry_lines([first.message, *first.followups])
    for _ in range(60):
        if not first.components or button(first, OLDER).get("disabled"):
            return collected
        turned = await h.click(first, button(first, OLDER)["custom_id"])
        assert turned.message is not None
        collected += entry_lines([turned.message, *turned.followups])
    raise AssertionError("more than 60 pages")


async def test_a_page_of_50_entries_shows_every_entry(harness: Harness) -> None:
    await set_phase(harness, "testing")
    for _ in range(49):  # the longest activity text of the phase, ticked and unticked
        await editor(harness, "project check", {"activity": "regression-testing"})

    first = await harness.command("project history", {"limit": 50})

    shown = await _every_page(harness, first)
    assert len(shown) == 50
    assert plain(shown[-1]).startswith("Start → **Testing** · ")
    assert not any(line.endswith("…") for line in shown)


async def test_a_stale_page_button_shows_the_last_existing_page(harness: Harness) -> None:
    await walk_phases(harness, 7)
    old = await harness.command("project history", {"limit": 3})
    asked = await harness.command("project reset", permissions=OWNER)
    cleared = await harness.click(asked, asked.custom_ids()[0], permissions=OWNER)
    assert cleared.embed()["title"] == "Project progress reset"
    await walk_phases(harness, 2)

    turned = await harness.click(old, button(old, OLDER)["custom_id"])  # on the pre-reset message

    assert turned.callback_type == 7
    embed = old.embed()
    assert embed["footer"]["text"] == "Page 1 of 1 · 2 entries · newest first"
    assert [plain(line).split(" · ")[0] for line in lines(embed["description"])] == [
        "Planning → **Analysis**",
        "Start → **Planning**",
    ]


async def test_pages_do_not_shift_when_the_project_changes_between_clicks(
    harness: Harness,
) -> None:
    await walk_phases(harness, 5)  # Planning … Testing: 5 entries
    first = await harness.command("project history", {"limit": 2})
    page1 = [plain(line).split(" · ")[0] for line in lines(first.embed()["description"])]

    await editor(harness, "project back")  # a new newest entry while the page is open
    await harness.click(first, button(first, OLDER)["custom_id"])

    page2 = [plain(line).split(" · ")[0] for line in lines(first.embed()["description"])]
    assert page2 == ["Analysis → **Design**", "Planning → **Analysis**"]
    assert not set(page1) & set(page2)  # nothing repeated from the page before
