"""Answers in Discord's markdown, within its embed limits: long text is split, never cut."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import combinations

import discord
import pytest

from bot.core.answer import (
    MAX_MESSAGES,
    Answer,
    Bold,
    ChannelMention,
    Code,
    Field,
    Inline,
    Mention,
    RoleMention,
    Time,
    UserText,
)
from bot.core.commands import COMMANDS
from bot.core.help import help_answer
from bot.core.knowledge import Knowledge
from bot.discord import limits
from bot.discord.render import markdown, render_messages, split_text
from bot.discord.respond import _messages


def _assert_within_limits(messages: list[list[discord.Embed]]) -> None:
    assert messages
    for embeds in messages:
        assert 1 <= len(embeds) <= limits.EMBEDS_PER_MESSAGE
        assert sum(len(e) for e in embeds) <= limits.MESSAGE_TOTAL
        for embed in embeds:
            assert len(embed.title or "") <= limits.TITLE
            assert len(embed.description or "") <= limits.DESCRIPTION
            assert len(embed.fields) <= limits.FIELDS
            assert len(embed.footer.text or "") <= limits.FOOTER
            for f in embed.fields:
                assert 1 <= len(f.name or "") <= limits.FIELD_NAME
                assert 1 <= len(f.value or "") <= limits.FIELD_VALUE


def _every_answer(knowledge: Knowledge) -> list[Answer]:
    catalog = knowledge.catalog
    answers = [knowledge.phases(), help_answer(COMMANDS, "discord"), knowledge.mlops()]
    answers += [knowledge.phase_answer(p) for p in catalog.phases]
    for table in catalog.content.tables:
        for a, b in combinations(table.subjects, 2):
            answers.append(knowledge.comparison_answer(table, (a, b)))
            answers += [knowledge.comparison_answer(table, (a, b), x) for x in table.aspects]
        for subject in table.subjects:
            answers += [knowledge.aspect_answer(table, subject, x) for x in table.aspects]
    answers += [knowledge.methodology(s.key) for s in catalog.methodologies.subjects]
    return answers


def test_every_content_answer_fits(knowledge: Knowledge) -> None:
    answers = _every_answer(knowledge)
    assert len(answers) > 100
    for answer in answers:
        messages = render_messages(answer)
        _assert_within_limits(messages)
        assert len(messages) == 1  # the bundled content never needs a second message


def _all_text(messages: list[list[discord.Embed]]) -> str:
    parts: list[str] = []
    for embeds in messages:
        for e in embeds:
            parts += [e.description or ""] + [f.value or "" for f in e.fields]
    return "".join(parts).replace(" ", "").replace("\n", "")


@pytest.mark.parametrize("size", [5_000, 20_000, 70_000])
def test_huge_answers_are_split_not_cut(size: int) -> None:
    words = " ".join(f"word{i}" for i in range(size // 8))
    lines = "\n".join(f"• line {i} {'x' * (i % 50)}" for i in range(size // 40))
    answer = Answer(
        title="T" * 300,
        description=words,
        fields=tuple(Field(f"field {i}", lines if i % 2 else words[:900]) for i in range(40)),
        footer="end",
    )
    messages = render_messages(answer)
    _assert_within_limits(messages)
    text = _all_text(messages)
    assert words.replace(" ", "") in text
    assert lines.replace(" ", "").replace("\n", "") in text
    assert messages[0][0].description is not None and "T" * 300 in messages[0][0].description
    assert messages[-1][-1].footer.text == "end"


def test_split_text_keeps_every_character() -> None:
    text = "a" * 3000 + "\n" + "b " * 1000
    chunks = split_text(text, 1024)
    assert all(len(c) <= 1024 for c in chunks)
    assert "".join(chunks).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace(
        "\n", ""
    )


@pytest.mark.parametrize("limit", [0, 1, 2, 5])
def test_rendering_the_first_messages_gives_the_same_messages(limit: int) -> None:
    lines = "\n".join(f"• line {i} {'x' * (i % 50)}" for i in range(400))
    answer = Answer(
        title="Big",
        description="intro " * 1000,
        fields=tuple(Field(f"field {i}", lines) for i in range(30)),
        footer="end",
    )
    whole = render_messages(answer)
    assert len(whole) > 5
    first = render_messages(answer, limit=limit)
    assert [[e.to_dict() for e in m] for m in first] == [
        [e.to_dict() for e in m] for m in whole[:limit]
    ]


def test_a_split_description_keeps_the_title_on_its_first_embed() -> None:
    answer = Answer(title="Title", description="word " * 2000)
    embeds = [e for message in render_messages(answer) for e in message]
    assert [e.title for e in embeds] == ["Title", None, None]


def test_a_footer_too_long_for_a_footer_becomes_the_last_description() -> None:
    footer = "f" * (limits.FOOTER + 1)
    (message,) = render_messages(Answer(title="T", description="d", footer=footer))
    assert [(e.description, e.footer.text) for e in message] == [("d", None), (footer, None)]


def test_a_footer_that_would_overfill_a_message_gets_an_embed_of_its_own() -> None:
    fields = tuple(Field(f"f{i}", "v" * 1000) for i in range(5))
    answer = Answer(title="T", fields=fields, footer="x" * 1500)
    messages = render_messages(answer)
    assert [[(len(e.fields), e.footer.text) for e in m] for m in messages] == [
        [(5, None)],
        [(0, "x" * 1500)],
    ]


@pytest.mark.parametrize(("fields", "sent", "note"), [(25, 5, False), (26, 4, True)])
def test_up_to_max_messages_are_sent_whole_and_more_as_a_part_with_a_note(
    fields: int, sent: int, note: bool
) -> None:
    answer = Answer(title="T", fields=tuple(Field(f"f{i}", "v" * 1000) for i in range(fields)))
    messages, said = _messages(answer)
    assert len(messages) == sent
    assert (said is not None) is note
    assert len(render_messages(answer)) == MAX_MESSAGES + int(note)


# -- markdown ---------------------------------------------------------------------------------

MOMENT = datetime(2024, 5, 1, 12, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("piece", "shown"),
    [
        ("plain **as the bot wrote it**", "plain **as the bot wrote it**"),
        (Bold("Testing"), "**Testing**"),
        (Code("/project next"), "`/project next`"),
        (Mention("42", "Ann"), "<@42>"),
        (RoleMention("7"), "<@&7>"),
        (ChannelMention("9", "general"), "<#9>"),
        (Time(MOMENT), f"<t:{int(MOMENT.timestamp())}:R>"),
        (Time(MOMENT, "F"), f"<t:{int(MOMENT.timestamp())}:F>"),
    ],
)
def test_markdown_writes_each_piece_in_discords_markup(piece: Inline, shown: str) -> None:
    assert markdown((piece,)) == shown
    assert markdown(("a ", piece, " b")) == f"a {shown} b"


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("**x**", r"\*\*x\*\*"),
        ("||spoiler||", r"\|\|spoiler\|\|"),
        ("`code` and ```block```", r"\`code\` and \`\`\`block\`\`\`"),
        ("_under_ ~~gone~~", r"\_under\_ \~\~gone\~\~"),
        ("> quote\n# heading", "\\> quote\n\\# heading"),
        ("[masked](https://example.com)", r"\[masked](https://example.com)"),
        ("@everyone and @here", "@\u200beveryone and @\u200bhere"),
        ("<@&123> <@42> <#9> <t:1:R>", r"\<@&123> \<@42> \<#9> \<t:1:R>"),
        ("a < b", r"a \< b"),
        ("no markup, just words", "no markup, just words"),
    ],
)
def test_words_users_wrote_never_format_spoil_or_ping(written: str, shown: str) -> None:
    assert markdown((UserText(written),)) == shown
    assert markdown(("> ", UserText(written))) == f"> {shown}"
