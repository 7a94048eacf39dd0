"""Settings, read from the environment once and validated at start-up.

A wrong setting stops the process with a message naming it, before anything
is recorded. The database URL may hold a password, so it is kept as a
secret and only ever shown redacted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry.record.cosignature import Cosigner, parse_cosigner_vkey
from registry.record.note import NoteError
from registry.service.clock import DEFAULT_TIMEZONE

DEFAULT_DATABASE_URL = "sqlite:///var/registry.sqlite3"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_SQLITE_SCHEME = "sqlite:///"


class Settings(BaseSettings):
    """Everything the registry reads from its environment."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    database_url: SecretStr = SecretStr(DEFAULT_DATABASE_URL)
    read_model_database_url: SecretStr | None = None
    database_pool_min: int = Field(default=1, ge=0, le=50)
    database_pool_max: int = Field(default=10, ge=1, le=100)
    registry_timezone: str = DEFAULT_TIMEZONE
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    kafka_bootstrap_servers: str | None = None
    kafka_topic_prefix: str = ""
    kafka_replication_factor: int = Field(default=1, ge=1)
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = None
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = None
    kafka_fetch_max_wait_ms: int = Field(default=500, ge=1, le=30_000)
    cloudevents_source: str = "urn:prakerja:partner-registry"
    log_vkeys: str | None = None
    log_origin: str = Field(default="prakerja.go.id/partner-registry", pattern=r"^[^\s+]+$")
    log_witnesses: str | None = None
    log_witness_quorum: int = Field(default=0, ge=0)
    witness_interval_seconds: float = Field(default=2.0, gt=0)
    relay_safety_poll_seconds: float = Field(default=5.0, gt=0)
    relay_batch_size: int = Field(default=2000, ge=1, le=10_000)
    projection_group: str = "partner-registry-projections"
    projection_instance_id: str | None = None
    projection_stall_seconds: float = Field(default=30.0, gt=0)
    projection_poll_records: int = Field(default=2000, ge=1, le=10_000)
    projection_batch_records: int = Field(default=20_000, ge=1, le=100_000)
    feed_dir: str = "var/feeds"
    public_base_url: str = "http://localhost:8000"
    session_secret: SecretStr | None = None
    session_max_age_seconds: int = Field(default=8 * 3600, ge=60, le=7 * 24 * 3600)
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_name: str = "the government's sign-in"
    oidc_role_claim: str = "roles"
    oidc_officer_role: str = "officer"
    oidc_director_role: str = "director"
    api_max_body_bytes: int = Field(default=65_536, ge=1_024)
    api_max_header_bytes: int = Field(default=16_384, ge=1_024)
    registry_environment: Literal["development", "production"] = "development"
    signing_key_file: str = "var/keys/checkpoint-signing.pem"
    checkpoint_interval_seconds: float = Field(default=300.0, gt=0)
    ready_max_lag_events: int = Field(default=100, ge=0)
    ready_max_age_seconds: float = Field(default=30.0, gt=0)
    part_silence_seconds: float = Field(default=15.0, gt=0)

    @field_validator("database_url", "read_model_database_url")
    @classmethod
    def _known_database(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        url = value.get_secret_value()
        if not url.startswith((*_POSTGRES_SCHEMES, _SQLITE_SCHEME)):
            msg = (
                "DATABASE_URL must start with postgresql:// (PostgreSQL) or "
                "sqlite:/// (an SQLite file)"
            )
            raise ValueError(msg)
        if url.startswith(_SQLITE_SCHEME) and not url[len(_SQLITE_SCHEME) :]:
            msg = "DATABASE_URL sqlite:/// needs a file path, e.g. sqlite:///var/registry.sqlite3"
            raise ValueError(msg)
        return value

    @field_validator("registry_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"REGISTRY_TIMEZONE {value!r} is not an IANA time zone such as Asia/Jakarta"
            raise ValueError(msg) from None
        return value

    @field_validator("log_witnesses")
    @classmethod
    def _witness_list(cls, value: str | None) -> str | None:
        if value is not None:
            parse_witnesses(value)
        return value

    @model_validator(mode="after")
    def _reachable_quorum(self) -> Settings:
        named = len(self.witnesses)
        if self.log_witness_quorum > named:
            msg = (
                f"LOG_WITNESS_QUORUM is {self.log_witness_quorum} but LOG_WITNESSES names "
                f"{named} witness(es)"
            )
            raise ValueError(msg)
        return self

    @property
    def witnesses(self) -> list[WitnessEndpoint]:
        """The witnesses the registry asks to cosign its checkpoints."""
        return parse_witnesses(self.log_witnesses) if self.log_witnesses else []

    @field_validator("kafka_topic_prefix")
    @classmethod
    def _legal_prefix(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z0-9._-]+", value):
            msg = "KAFKA_TOPIC_PREFIX may hold only letters, digits, '.', '_' and '-'"
            raise ValueError(msg)
        return value

    def require_kafka(self) -> str:
        """The bootstrap servers, or a clear refusal when none are configured."""
        if not self.kafka_bootstrap_servers:
            msg = "KAFKA_BOOTSTRAP_SERVERS is not set; name the Kafka brokers, e.g. kafka:9092"
            raise ConfigurationError(msg)
        return self.kafka_bootstrap_servers

    @property
    def uses_postgres(self) -> bool:
        """Whether the event store is PostgreSQL rather than SQLite."""
        return self.database_url.get_secret_value().startswith(_POSTGRES_SCHEMES)

    @property
    def read_models_url(self) -> str:
        """Where the read models live: their own URL, or the event store's database."""
        chosen = self.read_model_database_url or self.database_url
        return chosen.get_secret_value()

    def redacted_database_url(self) -> str:
        """The database URL with any password replaced, safe to print or log."""
        return redact_url(self.database_url.get_secret_value())


@dataclass(frozen=True)
class WitnessEndpoint:
    """A witness: where to send checkpoints and the key its cosignatures must verify with."""

    url: str
    cosigner: Cosigner


def parse_witnesses(text: str) -> list[WitnessEndpoint]:
    """``<url> <vkey>`` pairs separated by commas (LOG_WITNESSES), each checked."""
    found = []
    for entry in filter(None, (e.strip() for e in text.split(","))):
        url, _, vkey = entry.partition(" ")
        if not url.startswith(("http://", "https://")) or not vkey.strip():
            msg = f"LOG_WITNESSES entries are '<url> <witness vkey>', not {entry!r}"
            raise ValueError(msg)
        try:
            found.append(WitnessEndpoint(url.rstrip("/"), parse_cosigner_vkey(vkey)))
        except NoteError as error:
            msg = f"LOG_WITNESSES: the witness key for {url} is unusable: {error}"
            raise ValueError(msg) from None
    return found


class ConfigurationError(ValueError):
    """A setting needed by this command is missing or unusable."""


def redact_url(url: str) -> str:
    """Replace the password part of a URL, if any."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def sqlite_path(url: str) -> str:
    """The file of an sqlite:/// URL, its folder created if missing."""
    path = Path(url[len(_SQLITE_SCHEME) :])
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)


def is_postgres(url: str) -> bool:
    """Whether a database URL names PostgreSQL."""
    return url.startswith(_POSTGRES_SCHEMES)


def persistence_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing library's environment for the configured database."""
    url = settings.database_url.get_secret_value()
    if settings.uses_postgres:
        pool = {
            "POSTGRES_POOL_SIZE": str(settings.database_pool_min),
            "POSTGRES_MAX_OVERFLOW": str(
                max(settings.database_pool_max - settings.database_pool_min, 0)
            ),
        }
        return _postgres_env(url) | pool
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": sqlite_path(url)}


def _postgres_env(url: str) -> dict[str, str]:
    from psycopg.conninfo import conninfo_to_dict  # noqa: PLC0415 - the driver loads only to connect

    params = conninfo_to_dict(url)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(params.get("dbname", "postgres")),
        "POSTGRES_HOST": str(params.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(params.get("port", "5432")),
        "POSTGRES_USER": str(params.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(params.get("password", "")),
        "POSTGRES_CONNECT_TIMEOUT": str(params.get("connect_timeout", "5")),
    }
    options = str(params.get("options", ""))
    schema = _search_path(options)
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    return env


def _search_path(options: str) -> str | None:
    """The schema named by ``options=-csearch_path=NAME`` in the URL, if any."""
    for option in options.split():
        key, _, value = option.removeprefix("-c").partition("=")
        if key == "search_path":
            return value
    return None
