"""The public feeds, rendered from the read models: JSON, CSV and Atom.

Rendering is pure and deterministic (the same read models give the same
bytes, with no "generated at" clock), so a publisher can tell whether
anything changed by comparing bytes, and HTTP caches can trust ETags.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import orjson
from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator

from projections.audit_trail import AuditEntry, ChainHead
from projections.current_partners import PartnerRow, overdue_warnings
from registry.domain.text import writable

CURRENT = ("active", "warned", "suspended")
"""Live partnerships, listed in the current feeds; suspended ones too (sales paused)."""
CSV_COLUMNS = (
    "partner_id", "name", "legal_form", "exemption_basis", "status", "registered_on",
    "latest_outcome", "latest_evaluated_on", "open_warnings", "earliest_deadline",
    "overdue_warnings", "version", "updated_at", "legal_name", "registration_number", "website",
    "commission_terms", "pending_objections", "corrections", "latest_rule_set",
)  # fmt: skip


_INDENT = b"    "
_CSV_HEADER = (",".join(CSV_COLUMNS) + "\r\n").encode("utf-8")


def feed_order(row: PartnerRow) -> tuple[str, str]:
    """Where a partner stands in the feeds: by name, then id."""
    return row.name.casefold(), row.partner_id


def current_partners(rows: Sequence[PartnerRow]) -> list[PartnerRow]:
    """The partners whose partnership is live, in name order."""
    live = [r for r in rows if r.status in CURRENT]
    return sorted(live, key=feed_order)


def render_json(
    rows: Sequence[PartnerRow], head: ChainHead, day: date, log_root: bytes | None = None
) -> bytes:
    """The current-partners feed as a JSON document (see its JSON Schema).

    ``day`` is the day the overdue warnings are stated for: the feed is a
    function of the log and the calendar, nothing else. With ``log_root``,
    the feed states the transparency log's tree it was built from (size and
    root hash), so a downloaded copy can be checked against the log's signed
    checkpoints and consistency proofs.
    """
    live = current_partners(rows)
    updated_at = max((r.updated_at for r in rows), default=None)
    fragments = [json_fragment(r, day) for r in live]
    return b"".join(assemble_json(fragments, len(fragments), head, updated_at, day, log_root))


def json_fragment(row: PartnerRow, day: date) -> bytes:
    """One partner as it stands in the JSON feed's list on ``day``, indented in place.

    A publisher keeps these per partner and renders again only the ones
    that changed (all of them when the day changes): the feed's cost then
    follows the change, not the register.
    """
    plain = row.to_json() | {"overdue_warnings": overdue_warnings(row, day)}
    return _INDENT + orjson.dumps(plain, option=orjson.OPT_INDENT_2).replace(b"\n", b"\n" + _INDENT)


def assemble_json(
    parts: Sequence[bytes], count: int, head: ChainHead, updated_at: str | None, day: date,
    log_root: bytes | None,
) -> list[bytes]:  # fmt: skip
    """The JSON feed of ``count`` partners from their fragments (in feed order), in pieces that
    join to render_json's bytes: ``parts`` are fragments, or runs of them already joined with
    ``,\n``. Not joined here: a publisher writes the pieces as they are (joining a hundred
    thousand partners' feed cost more than writing it)."""
    document: dict[str, object] = {
        "schema": "current-partners.schema.json",
        "chain_head": {"sequence": head.sequence, "chain_hash": head.chain_hash},
        "updated_at": updated_at,
        "overdue_as_of": day.isoformat(),
        "count": count,
        "partners": [],
    }
    if log_root is not None:
        document["log"] = {"tree_size": head.sequence,
                           "root_hash": base64.b64encode(log_root).decode()}  # fmt: skip
    skeleton = orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
    if not parts:
        return [skeleton]
    before, _, after = skeleton.partition(b'"partners": []')
    pieces = [before + b'"partners": [\n']
    for part in parts:
        pieces += (part, b",\n")
    pieces[-1] = b"\n  ]" + after
    return pieces


def render_csv(rows: Sequence[PartnerRow], day: date) -> bytes:
    """The current-partners feed as CSV on ``day``, a row per partner (see its data dictionary)."""
    return b"".join(assemble_csv([csv_line(row, day) for row in current_partners(rows)]))


def csv_line(row: PartnerRow, day: date) -> bytes:
    """One partner's line of the CSV feed in UTF-8, kept per partner as the JSON fragments are."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([_csv_value(v) for v in _csv_row(row, day)])
    return out.getvalue().encode("utf-8")


def assemble_csv(parts: Sequence[bytes]) -> list[bytes]:
    """The CSV feed from its partners' lines, or runs of them (in feed order), in pieces that
    join to render_csv's bytes."""
    return [_CSV_HEADER, *parts]


def _csv_row(row: PartnerRow, day: date) -> tuple[Any, ...]:
    deadlines = sorted(w["deadline"] for w in row.open_warnings)
    return (
        row.partner_id, row.name, row.legal_form, row.exemption_basis, row.status,
        row.registered_on, row.latest_outcome, row.latest_evaluated_on,
        len(row.open_warnings), deadlines[0] if deadlines else None,
        len(overdue_warnings(row, day)), row.version, row.updated_at, row.legal_name,
        row.registration_number, row.website, row.commission_terms,
        sum(1 for o in row.objections if o["outcome"] is None), len(row.corrections),
        row.latest_rule_set,
    )  # fmt: skip


def _csv_value(value: Any) -> str:
    """Text as is, except a leading formula character, which spreadsheets would run."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _moment(text: str) -> datetime:
    """A recorded moment as a datetime: feedgen parses text with dateutil, 0.3 ms each."""
    return datetime.fromisoformat(text)


@lru_cache(maxsize=4 * 64)
def _atom_entry(entry: AuditEntry, name: str, base_url: str) -> FeedEntry:
    """One change as an Atom entry, made once: the feed holds the same fifty for a while, and
    making each entry was half of rendering it."""
    name = writable(name)
    item = FeedEntry()
    item.id(f"urn:partner-registry:event:{entry.partner_id}:{entry.version}")
    item.title(f"{name}: {entry.event_type}")
    item.link(href=f"{base_url}/register/{entry.partner_id}")
    item.author(name=writable(entry.actor))
    item.published(_moment(entry.recorded_at))
    item.updated(_moment(entry.recorded_at))
    item.category(term=entry.event_type)
    item.summary(
        writable(
            f"{entry.event_type}, effective {entry.effective_date}, by {entry.actor}: "
            f"{entry.reason} (audit sequence {entry.sequence})"
        )
    )
    return item


def render_atom(entries: Sequence[AuditEntry], names: Mapping[str, str], base_url: str) -> bytes:
    """The latest changes to the register as an Atom feed, newest first."""
    feed = FeedGenerator()
    feed.id(f"{base_url}/feeds/changes.atom")
    feed.title("Kartu Prakerja partner register: changes")
    feed.subtitle("Every registration, evaluation, warning and termination, as recorded.")
    feed.link(href=f"{base_url}/feeds/changes.atom", rel="self")
    feed.link(href=f"{base_url}/", rel="alternate")
    feed.language("en")
    feed.updated(_moment(entries[-1].recorded_at if entries else "1970-01-01T00:00:00+00:00"))
    for entry in entries:
        feed.add_entry(_atom_entry(entry, names.get(entry.partner_id, entry.partner_id), base_url))
    atom: bytes = feed.atom_str(pretty=True)
    return atom
