"""Rendering the feeds and the register on a past date: pure, deterministic."""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
import json
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import jsonschema_rs
import orjson
import pytest

from consumers.parts.wakeups import PollingBackoff
from consumers.read_side import feed_publisher
from consumers.read_side.feed_publisher import FeedPublisher, RecentChanges, RenderedPartners
from projections.audit_trail import GENESIS_HEAD, AuditEntry, ChainHead, entry_of
from projections.current_partners import PartnerRow, apply, overdue_warnings
from projections.feeds import (
    CSV_COLUMNS,
    _csv_row,
    _csv_value,
    current_partners,
    render_atom,
    render_csv,
    render_json,
)
from projections.point_in_time import PointInTime, register_at
from registry.domain.criteria import Criterion
from registry.record.messages import PublishedEvent
from registry.service.records import PublicRecord
from tests.builders import NEXT_MONTH, TODAY, decision, findings, records_of, registered
from tests.feed_helpers import published as published_feed
from tests.histories import chained

FEED_SCHEMA = "infra/feeds/current-partners.schema.json"


def published(records: list[PublicRecord]) -> list[PublishedEvent]:
    return chained(records, position_step=10)


def rows_of(events: list[PublishedEvent]) -> list[PartnerRow]:
    rows: dict[str, PartnerRow] = {}
    for event in events:
        rows[event.partner_id] = apply(rows.get(event.partner_id), event.record, event.position)
    return list(rows.values())


def test_rendering_twice_gives_the_same_bytes() -> None:
    partner = registered(name="Sekolahmu")
    events = published(records_of(partner))
    rows = rows_of(events)
    entries = [entry_of(e) for e in events]

    first = (
        render_json(rows, GENESIS_HEAD, TODAY),
        render_csv(rows, TODAY),
        render_atom(entries, {}, "https://r"),
    )
    second = (
        render_json(rows, GENESIS_HEAD, TODAY),
        render_csv(rows, TODAY),
        render_atom(entries, {}, "https://r"),
    )

    assert first == second


def test_terminated_partners_are_not_in_the_current_feed() -> None:
    kept, ended = registered(name="Bukalapak"), registered(name="Ended")
    ended.terminate(decision(), today=TODAY)
    rows = rows_of(published(records_of(kept) + records_of(ended)))

    csv_text = render_csv(rows, TODAY).decode()

    assert "Bukalapak" in csv_text
    assert "Ended" not in csv_text


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted_as_text() -> None:
    rows = rows_of(published(records_of(registered(name="@SUM(A1:A9)"))))

    assert "'@SUM(A1:A9)" in render_csv(rows, TODAY).decode()


def entries_with_backdated_warning() -> list[AuditEntry]:
    partner = registered()
    partner.evaluate(findings(), [], decision(effective_date=TODAY), today=TODAY)
    partner.warn(
        decision(effective_date=TODAY - timedelta(days=1)),
        deadline=NEXT_MONTH,
        today=TODAY,
        criterion=Criterion.TECHNOLOGY,
    )
    return [entry_of(e) for e in published(records_of(partner))]


def test_register_as_of_counts_a_backdated_event_from_its_effective_date() -> None:
    entries = entries_with_backdated_warning()

    day_before = register_at(entries, PointInTime(TODAY - timedelta(days=1)))
    today = register_at(entries, PointInTime(TODAY))

    assert [s.row.status for s in day_before] == ["warned"]
    assert [e.event_type for e in day_before[0].entries] == ["Registered", "Warned"]
    assert today[0].row.latest_outcome == "compliant"
    assert register_at(entries, PointInTime(date(2000, 1, 1))) == []


def test_a_recorded_control_character_does_not_stop_the_atom_feed() -> None:
    # given an event recorded before such characters were refused
    record = records_of(registered())[0]
    record = record | {"reason": "Signed\x00 \x1b late", "actor": "officer\x07"}
    (event,) = published([record])

    # when the change feed is rendered
    atom = render_atom([entry_of(event)], {event.partner_id: "Old\x01 Name"}, "https://r.example")

    # then it is written, with the characters replaced
    assert b"Signed\xef\xbf\xbd \xef\xbf\xbd late" in atom
    assert b"Old\xef\xbf\xbd Name" in atom
    assert b"\x00" not in atom
    assert b"\x01" not in atom


