"""Who may change a channel's project on Slack: admins and owners, the editor user group,
and in a DM its user; resetting and choosing the group need an admin or owner.

Admins and group members come from the stand-in's workspace (``users.info``,
``usergroups.users.list``): U0OWNER (owner), U0ADMIN (admin), U0MEMBER (in the user group
S0LEADS), U0GUEST (nothing). A refusal is for the asker alone and writes nothing.
"""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.commands import EDITOR_ROLE
from bot.core.state import Place, Scope
from bot.slack.permissions import CACHE_SECONDS, Directory
from bot.storage import SQLiteRepository
from tests.slack.harness import DM, Slack, Ticks
from tests.slack.standin import CHANNEL_ID, TEAM_ID, SlackStandIn
from tests.slack.test_project import events, phase_of

SCOPE = Scope("slack", TEAM_ID, CHANNEL_ID)
WORKSPACE = Place("slack", TEAM_ID)
LEADS = "<!subteam^S0LEADS|@leads>"  # how Slack sends a mentioned user group
NOT_AN_EDITOR = (
    "Changing this channel's project needs a workspace admin or owner. Nothing was changed."
)
NOT_IN_THE_GROUP = (
    "Changing this channel's project needs a workspace admin or owner, "
    "or a member of <!subteam^S0LEADS>. Nothing was changed."
)
NOT_A_MANAGER = "That needs a workspace admin or owner. Nothing was changed."
EITHER = "Give either `group:` to set the editor group or `clear:true` to remove it."
CHANGES = ["set design", "next", "back", "check 1", "methodology agile"]


async def test_a_member_without_rights_is_refused_and_nothing_is_written(
    slack: Slack, repository: SQLiteRepository
) -> None:
    for change in CHANGES:
        reply = await slack.command("/project", change, user="U0GUEST")
        assert reply.refusal() == NOT_AN_EDITOR, change
    assert await events(repository) == []
    assert (await repository.load(SCOPE)).version == 0


@pytest.mark.parametrize("user", ["U0OWNER", "U0ADMIN"])
async def test_admins_and_owners_may_make_every_change(
    slack: Slack, repository: SQLiteRepository, user: str
) -> None:
    for change in CHANGES:
        reply = await slack.command("/project", change, user=user)
        assert reply.ephemeral == [], change
    assert len(await events(repository)) == len(CHANGES)


async def test_reading_is_open_to_everyone_and_asks_slack_nothing(
    slack: Slack, standin: SlackStandIn
) -> None:
    await slack.command("/project", "set design", user="U0ADMIN")
    before = len(standin.calls)
    for text in ("status", "history"):
        reply = await slack.command("/project", text, user="U0GUEST")
        assert reply.ephemeral == [] and len(reply.public) == 1
    assert len(standin.calls) == before


async def test_the_editor_group_lets_its_members_change(
    slack: Slack, repository: SQLiteRepository
) -> None:
    chosen = await slack.command("/project", f"editor-group {LEADS}", user="U0OWNER")
    assert chosen.header() == "Editor group set"
    assert chosen.texts()[1] == (
        "<@U0OWNER> set the editor group: members with <!subteam^S0LEADS> can change "
        "project progress."
    )
    assert await repository.setting(WORKSPACE, EDITOR_ROLE) == "S0LEADS"

    member = await slack.command("/project", "set testing", user="U0MEMBER")
    assert member.header() == "Moved to Phase 5 of 8 · Testing"
    guest = await slack.command("/project", "next", user="U0GUEST")
    assert guest.refusal() == NOT_IN_THE_GROUP
    assert await phase_of(repository) == "testing"


async def test_the_group_does_not_allow_reset_or_choosing_the_group(
    slack: Slack, repository: SQLiteRepository
) -> None:
    await slack.command("/project", f"editor-group group:{LEADS}", user="U0ADMIN")
    reset = await slack.command("/project", "reset", user="U0MEMBER")
    assert reset.refusal() == NOT_A_MANAGER
    regroup = await slack.command("/project", "editor-group clear:true", user="U0MEMBER")
    assert regroup.refusal() == NOT_A_MANAGER
    assert await repository.setting(WORKSPACE, EDITOR_ROLE) == "S0LEADS"


async def test_clearing_the_group_takes_the_right_away(
    slack: Slack, repository: SQLiteRepository, ticks: Ticks
) -> None:
    await slack.command("/project", f"editor-group {LEADS}", user="U0ADMIN")
    assert (await slack.command("/project", "set design", user="U0MEMBER")).ephemeral == []
    cleared = await slack.command("/project", "editor-group clear:yes", user="U0ADMIN")
    assert cleared.header() == "Editor group cleared"
    assert await repository.setting(WORKSPACE, EDITOR_ROLE) is None
    assert (await slack.command("/project", "next", user="U0MEMBER")).refusal() == NOT_AN_EDITOR


