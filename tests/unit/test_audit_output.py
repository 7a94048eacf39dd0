"""The replay's text output names the sequence of every problem, the first one first."""

from __future__ import annotations

import pytest

from projections.audit_replay import Finding, ReplayReport
from registry.cli.audit_output import show_replay


def report_with(findings: list[Finding]) -> ReplayReport:
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.kind] = counts.get(finding.kind, 0) + 1
    return ReplayReport(
        records_read=9, events=9, first_sequence=1, last_sequence=9, first_position=1,
        last_position=9, checkpoints_verified=0, counts=counts, findings=findings,
        register=[], as_of=None, known_at=None, standings=None,
    )  # fmt: skip


def test_the_text_names_the_first_bad_sequence_and_each_findings_sequence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a replay that found an altered record at 7 and a conflict at 4
    report = report_with([
        Finding("altered", 7, "the signed tree does not end in this record as received"),
        Finding("conflict", 4, "a different record at offset 12 claims it"),
        Finding("unreadable", None, "offset 3: not JSON"),
    ])  # fmt: skip

    # When it is shown as text
    show_replay(report, as_json=False)

    # Then the first bad sequence and each finding's sequence are printed
    out = capsys.readouterr().out
    assert "First bad sequence: 4 (conflict)." in out
    assert "sequence 7: altered:" in out
    assert "sequence 4: conflict:" in out
    assert "  unreadable: offset 3: not JSON" in out
