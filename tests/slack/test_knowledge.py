"""The knowledge commands on Slack, end to end: signed slash commands through slack-bolt's
real dispatch, answered through the response_url in Block Kit, checked against the content.

What is checked is what a Slack user sees: the header, the sections and fields, the
context footer, the buttons and menu, whether the answer is in the channel or for the
asker alone; and that Slack would take every message (the ``slack`` fixture asserts the
stand-in rejected none).
"""

from __future__ import annotations

import pytest

from bot.core.commands import MAX_QUESTION
from bot.core.errors import APOLOGY, PhasebotError
from bot.core.lookup import Catalog
from bot.services import Services
from tests.conftest import METHODOLOGY_ASPECTS, PHASE_KEYS
from tests.slack.harness import Reply, Route, Slack

PHASE_TITLES = [
    "Phase 1 of 8 · Planning",
    "Phase 2 of 8 · Analysis",
    "Phase 3 of 8 · Design",
    "Phase 4 of 8 · Implementation (Coding)",
    "Phase 5 of 8 · Testing",
    "Phase 6 of 8 · Deployment",
    "Phase 7 of 8 · Maintenance and Support",
    "Phase 8 of 8 · Retirement/Phase-out",
]


def assert_public(reply: Reply, header: str) -> list[str]:
    """One message in the channel, acknowledged at once with nothing; its texts."""
    assert (reply.status, reply.ack) == (200, "")
    assert len(reply.posts) == 1
    (post,) = reply.public
    assert post.status == 200
    assert not post.replace_original
    assert reply.header() == header
    assert post.text == header.replace("&", "&amp;")  # the fallback notifications show
    return reply.texts()


# -- /phase ----------------------------------------------------------------------------------


async def test_phase_shows_objective_every_activity_and_the_buttons(
    slack: Slack, catalog: Catalog
) -> None:
    reply = await slack.command("/phase", "testing")
    texts = assert_public(reply, "Phase 5 of 8 · Testing")
    testing = catalog.phase("testing")
    assert texts[1] == f"*Objective:* {testing.objective}"
    assert texts[2] == "*Activities*\n" + "\n".join(f"• {a.text}" for a in testing.activities)
    assert texts[3] == "◀ 4 · Implementation (Coding) · 6 · Deployment ▶"
    buttons = reply.elements()
    assert [b["text"]["text"] for b in buttons] == [
        "◀ 4 · Implementation (Coding)",
        "6 · Deployment ▶",
        "Set as this channel's phase",
    ]
    assert [b["action_id"] for b in buttons] == [
        "pb:phase:implementation",
        "pb:phase:deployment",
        "pb:setphase:testing",
    ]
    assert [b.get("style") for b in buttons] == [None, None, "primary"]


@pytest.mark.parametrize(
    ("typed", "index"),
    [("1", 0), ("analysis", 1), ("Design", 2), ("coding", 3), ("qa", 4), ("release", 5)],
)
async def test_phase_takes_numbers_names_and_words(slack: Slack, typed: str, index: int) -> None:
    reply = await slack.command("/phase", typed)
    assert_public(reply, PHASE_TITLES[index])


async def test_the_first_and_last_phase_have_one_arrow(slack: Slack) -> None:
    first = await slack.command("/phase", "planning")
    assert first.action_ids() == ["pb:phase:analysis", "pb:setphase:planning"]
    last = await slack.command("/phase", "8")
    assert last.action_ids() == ["pb:phase:maintenance", "pb:setphase:retirement"]


async def test_phase_by_name_value_and_quoted(slack: Slack) -> None:
    for text in ("name:testing", 'name:"testing"', "“testing”", "name:‘testing’"):
        reply = await slack.command("/phase", text)
        assert reply.header() == "Phase 5 of 8 · Testing", text


async def test_an_unknown_phase_is_refused_for_the_asker_alone(
    slack: Slack, catalog: Catalog
) -> None:
    reply = await slack.command("/phase", "lunch")
    with pytest.raises(PhasebotError) as expected:
        catalog.phase("lunch")
    assert reply.refusal() == expected.value.user_message()
    assert reply.refusal().startswith("I don't know a phase called “lunch”")


async def test_a_missing_phase_is_refused_with_the_example(slack: Slack) -> None:
    reply = await slack.command("/phase")
    assert reply.refusal() == "/phase needs name. Example: /phase name:testing"


# -- /phases ---------------------------------------------------------------------------------


async def test_phases_lists_every_phase_with_its_objective(slack: Slack, catalog: Catalog) -> None:
    reply = await slack.command("/phases")
    texts = assert_public(reply, catalog.content.sdlc.sdlc.title)
    for phase in catalog.phases:
        assert f"*{phase.number} · {phase.name}*\n{phase.objective}" in texts
    assert texts[-1] == "/phase &lt;name&gt; shows a phase's activities."
    assert reply.elements() == []


