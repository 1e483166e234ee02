"""A team's view: overview, timeline stays, export, announcements and reminders, on the
in-memory repository with a clock the tests move (no sleeps)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from bot.core import team
from bot.core.answer import ChannelMention, Post, plain
from bot.core.errors import InvalidRequest, NotAllowed
from bot.core.export import defused, export_answer
from bot.core.models import Content
from bot.core.runner import Runner
from bot.core.state import Actor, Scope
from bot.core.surface import App, Need, OpenGate, Request
from bot.core.tracker import Tracker
from bot.services import load_services
from tests.fakes import MemoryRepository

ANN = Actor("1", "Ann")
T0 = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Hidden(OpenGate):
    """A user who can't see channel "secret"."""

    async def sees(self, scope: Scope) -> bool:
        return scope.channel != "secret"


def place(channel: str, workspace: str = "W") -> Scope:
    return Scope("slack", workspace, channel, label=channel)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def runner(clock: Clock) -> Runner:
    services = load_services()
    tracker = Tracker(MemoryRepository(), services.catalog.content, clock)
    return Runner(App(services.catalog, services.knowledge, services.asker, tracker))


def request(scope: Scope, gate: OpenGate | None = None) -> Request:
    return Request("slack", ANN, scope, gate or OpenGate(), channel=place)


async def run(runner: Runner, scope: Scope, line: str, **options: object) -> str:
    answer = await runner.run(line, options, request(scope))
    return plain(answer.description)


async def test_the_overview_lists_seen_channels_longest_first_in_pages(
    runner: Runner, clock: Clock
) -> None:
    for name in ("old", "secret", *(f"c{i:02}" for i in range(11))):
        await runner.run("project set", {"phase": "design"}, request(place(name)))
        clock.advance(hours=1)
    await runner.run("project set", {"phase": "design"}, request(place("elsewhere", "X")))
    answer = await runner.run("project overview", {}, request(place("old"), Hidden()))
    rows = plain(answer.description).splitlines()
    assert len(rows) == 10 and rows[0].startswith("#old · Design ▰▰▰▱▱▱▱▱ · Waterfall · since")
    assert "0/5 ticked" in rows[0] and not any("secret" in r or "elsewhere" in r for r in rows)
    assert answer.footer == "Page 1 of 2 · 12 channels · longest in their phase first"
    second = await runner.click(answer.actions[1].action, [], request(place("old"), Hidden()))
    rows = plain(second.description).splitlines()
    assert second.replaces and [row.split(" · ")[0] for row in rows] == ["#c09", "#c10"]


async def test_stays_count_the_ticks_of_each_stay(runner: Runner, clock: Clock) -> None:
    here = place("here")
    for line, options in [
        ("project methodology", {"name": "agile"}),
        ("project set", {"phase": "testing"}),
        ("project check", {"activity": "1"}),
        ("project check", {"activity": "2"}),
        ("project next", {}),
        ("project next", {}),  # deployment -> planning: iteration 2
        ("project check", {"activity": "1"}),
    ]:
        clock.advance(minutes=30)
        await runner.run(line, options, request(here))
    stays = await team.stays_of(runner.app.tracker, here)
    assert [(s.phase_key, s.iteration, s.ticked, s.new_iteration) for s in stays] == [
        ("testing", 1, 2, False),
        ("deployment", 1, 0, False),
        ("planning", 2, 1, True),
    ]
    assert stays[0].end == stays[1].start and stays[-1].end is None
    answer = await runner.run("project timeline", {}, request(here))
    assert answer.file is not None and answer.file.mime == "image/png"
    assert Image.open(io.BytesIO(answer.file.data)).size[0] == 1200
    assert "3 moves · 2 iterations" in plain(answer.description)


async def test_a_timeline_with_no_moves_says_so_and_draws_nothing(runner: Runner) -> None:
    answer = await runner.run("project timeline", {}, request(place("quiet")))
    assert answer.file is None  # no empty chart
    assert plain(answer.description).endswith("No moves yet.")


async def test_a_timeline_of_a_channel_the_user_cant_see_is_refused(runner: Runner) -> None:
    await runner.run("project set", {"phase": "design"}, request(place("secret")))
    with pytest.raises(NotAllowed):
        await runner.run(
            "project timeline", {"channel": "secret"}, request(place("here"), Hidden())
        )