async def test_leaving_the_group_counts_once_the_cache_expires(
    slack: Slack, standin: SlackStandIn, ticks: Ticks
) -> None:
    await slack.command("/project", f"editor-group {LEADS}", user="U0ADMIN")
    assert (await slack.command("/project", "set design", user="U0MEMBER")).ephemeral == []
    standin.world.usergroups[0].members.remove("U0MEMBER")
    ticks.now += CACHE_SECONDS - 1
    assert (await slack.command("/project", "next", user="U0MEMBER")).ephemeral == []
    ticks.now += 2
    refused = await slack.command("/project", "next", user="U0MEMBER")
    assert refused.refusal() == NOT_IN_THE_GROUP


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "editor-group",
            "Give either `group:` to set the editor group or `clear:true` to remove it.",
        ),
        (
            f"editor-group {LEADS} clear:true",
            "Give either `group:` to set the editor group or `clear:true` to remove it.",
        ),
        (
            "editor-group leads",
            "group must be a user group: type @ and pick one, e.g. /project editor-group @leads",
        ),
        ("editor-group group:S0LEADS! ", "group must be a user group: type @ and pick one,"),
        ("editor-group clear:maybe", "clear must be yes or no."),
    ],
)
async def test_editor_group_needs_a_group_or_clear(
    slack: Slack, repository: SQLiteRepository, text: str, message: str
) -> None:
    reply = await slack.command("/project", text, user="U0ADMIN")
    assert reply.refusal().startswith(message)
    assert await repository.setting(WORKSPACE, EDITOR_ROLE) is None


async def test_in_a_dm_the_progress_is_the_users_own(
    slack: Slack, repository: SQLiteRepository, standin: SlackStandIn
) -> None:
    dm = Scope("slack", TEAM_ID, DM)
    for change in CHANGES:
        reply = await slack.command("/project", change, user="U0GUEST", channel=DM)
        assert reply.ephemeral == [], change
    prompt = await slack.command("/project", "reset", user="U0GUEST", channel=DM)
    done = await slack.click(prompt.button("Yes"), on=prompt, user="U0GUEST", channel=DM)
    assert done.header() == "Project progress reset"
    assert await events(repository, dm) == []
    assert standin.calls_to("users.info") == []  # nobody's rights were asked for
    group = await slack.command("/project", f"editor-group {LEADS}", user="U0GUEST", channel=DM)
    assert group.refusal() == (
        "Editor user groups exist only in workspaces; in a DM the progress is yours."
    )


async def test_the_set_phase_button_needs_an_editor_too(
    slack: Slack, repository: SQLiteRepository
) -> None:
    shown = await slack.command("/phase", "design", user="U0GUEST")
    refused = await slack.click(shown.button("Set as this"), on=shown, user="U0GUEST")
    assert refused.refusal() == NOT_AN_EDITOR
    assert await events(repository) == []


async def test_confirming_a_reset_still_needs_an_admin(
    slack: Slack, repository: SQLiteRepository, standin: SlackStandIn, ticks: Ticks
) -> None:
    await slack.command("/project", "set design", user="U0ADMIN")
    prompt = await slack.command("/project", "reset", user="U0ADMIN")
    standin.world.users[1].is_admin = False  # demoted before confirming
    ticks.now += CACHE_SECONDS + 1
    reply = await slack.click(prompt.button("Yes"), on=prompt, user="U0ADMIN")
    assert reply.refusal() == NOT_A_MANAGER
    assert await phase_of(repository) == "design"


async def test_when_slack_cannot_be_asked_nothing_is_written(
    slack: Slack, repository: SQLiteRepository, standin: SlackStandIn
) -> None:
    standin.fail("users.info", "internal_error")
    reply = await slack.command("/project", "set design", user="U0ADMIN")
    assert reply.refusal() == (
        "I couldn't check your permissions with Slack just now. Nothing was changed; "
        "try again in a moment."
    )
    assert await events(repository) == []
    again = await slack.command("/project", "set design", user="U0ADMIN")  # a failure isn't kept
    assert again.ephemeral == []


# -- the cache: what it saves ----------------------------------------------------------------


async def test_a_busy_channel_asks_slack_once_a_minute(
    slack: Slack, standin: SlackStandIn, ticks: Ticks
) -> None:
    """30 changes by group members and admins, 10 of them at the same moment: one
    ``usergroups.users.list`` (a Tier 2 method, about 20 a minute) and one ``users.info``
    per admin, instead of one or two calls per change."""
    await slack.command("/project", f"editor-group {LEADS}", user="U0OWNER")
    await slack.command("/project", "set planning", user="U0MEMBER")
    for i in range(19):
        user = ("U0MEMBER", "U0ADMIN", "U0OWNER")[i % 3]
        reply = await slack.command("/project", "next" if i % 2 == 0 else "back", user=user)
        assert reply.ephemeral == []
    together = [slack.command("/project", f"check {1 + i % 3}", user="U0MEMBER") for i in range(10)]
    assert all(r.ephemeral == [] for r in await asyncio.gather(*together))
    assert len(standin.calls_to("usergroups.users.list")) == 1
    assert sorted(c.args["user"] for c in standin.calls_to("users.info")) == ["U0OWNER"]
    ticks.now += CACHE_SECONDS + 1
    await slack.command("/project", "next", user="U0MEMBER")
    assert len(standin.calls_to("usergroups.users.list")) == 2


async def test_concurrent_look_ups_of_one_user_share_one_call(standin: SlackStandIn) -> None:
    client = AsyncWebClient(token=standin.world.bot_token, base_url=standin.api_url)
    directory = Directory(client)
    found = await asyncio.gather(*(directory.is_admin("U0ADMIN") for _ in range(50)))
    assert all(found)
    assert len(standin.calls_to("users.info")) == 1
    assert not await directory.is_admin("U0GUEST")
    assert not await directory.is_admin("U0NOBODY")  # user_not_found: not an admin
    assert await directory.members("S0NONE") == frozenset()
