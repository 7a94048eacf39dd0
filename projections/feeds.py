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
from typing import Any

import orjson
from feedgen.feed import FeedGenerator

from projections.audit_trail import AuditEntry, ChainHead
from projections.current_partners import PartnerRow
from registry.domain.text import writable

CURRENT = ("active", "warned")
CSV_COLUMNS = (
    "partner_id", "name", "legal_form", "exemption_basis", "status", "registered_on",
    "latest_outcome", "latest_evaluated_on", "open_warnings", "earliest_deadline",
    "version", "updated_at",
)  # fmt: skip


def current_partners(rows: Sequence[PartnerRow]) -> list[PartnerRow]:
    """The partners whose partnership is live, in name order."""
    live = [r for r in rows if r.status in CURRENT]
    return sorted(live, key=lambda r: (r.name.casefold(), r.partner_id))


def render_json(
    rows: Sequence[PartnerRow], head: ChainHead, log_root: bytes | None = None
) -> bytes:
    """The current-partners feed as a JSON document (see its JSON Schema).

    With ``log_root``, the feed states the transparency log's tree it was
    built from (size and root hash), so a downloaded copy can be checked
    against the log's signed checkpoints and consistency proofs.
    """
    partners = current_partners(rows)
    document: dict[str, object] = {
        "schema": "current-partners.schema.json",
        "chain_head": {"sequence": head.sequence, "chain_hash": head.chain_hash},
        "updated_at": max((r.updated_at for r in rows), default=None),
        "count": len(partners),
        "partners": [r.to_json() for r in partners],
    }
    if log_root is not None:
        document["log"] = {"tree_size": head.sequence,
                           "root_hash": base64.b64encode(log_root).decode()}  # fmt: skip
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"


def render_csv(rows: Sequence[PartnerRow]) -> bytes:
    """The current-partners feed as CSV, one row per partner (see its data dictionary)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in current_partners(rows):
        writer.writerow([_csv_value(v) for v in _csv_row(row)])
    return out.getvalue().encode("utf-8")


def _csv_row(row: PartnerRow) -> tuple[Any, ...]:
    deadlines = sorted(w["deadline"] for w in row.open_warnings)
    return (
        row.partner_id, row.name, row.legal_form, row.exemption_basis, row.status,
        row.registered_on, row.latest_outcome, row.latest_evaluated_on,
        len(row.open_warnings), deadlines[0] if deadlines else None, row.version, row.updated_at,
    )  # fmt: skip


def _csv_value(value: Any) -> str:
    """Text as is, except a leading formula character, which spreadsheets would run."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_atom(entries: Sequence[AuditEntry], names: Mapping[str, str], base_url: str) -> bytes:
    """The latest changes to the register as an Atom feed, newest first."""
    feed = FeedGenerator()
    feed.id(f"{base_url}/feeds/changes.atom")
    feed.title("Kartu Prakerja partner register: changes")
    feed.subtitle("Every registration, evaluation, warning and termination, as recorded.")
    feed.link(href=f"{base_url}/feeds/changes.atom", rel="self")
    feed.link(href=f"{base_url}/", rel="alternate")
    feed.language("en")
    feed.updated(entries[-1].recorded_at if entries else "1970-01-01T00:00:00+00:00")
    for entry in entries:
        item = feed.add_entry()
        name = writable(names.get(entry.partner_id, entry.partner_id))
        item.id(f"urn:partner-registry:event:{entry.partner_id}:{entry.version}")
        item.title(f"{name}: {entry.event_type}")
        item.link(href=f"{base_url}/partners/{entry.partner_id}")
        item.author(name=writable(entry.actor))
        item.published(entry.recorded_at)
        item.updated(entry.recorded_at)
        item.category(term=entry.event_type)
        item.summary(
            writable(
                f"{entry.event_type}, effective {entry.effective_date}, by {entry.actor}: "
                f"{entry.reason} (audit sequence {entry.sequence})"
            )
        )
    atom: bytes = feed.atom_str(pretty=True)
    return atom
