"""The partner-registry command, run as a user runs it: a process with arguments."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.builders import unique_name

pytestmark = pytest.mark.postgres

CLI = Path(sys.executable).with_name("partner-registry")
OFFICER = ["--actor", "officer.siti"]
ALL_PASS = [
    "--criterion", "legal_entity=pass:PT registered",
    "--criterion", "national_coverage=pass:Sells in all provinces",
    "--criterion", "technology=pass:API integration live",
    "--criterion", "open_marketplace=pass:312 independent providers",
]  # fmt: skip


def run(
    *args: str, database_url: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [str(CLI), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def run_json(*args: str, database_url: str) -> Any:
    result = run(*args, "--json", database_url=database_url)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def register(database_url: str, name: str, *extra: str) -> str:
    recorded = run_json(
        "register", name,
        "--legal-form", "private_company",
        "--national-coverage", "yes", "--technology", "yes", "--open-marketplace", "yes",
        *OFFICER, "--reason", "Agreement signed", *extra,
        database_url=database_url,
    )  # fmt: skip
    partner_id: str = recorded["partner_id"]
    return partner_id


def test_seed_and_list_on_the_embedded_default_store(tmp_path: Path) -> None:
    seeded = run("seed", cwd=tmp_path)

    listed = run("list", cwd=tmp_path)

    assert seeded.returncode == 0, seeded.stderr
    assert "8 platforms registered, 0 already present" in seeded.stdout
    assert (tmp_path / "var" / "registry.sqlite3").is_file()
    assert listed.returncode == 0
    for name in ("Tokopedia", "Ruangguru", "Mau Belajar", "Pijar Mahir", "Kemnaker"):
        assert name in listed.stdout
    assert "(exempt)" in listed.stdout


def test_seed_twice_adds_nothing(database_url: str) -> None:
    first = run_json("seed", database_url=database_url)

    second = run_json("seed", database_url=database_url)

    assert (len(first["registered"]), first["rules_recorded"]) == (8, True)
    assert second == {"registered": [], "already_present": first["registered"],
                      "rules_recorded": False}  # fmt: skip
    assert len(run_json("list", database_url=database_url)) == 8


def test_a_partnership_from_registration_to_termination(database_url: str) -> None:
    partner_id = register(database_url, "Pintaria")

    evaluated = run_json(
        "evaluate", "pintaria", *ALL_PASS, "--obligation", "monthly report=met:on time",
        *OFFICER, "--reason", "Annual review", database_url=database_url,
    )  # fmt: skip
    warned = run_json(
        "warn", partner_id, "--obligation", "monthly report", "--deadline", "2099-01-31",
        *OFFICER, "--reason", "Report for May missing", database_url=database_url,
    )  # fmt: skip
    terminated = run_json(
        "terminate", partner_id, "--actor", "director.rina", "--reason", "Not remedied",
        "--expected-version", "3", database_url=database_url,
    )  # fmt: skip
    shown = run_json("show", partner_id, database_url=database_url)

    assert evaluated["event"]["data"]["outcome"] == "compliant"
    assert warned["event"]["data"]["deadline"] == "2099-01-31"
    assert terminated["version"] == 4
    assert shown["partner"]["status"] == "terminated"
    assert [e["type"] for e in shown["events"]] == [
        "Registered", "Evaluated", "Warned", "Terminated"
    ]  # fmt: skip
    assert shown["events"][3]["actor"] == "director.rina"
    listed = run_json("list", "--status", "terminated", database_url=database_url)
    assert [p["id"] for p in listed] == [partner_id]


def test_every_command_logs_actor_partner_and_event_type_as_json(
    database_url: str,
) -> None:
    name = unique_name()

    result = run(
        "register", name, "--legal-form", "private_company", "--national-coverage", "yes",
        "--technology", "yes", "--open-marketplace", "yes", *OFFICER, "--reason", "r",
        database_url=database_url,
    )  # fmt: skip

    lines = [json.loads(line) for line in result.stderr.splitlines()]
    recorded = [line for line in lines if line["event"] == "event recorded"]
    assert len(recorded) == 1
    assert recorded[0]["actor"] == "officer.siti"
    assert recorded[0]["event_type"] == "Registered"
    assert recorded[0]["partner_id"] in result.stdout


def test_text_that_looks_like_markup_is_shown_verbatim(database_url: str) -> None:
    name = f"[bold]<script>alert(1)</script>[/bold] {unique_name()}"
    register(database_url, name)

    listed = run("show", name, database_url=database_url)

    assert "[bold]<script>alert(1)</script>[/bold]" in listed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["register", "Own Academy", "--legal-form", "private_company",
          "--national-coverage", "yes", "--technology", "yes", "--open-marketplace", "no",
          *OFFICER, "--reason", "r"], "training-institution register"),
        (["register", "Kemnaker.go.id", "--legal-form", "government_body",
          "--national-coverage", "yes", "--technology", "yes", "--open-marketplace", "yes",
          *OFFICER, "--reason", "r"], "Record an exemption"),
        (["evaluate", "Tokopedia", "--criterion", "technology=pass:ok", *OFFICER,
          "--reason", "r"], "no result for: legal_entity, national_coverage"),
        (["warn", "Tokopedia", "--criterion", "technology", "--deadline", "2020-01-01",
          *OFFICER, "--reason", "r"], "must be after today"),
        (["register", "TOKOPEDIA", "--legal-form", "private_company",
          "--national-coverage", "yes", "--technology", "yes", "--open-marketplace", "yes",
          *OFFICER, "--reason", "r"], "Tokopedia is already a partner"),
    ],
)  # fmt: skip
def test_command_refused_by_a_rule_exits_1_with_the_reason(
    database_url: str, args: list[str], message: str
) -> None:
    run("seed", database_url=database_url)

    result = run(*args, database_url=database_url)

    assert result.returncode == 1
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["warn", "Tokopedia", "--deadline", "2099-13-01", *OFFICER, "--reason", "r"],
         "does not match the format"),
        (["evaluate", "Tokopedia", "--criterion", "speed=pass:fast", *OFFICER,
          "--reason", "r"], "unknown criterion 'speed'"),
        (["evaluate", "Tokopedia", "--criterion", "technology", *OFFICER, "--reason", "r"],
         "is not of the form"),
        (["register", "X", "--legal-form", "charity", *OFFICER, "--reason", "r"],
         "Invalid value for '--legal-form'"),
        (["terminate", "Tokopedia", "--reason", "r"], "Missing option '--actor'"),
        (["terminate", "Tokopedia", *OFFICER, "--reason", "r", "--expected-version", "0"],
         "--expected-version"),
    ],
)  # fmt: skip
def test_malformed_arguments_exit_2_naming_the_argument(
    database_url: str, args: list[str], message: str
) -> None:
    result = run(*args, database_url=database_url)

    assert result.returncode == 2
    assert message in result.stderr


def test_unknown_partner_exits_3(database_url: str) -> None:
    result = run("show", "No Such Platform", database_url=database_url)

    assert result.returncode == 3
    assert "No partner is named 'No Such Platform'" in result.stderr


def test_decision_on_a_stale_version_exits_4(database_url: str) -> None:
    partner_id = register(database_url, unique_name())

    result = run(
        "terminate", partner_id, *OFFICER, "--reason", "r", "--expected-version", "2",
        database_url=database_url,
    )  # fmt: skip

    assert result.returncode == 4
    assert "is at version 1, not 2" in result.stderr


def test_unreachable_database_exits_5_without_showing_the_password() -> None:
    result = run("list", database_url="postgresql://reg:s3cret@127.0.0.1:1/registry")

    assert result.returncode == 5
    assert "cannot be reached" in result.stderr
    assert "postgresql://reg:***@127.0.0.1:1/registry" in result.stderr
    assert "s3cret" not in result.stderr + result.stdout


def test_invalid_settings_exit_2_naming_the_setting() -> None:
    result = run("list", database_url="mysql://localhost/registry")

    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr


def test_show_notes_a_correction_beside_the_corrected_event(database_url: str) -> None:
    partner_id = register(database_url, "Pintaria", "--registration-number", "AHU-1")
    run_json("correct", partner_id, "1", "--set", "registration_number=AHU-10", *OFFICER,
             "--reason", "A digit was left out", database_url=database_url)  # fmt: skip

    shown = run("show", partner_id, database_url=database_url)

    assert shown.returncode == 0, shown.stderr
    text = " ".join(shown.stdout.split())
    assert "Corrected: v1 (Registered) on" in text
    assert "because A digit was left out: registration number AHU-1 -> AHU-10" in text
    assert "Registration number: AHU-10" in text
    assert "(corrected by v2," in text
