"""Settings: environment, .env, keyword overrides; bad values named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, load_settings

NAMES = ("DISCORD_TOKEN", "DATABASE_PATH", "CONTENT_DIR", "DEV_GUILD_ID", "LOG_LEVEL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults(tmp_path: Path) -> None:
    settings = Settings()
    assert settings.discord_token is None
    assert settings.database_path == tmp_path / "data" / "phasebot.sqlite3"
    assert settings.content_dir is None
    assert settings.dev_guild_id is None
    assert settings.log_level == "INFO"


def test_every_field_has_a_keyword_override(tmp_path: Path) -> None:
    settings = Settings(
        discord_token="abc",
        database_path=tmp_path / "x.db",
        content_dir=tmp_path,
        dev_guild_id=42,
        log_level="debug",
    )
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "abc"
    assert (settings.database_path, settings.content_dir) == (tmp_path / "x.db", tmp_path)
    assert (settings.dev_guild_id, settings.log_level) == (42, "DEBUG")


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "DISCORD_TOKEN=from-file\nDEV_GUILD_ID=7\nCONTENT_DIR=\nDATABASE_PATH=\n"
    )
    monkeypatch.setenv("DEV_GUILD_ID", "8")
    settings = Settings()
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "from-file"
    assert settings.dev_guild_id == 8  # the environment wins over .env
    assert settings.content_dir is None  # blank means default
    assert settings.database_path == tmp_path / "data" / "phasebot.sqlite3"  # not the folder


def test_token_is_hidden_in_repr() -> None:
    settings = Settings(discord_token="very-secret")
    assert "very-secret" not in repr(settings)
    assert "very-secret" not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEV_GUILD_ID", "abc"), ("DEV_GUILD_ID", "-5"), ("LOG_LEVEL", "LOUD")],
)
def test_bad_value_is_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"invalid setting {name}: ")