def test_an_atom_entry_made_before_a_rename_is_made_again_with_the_new_name() -> None:
    # given a change rendered in the Atom feed under the partner's first name
    (event,) = published(records_of(registered())[:1])
    before = render_atom([entry_of(event)], {event.partner_id: "Kelas Satu"}, "https://r.example")

    # when the partner is renamed and the same change is rendered again
    after = render_atom([entry_of(event)], {event.partner_id: "Kelas Dua"}, "https://r.example")

    # then the entry carries the new name, and is otherwise the same
    assert b"Kelas Satu" in before
    assert b"Kelas Dua" in after
    assert b"Kelas Satu" not in after
    assert after.replace(b"Kelas Dua", b"Kelas Satu") == before


def test_the_json_feed_states_the_log_tree_it_was_built_from() -> None:
    # Given rows and the root of the log's tree at the chain head
    events = published(records_of(registered(name="Pintaria")))
    head = ChainHead(events[-1].sequence, events[-1].chain_hash)

    # When the JSON feed is rendered with the root
    document = json.loads(render_json(rows_of(events), head, TODAY, b"\x07" * 32))

    # Then it states the tree's size and root, and the published schema accepts it
    assert document["log"] == {"tree_size": head.sequence,
                               "root_hash": base64.b64encode(b"\x07" * 32).decode()}  # fmt: skip
    schema = json.loads((Path(__file__).parents[2] / FEED_SCHEMA).read_text())
    assert jsonschema_rs.validator_for(schema).is_valid(document)


def test_the_feeds_spliced_from_per_partner_fragments_are_the_plain_documents_byte_for_byte() -> (
    None
):
    # Given partners with awkward names, warnings, one terminated, none at all
    warned, odd = registered(name='Kelas "Pintar", Tbk'), registered(name="=HYPERLINK()")
    warned.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)
    ended = registered(name="Ended")
    ended.terminate(decision(), today=TODAY)
    for rows in ([], rows_of(published(records_of(warned) + records_of(odd) + records_of(ended)))):
        head = ChainHead(len(rows), "c" * 64)

        # When the feeds are rendered from fragments
        spliced = (render_json(rows, head, TODAY, b"\x01" * 32), render_csv(rows, TODAY))

        # Then they are what one orjson document and one csv.writer would give
        live = current_partners(rows)
        document = {
            "schema": "current-partners.schema.json",
            "chain_head": {"sequence": head.sequence, "chain_hash": head.chain_hash},
            "updated_at": max((r.updated_at for r in rows), default=None),
            "overdue_as_of": TODAY.isoformat(), "count": len(live),
            "partners": [r.to_json() | {"overdue_warnings": overdue_warnings(r, TODAY)}
                         for r in live],
            "log": {"tree_size": head.sequence, "root_hash": base64.b64encode(b"\x01" * 32).decode()},
        }  # fmt: skip
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows([[_csv_value(v) for v in _csv_row(r, TODAY)] for r in live])
        assert spliced == (orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n",
                           out.getvalue().encode())  # fmt: skip


@dataclass
class ModelsAt:
    """Read models as the feed publisher sees them: a generation and rows with positions."""

    generation_number: int
    rows: list[PartnerRow]
    asked_after: list[int] = field(default_factory=list)

    def generation(self) -> int:
        return self.generation_number

    def partners_after(self, position: int, limit: int) -> list[PartnerRow]:
        self.asked_after.append(position)
        return sorted((r for r in self.rows if r.position > position), key=lambda r: r.position)[
            :limit
        ]


def rendered_alpha_beta_gamma() -> tuple[list[PartnerRow], ChainHead, ModelsAt, RenderedPartners]:
    """Three partners' rows, and a publisher's rendering of them."""
    partners = [registered(name=name) for name in ("Alpha", "Beta", "Gamma")]
    rows = rows_of(published([r for p in partners for r in records_of(p)]))
    head = ChainHead(3, "d" * 64)
    models = ModelsAt(1, rows)
    kept = RenderedPartners()
    kept.catch_up(models, head.sequence, TODAY)  # type: ignore[arg-type]
    return rows, head, models, kept


