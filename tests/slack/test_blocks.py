"""Block Kit rendering: mrkdwn from the answer's structure, and Slack's limits respected
without a single rejection, for any answer (generated ones, and huge content packs sent
end to end). Every message is checked by the stand-in's validator (slack_sdk's models,
round-tripped, plus Slack's documented limits)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.answer import (
    MAX_MESSAGES,
    Answer,
    Bold,
    Button,
    ChannelMention,
    Code,
    Field,
    Mention,
    Menu,
    Option,
    RoleMention,
    Time,
    UserText,
    too_long_note,
)
from bot.core.errors import APOLOGY
from bot.core.knowledge import MAX_LISTED
from bot.services import load_services, make_runner
from bot.slack import limits
from bot.slack.app import SlackEdge
from bot.slack.blocks import (
    _actions_size,
    _content_size,
    iter_messages,
    mrkdwn,
    plan,
    split_text,
    text_size,
)
from bot.storage import SQLiteRepository
from tests.slack.blocks import block_problems
from tests.slack.harness import Clock, Slack
from tests.slack.signing import SIGNING_SECRET
from tests.slack.standin import SlackStandIn

ZW = "\u200b"


# -- mrkdwn ----------------------------------------------------------------------------------


def test_each_piece_in_mrkdwn() -> None:
    moment = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert mrkdwn((Bold("Objective:"), " a < b & c > d")) == "*Objective:* a &lt; b &amp; c &gt; d"
    assert mrkdwn((Code("/phase name:<phase>"),)) == "`/phase name:&lt;phase&gt;`"
    assert mrkdwn((Mention("U0ADMIN", "admin"),)) == "<@U0ADMIN>"
    assert mrkdwn((RoleMention("S0LEADS"),)) == "<!subteam^S0LEADS>"
    assert mrkdwn((ChannelMention("C0GENERAL", "general"),)) == "<#C0GENERAL>"
    assert mrkdwn((Time(moment),)) == (
        "<!date^1714566600^{date_short_pretty} {time}|2024-05-01 12:30 UTC>"
    )
    assert mrkdwn((Bold(" spaced "),)) == " *spaced* "  # Slack shows "* spaced *" as is


def test_ids_that_are_not_slacks_are_shown_as_names() -> None:
    assert mrkdwn((Mention("80351110224678912", "ann"),)) == "@ann"
    assert mrkdwn((Mention("U1><!channel", "x*y"),)) == f"@x{ZW}*{ZW}y"
    assert mrkdwn((RoleMention("123"),)) == "123"
    assert mrkdwn((ChannelMention("<#C1>", "general"),)) == "#general"


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("*bold* _it_ ~no~ `code`", f"{ZW}*{ZW}bold{ZW}*{ZW} {ZW}_{ZW}it{ZW}_{ZW} "
         f"{ZW}~{ZW}no{ZW}~{ZW} {ZW}`{ZW}code{ZW}`{ZW}"),
        ("<!channel> <@U0ADMIN>", "&lt;!channel&gt; &lt;@U0ADMIN&gt;"),
        ("> quoted\n> again", f"{ZW}&gt; quoted\n{ZW}&gt; again"),
        ("R&D <http://x|y>", "R&amp;D &lt;http://x|y&gt;"),
    ],
)  # fmt: skip
def test_what_a_user_wrote_is_shown_as_written(written: str, shown: str) -> None:
    assert mrkdwn((UserText(written),)) == shown
    rendered = mrkdwn((UserText(written),))
    assert "<" not in rendered and not re.search(r"(?<!\u200b)[*_~`](?!\u200b)", rendered)


def test_text_is_split_at_lines_then_spaces_never_inside_markup() -> None:
    lines = "\n".join(f"line {i} <@U0ADMIN> &amp; more" for i in range(300))
    chunks = split_text(lines, limits.SECTION_TEXT)
    assert all(len(c) <= limits.SECTION_TEXT for c in chunks)
    assert "\n".join(chunks) == lines
    date = "<!date^1714566600^{date_short_pretty} {time}|2024-05-01 12:30 UTC>"
    words = " ".join([date] * 200)
    for chunk in split_text(words, 1000):
        assert len(chunk) <= 1000
        assert chunk.count("<") == chunk.count(">")  # no date cut in two
    one_word = "x" * 7000 + "&amp;" + "y" * 100
    chunks = split_text(one_word, limits.SECTION_TEXT)
    assert "".join(chunks) == one_word and all("&amp;" in c or "&" not in c for c in chunks)


# -- any answer fits -------------------------------------------------------------------------

words = st.text(alphabet="abc xyz&<>*_\n", min_size=0, max_size=3000)
big_words = st.text(alphabet="ab \n&", min_size=0, max_size=9000)
ids = st.text(alphabet="pb:ab-1", min_size=1, max_size=300)
buttons = st.builds(
    Button, label=st.text(min_size=1, max_size=100), action=ids, disabled=st.booleans()
)
menus = st.builds(
    Menu,
    action=ids,
    placeholder=st.text(min_size=1, max_size=200),
    options=st.lists(
        st.builds(
            Option,
            label=st.text(min_size=1, max_size=100),
            value=st.text("abc-", min_size=1, max_size=160),
        ),
        max_size=120,
        unique_by=lambda o: o.value,
    ).map(tuple),
)
fields = st.builds(
    Field,
    name=st.text(alphabet="Name &<>", min_size=1, max_size=300),
    value=st.one_of(words, big_words, st.tuples(st.builds(UserText, words))),
    inline=st.booleans(),
)
answers = st.builds(
    Answer,
    title=st.text(min_size=0, max_size=400),
    description=st.one_of(words, big_words),
    fields=st.lists(fields, max_size=60).map(tuple),
    footer=st.text(alphabet="ab <&\n", max_size=4000),
    actions=st.lists(st.one_of(buttons, menus), max_size=30).map(tuple),
    plain=st.booleans(),
)  # fmt: skip


def _no_space(text: str) -> str:
    return re.sub(r"\s+", "", text)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers)
def test_every_message_of_any_answer_is_one_slack_takes(answer: Answer) -> None:
    messages = list(iter_messages(answer))
    shown = ""
    for message in messages:
        assert block_problems(message["blocks"]) == []
        for block in message["blocks"]:  # the quick count agrees with the full one
            quick = _actions_size if block["type"] == "actions" else _content_size
            assert quick(block) == text_size(block)
        assert 0 < len(message["text"]) <= limits.FALLBACK_TEXT
        for block in message["blocks"]:
            shown += " ".join(_texts(block))
    # nothing is cut silently: every field's and the description's text is all there
    if not answer.plain:
        for field in answer.fields:
            assert _no_space(mrkdwn(field.value)) in _no_space(shown)
    assert _no_space(mrkdwn(answer.description)) in _no_space(shown)
    ids = [
        e["action_id"]
        for m in messages
        for b in m["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    ]
    assert len(ids) == len(set(ids))  # unique in the message: all actions are in the first
    shown_plan, note = plan(answer)
    assert len(shown_plan) + (note is not None) <= limits.RESPONSE_URL_POSTS


def _texts(block: dict[str, object]) -> list[str]:
    found: list[str] = []
    text = block.get("text")
    if block["type"] in ("header", "section") and isinstance(text, dict):
        found.append(str(text["text"]))
    for item in block.get("fields") or []:  # type: ignore[attr-defined]
        found.append(item["text"])
    if block["type"] == "context":
        found += [e["text"] for e in block["elements"]]  # type: ignore[attr-defined]
    return found


def test_a_long_title_is_shortened_in_the_header_and_given_whole_below() -> None:
    title = "A very long title " * 12
    (message,) = iter_messages(Answer(title=title, description="body"))
    header, section = message["blocks"][:2]
    assert len(header["text"]["text"]) == limits.HEADER_TEXT
    assert header["text"]["text"].endswith("…")
    assert section["text"]["text"] == f"*{title.strip()}* \n\nbody"


def test_the_note_is_the_same_as_discords() -> None:
    from bot.discord.errors import APOLOGY as DISCORD_APOLOGY
    from bot.discord.respond import _messages

    huge = Answer(title="Huge", description="\n".join(f"line {i} " + "x" * 90 for i in range(3000)))
    shown, note = plan(huge)
    assert len(shown) == MAX_MESSAGES - 1 and note == too_long_note(MAX_MESSAGES - 1)
    _, discord_note = _messages(huge)
    assert discord_note == note
    assert DISCORD_APOLOGY == APOLOGY


# -- huge content packs, end to end ----------------------------------------------------------


def _grow(directory: Path, phases: int, activities: int = 1) -> None:
    """More phases (9..phases), each with ``activities`` activities."""
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


def _more_aspects(directory: Path, count: int) -> None:
    path = directory / "methodologies.toml"
    extra = "".join(
        f'\n[[aspects]]\nkey = "aspect-{i}"\nname = "Aspect number {i}"\n'
        f'values = {{ waterfall = "W{i}", agile = "A{i}", spiral = "S{i}", v-model = "V{i}" }}\n'
        for i in range(count)
    )
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")


def _rename(directory: Path, old: str, new: str) -> None:
    for name in ("methodologies.toml", "aliases.toml"):
        path = directory / name
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(f'"{old}"', f'"{new}"').replace(f"{old} = ", f"{new} = "))


@pytest.fixture
async def on_pack(
    standin: SlackStandIn, content_copy: Path, tmp_path: Path, clock: Clock
) -> AsyncIterator[Callable[[], Slack]]:
    """Starts the edge on ``content_copy`` as the test has grown it."""
    async with await SQLiteRepository.open(tmp_path / "pack.sqlite3") as repository:

        def start() -> Slack:
            runner = make_runner(load_services(content_copy), repository, clock)
            client = AsyncWebClient(token=standin.world.bot_token, base_url=standin.api_url)
            return Slack(standin, SlackEdge(runner, client, SIGNING_SECRET))

        yield start
    assert standin.rejected == []


async def test_a_huge_answer_is_shown_in_part_with_the_note(
    on_pack: Callable[[], Slack], content_copy: Path
) -> None:
    _grow(content_copy, 9, activities=3000)
    slack = on_pack()
    reply = await slack.command("/phase", "extra-9")
    assert len(reply.posts) == limits.RESPONSE_URL_POSTS
    assert all(p.status == 200 and p.response_type == "in_channel" for p in reply.posts)
    assert reply.header() == "Phase 9 of 9 · Extra phase 9"
    assert reply.action_ids(0) == ["pb:phase:retirement", "pb:setphase:extra-9"]
    assert reply.posts[-1].text == too_long_note(limits.RESPONSE_URL_POSTS - 1)
    assert reply.posts[1].text == "Phase 9 of 9 · Extra phase 9 (continued)"
    shown = reply.text()
    assert "• Do part 0 of the work of phase 9, carefully." in shown


async def test_a_long_list_names_its_first_entries(
    on_pack: Callable[[], Slack], content_copy: Path
) -> None:
    _grow(content_copy, 400)
    slack = on_pack()
    reply = await slack.command("/phases")
    assert 1 < len(reply.posts) < limits.RESPONSE_URL_POSTS  # split, and no note needed
    texts = reply.texts()
    assert f"*{MAX_LISTED} · Extra phase {MAX_LISTED}*\n" in "\n".join(texts)
    assert texts[-2] == (
        f"*And more*\n…and {400 - MAX_LISTED} more phases. `/phase &lt;name&gt;` shows any of them."
    )


async def test_a_menu_slack_cannot_hold_is_left_out_not_the_answer(
    on_pack: Callable[[], Slack], content_copy: Path
) -> None:
    _more_aspects(content_copy, 150)
    slack = on_pack()
    reply = await slack.command("/compare", "agile spiral")
    assert reply.header() == "Agile vs Spiral"
    assert reply.elements() == []  # 161 options; a select holds 100
    one = await slack.command("/compare", "agile spiral aspect:aspect number 149")
    assert one.header() == "Agile vs Spiral · Aspect number 149"


async def test_long_keys_keep_the_menu_discord_must_drop(
    on_pack: Callable[[], Slack], content_copy: Path
) -> None:
    """Content keys are at most 64 characters, so an action id is at most 136: over
    Discord's 100 for a custom_id, well within Slack's 255."""
    agile, spiral = "agile-" + "x" * 58, "spiral-" + "y" * 57
    _rename(content_copy, "agile", agile)
    _rename(content_copy, "spiral", spiral)
    slack = on_pack()
    reply = await slack.command("/compare", "agile spiral")
    assert reply.header() == "Agile vs Spiral"
    assert reply.action_ids() == [f"pb:cmp:{agile}:{spiral}"]
    assert len(reply.action_ids()[0]) == 136


def test_only_the_messages_posted_are_rendered() -> None:
    huge = Answer(title="Huge", fields=tuple(Field(f"f{i}", "x " * 900) for i in range(100_000)))
    assert len(list(islice(iter_messages(huge), 6))) == 6
    shown, note = plan(huge)
    assert len(shown) == 4 and note is not None
