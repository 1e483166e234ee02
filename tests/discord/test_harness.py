"""Tests proving the end-to-end harness drives discord.py's real code path.

The bot below is a throwaway used only to exercise the harness; it is not phasebot.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from collections.abc import AsyncIterator
from typing import Any, Literal

import aiohttp
import discord
import discord.http
import pytest
from discord import app_commands
from discord.ext import commands

from tests.discord.harness import (
    FakeUser,
    Harness,
    HarnessError,
    UnsendableInteraction,
    check_command_schema,
)
from tests.discord.standin import (
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    StandIn,
    validate_choices,
    validate_message_body,
)

TOPICS = ["planning", "design", "development", "deployment", "monitoring"]
STAGES = ["design", "testing", "release"]
# A 1×1 PNG, as a chart feature would post.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)


# --------------------------------------------------------------------------------------------
# A tiny throwaway bot
# --------------------------------------------------------------------------------------------


def card_embed(votes: int, stage: str | None = None) -> discord.Embed:
    embed = discord.Embed(title="Project card", description="Vote for the card", colour=0x3498DB)
    embed.add_field(name="Votes", value=str(votes))
    embed.add_field(name="Stage", value=stage or "unset")
    return embed


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"vote:(?P<n>\d+)"):
    """Persistent button: the vote count lives in the custom_id so it survives restarts."""

    def __init__(self, votes: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Votes: {votes}",
                style=discord.ButtonStyle.primary,
                custom_id=f"vote:{votes}",
            )
        )
        self.votes = votes

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> VoteButton:
        return cls(int(match["n"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        client = interaction.client
        assert isinstance(client, ToyBot)
        client.clicks.append(interaction.user.id)
        votes = self.votes + 1
        await interaction.response.edit_message(embed=card_embed(votes), view=CardView(votes))


class StageSelect(discord.ui.Select[Any]):
    def __init__(self) -> None:
        super().__init__(
            custom_id="card:stage",
            placeholder="Pick a stage",
            options=[discord.SelectOption(label=s.title(), value=s) for s in STAGES],
        )

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        votes = int(interaction.message.embeds[0].fields[0].value or 0)  # type: ignore[union-attr]
        await interaction.response.edit_message(embed=card_embed(votes, self.values[0]))


class CardView(discord.ui.View):
    def __init__(self, votes: int = 0) -> None:
        super().__init__(timeout=60)
        self.add_item(VoteButton(votes))
        self.add_item(StageSelect())

    @discord.ui.button(label="Refresh", custom_id="card:refresh", row=2)
    async def refresh(
        self, interaction: discord.Interaction[Any], button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.defer()  # type 6: acknowledge, edit later
        await interaction.edit_original_response(content="refreshed")


class ToyTree(app_commands.CommandTree[Any]):
    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CommandInvokeError):
            await super().on_error(interaction, error)  # logs: the harness must notice
            return
        await interaction.response.send_message(f"Error: {error}", ephemeral=True)


class ToyBot(commands.Bot):
    def __init__(self) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=discord.Intents.default(),
            tree_cls=ToyTree,
        )
        self.setup_ran = False
        self.clicks: list[int] = []

    async def setup_hook(self) -> None:
        self.setup_ran = True
        self.add_dynamic_items(VoteButton)
        tree = self.tree

        @tree.command(description="Roll some dice")
        @app_commands.describe(count="How many dice", mode="How to combine them")
        async def roll(
            interaction: discord.Interaction[Any],
            count: app_commands.Range[int, 1, 5],
            mode: Literal["sum", "max"] = "sum",
            label: app_commands.Range[str, 2, 10] | None = None,
        ) -> None:
            values = list(range(1, count + 1))
            total = sum(values) if mode == "sum" else max(values)
            embed = discord.Embed(title=label or "Roll", description=f"{count} dice, {mode}")
            embed.add_field(name="Result", value=str(total))
            await interaction.response.send_message(embed=embed)

        phase = app_commands.Group(name="phase", description="Project phase")
        admin = app_commands.Group(name="admin", description="Admin tools", parent=phase)

        @phase.command(name="show", description="Show the phase")
        async def phase_show(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.send_message("Phase: design")

        @admin.command(name="reset", description="Reset the phase")
        async def phase_reset(interaction: discord.Interaction[Any], confirm: bool) -> None:
            await interaction.response.send_message(f"reset confirmed={confirm}")

        tree.add_command(phase)

        @tree.command(description="Pick a topic")
        async def topic(interaction: discord.Interaction[Any], name: str) -> None:
            await interaction.response.send_message(f"Topic: {name}")

        @topic.autocomplete("name")
        async def topic_name(
            interaction: discord.Interaction[Any], current: str
        ) -> list[app_commands.Choice[str]]:
            if current == "everything":  # more than Discord allows
                return [app_commands.Choice(name=f"t{i}", value=f"t{i}") for i in range(26)]
            return [
                app_commands.Choice(name=t.title(), value=t)
                for t in TOPICS
                if t.startswith(current.lower())
            ]

        @tree.command(description="Name a role")
        async def rolename(interaction: discord.Interaction[Any], role: discord.Role) -> None:
            await interaction.response.send_message(f"Role: {role.name}")

        @tree.command(description="Show a project card")
        async def card(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.send_message(embed=card_embed(0), view=CardView(0))

        @tree.command(description="Divide two numbers")
        async def divide(interaction: discord.Interaction[Any], a: int, b: int) -> None:
            if b == 0:
                raise app_commands.AppCommandError("Cannot divide by zero")
            await interaction.response.send_message(f"{a // b}")

        @tree.command(description="Build a report")
        async def report(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.edit_original_response(
                content="Report ready", embed=discord.Embed(title="Report")
            )
            await interaction.followup.send("Details are private", ephemeral=True)

        @tree.command(description="Who am I")
        @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
        @app_commands.allowed_installs(guilds=True, users=True)
        async def whoami(interaction: discord.Interaction[Any]) -> None:
            where = "guild" if interaction.guild_id else "DM"
            await interaction.response.send_message(f"{interaction.user.name} in {where}")

        @tree.command(description="Moderators only")
        @app_commands.guild_only()
        @app_commands.default_permissions(manage_guild=True)
        async def purge(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.send_message("purged", ephemeral=True)

        @tree.command(description="Crashes")
        async def crash(interaction: discord.Interaction[Any]) -> None:
            raise RuntimeError("boom")

        @tree.command(description="Says too much")
        async def chatty(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.send_message("x" * 2001)

        @tree.command(description="Sends a followup before answering")
        async def early(interaction: discord.Interaction[Any]) -> None:
            await interaction.followup.send("too early")

        @tree.command(description="Posts a chart")
        async def chart(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.send_message(
                "Your chart", file=discord.File(io.BytesIO(PNG), "x.png")
            )
            await interaction.followup.send(
                file=discord.File(io.BytesIO(b"phase,days\ndesign,3\n"), "data.csv"),
                ephemeral=True,
            )

        @tree.command(description="Calls a route the stand-in lacks")
        async def audit(interaction: discord.Interaction[Any]) -> None:
            await interaction.response.defer()
            with contextlib.suppress(discord.NotFound):
                await self.fetch_guild(interaction.guild_id or 0)
            await interaction.followup.send("done")


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    async with Harness(ToyBot(), sync=True) as harness:
        yield harness


# --------------------------------------------------------------------------------------------
# Login, setup_hook and sync
# --------------------------------------------------------------------------------------------


async def test_login_runs_setup_hook_and_sync_registers_schema(h: Harness) -> None:
    bot = h.bot
    assert isinstance(bot, ToyBot)
    assert bot.setup_ran
    assert bot.user is not None and bot.user.id == h.standin.application_id
    assert bot.application_id == h.standin.application_id
    routes = [r.route for r in h.standin.requests]
    assert routes[:3] == [
        "GET /users/@me",
        "GET /oauth2/applications/@me",
        "PUT /applications/{app}/commands",
    ]
    synced = h.synced_payload()
    assert {c["name"] for c in synced} == {
        *("roll", "phase", "topic", "rolename", "card", "divide", "report", "whoami"),
        *("purge", "crash", "chatty", "early", "chart", "audit"),
    }
    assert check_command_schema(synced) == []
    roll = h.standin.registered_command("roll")
    assert roll is not None and int(roll["id"]) > 0
    assert roll["options"][0] == {
        "type": 4,
        "name": "count",
        "description": "How many dice",
        "required": True,
        "min_value": 1,
        "max_value": 5,
    }
    # the guild was fed through GUILD_CREATE into discord.py's cache
    guild = bot.get_guild(h.world.guild_id)
    assert guild is not None and guild.me is not None
    assert guild.get_channel(h.world.channel_id) is not None


async def test_route_base_restored_and_no_tasks_leak() -> None:
    before = discord.http.Route.BASE
    tasks_before = asyncio.all_tasks()
    async with Harness(ToyBot()) as h:
        assert h.standin.base_url == discord.http.Route.BASE
        await h.command("card")  # starts a view timeout task, which the harness does not await
    assert before == discord.http.Route.BASE
    await asyncio.sleep(0)
    assert asyncio.all_tasks() - tasks_before == set()
    assert not h.standin.started


# --------------------------------------------------------------------------------------------
# Slash commands and autocomplete
# --------------------------------------------------------------------------------------------


async def test_range_and_literal_options_reach_the_command(h: Harness) -> None:
    res = await h.command("roll", {"count": 4, "mode": "max"})
    assert res.callback_type == 4
    assert not res.ephemeral
    embed = res.embed()
    assert embed["title"] == "Roll"
    assert embed["description"] == "4 dice, max"
    assert embed["fields"][0] == {"name": "Result", "value": "4", "inline": True}
    assert res.message is not None
    assert res.message["type"] == 20
    assert res.message["interaction_metadata"]["name"] == "roll"
    # the command id in the payload is the one Discord assigned when syncing
    registered = h.standin.registered_command("roll")
    assert registered is not None
    assert res.payload["data"]["id"] == registered["id"]

    default = await h.command("roll", {"count": 3})
    assert default.embed()["fields"][0]["value"] == "6"


@pytest.mark.parametrize(
    ("name", "options", "reason"),
    [
        ("roll", {"count": 6}, "must be <= 5"),
        ("roll", {"count": 0}, "must be >= 1"),
        ("roll", {}, "missing required option"),
        ("roll", {"count": 2, "mode": "avg"}, "must be one of"),
        ("roll", {"count": "2"}, "takes an integer"),
        ("roll", {"count": 2.0}, "takes an integer"),
        ("roll", {"count": True}, "takes an integer"),
        ("roll", {"count": 2, "label": "x"}, "must be 2-10 characters"),
        ("roll", {"count": 2, "label": "x" * 11}, "must be 2-10 characters"),
        ("roll", {"count": 2, "label": 5}, "takes a string"),
        ("roll", {"count": 2, "sides": 6}, "has no option 'sides'"),
        ("rolename", {"role": "admins"}, "takes a role dict"),
        ("nope", {}, "not registered"),
        ("phase", {}, "cannot be invoked directly"),
        ("phase admin", {}, "cannot be invoked directly"),
        ("phase admin reset", {}, "missing required option"),
        ("phase admin reset", {"confirm": "yes"}, "takes a boolean"),
        ("phase show extra", {}, "no subcommand"),
    ],
)
async def test_builder_refuses_what_the_client_would_not_send(
    h: Harness, name: str, options: dict[str, Any], reason: str
) -> None:
    with pytest.raises(UnsendableInteraction, match=reason):
        await h.command(name, options)
    assert h.standin.interactions == {}


async def test_builder_uses_tree_when_not_synced() -> None:
    async with Harness(ToyBot()) as h:
        assert not h.standin.synced
        with pytest.raises(UnsendableInteraction, match="must be <= 5"):
            await h.command("roll", {"count": 9})
        res = await h.command("roll", {"count": 5})
        assert res.embed()["fields"][0]["value"] == "15"


async def test_subcommand_and_group_nesting(h: Harness) -> None:
    show = await h.command("phase show")
    assert show.content == "Phase: design"
    assert show.payload["data"]["options"] == [{"name": "show", "type": 1, "options": []}]

    reset = await h.command("phase admin reset", {"confirm": True})
    assert reset.content == "reset confirmed=True"
    assert reset.payload["data"]["options"] == [
        {
            "name": "admin",
            "type": 2,
            "options": [
                {
                    "name": "reset",
                    "type": 1,
                    "options": [{"name": "confirm", "type": 5, "value": True}],
                }
            ],
        }
    ]


async def test_role_option_is_resolved(h: Harness) -> None:
    role_id = 1234567890
    res = await h.command("rolename", {"role": {"id": str(role_id), "permissions": "0"}})
    assert res.content == "Role: role"
    assert res.payload["data"]["options"] == [{"name": "role", "type": 8, "value": str(role_id)}]
    assert res.payload["data"]["resolved"]["roles"][str(role_id)]["name"] == "role"


async def test_autocomplete_returns_choices(h: Harness) -> None:
    res = await h.autocomplete("topic", "name", "de")
    assert res.callback_type == 8
    assert res.choices == [
        {"name": "Design", "value": "design"},
        {"name": "Development", "value": "development"},
        {"name": "Deployment", "value": "deployment"},
    ]
    assert res.message is None
    focused = res.payload["data"]["options"][0]
    assert focused == {"name": "name", "type": 3, "value": "de", "focused": True}

    with pytest.raises(UnsendableInteraction, match="no autocomplete"):
        await h.autocomplete("roll", "count", "3")


async def test_more_than_25_choices_are_rejected(h: Harness) -> None:
    res = await h.autocomplete("topic", "name", "everything", check=False)
    assert not res.acknowledged and res.choices is None
    [rejected] = res.rejected
    assert rejected.response["code"] == 50035
    assert "choices" in rejected.response["errors"]["data"]


async def test_ephemeral_error_reply(h: Harness) -> None:
    err = await h.command("divide", {"a": 1, "b": 0})
    assert err.ephemeral
    assert err.flags & FLAG_EPHEMERAL
    assert err.content == "Error: Cannot divide by zero"
    ok = await h.command("divide", {"a": 7, "b": 2})
    assert not ok.ephemeral
    assert ok.content == "3"


async def test_defer_then_edit_original_and_followup(h: Harness) -> None:
    res = await h.command("report")
    assert res.callback_type == 5
    first = res.versions[0]
    assert first["flags"] & FLAG_LOADING and first["content"] == ""
    assert not res.flags & FLAG_LOADING
    assert res.content == "Report ready"
    assert res.embed()["title"] == "Report"
    assert [r.json["content"] for r in res.requests if r.method == "PATCH"] == ["Report ready"]
    assert len(res.followups) == 1
    followup = res.followups[0]
    assert followup["content"] == "Details are private"
    assert followup["flags"] & FLAG_EPHEMERAL
    assert followup["interaction_metadata"]["original_response_message_id"] == str(res.message_id)


async def test_dm_allowed_command_in_every_context(h: Harness) -> None:
    guild = await h.command("whoami")
    assert guild.content == "tester in guild"
    assert "member" in guild.payload and "user" not in guild.payload

    dm = await h.command("whoami", context="bot_dm")
    assert dm.content == "tester in DM"
    assert dm.payload["context"] == 1
    assert "member" not in dm.payload and dm.payload["user"]["username"] == "tester"
    assert dm.payload["channel"]["type"] == 1

    friend_dm = await h.command("whoami", context="private_channel")
    assert friend_dm.content == "tester in DM"
    assert friend_dm.payload["authorizing_integration_owners"] == {"1": str(h.world.user.id)}
    assert friend_dm.payload["channel"]["id"] != dm.payload["channel"]["id"]

    with pytest.raises(UnsendableInteraction, match="not user-installable"):
        await h.command("roll", {"count": 1}, context="private_channel")
    with pytest.raises(UnsendableInteraction, match="not allowed in context"):
        await h.command("purge", context="bot_dm")


async def test_default_member_permissions_hide_command(h: Harness) -> None:
    with pytest.raises(UnsendableInteraction, match="default_member_permissions"):
        await h.command("purge")
    mod = discord.Permissions(manage_guild=True).value | h.world.member_permissions
    res = await h.command("purge", permissions=mod)
    assert res.ephemeral and res.content == "purged"
    assert res.payload["member"]["permissions"] == str(mod)


# --------------------------------------------------------------------------------------------
# Components: buttons, selects, dynamic items
# --------------------------------------------------------------------------------------------


async def test_embed_view_button_and_select(h: Harness) -> None:
    res = await h.command("card")
    assert res.embed()["title"] == "Project card"
    assert [f["value"] for f in res.embed()["fields"]] == ["0", "unset"]
    assert res.custom_ids() == ["vote:0", "card:stage", "card:refresh"]
    assert res.component("vote:0")["label"] == "Votes: 0"

    picked = await h.select(res, "card:stage", ["testing"])
    assert picked.callback_type == 7
    assert picked.message_id == res.message_id
    assert [f["value"] for f in res.embed()["fields"]] == ["0", "testing"]  # live, as edited

    other = FakeUser.new("alice")
    clicked = await h.click(res, "vote:0", user=other)
    assert clicked.callback_type == 7
    assert clicked.payload["data"]["id"] == 2  # Discord numbers components: row 1, button 2
    assert res.component("vote:1")["label"] == "Votes: 1"
    assert len(res.versions) == 3
    bot = h.bot
    assert isinstance(bot, ToyBot) and bot.clicks == [other.id]

    with pytest.raises(UnsendableInteraction, match="no component 'vote:0'"):
        await h.click(res, "vote:0")  # the button was replaced by vote:1
    with pytest.raises(UnsendableInteraction, match="values must be distinct among"):
        await h.select(res, "card:stage", ["shipping"])
    with pytest.raises(UnsendableInteraction, match="takes 1-1 values"):
        await h.select(res, "card:stage", ["design", "testing"])
    with pytest.raises(UnsendableInteraction, match="buttons take no values"):
        await h.select(res, "card:refresh", ["design"])


async def test_deferred_component_update_edits_the_components_message(h: Harness) -> None:
    res = await h.command("card")
    refreshed = await h.click(res, "card:refresh")
    assert refreshed.callback_type == 6
    assert refreshed.message_id == res.message_id
    assert res.content == "refreshed"
    assert res.embed()["title"] == "Project card"  # untouched by the content-only edit
    assert [r.json["content"] for r in refreshed.requests if r.method == "PATCH"] == ["refreshed"]


async def test_messages_in_a_dm_are_only_clickable_by_their_user(h: Harness) -> None:
    sent = await h.command("card", context="bot_dm")
    with pytest.raises(UnsendableInteraction, match="belongs to another user"):
        await h.click(sent, "card:refresh", user=FakeUser.new("eve"))
    clicked = await h.click(sent, "card:refresh")
    assert clicked.payload["context"] == 1 and clicked.payload["channel"]["type"] == 1
    assert sent.content == "refreshed"


async def test_dynamic_button_survives_restart() -> None:
    first_bot = ToyBot()
    async with Harness(first_bot, sync=True) as first:
        res = await first.command("card")
        message_id = res.message_id
    assert first_bot.is_closed()
    assert message_id is not None

    second_bot = ToyBot()
    # same stand-in (its message store survives) and same world (guild, channel, user)
    async with first.successor(second_bot) as second:
        assert second.standin is first.standin
        # the select is not persistent: after the restart nothing answers it...
        with pytest.raises(HarnessError, match="never acknowledged"):
            await second.select(message_id, "card:stage", ["design"])
        unanswered = await second.select(message_id, "card:stage", ["design"], check=False)
        # ...but the DynamicItem button is handled by the new bot
        clicked = await second.click(message_id, "vote:0")
    assert clicked.callback_type == 7
    assert clicked.component("vote:1")["label"] == "Votes: 1"
    assert second_bot.clicks == [first.world.user.id]
    assert first_bot.clicks == []
    assert not unanswered.acknowledged


# --------------------------------------------------------------------------------------------
# Forged payloads (what the Discord client never sends, for hardening tests)
# --------------------------------------------------------------------------------------------


async def test_forged_custom_ids(h: Harness) -> None:
    res = await h.command("card")
    payload = h.builder.component(res.message or {}, "vote:0")
    payload["data"]["custom_id"] = "vote:41"  # not on the message: only a forger sends it
    dropped = await h.feed(payload, check=False)
    assert not dropped.acknowledged  # discord.py only runs items found on the message

    payload = h.builder.component(res.message or {}, "vote:0")
    payload["data"]["custom_id"] = "vote:41"
    payload["message"]["components"][0]["components"][0]["custom_id"] = "vote:41"
    forged = await h.feed(payload)
    assert forged.callback_type == 7
    assert res.component("vote:42")["label"] == "Votes: 42"  # the toy bot trusts the id


async def test_forged_unknown_subcommand_reaches_the_tree(h: Harness) -> None:
    payload = h.builder.slash("phase show")
    payload["data"]["options"][0]["name"] = "nuke"
    res = await h.feed(payload)
    assert res.ephemeral
    assert res.content == "Error: Application command 'nuke' not found"


async def test_forged_option_type_reaches_the_command(h: Harness) -> None:
    payload = h.builder.slash("topic", {"name": "design"})
    payload["data"]["options"][0]["value"] = 5  # a string option sent as an integer
    res = await h.feed(payload)
    assert res.content == "Topic: 5"  # discord.py passes it through unchecked


# --------------------------------------------------------------------------------------------
# Attachments
# --------------------------------------------------------------------------------------------


async def test_files_are_uploaded_and_recorded_as_attachments(h: Harness) -> None:
    res = await h.command("chart")
    assert res.content == "Your chart" and not res.ephemeral
    [attachment] = res.attachments
    assert attachment["filename"] == "x.png"
    assert attachment["size"] == len(PNG)
    assert attachment["content_type"] == "image/png"  # Discord's guess: discord.py sends none
    [sent] = res.files
    assert (sent.filename, sent.data, sent.field) == ("x.png", PNG, "files[0]")
    assert sent.content_type == "application/octet-stream"
    callback = next(r for r in res.requests if r.route and r.route.endswith("/callback"))
    assert callback.json["data"]["attachments"] == [{"id": 0, "filename": "x.png"}]
    assert callback.files == [sent]

    [followup] = res.followups
    assert followup["flags"] & FLAG_EPHEMERAL
    [csv] = followup["attachments"]
    assert (csv["filename"], csv["content_type"]) == ("data.csv", "text/csv")
    assert [f.data for f in h.standin.files(followup)] == [b"phase,days\ndesign,3\n"]


# --------------------------------------------------------------------------------------------
# The harness notices misbehaviour; the stand-in rejects what Discord would
# --------------------------------------------------------------------------------------------


async def test_logged_exception_fails_the_interaction(h: Harness) -> None:
    with pytest.raises(HarnessError, match="boom"):
        await h.command("crash")
    res = await h.command("crash", check=False)
    assert not res.acknowledged
    assert any("RuntimeError: boom" in e for e in res.errors)


async def test_standin_rejects_what_discord_would(h: Harness) -> None:
    res = await h.command("chatty", check=False)
    assert not res.acknowledged
    [rejected] = res.rejected
    assert rejected.status == 400
    assert rejected.response["code"] == 50035
    assert "content" in rejected.response["errors"]["data"]
    assert res.errors  # discord.py raised HTTPException inside the command


async def test_followup_before_answering_is_unknown_webhook(h: Harness) -> None:
    res = await h.command("early", check=False)
    assert not res.acknowledged
    assert [r.response["code"] for r in res.rejected] == [10015]


async def test_second_callback_is_already_acknowledged(h: Harness) -> None:
    res = await h.command("roll", {"count": 1})
    url = f"{h.standin.base_url}/interactions/{res.state.id}/{res.state.token}/callback"
    again = {"type": 4, "data": {"content": "again"}}
    async with aiohttp.ClientSession() as session, session.post(url, json=again) as resp:
        assert resp.status == 400
        assert (await resp.json())["code"] == 40060
    assert res.embed()["title"] == "Roll" and res.content == ""  # the first answer stands


async def test_unknown_route_is_recorded_and_fails() -> None:
    h = Harness(ToyBot(), sync=True)
    with pytest.raises(HarnessError, match="routes the stand-in does not implement"):
        async with h:  # closing also fails: an unknown route was hit during the session
            with pytest.raises(HarnessError, match="unknown routes called: GET /guilds/"):
                await h.command("audit")
            assert [r.path for r in h.standin.unexpected] == [f"/guilds/{h.world.guild_id}"]
    assert h.bot.is_closed() and not h.standin.started


async def test_no_unexpected_routes_in_a_full_session(h: Harness) -> None:
    res = await h.command("card")
    await h.select(res, "card:stage", ["design"])
    await h.command("report")
    await h.command("chart")
    await h.autocomplete("topic", "name", "")
    assert h.standin.unexpected == []
    assert h.standin.rejected == []


async def test_standin_answers_like_discord() -> None:
    async with StandIn() as api, aiohttp.ClientSession() as session:
        async with session.get(api.base_url + "/users/@me") as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["id"] == str(api.application_id)
        async with session.get(api.base_url + "/guilds/1/members") as resp:
            assert resp.status == 404
            assert await resp.json() == {"message": "404: Not Found", "code": 0}
        async with session.post(api.base_url + "/interactions/1/nope/callback", json={}) as resp:
            assert resp.status == 404
            assert (await resp.json())["code"] == 10062
    assert [str(r) for r in api.unexpected] == ["GET /guilds/1/members -> 404"]
    assert [r.route for r in api.rejected] == ["POST /interactions/{iid}/{token}/callback"]


def _button(custom_id: str) -> dict[str, Any]:
    return {"type": 2, "style": 1, "label": "b", "custom_id": custom_id}


def _select(n: int) -> dict[str, Any]:
    options = [{"label": str(i), "value": str(i)} for i in range(n)]
    return {"type": 3, "custom_id": "s", "options": options}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"content": "x" * 2001}, ["content"]),
        ({"embeds": [{"title": "t"}] * 11}, ["embeds"]),
        ({"embeds": [{"description": "d" * 4097}]}, ["embeds", "0", "description"]),
        ({"embeds": [{"fields": [{"name": "n", "value": ""}]}]}, ["embeds", "0", "fields"]),
        ({"embeds": [{"description": "d" * 4000}, {"description": "d" * 2001}]}, ["embeds"]),
        ({"components": [{"type": 1, "components": [_button("x" * 101)]}]}, ["components"]),
        ({"components": [{"type": 1, "components": [_button("a"), _button("a")]}]}, []),
        ({"components": [{"type": 1, "components": [_select(26)]}]}, ["components", "0"]),
        ({"components": [{"type": 1, "components": [_button(str(i)) for i in range(6)]}]}, []),
        ({"components": [_button("a")]}, ["components", "0", "type"]),
        ({"components": [{"type": 17, "components": []}]}, ["components", "0", "type"]),
    ],
)
def test_message_limits(body: dict[str, Any], path: list[str]) -> None:
    problems = validate_message_body(body, 0)
    assert problems
    assert any(list(map(str, where[: len(path)])) == path for where, _, _ in problems), problems


def test_choice_limits() -> None:
    assert validate_choices([{"name": "a", "value": "a"}] * 25, 3) == []
    assert validate_choices([{"name": "a", "value": "a"}] * 26, 3)
    assert validate_choices([{"name": "a", "value": 1}], 3)  # a string option's choice
    assert validate_choices([{"name": "a", "value": "1"}], 4)  # an integer option's choice
    assert validate_choices([{"name": "", "value": "a"}], 3)


# --------------------------------------------------------------------------------------------
# Payload shapes and the schema checker
# --------------------------------------------------------------------------------------------


async def test_payload_carries_required_fields(h: Harness) -> None:
    first = h.builder.slash("roll", {"count": 1})
    second = h.builder.slash("roll", {"count": 1})
    required = {"id", "token", "type", "data", "version", "locale", "entitlements", "context"}
    required |= {"attachment_size_limit", "application_id", "app_permissions", "guild_id"}
    required |= {"channel", "channel_id", "member", "authorizing_integration_owners"}
    for payload in (first, second):
        assert required - payload.keys() == set()
        assert payload["member"]["permissions"] == str(h.world.member_permissions)
        assert payload["application_id"] == str(h.standin.application_id)
    assert first["id"] != second["id"] and first["token"] != second["token"]
    dm = h.builder.slash("whoami", context="bot_dm")
    assert dm["context"] == 1 and "user" in dm and "guild_id" not in dm


def _command(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": "ok", "description": "fine", "type": 1, "options": []}
    base.update(overrides)
    return base


def _option(name: str, **overrides: Any) -> dict[str, Any]:
    return {"type": 3, "name": name, "description": name, **overrides}


@pytest.mark.parametrize(
    ("commands_json", "problem"),
    [
        ([_command(name="Bad Name")], "name must be"),
        ([_command(name="UPPER")], "name must be"),
        ([_command(name="x" * 33)], "name must be"),
        ([_command(description="")], "description must be 1-100"),
        ([_command(description="d" * 101)], "description must be 1-100"),
        ([_command(), _command()], "share this name"),
        (
            [_command(options=[_option("a"), _option("b", required=True)])],
            "required options must be listed before",
        ),
        ([_command(options=[_option(f"o{i}") for i in range(26)])], "at most 25"),
        (
            [_command(options=[_option("c", choices=[{"name": "n", "value": "v" * 101}])])],
            "longer than 100",
        ),
        (
            [_command(options=[_option("c", choices=[{"name": "n", "value": "v"}] * 26)])],
            "26 choices (at most 25)",
        ),
        (
            [
                _command(
                    options=[
                        _option(
                            f"o{i}",
                            description="d" * 100,
                            choices=[{"name": "n" * 100, "value": str(j)} for j in range(25)],
                        )
                        for i in range(2)
                    ]
                )
            ],
            "max 4000",
        ),
        ([_command(options=[_option("Bad")])], "option 'Bad': name must be"),
        ([_command(options=[_option("n", type=4, min_length=1)])], "only apply to string"),
        ([{"name": "Inspect", "type": 3, "description": ""}], "only slash commands"),
    ],
)
def test_schema_checker_flags_problems(commands_json: list[dict[str, Any]], problem: str) -> None:
    problems = check_command_schema(commands_json)
    assert any(problem in p for p in problems), problems


def test_schema_checker_accepts_valid_commands() -> None:
    assert check_command_schema([_command(name="ok-name_2"), _command(name="other")]) == []


async def test_standin_refuses_invalid_sync_like_discord() -> None:
    bot = ToyBot()
    async with StandIn() as api, Harness(bot, standin=api) as h:
        bad: app_commands.Command[Any, ..., None] = app_commands.Command(
            name="fine", description="d", callback=_noop_callback
        )
        bad.description = "x" * 150  # bypasses discord.py's own constructor checks
        bot.tree.add_command(bad)
        with pytest.raises(app_commands.CommandSyncFailure):
            await h.sync()
        assert h.standin.rejected[-1].response["code"] == 50035
        assert not h.standin.synced
    assert not api.started


async def _noop_callback(interaction: discord.Interaction[Any]) -> None:
    await interaction.response.send_message("noop")
