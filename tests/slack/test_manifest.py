"""``phasebot slack manifest``: made from the command declarations, valid YAML, only the
scopes the bot uses, Socket Mode or the request URLs."""

from __future__ import annotations

import pytest
import yaml

from bot.cli import main
from bot.core.commands import COMMANDS
from bot.slack.manifest import manifest

SLACK = [c for c in COMMANDS if c.offered_on("slack")]
SCOPES = ["commands", "chat:write", "users:read", "usergroups:read", "files:write"]
URL = "https://phasebot.example.com/slack/events"


def printed(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["slack", "manifest", *args]) == 0
    out = capsys.readouterr().out
    data = yaml.safe_load(out)
    assert isinstance(data, dict)
    return data


def commands_of(data: dict[str, object]) -> dict[str, dict[str, object]]:
    features = data["features"]
    assert isinstance(features, dict)
    return {c["command"]: c for c in features["slash_commands"]}


def test_every_command_offered_on_slack_is_reachable(capsys: pytest.CaptureFixture[str]) -> None:
    commands = commands_of(printed(capsys))
    tops = list(dict.fromkeys(c.name.split()[0] for c in SLACK))
    assert list(commands) == [f"/{t}" for t in tops if t != "help"] + ["/phasebot"]
    for command in SLACK:  # a subcommand is the first word of its group's text
        if command.group is None and command.name != "help":
            assert commands[f"/{command.name}"]["description"] == command.description
    project = commands["/project"]
    hint = str(project["usage_hint"])
    for leaf in ("status", "set", "next", "back", "check", "methodology", "history", "reset"):
        assert f"{leaf}" in hint
    assert "editor-group" in hint and "editor-role" not in hint
    assert commands["/compare"]["usage_hint"] == "<a> <b> [aspect:<x>]"
    assert "usage_hint" not in commands["/phases"]


def test_user_groups_are_sent_as_ids_where_one_can_be_given(
    capsys: pytest.CaptureFixture[str],
) -> None:
    commands = commands_of(printed(capsys))
    escaping = sorted(name for name, c in commands.items() if c["should_escape"])
    assert escaping == ["/phasebot", "/project"]


def test_socket_mode_by_default_with_exactly_the_scopes_used(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = printed(capsys)
    assert data["oauth_config"] == {"scopes": {"bot": SCOPES}}
    assert data["settings"] == {
        "interactivity": {"is_enabled": True},
        "org_deploy_enabled": False,
        "socket_mode_enabled": True,
        "token_rotation_enabled": False,
    }
    assert all("url" not in c for c in commands_of(data).values())
    assert data == manifest()


@pytest.mark.parametrize(
    "given", [URL, "https://phasebot.example.com", URL.removesuffix("/slack/events") + "/"]
)
def test_http_mode_sends_everything_to_one_url(
    capsys: pytest.CaptureFixture[str], given: str
) -> None:
    data = printed(capsys, "--http-url", given)
    settings = data["settings"]
    assert isinstance(settings, dict)
    assert settings["socket_mode_enabled"] is False
    assert settings["interactivity"] == {"is_enabled": True, "request_url": URL}
    assert {c["url"] for c in commands_of(data).values()} == {URL}


@pytest.mark.parametrize(
    "bad", ["http://phasebot.example.com/slack/events", "phasebot", "https://"]
)
def test_a_url_slack_cannot_post_to_is_refused(
    capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    assert main(["slack", "manifest", "--http-url", bad]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "phasebot: --http-url must be an https:// URL: Slack posts only to HTTPS\n"
    )


def test_slacks_manifest_limits() -> None:
    data = manifest(URL)
    info = data["display_information"]
    assert len(info["name"]) <= 35 and len(info["description"]) <= 140
    for command in data["features"]["slash_commands"]:
        assert len(command["command"]) <= 32
        assert 0 < len(command["description"]) <= 2000
        assert len(command.get("usage_hint", "")) <= 1000
