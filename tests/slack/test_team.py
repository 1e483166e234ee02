"""A team's view on Slack: overview, timeline (a picture), export (a file), announcements
in another channel and reminders, end to end through the edge and the stand-in."""

from __future__ import annotations

import asyncio

import pytest

from bot.core.state import Place, Scope
from bot.core.team import ANNOUNCE, REMIND
from bot.slack.app import SlackEdge
from bot.slack.notices import send_reminders
from bot.storage import SQLiteRepository
from tests.slack.harness import Clock, Slack
from tests.slack.standin import CHANNEL_ID, TEAM_ID, SlackStandIn
from tests.slack.test_project import phase_of

HERE = Place("slack", TEAM_ID, CHANNEL_ID)
RELEASES = "<#C0RELEASES|releases>"  # how Slack sends a mentioned channel


async def admin(slack: Slack, text: str, channel: str = CHANNEL_ID) -> None:
    reply = await slack.command("/project", text, user="U0ADMIN", channel=channel)
    assert reply.ephemeral == [], reply.ephemeral[0].text


async def test_the_overview_lists_only_channels_the_asker_is_known_to_see(slack: Slack) -> None:
    await admin(slack, "set design")
    await admin(slack, "set testing", channel="C0OTHER")
    reply = await slack.command("/project", "overview")
    assert reply.header() == "Projects overview"
    text = reply.text()
    assert "<#C0GENERAL>" in text and "*Design*" in text
    assert "C0OTHER" not in text  # Slack doesn't tell the app who sees another channel


async def test_the_timeline_is_a_picture_posted_in_the_channel(
    slack: Slack, standin: SlackStandIn
) -> None:
    await admin(slack, "set design")
    reply = await slack.command("/project", "timeline")
    assert reply.header() == "Project timeline"
    (upload,) = standin.uploads.values()
    assert (upload.filename, upload.channel_id, upload.completed) == (
        "timeline.png", CHANNEL_ID, True,
    )  # fmt: skip
    assert upload.data is not None and upload.data.startswith(b"\x89PNG")
    other = await slack.command("/project", "timeline channel:<#C0OTHER|other>")
    assert other.refusal() == "I can't show you that channel: you can't see it, or I can't."


async def test_the_export_is_a_file_in_the_channel(slack: Slack, standin: SlackStandIn) -> None:
    await admin(slack, "set design note:kick-off")
    reply = await slack.command("/project", "export csv")
    assert reply.header() == "Project history export"
    (upload,) = standin.uploads.values()
    assert upload.filename == "history.csv"
    assert upload.data is not None
    lines = upload.data.decode().splitlines()
    assert lines[0].startswith("id,time,who_id,who,")
    assert lines[1].endswith(",U0ADMIN,admin,,design,move,kick-off")


async def test_moves_are_announced_in_the_chosen_channel(
    slack: Slack, standin: SlackStandIn, repository: SQLiteRepository
) -> None:
    chosen = await slack.command("/project", f"announce {RELEASES}", user="U0OWNER")
    assert chosen.header() == "Announcements on"
    assert chosen.texts()[1] == (
        "Every change of phase in <#C0GENERAL> is now also posted in <#C0RELEASES>."
    )
    assert await repository.setting(HERE, ANNOUNCE) == "C0RELEASES"
    await admin(slack, "set design note:*go*")
    (posted,) = standin.calls_to("chat.postMessage")
    assert posted.args["channel"] == "C0RELEASES"
    assert posted.args["blocks"][0]["text"]["text"] == "📣 Phase 3 of 8 · Design"
    assert posted.args["blocks"][1]["text"]["text"].startswith("<#C0GENERAL>: ")
    assert "\u200b*\u200bgo\u200b*\u200b" in posted.args["blocks"][1]["text"]["text"]


async def test_an_announcement_that_fails_leaves_the_move_and_tells_the_editor(
    slack: Slack, standin: SlackStandIn, repository: SQLiteRepository
) -> None:
    await slack.command("/project", f"announce {RELEASES}", user="U0ADMIN")
    standin.fail("chat.postMessage", "not_in_channel")
    reply = await slack.command("/project", "set testing", user="U0ADMIN")
    moved, told = reply.posts
    assert moved.response_type == "in_channel"
    assert (told.response_type, told.text) == (
        "ephemeral",
        "The change stands, but I couldn't announce it in <#C0RELEASES> "
        "(I'm not in that channel: /invite @phasebot there). "
        "Check that channel and my permissions there.",
    )
    assert await phase_of(repository) == "testing"


@pytest.mark.parametrize(
    ("text", "user", "message"),
    [
        (
            "announce releases",
            "U0ADMIN",
            "channel must be a channel: type # and pick one, e.g. /project announce #general",
        ),
        (f"announce {RELEASES}", "U0MEMBER", "That needs a workspace admin or owner."),
        ("announce", "U0ADMIN", "Give either `channel:` to announce moves there"),
    ],
)
async def test_announcements_need_a_channel_and_an_admin(
    slack: Slack, repository: SQLiteRepository, text: str, user: str, message: str
) -> None:
    reply = await slack.command("/project", text, user=user)
    assert reply.refusal().startswith(message)
    assert await repository.setting(HERE, ANNOUNCE) is None


async def test_a_reminder_is_posted_once_when_the_phase_stays(
    slack: Slack,
    standin: SlackStandIn,
    edge: SlackEdge,
    repository: SQLiteRepository,
    clock: Clock,
) -> None:
    await admin(slack, "set design")
    on = await slack.command("/project", "remind 14", user="U0ADMIN")
    assert on.header() == "Reminders on"
    assert await repository.setting(HERE, REMIND) == "14"
    tracker = edge.runner.app.tracker
    clock.advance(days=13)
    later = await send_reminders(edge.client, tracker, clock())
    assert later is not None and standin.calls_to("chat.postMessage") == []
    clock.advance(days=2)
    edge.reminders.start()  # as phasebot slack runs it
    try:
        edge.reminders.wake()
        await standin.wait_for(lambda: standin.calls_to("chat.postMessage"))
        await asyncio.sleep(0.05)
    finally:
        await edge.reminders.stop()
    (posted,) = standin.calls_to("chat.postMessage")
    assert posted.args["channel"] == CHANNEL_ID
    shown = " ".join(b["text"]["text"] for b in posted.args["blocks"] if "text" in b)
    assert "This project has been in *Design* for 2 w 1 d, since <!date^" in shown
    await send_reminders(edge.client, tracker, clock())  # sent once per stay
    assert len(standin.calls_to("chat.postMessage")) == 1


async def test_reminders_take_a_number_of_days(slack: Slack) -> None:
    reply = await slack.command("/project", "remind days:0", user="U0ADMIN")
    assert reply.refusal() == "days must be a whole number from 1 to 90."
    scope = Scope("slack", TEAM_ID, "D0MEMBER")
    off = await slack.command("/project", "remind off:true", user="U0GUEST", channel=scope.channel)
    assert off.header() == "Reminders off"
