"""One database for Discord and Slack: each channel keeps its own progress, keyed by
platform, workspace and channel, so no Slack channel can collide with a Discord one, even
with the very same ids. Discord is driven through the core's runner as its edge does."""

from __future__ import annotations

from bot.core.commands import EDITOR_ROLE
from bot.core.runner import Runner
from bot.core.state import Actor, Place, Scope
from bot.core.surface import OpenGate, Request
from bot.services import Services, make_runner
from bot.storage import SQLiteRepository
from tests.slack.harness import Clock, Slack
from tests.slack.standin import CHANNEL_ID, TEAM_ID
from tests.slack.test_project import events, phase_of

SLACK = Scope("slack", TEAM_ID, CHANNEL_ID)
DISCORD_SAME_IDS = Scope("discord", TEAM_ID, CHANNEL_ID)
DISCORD = Scope("discord", "81384788765712384", "381870553235193857")


def discord(runner: Runner, scope: Scope) -> Request:
    return Request("discord", Actor("80351110224678912", "ann"), scope, OpenGate())


async def test_a_discord_and_a_slack_channel_each_keep_their_own_progress(
    slack: Slack, repository: SQLiteRepository, services: Services, clock: Clock
) -> None:
    runner = make_runner(services, repository, clock)
    for scope, phase in [(DISCORD, "analysis"), (DISCORD_SAME_IDS, "deployment")]:
        await runner.run("project set", {"phase": phase}, discord(runner, scope))
    await slack.command("/project", "set design note:from slack", user="U0ADMIN")
    await slack.command("/project", "check 2", user="U0ADMIN")

    assert await phase_of(repository, SLACK) == "design"
    assert await phase_of(repository, DISCORD_SAME_IDS) == "deployment"
    assert await phase_of(repository, DISCORD) == "analysis"
    assert [e.kind for e in await events(repository, SLACK)] == ["check", "phase"]
    assert [e.actor.id for e in await events(repository, DISCORD_SAME_IDS)] == ["80351110224678912"]

    status = await slack.command("/project", "status")
    assert status.header() == "Phase 3 of 8 · Design"
    assert "☑ Define data structures, algorithms, and interfaces." in status.texts()[2]
    discord_status = await runner.run("project status", {}, discord(runner, DISCORD_SAME_IDS))
    assert discord_status.title == "Phase 6 of 8 · Deployment"

    prompt = await slack.command("/project", "reset", user="U0ADMIN")
    await slack.click(prompt.button("Yes"), on=prompt, user="U0ADMIN")
    assert await phase_of(repository, SLACK) is None
    assert await phase_of(repository, DISCORD_SAME_IDS) == "deployment"


async def test_the_editor_group_and_the_editor_role_are_separate_settings(
    slack: Slack, repository: SQLiteRepository, services: Services, clock: Clock
) -> None:
    runner = make_runner(services, repository, clock)
    request = discord(runner, DISCORD_SAME_IDS)
    await runner.run("project editor-role", {"role": "123456789012345678"}, request)
    await slack.command("/project", "editor-group <!subteam^S0LEADS|@leads>", user="U0ADMIN")
    assert await repository.setting(Place("slack", TEAM_ID), EDITOR_ROLE) == "S0LEADS"
    assert await repository.setting(Place("discord", TEAM_ID), EDITOR_ROLE) == (
        "123456789012345678"
    )
    member = await slack.command("/project", "set testing", user="U0MEMBER")
    assert member.header() == "Moved to Phase 5 of 8 · Testing"
