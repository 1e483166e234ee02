"""Settings, read from the environment and `.env` when a command starts (never at import)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
DEFAULT_DATABASE_PATH = Path("data/phasebot.sqlite3")
POSTGRES_SCHEMES = ("postgresql", "postgres")
MAX_SHARD_IDS = 4096
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
    database_url: SecretStr | None = Field(
        default=None,
        description="A postgresql:// URL: PostgreSQL instead of the SQLite file. Secret.",
    )
    database_pool_size: int = Field(
        default=10, ge=1, le=200, description="PostgreSQL connections this process may open."
    )
    shard_count: int | None = Field(
        default=None, ge=1, description="How many shards the bot has in all (every process)."
    )
    shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = Field(
        default=None, description="This process's shards, e.g. 0,1 or 0-3; needs SHARD_COUNT."
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

    @field_validator("database_url", mode="before")
    @classmethod
    def _postgres_url(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if not isinstance(value, str) or not value.strip():
            return None if isinstance(value, str) else value
        value = value.strip()
        # The message never repeats the URL: it may hold a password.
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            raise ValueError("not a valid URL (postgresql://USER:PASSWORD@HOST:PORT/DB)") from None
        if parts.scheme not in POSTGRES_SCHEMES:
            raise ValueError(
                "must be a postgresql:// or postgres:// URL; leave it empty for SQLite "
                "at DATABASE_PATH"
            )
        return value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shard_list(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_shard_ids(value)
        return value

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("SHARD_IDS: needs SHARD_COUNT (the number of shards in all)")
            outside = [i for i in self.shard_ids if i >= self.shard_count]
            if outside:
                raise ValueError(
                    f"SHARD_IDS: {outside[0]} is not below SHARD_COUNT {self.shard_count}"
                )
        return self

    @field_validator("dev_guild_id", "content_dir", "shard_count", mode="before")
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


def parse_shard_ids(text: str) -> tuple[int, ...] | None:
    """``"0,1"``, ``"0-3"`` or ``"0-3,8"`` as sorted shard ids; blank: None."""
    ids: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        first, dash, last = part.partition("-")
        if not (first.isdigit() and (not dash or last.isdigit())):
            raise ValueError(f"{part!r} is not a shard id or a range like 0-3")
        low, high = int(first), int(last) if dash else int(first)
        if high < low or high - low >= MAX_SHARD_IDS:
            raise ValueError(f"{part!r} is not a range from a lower to a higher id")
        ids.update(range(low, high + 1))
    return tuple(sorted(ids)) if ids else None


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
        message = error["msg"].removeprefix("Value error, ")
        parts.append(message if not error["loc"] else f"{name}: {message}")
    return "invalid setting " + "; ".join(parts)
