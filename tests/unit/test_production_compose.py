"""The production compose file runs every part, as the CLI and settings understand them.

There is no Docker engine here, so the file is checked against the code
itself: each command must parse with the registry's CLI, each environment
must be valid settings, and the parts must be wired as the README says.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from registry.cli import app, commands
from registry.config import Settings

COMPOSE = Path(__file__).parents[2] / "infra" / "compose.production.yaml"
NOT_SETTINGS = {"REGISTRY_SECRETS_DIR"}


def services() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def registry_parts() -> dict[str, Any]:
    return {
        name: spec
        for name, spec in services()["services"].items()
        if spec.get("image") == "partner-registry:latest"
    }


def parsed(args: list[str]) -> Any:
    """The CLI's own parse of a command line (nothing is run): the innermost context."""
    commands.load(args)
    group: Any = typer.main.get_command(app)
    context = group.make_context("partner-registry", list(args), resilient_parsing=False)
    while hasattr(group, "get_command") and (remaining := _remaining(context)):
        name, rest = remaining[0], remaining[1:]
        sub = group.get_command(context, name)
        assert sub is not None, f"partner-registry has no command {name!r}"
        context = sub.make_context(name, rest, parent=context)
        group = sub
    return context


def _remaining(context: Any) -> list[str]:
    """The words a group left for its subcommand (kept apart by click's group parsing)."""
    return [*getattr(context, "_protected_args", []), *context.args]


def test_every_part_runs_the_number_of_times_the_readme_says() -> None:
    commands = [spec["command"][0] for spec in registry_parts().values()]

    assert sorted(commands) == sorted(
        ["relay", "relay", "project", "project", "publish-feed", "serve", "serve"]
    )


@pytest.mark.parametrize("name", sorted(registry_parts()))
def test_each_part_command_and_health_check_parse_with_the_cli(name: str) -> None:
    spec = registry_parts()[name]

    context = parsed(spec["command"])
    check = spec["healthcheck"]["test"]

    assert context.command.name == spec["command"][0]
    assert spec["restart"] == "unless-stopped"
    if spec["command"][0] == "serve":
        assert "/livez" in check[-1]
    else:
        assert check[1:3] == ["partner-registry", "alive"]
        assert parsed(check[2:]).params["part"].value == spec["command"][0]


@pytest.mark.parametrize("name", sorted(registry_parts()))
def test_each_part_environment_is_valid_settings_with_no_unknown_names(name: str) -> None:
    environment = registry_parts()[name]["environment"]
    fields = {field.upper() for field in Settings.model_fields}

    unknown = set(environment) - fields - NOT_SETTINGS
    settings = Settings.model_validate(
        {k.lower(): v for k, v in environment.items() if k not in NOT_SETTINGS}
    )

    assert not unknown
    assert settings.registry_environment == "production"
    assert settings.signing_key_file.startswith(environment["REGISTRY_SECRETS_DIR"] + "/")


def test_runners_share_one_group_with_stable_distinct_members() -> None:
    runners = [s for s in registry_parts().values() if s["command"] == ["project"]]

    groups = {r["environment"]["PROJECTION_GROUP"] for r in runners}
    members = {r["environment"]["PROJECTION_INSTANCE_ID"] for r in runners}

    assert len(groups) == 1
    assert len(members) == len(runners) == 2


def secret_files(spec: dict[str, Any]) -> dict[str, str]:
    """A service's secrets: the file name it sees in /run/secrets, and the declared source."""
    found = {}
    for secret in spec.get("secrets", []):
        source, target = (secret, secret) if isinstance(secret, str) else (
            secret["source"], secret.get("target", secret["source"]))  # fmt: skip
        found[target] = source
    return found


def test_every_part_gets_the_one_signing_key_and_the_database_as_secrets() -> None:
    declared = services()["secrets"]
    for name, spec in registry_parts().items():
        secrets = secret_files(spec)
        assert {"database_url", "signing_key"} <= set(secrets), name
        assert set(secrets.values()) <= set(declared), name
        for secret in set(secrets) - {"signing_key"}:
            assert secret in Settings.model_fields, f"{name}: {secret} is not a setting"


KAFKA_USERS = {"relay": "relay", "project": "projector", "publish-feed": "reader",
               "serve": "reader"}  # fmt: skip


def acl_grants() -> list[tuple[str, set[str], set[str]]]:
    """(principal, operations, topics) of each kafka-acls.sh call in the ACL job's script."""
    script = services()["configs"]["kafka_acls"]["content"].replace("\\\n", " ")
    grants = []
    for line in script.splitlines():
        words = line.split()
        if words[:1] != ["acls"]:
            continue
        principal = next(iter(_values(words, "--allow-principal")))
        grants.append((principal, _values(words, "--operation"), _values(words, "--topic")))
    return grants


def _values(words: list[str], flag: str) -> set[str]:
    return {words[i + 1] for i, word in enumerate(words) if word == flag}


def test_each_part_signs_in_to_kafka_as_its_own_user_with_its_own_password_file() -> None:
    for name, spec in registry_parts().items():
        environment = spec["environment"]
        user = KAFKA_USERS[spec["command"][0]]
        assert environment["KAFKA_SECURITY_PROTOCOL"].startswith("SASL_"), name
        assert environment["KAFKA_SASL_USERNAME"] == user, name
        assert secret_files(spec)["kafka_sasl_password"] == f"kafka_{user}", name
        assert "kafka_sasl_password" in Settings.model_fields


def test_only_the_relays_user_may_write_the_records_topics_and_the_brokers_deny_the_rest() -> None:
    record_topics = {"partner-events", "partner-state", "partner-checkpoints"}
    writers = {principal for principal, operations, topics in acl_grants()
               if "Write" in operations and topics & record_topics}  # fmt: skip
    broker = services()["x-kafka-node"]["environment"]

    assert writers == {"User:relay"}
    assert broker["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert broker["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    listeners = {item.split("://")[0] for item in broker["KAFKA_LISTENERS"].split(",")}
    assert listeners == {"SASL_PLAINTEXT", "CONTROLLER"}
    jaas = broker["KAFKA_LISTENER_NAME_SASL__PLAINTEXT_PLAIN_SASL_JAAS_CONFIG"]
    assert jaas.replace("$$", "$").startswith("${dir:/run/secrets:")  # compose's $$ is one $


def test_one_public_port_sends_requests_only_to_ready_api_servers() -> None:
    loaded = services()
    proxy = loaded["services"]["proxy"]
    caddyfile = loaded["configs"]["caddyfile"]["content"]
    servers = [n for n, s in registry_parts().items() if s["command"][0] == "serve"]

    assert proxy["ports"] == ["8000:8000"]
    assert all(f"{server}:8000" in caddyfile for server in servers)
    assert "health_uri /readyz" in caddyfile
    assert all(registry_parts()[s]["command"][-1] == "8000" for s in servers)


def test_the_feed_publisher_and_the_api_servers_share_the_feed_folder() -> None:
    parts = registry_parts()
    writer = parts["publish-feed"]["volumes"]
    readers = [parts[n]["volumes"] for n in parts if parts[n]["command"][0] == "serve"]

    assert writer == ["feeds:/srv/feeds"]
    assert all(volume == ["feeds:/srv/feeds:ro"] for volume in readers)
    assert all(p["environment"]["FEED_DIR"] == "/srv/feeds" for p in parts.values())