def test_the_publisher_renders_again_only_changed_partners_and_everything_after_a_rebuild() -> None:
    # Given the register's rows, rendered once
    rows, head, models, kept = rendered_alpha_beta_gamma()

    # When one more partner arrives, then the models are rebuilt holding only two
    newcomer = dataclasses.replace(
        rows_of(published(records_of(registered(name="Delta"))))[0], position=1000
    )
    models.rows = [*rows, newcomer]
    kept.catch_up(models, head.sequence + 1, TODAY)  # type: ignore[arg-type]
    grown = b"".join(kept.json(head, None))
    models.generation_number, models.rows = 2, rows[:2]
    kept.catch_up(models, head.sequence, TODAY)  # type: ignore[arg-type]

    # Then only rows after the last position were asked for until the rebuild,
    # and each feed is the one rendered from every row
    assert models.asked_after == [0, max(r.position for r in rows), 0]
    assert grown == render_json([*rows, newcomer], head, TODAY)
    assert (b"".join(kept.json(head, None)), b"".join(kept.csv())) == (
        render_json(rows[:2], head, TODAY),
        render_csv(rows[:2], TODAY),
    )


def test_the_register_is_read_a_page_of_rows_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # given pages of two rows
    monkeypatch.setattr(feed_publisher, "ROWS_AT_A_TIME", 2)
    rows, head, _, _ = rendered_alpha_beta_gamma()
    models, kept = ModelsAt(1, rows), RenderedPartners()

    # when the publisher takes in the three partners' rows
    kept.catch_up(models, head.sequence, TODAY)  # type: ignore[arg-type]

    # then it asked for them page by page, and rendered them all
    assert models.asked_after == [0, sorted(r.position for r in rows)[1]]
    assert b"".join(kept.json(head, None)) == render_json(rows, head, TODAY)


def test_a_new_day_renders_every_partner_again_with_what_is_overdue_then() -> None:
    # Given a warned partner rendered on the day of its deadline
    partner = registered(name="Overdue Academy")
    partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)
    rows = rows_of(published(records_of(partner)))
    head = ChainHead(2, "e" * 64)
    models = ModelsAt(1, rows)
    kept = RenderedPartners()
    kept.catch_up(models, head.sequence, NEXT_MONTH)  # type: ignore[arg-type]
    on_the_deadline = json.loads(b"".join(kept.json(head, None)))

    # When the day after comes, with no event
    kept.catch_up(models, head.sequence, NEXT_MONTH + timedelta(days=1))  # type: ignore[arg-type]
    day_after = json.loads(b"".join(kept.json(head, None)))

    # Then every row was read and rendered again, and the warning is overdue
    assert models.asked_after == [0, 0]
    assert on_the_deadline["partners"][0]["overdue_warnings"] == []
    assert day_after["partners"][0]["overdue_warnings"] == [1]
    assert day_after["overdue_as_of"] == (NEXT_MONTH + timedelta(days=1)).isoformat()
    assert b"".join(kept.csv()).decode().splitlines()[1].split(",")[10] == "1"


def test_a_renamed_partner_moves_in_feed_order_and_an_ended_one_leaves_the_feeds() -> None:
    # Given three partners rendered in name order
    rows, head, models, kept = rendered_alpha_beta_gamma()

    # When Alpha is renamed Zeta and Beta's partnership ends
    renamed = dataclasses.replace(rows[0], name="Zeta", position=1000)
    ended = dataclasses.replace(rows[1], status="terminated", position=1001)
    models.rows = [renamed, ended, rows[2]]
    kept.catch_up(models, head.sequence + 2, TODAY)  # type: ignore[arg-type]

    # Then the feeds are exactly those rendered whole: Gamma then Zeta, Beta gone
    assert b"".join(kept.json(head, None)) == render_json(models.rows, head, TODAY)
    assert b"".join(kept.csv()) == render_csv(models.rows, TODAY)
    assert [p["name"] for p in json.loads(b"".join(kept.json(head, None)))["partners"]] == [
        "Gamma",
        "Zeta",
    ]


@dataclass
class ModelsWithoutChanges(ModelsAt):
    """Read models with partners and an empty audit trail, as the publisher reads them."""

    head: ChainHead = GENESIS_HEAD

    def snapshot(self) -> AbstractContextManager[ModelsWithoutChanges]:
        return nullcontext(self)

    def head_with_root(self) -> tuple[ChainHead, bytes | None]:
        return self.head, None

    def verified_entries(self, after: int, limit: int) -> list[AuditEntry]:
        return []


