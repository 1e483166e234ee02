"""Settings, read from the environment and `.env` when a command starts (never at import)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
DEFAULT_DATABASE_PATH = Path("data/phasebot.sqlite3")
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
_TOKEN_PREFIXES = {"slack_bot_token": "xoxb-", "slack_app_token": "xapp-"}


class Settings(BaseSettings):
    """Every setting has an environment variable of the same name in upper case."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    discord_token: SecretStr | None = Field(
        default=None, description="The bot's token, from the Discord developer portal."
    )
    database_path: Path = Field(
        default=DEFAULT_DATABASE_PATH,
        description="The SQLite file for project progress; created on first run.",
    )
    content_dir: Path | None = Field(
        default=None, description="A content directory of your own; default: the bundled one."
    )
    dev_guild_id: int | None = Field(
        default=None, gt=0, description="A server to copy commands to for instant updates."
    )
    log_level: LogLevel = Field(default="INFO", description="How much the bot logs.")
    slack_bot_token: SecretStr | None = Field(
        default=None, description="The Slack app's bot token (xoxb-…), for `phasebot slack`."
    )
    slack_app_token: SecretStr | None = Field(
        default=None, description="An app-level token (xapp-…): connect in Socket Mode."
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, description="The Slack app's signing secret, for HTTP mode."
    )
    slack_api_url: str = Field(
        default=DEFAULT_SLACK_API_URL,
        description="The base URL of Slack's Web API (another for GovSlack, or in tests).",
    )

    @field_validator(
        "discord_token",
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        mode="before",
    )
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("slack_bot_token", "slack_app_token")
    @classmethod
    def _slack_token_kind(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        # A token pasted into the other's place is a common slip; the message never shows it.
        prefix = _TOKEN_PREFIXES[str(info.field_name)]
        if value is not None and not value.get_secret_value().startswith(prefix):
            raise ValueError(f"it should start with {prefix}")
        return value

    @field_validator("slack_api_url", mode="before")
    @classmethod
    def _api_url(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip() or DEFAULT_SLACK_API_URL
            if not value.startswith(("https://", "http://")):
                raise ValueError("it should be an http(s) URL such as https://slack.com/api/")
            return value if value.endswith("/") else value + "/"
        return value

    @field_validator("dev_guild_id", "content_dir", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("database_path", mode="before")
    @classmethod
    def _blank_path_is_default(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return DEFAULT_DATABASE_PATH
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("database_path", "content_dir")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        # Resolved once, when the settings are made, so later chdirs change nothing.
        return value.expanduser().resolve() if value is not None else None


class SettingsError(Exception):
    """Settings could not be read; the message names each bad setting in one line."""


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_settings_error(exc)) from None


def describe_settings_error(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        name = str(error["loc"][0]).upper() if error["loc"] else "settings"
        parts.append(f"{name}: {error['msg']}")
    return "invalid setting " + "; ".join(parts)
