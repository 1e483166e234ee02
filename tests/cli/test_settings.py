"""Settings: environment, .env, keyword overrides; bad values named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, load_settings

NAMES = (
    "DISCORD_TOKEN",
    "DATABASE_PATH",
    "DATABASE_URL",
    "DATABASE_POOL_SIZE",
    "SHARD_COUNT",
    "SHARD_IDS",
    "CONTENT_DIR",
    "DEV_GUILD_ID",
    "LOG_LEVEL",
)


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


def test_database_url_selects_postgresql_and_is_a_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().database_url is None  # unset: SQLite at DATABASE_PATH
    monkeypatch.setenv("DATABASE_URL", "  ")
    assert Settings().database_url is None
    for scheme in ("postgresql", "postgres"):
        url = f"{scheme}://bot:hunter2@db.internal:5432/phasebot"
        monkeypatch.setenv("DATABASE_URL", url)
        settings = Settings()
        assert settings.database_url is not None
        assert settings.database_url.get_secret_value() == url
        assert "hunter2" not in repr(settings) and "hunter2" not in str(settings.model_dump())


@pytest.mark.parametrize(
    "url",
    [
        "mysql://bot:hunter2@db/phasebot",
        "sqlite:///hunter2.db",
        "postgresql://bot:hunter2@db:port/phasebot",
        "bot:hunter2@db/phasebot",
    ],
)
def test_a_bad_database_url_is_named_without_repeating_it(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    message = str(raised.value)
    assert message.startswith("invalid setting DATABASE_URL: ") and "hunter2" not in message


def test_shards_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (Settings().shard_count, Settings().shard_ids) == (None, None)
    monkeypatch.setenv("SHARD_COUNT", "8")
    monkeypatch.setenv("SHARD_IDS", "0-2, 5")
    settings = Settings()
    assert (settings.shard_count, settings.shard_ids) == (8, (0, 1, 2, 5))
    monkeypatch.setenv("SHARD_IDS", "")
    assert Settings().shard_ids is None  # SHARD_COUNT alone: every shard, in this process
    refused = [
        ("0,1", "", "^invalid setting SHARD_IDS: needs SHARD_COUNT"),
        ("3-1", "8", "not a range"),
        ("0,8", "8", "^invalid setting SHARD_IDS: 8 is not below SHARD_COUNT 8$"),
        ("a", "8", "not a shard"),
    ]
    for ids, count, word in refused:
        monkeypatch.setenv("SHARD_IDS", ids)
        monkeypatch.setenv("SHARD_COUNT", count)
        with pytest.raises(SettingsError, match=word):
            load_settings()