async def test_phases_takes_no_options(slack: Slack) -> None:
    reply = await slack.command("/phases", "all")
    assert reply.refusal() == "/phases takes no options. Example: /phases"


# -- /compare, /methodology, /mlops ----------------------------------------------------------


async def test_compare_shows_every_aspect_of_both_and_a_menu(
    slack: Slack, catalog: Catalog
) -> None:
    reply = await slack.command("/compare", "agile spiral")
    texts = assert_public(reply, "Agile vs Spiral")
    table = catalog.methodologies
    assert [a.name for a in table.aspects] == METHODOLOGY_ASPECTS
    for aspect in table.aspects:
        value = f"*{aspect.name}*\n*Agile:* {aspect.values['agile']}\n"
        assert value + f"*Spiral:* {aspect.values['spiral']}" in texts
    (menu,) = reply.elements()
    assert menu["type"] == "static_select"
    assert menu["action_id"] == "pb:cmp:agile:spiral"
    labels = [o["text"]["text"] for o in menu["options"]]
    assert labels == ["All aspects", *METHODOLOGY_ASPECTS]
    assert menu["initial_option"]["value"] == "*"


async def test_compare_one_aspect_puts_the_two_side_by_side(slack: Slack) -> None:
    reply = await slack.command("/compare", "waterfall v-model aspect:testing")
    assert_public(reply, "Waterfall vs V-Model · Testing")
    (fields,) = [b for b in reply.blocks() if "fields" in b]
    assert [f["text"] for f in fields["fields"]] == [
        "*Waterfall*\nAt the end of the development",
        "*V-Model*\nParallel with development",
    ]
    assert reply.texts()[-1] == "SDLC methodologies"
    assert reply.element("pb:cmp:waterfall:v-model")["initial_option"]["value"] == "testing"


async def test_compare_by_option_names_with_a_quoted_aspect(slack: Slack) -> None:
    reply = await slack.command("/compare", 'first:agile second:spiral aspect:"risk management"')
    assert_public(reply, "Agile vs Spiral · Risk Management")


async def test_compare_refusals_use_the_cores_words(slack: Slack) -> None:
    same = await slack.command("/compare", "agile agile")
    assert same.refusal().startswith("Pick two different ones to compare: both are Agile.")
    mixed = await slack.command("/compare", "agile mlops")
    assert "are in different tables and can't be compared" in mixed.refusal()
    short = await slack.command("/compare", "agile")
    assert short.refusal() == ("/compare needs second. Example: /compare first:agile second:spiral")
    unknown = await slack.command("/compare", "agile spiral colour:red")
    assert unknown.refusal().startswith("/compare has no option 'colour'.")


async def test_methodology_puts_its_aspects_side_by_side(slack: Slack, catalog: Catalog) -> None:
    reply = await slack.command("/methodology", "waterfall")
    assert_public(reply, "Waterfall")
    sections = [b for b in reply.blocks() if "fields" in b]
    fields = [f["text"] for b in sections for f in b["fields"]]
    assert fields == [f"*{a.name}*\n{a.values['waterfall']}" for a in catalog.methodologies.aspects]
    assert all(len(b["fields"]) <= 10 for b in sections)


async def test_methodology_one_aspect(slack: Slack) -> None:
    reply = await slack.command("/methodology", "v-model aspect:testing")
    texts = assert_public(reply, "V-Model · Testing")
    assert texts[1:] == ["Parallel with development", "SDLC methodologies"]


async def test_mlops_whole_and_one_aspect(slack: Slack, catalog: Catalog) -> None:
    whole = await slack.command("/mlops")
    texts = assert_public(whole, "MLOps vs DevOps")
    for aspect in catalog.mlops.aspects:
        assert any(t.startswith(f"*{aspect.name}*\n*MLOps:* ") for t in texts)
    assert whole.elements() == []  # as on Discord: /compare mlops devops has the menu
    one = await slack.command("/mlops", "testing")
    assert_public(one, "MLOps vs DevOps · Testing")


# -- /ask --------------------------------------------------------------------------------


async def test_ask_answers_in_your_own_words(slack: Slack) -> None:
    reply = await slack.command("/ask", "how flexible is waterfall?")
    texts = assert_public(reply, "Waterfall · Flexibility")
    assert texts[1] == "Low"