async def test_export_round_trips_and_defuses_formulas(runner: Runner, content: Content) -> None:
    here = place("here")
    notes = ["=1+1", "+cmd", "-2", "@sum(A1)", 'plain, with "quotes"\nand a line', "|pipe|"]
    await runner.run("project set", {"phase": "planning"}, request(here))
    for note in notes:
        await runner.run("project next", {"note": note.replace("\n", " ")}, request(here))
    events = await runner.app.tracker.repository.events(here, 0, 100)
    as_csv = await runner.run("project export", {"format": "CSV"}, request(here))
    assert as_csv.file is not None and as_csv.file.name == "history.csv"
    rows = list(csv.DictReader(io.StringIO(as_csv.file.data.decode())))
    assert [r["id"] for r in rows] == [str(e.id) for e in events]
    assert [r["note"] for r in rows[1:]] == [str(defused(e.note or "")) for e in events[1:]]
    assert rows[1]["note"] == "'=1+1" and rows[3]["note"] == "'-2"
    assert [r["kind"] for r in rows] == ["move"] * 7 and rows[1]["from"] == "planning"
    as_json = await runner.run("project export", {"format": "json"}, request(here))
    assert as_json.file is not None
    loaded = json.loads(as_json.file.data)
    assert [r["note"] for r in loaded] == [e.note or "" for e in events]  # JSON keeps text as is
    assert [r["time"] for r in loaded] == [e.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for e in events]
    markdown = await runner.run("project export", {"format": "markdown"}, request(here))
    assert markdown.file is not None
    table = markdown.file.data.decode().splitlines()
    assert table[0].startswith("| id | time |") and len(table) == 2 + len(events)
    assert "\\|pipe\\|" in table[-1]
    with pytest.raises(InvalidRequest, match="one of: csv, json, markdown"):
        await runner.run("project export", {"format": "xlsx"}, request(here))


async def test_export_streams_many_pages(content: Content, clock: Clock) -> None:
    repository = MemoryRepository()
    tracker = Tracker(repository, content, clock)
    here = place("big")
    await tracker.move(here, ANN, "set", "planning")
    for _ in range(team.EVENTS_PAGE + 5):
        await tracker.check(here, ANN, "1")
    answer = await export_answer(tracker, here, "csv")
    assert answer.file is not None
    assert answer.file.data.decode().count("\n") == team.EVENTS_PAGE + 6 + 1


async def test_a_move_is_announced_where_the_channel_says(runner: Runner) -> None:
    here = place("here")
    await runner.run("project set", {"phase": "design"}, request(here))
    on = await runner.run("project announce", {"channel": "releases"}, request(here))
    assert plain(on.description) == (
        "Every change of phase in #here is now also posted in #releases."
    )
    moved = await runner.run("project next", {"note": "shipped **it**"}, request(here))
    (post,) = moved.posts
    assert post == Post(ChannelMention(place("releases").channel, "releases"), post.answer)
    assert plain(post.answer.description) == (
        "#here: Design → Implementation (Coding) by @Ann\n> shipped **it**"
    )
    await runner.run("project announce", {"clear": True}, request(here))
    assert (await runner.run("project next", {}, request(here))).posts == ()
    with pytest.raises(InvalidRequest, match="either `channel:`"):
        await runner.run("project announce", {}, request(here))
    announce = runner.command("project announce", "slack")
    assert announce.need is Need.MANAGER


async def test_reminders_are_due_once_per_stay_and_a_move_resets_them(
    runner: Runner, clock: Clock
) -> None:
    tracker = runner.app.tracker
    here = place("here")
    await runner.run("project set", {"phase": "testing"}, request(here))
    await runner.run("project remind", {"days": 3}, request(here))
    clock.advance(days=2, hours=23)
    due, later = await team.reminders(tracker, "slack", clock())
    assert due == [] and later == T0 + timedelta(days=3)
    clock.advance(hours=1)
    (found,), later = await team.reminders(tracker, "slack", clock())
    assert later is None and found.scope.key == here.key
    answer = team.reminder_answer(found, tracker.content, clock())
    assert answer.title == "⏰ Still in Testing?"
    assert "in Testing for 3 d, since" in plain(answer.description)
    assert [f.name for f in answer.fields] == ["Still open"] and answer.actions
    assert await team.claim(tracker, found, clock())
    assert not await team.claim(tracker, found, clock())  # exactly once, even if asked again
    assert (await team.reminders(tracker, "slack", clock()))[0] == []
    clock.advance(days=10)
    assert (await team.reminders(tracker, "slack", clock()))[0] == []  # one per stay
    await runner.run("project next", {}, request(here))  # a new stay
    clock.advance(days=3)
    assert len((await team.reminders(tracker, "slack", clock()))[0]) == 1
    await runner.run("project remind", {"off": True}, request(here))
    assert (await team.reminders(tracker, "slack", clock())) == ([], None)
    status = await runner.click("pb:status", [], request(here))
    assert status.title.startswith("Phase 6 of 8")


async def test_reminders_are_claimed_by_one_of_two_bots_and_survive_a_restart(
    content: Content, clock: Clock
) -> None:
    shared = MemoryRepository()
    first = Tracker(shared, content, clock)
    here = place("here")
    await first.move(here, ANN, "set", "design")
    await first.set_setting(team.Place("slack", "W", "here"), team.REMIND, "1", ANN)
    clock.advance(days=1)
    second = Tracker(MemoryRepository(shared), content, clock)  # another process, or a restart
    (due_one,), _ = await team.reminders(first, "slack", clock())
    (due_two,), _ = await team.reminders(second, "slack", clock())
    claimed = [
        await team.claim(first, due_one, clock()),
        await team.claim(second, due_two, clock()),
    ]
    assert claimed == [True, False]


@pytest.mark.parametrize(
    ("options", "message"),
    [({"days": 0}, "days must be a whole number from 1 to 90"), ({}, "either `days:`")],
)
async def test_bad_reminders_are_refused(
    runner: Runner, options: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        await runner.run("project remind", options, request(place("here")))
