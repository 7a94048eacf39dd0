"""Settings validation, the database URL mapping and the secret filter on logs."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
import structlog
from pydantic import SecretStr, ValidationError

from registry.config import Settings, persistence_env
from registry.domain.text import identity_key
from registry.logs import configure_logging


@pytest.mark.parametrize(
    "spelling",
    [
        "Mau Belajar Apa",
        "maubelajarapa",
        "  MAU  BELAJAR\tAPA ",
        "\uff2d\uff41\uff55 Belajar Apa",
    ],
)
def test_spellings_of_one_name_share_an_identity(spelling: str) -> None:
    assert identity_key(spelling) == identity_key("Mau Belajar Apa")


def test_default_store_is_an_sqlite_file_under_var() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    assert not settings.uses_postgres
    assert settings.database_url.get_secret_value() == "sqlite:///var/registry.sqlite3"


def test_postgres_url_maps_to_the_library_environment() -> None:
    settings = Settings(
        database_url=SecretStr(
            "postgresql://reg:s3cret@db.example:6543/registry?options=-csearch_path%3Dstaging"
        )
    )

    env = persistence_env(settings)

    assert env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    assert env["POSTGRES_HOST"] == "db.example"
    assert env["POSTGRES_PORT"] == "6543"
    assert env["POSTGRES_DBNAME"] == "registry"
    assert env["POSTGRES_USER"] == "reg"
    assert env["POSTGRES_PASSWORD"] == "s3cret"
    assert env["POSTGRES_SCHEMA"] == "staging"


def test_sqlite_url_names_the_file_and_creates_its_folder(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "store.sqlite3"
    settings = Settings(database_url=SecretStr(f"sqlite:///{target}"))

    env = persistence_env(settings)

    assert env == {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(target),
    }
    assert target.parent.is_dir()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("database_url", "mysql://x", "must start with postgresql://"),
        ("database_url", "sqlite:///", "needs a file path"),
        ("registry_timezone", "Mars/Olympus", "not an IANA time zone"),
        ("log_format", "xml", "json"),
    ],
)
def test_invalid_settings_are_refused_naming_the_problem(
    field: str, value: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings.model_validate({field: value})


def test_password_is_never_shown_by_the_settings() -> None:
    settings = Settings(database_url=SecretStr("postgresql://reg:s3cret@db/registry"))

    assert "s3cret" not in repr(settings)
    assert settings.redacted_database_url() == "postgresql://reg:***@db/registry"


def test_json_logs_redact_secret_fields_and_credentials_in_text() -> None:
    stream = io.StringIO()
    configure_logging("json", "info", stream)
    log = structlog.get_logger("test")

    log.info(
        "connecting",
        database_url="postgresql://reg:s3cret@db/registry",
        token="tok_abcdef",
        detail="via postgresql://reg:s3cret@db/registry with Bearer tok_abcdef",
        partner_id="p-1",
    )

    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert "s3cret" not in stream.getvalue()
    assert "tok_abcdef" not in stream.getvalue()
    assert line["partner_id"] == "p-1"
    assert line["event"] == "connecting"
    assert line["level"] == "info"


def test_a_library_exception_is_one_line_without_its_traceback() -> None:
    # Given logs configured, and a network library failing on a reset connection
    stream = io.StringIO()
    configure_logging("json", "info", stream)

    # When the library logs the failure with its exception
    try:
        raise ConnectionResetError(104, "Connection reset by peer")
    except ConnectionResetError:
        logging.getLogger("kafka.net.transport").exception("socket closed")

    # Then the line names the error, and carries no traceback into its internals
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["event"] == "socket closed"
    assert line["error"] == "ConnectionResetError: [Errno 104] Connection reset by peer"
    assert "Traceback" not in stream.getvalue()


def test_console_logs_are_readable_lines() -> None:
    stream = io.StringIO()
    configure_logging("console", "info", stream)

    structlog.get_logger("test").info("event recorded", partner_id="p-1")

    output = stream.getvalue()
    assert "event recorded" in output
    assert "partner_id=p-1" in output
    assert not output.lstrip().startswith("{")


def test_secrets_are_read_from_files_in_the_secrets_directory(tmp_path: Path) -> None:
    (tmp_path / "database_url").write_text("postgresql://reg:fromfile@db/registry")
    (tmp_path / "kafka_sasl_password").write_text("k4fka")

    settings = Settings(_secrets_dir=tmp_path)  # type: ignore[call-arg]

    assert settings.uses_postgres
    assert settings.database_url.get_secret_value().endswith("fromfile@db/registry")
    assert settings.kafka_sasl_password is not None
    assert settings.kafka_sasl_password.get_secret_value() == "k4fka"


def test_kafka_settings_refuse_an_unusable_topic_prefix() -> None:
    with pytest.raises(ValidationError, match="KAFKA_TOPIC_PREFIX"):
        Settings.model_validate({"kafka_topic_prefix": "bad prefix!"})