async def test_ask_with_apostrophes_smart_quotes_and_entities(
    slack: Slack, services: Services
) -> None:
    """Slack sends & < > as entities and a phone's apostrophes curly: the question the
    core gets is the one the user typed."""
    typed = "what's the <b>testing</b> & qa approach in v-model?"
    expected = services.asker.ask(typed)
    sent = "what’s the &lt;b&gt;testing&lt;/b&gt; &amp; qa approach in v-model?"
    reply = await slack.command("/ask", sent)
    assert_public(reply, expected.title)


async def test_a_300_character_question_is_answered(slack: Slack, services: Services) -> None:
    question = ("how does testing work in the v-model " * 10)[:MAX_QUESTION]
    assert len(question) == 300
    reply = await slack.command("/ask", question)
    assert_public(reply, services.asker.ask(question).title)


async def test_a_longer_question_is_refused_with_the_cores_words(slack: Slack) -> None:
    reply = await slack.command("/ask", "x" * 301)
    assert reply.refusal() == ("That question is 301 characters long; keep it to 300 or fewer.")


@pytest.mark.parametrize("via", ["http", "dispatch"])
async def test_a_question_that_mentions_payload_is_answered(
    served: Slack, services: Services, via: Route
) -> None:
    """bolt 1.30 loses HTTP slash commands whose form body contains "payload"; the
    edge's request builder reads them as the forms they are."""
    question = "what is a payload in mlops?"
    reply = await served.command("/ask", question, via=via)
    assert_public(reply, services.asker.ask(question).title)


async def test_what_a_user_wrote_cannot_ping_or_format(slack: Slack) -> None:
    reply = await slack.command("/ask", "&lt;!channel&gt; hello &lt;@U0ADMIN&gt;")
    text = reply.text()
    assert "<!channel>" not in text and "<@U0ADMIN>" not in text
    assert "&lt;!channel&gt;" in text


# -- /phasebot, the umbrella, and /help --------------------------------------------------


async def test_phasebot_takes_any_command_as_a_line(slack: Slack) -> None:
    direct = await slack.command("/compare", "agile spiral aspect:testing")
    umbrella = await slack.command("/phasebot", "compare agile spiral aspect:testing")
    assert umbrella.posts[0].body == direct.posts[0].body
    slash = await slack.command("/phasebot", "/phase qa")
    assert slash.header() == "Phase 5 of 8 · Testing"


async def test_phasebot_with_a_question_asks_it(slack: Slack) -> None:
    reply = await slack.command("/phasebot", "how flexible is waterfall?")
    assert_public(reply, "Waterfall · Flexibility")


@pytest.mark.parametrize("text", ["help", "", "HELP"])
async def test_phasebot_help_lists_the_slack_commands(slack: Slack, text: str) -> None:
    reply = await slack.command("/phasebot", text)
    texts = assert_public(reply, "phasebot commands")
    listing = "\n".join(texts)
    assert "`/project editor-group [group:&lt;@group&gt;] [clear:true]`" in listing
    assert "editor-role" not in listing
    assert "/project reset [confirm" not in listing  # a console option
    assert texts[-1] == (
        "Changing the project needs a workspace admin or owner, or the editor group."
    )


async def test_an_unknown_command_names_the_commands(slack: Slack) -> None:
    reply = await slack.command("/phasebot", "/frobnicate now")
    assert reply.refusal().startswith("There is no command /frobnicate. Commands: /phase,")


async def test_a_knowledge_command_works_in_a_dm(slack: Slack) -> None:
    reply = await slack.command("/phase", "testing", channel="D0MEMBER")
    assert reply.header() == "Phase 5 of 8 · Testing"
    assert reply.action_ids()[-1] == "pb:setphase:testing"


@pytest.mark.parametrize("key", PHASE_KEYS)
async def test_every_phase_fits_and_links_its_neighbours(slack: Slack, key: str) -> None:
    reply = await slack.command("/phase", key)
    assert reply.header() == PHASE_TITLES[PHASE_KEYS.index(key)]
    assert f"pb:setphase:{key}" in reply.action_ids()


async def test_a_command_that_is_not_phasebots_is_left_to_others(slack: Slack) -> None:
    """The edge listens to its own commands only (another listener on the same app, like
    the benchmark's /ping, may take the rest); Slack sends an app only its own anyway."""
    reply = await slack.command("/weather", "today")
    assert reply.status == 404 and reply.posts == []


async def test_help_is_answered_if_a_workspace_adds_it(slack: Slack) -> None:
    reply = await slack.command("/help")
    assert reply.header() == "phasebot commands"


async def test_a_bug_is_an_apology_for_the_asker_and_is_logged(
    slack: Slack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(slack.edge.runner, "run", broken)
    reply = await slack.command("/phase", "testing")
    assert reply.refusal() == APOLOGY
    assert "Unexpected error in /phase 'testing'" in caplog.text
    assert "RuntimeError: a bug" in caplog.text