class ModelsWithAnUnrenderableChange(ModelsWithoutChanges):
    """Read models whose latest change cannot be put in the Atom feed (its moment is garbled)."""

    def verified_entries(self, after: int, limit: int) -> list[AuditEntry]:
        garbled = dataclasses.replace(entry_of(published(records_of(registered()))[0]),
                                      recorded_at="not a moment")  # fmt: skip
        return [garbled]


def test_the_json_feed_is_written_before_the_other_feeds_are_rendered(tmp_path: Path) -> None:
    # given read models whose latest change fails the Atom feed's rendering
    rows, head, _, _ = rendered_alpha_beta_gamma()
    models = ModelsWithAnUnrenderableChange(1, rows, head=head)
    publisher = FeedPublisher(models, tmp_path, "https://x", PollingBackoff(), lambda: TODAY)  # type: ignore[arg-type]

    # when a publish is tried
    with pytest.raises(ValueError, match="not a moment"):
        publisher.publish()

    # then the JSON feed already holds the register, and no Atom feed was written
    assert published_feed(tmp_path, "current-partners.json") == render_json(rows, head, TODAY)
    assert published_feed(tmp_path, "changes.atom") is None


@dataclass
class TrailAt:
    """A verified trail as the feed publisher's recent changes see it."""

    generation_number: int
    entries: list[AuditEntry]
    asked: list[str] = field(default_factory=list)

    def generation(self) -> int:
        return self.generation_number

    def verified_entries(self, after: int, limit: int) -> list[AuditEntry]:
        self.asked.append(f"after {after}")
        return [e for e in self.entries if e.sequence > after][:limit]

    def recent_verified(self, limit: int) -> list[AuditEntry]:
        self.asked.append("latest")
        return self.entries[-limit:]


def trail_of(count: int) -> list[AuditEntry]:
    """``count`` verified entries, numbered from 1."""
    template = entry_of(published(records_of(registered()))[0])
    return [dataclasses.replace(template, sequence=n, position=n) for n in range(1, count + 1)]


def test_recent_changes_reads_each_entry_once_the_latest_after_many_and_all_after_a_rebuild() -> (
    None
):
    # given a trail of 120 entries, whose latest fifty are kept
    trail, recent = TrailAt(1, trail_of(120)), RecentChanges()
    recent.catch_up(trail, 120)  # type: ignore[arg-type]

    # when three more join, then the models are rebuilt holding ten
    trail.entries = trail_of(123)
    recent.catch_up(trail, 123)  # type: ignore[arg-type]
    grown = [e.sequence for e in recent.entries]
    trail.generation_number, trail.entries = 2, trail_of(10)
    recent.catch_up(trail, 10)  # type: ignore[arg-type]

    # then the newcomers alone were read, and each time the latest fifty at most are kept
    assert trail.asked == ["after 0", "latest", "after 120", "after 0"]
    assert grown == list(range(74, 124))
    assert [e.sequence for e in recent.entries] == list(range(1, 11))


def test_a_restarted_publisher_rewrites_only_the_feeds_whose_bytes_changed(tmp_path: Path) -> None:
    # given feeds published by a publisher that has since stopped
    rows, head, _, _ = rendered_alpha_beta_gamma()
    models = ModelsWithoutChanges(1, rows, head=head)
    FeedPublisher(models, tmp_path, "https://x", PollingBackoff(), lambda: TODAY).publish()  # type: ignore[arg-type]

    # when a new publisher starts on the same folder, then a partner is renamed
    restarted = FeedPublisher(models, tmp_path, "https://x", PollingBackoff(), lambda: TODAY)  # type: ignore[arg-type]
    at_start = restarted.publish()
    models.rows = [dataclasses.replace(rows[1], name="Bravo", position=1000), rows[0], rows[2]]
    after_rename = restarted.publish()
    unchanged = restarted.publish()

    # then nothing was written at its start, both partner feeds after the rename, nothing after
    assert at_start == []
    assert after_rename == ["current-partners.json", "current-partners.csv"]
    assert unchanged == []
    assert published_feed(tmp_path, "current-partners.json") == render_json(
        models.rows, head, TODAY
    )
