"""Schemathesis runs every phase (examples, coverage, fuzzing, stateful) with every check.

Its command line is driven against the fuzzer's own stack, with the
project's ``schemathesis.toml`` (which says which statuses a well-formed
decision may still get: 409, 412 and 422 are the register's rules, and
413 refuses an oversized body). A failure names the check, the operation
and a curl command that reproduces it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("fuzz-stack")]
ROOT = Path(__file__).resolve().parents[2]
SEED = "20261202"
"""A fixed seed: a failure found in CI is found again on any machine."""


def test_schemathesis_with_its_stateful_phase_and_all_checks_finds_no_failure(
    fuzz_stack: Stack, tmp_path: Path
) -> None:
    report = tmp_path / "schemathesis.json"
    run = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--config-file", str(ROOT / "schemathesis.toml"),
         "run", f"{fuzz_stack.url}/openapi.json", "--checks", "all",
         "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", "25",
         "--workers", "1", "--seed", SEED, "--no-color",
         "-H", f"Authorization: Bearer {fuzz_stack.director}",
         "--report-json-path", str(report)],
        capture_output=True, text=True, check=False, timeout=600, cwd=tmp_path,
    )  # fmt: skip

    assert run.returncode == 0, run.stdout[-6000:]
    assert "Stateful" in run.stdout
    assert "passed" in run.stdout
