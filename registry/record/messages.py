"""Partner events as Kafka records: the CloudEvents Kafka binding, binary mode.

The record key is the partner id (so one partner's events stay in order on
one partition), the value is the event record as JSON, and the CloudEvents
attributes travel in ``ce_*`` headers. Four extension attributes place the
record in the public record: ``position`` (the event's position in the
store), ``sequence`` (its number in the public record, 1, 2, 3, ... with no
gaps), ``chainhash`` (the audit chain hash up to and including it) and
``schemaversion``. Decoding checks all of it against the published JSON
Schemas, so a consumer never applies a record it cannot vouch for.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple, cast

import jsonschema_rs
import orjson

from infra.schemas import load_schema
from registry.record.chain import canonical_json, chain_hash_of_canonical
from registry.record.signing import Checkpoint, KeyAnnouncement
from registry.service.records import SCHEMA_VERSION, PublicRecord

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
EVENT_TYPES = (
    "Registered", "DetailsAmended", "Evaluated", "Warned", "WarningWithdrawn", "WarningResolved",
    "WarningDeadlineExtended",
    "Suspended", "Reinstated", "Withdrawn", "Terminated", "ObjectionLodged", "ObjectionDecided",
    "Corrected",
)  # fmt: skip
STATE_TYPE = "prakerja.partner.state"

_HASH = re.compile(r"^[0-9a-f]{64}$")


def kebab(event_type: str) -> str:
    """An event type as it is spelt in names, e.g. warning-withdrawn for WarningWithdrawn."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", event_type).lower()


@cache
def ce_type_of(event_type: str) -> str:
    """The CloudEvents type of a partner event, e.g. prakerja.partner.warning-withdrawn.

    Cached: the relay asks once per record sent, and there are few types.
    """
    return f"prakerja.partner.{kebab(event_type)}"


_TYPES_BY_CE_TYPE = {ce_type_of(t): t for t in EVENT_TYPES}
_TYPES_BY_CE_TYPE_BYTES = {ce.encode(): t for ce, t in _TYPES_BY_CE_TYPE.items()}
_SPEC_VERSION = SPEC_VERSION.encode()


class MalformedMessageError(ValueError):
    """A record that is not a valid partner event; ``reason`` names the kind of fault."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class PublishedEvent:
    """An event record with its place in the public record."""

    record: PublicRecord
    position: int
    sequence: int
    chain_hash: str
    canonical: bytes = field(default=b"", compare=False, repr=False)
    checkpoint: str = field(default="", compare=False, repr=False)
    """The signed note of the log's tree whose last leaf this record is (``ce_checkpoint``)."""

    @property
    def partner_id(self) -> str:
        """The partner the event belongs to (the record key)."""
        return self.record["partner_id"]


@dataclass(frozen=True)
class Message:
    """What goes on the wire: key, value and headers."""

    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


def encode_event(event: PublishedEvent, *, source: str) -> Message:
    """The Kafka record of a published event."""
    record = event.record
    attributes = {
        "specversion": SPEC_VERSION,
        "id": f"{record['partner_id']}:{record['version']}",
        "source": source,
        "type": ce_type_of(record["type"]),
        "time": record["recorded_at"],
        "subject": record["partner_id"],
        "position": str(event.position),
        "sequence": str(event.sequence),
        "chainhash": event.chain_hash,
        "schemaversion": str(record["schema_version"]),
    }
    if event.checkpoint:
        attributes["checkpoint"] = event.checkpoint
    body = event.canonical or canonical_json(record)
    return _message(record["partner_id"], body, attributes)


def encode_state(row: dict[str, Any], *, source: str, sequence: int) -> Message:
    """The compacted-topic record of a partner's current state."""
    attributes = {
        "specversion": SPEC_VERSION,
        "id": f"{row['partner_id']}:{row['version']}:state",
        "source": source,
        "type": STATE_TYPE,
        "time": row["updated_at"],
        "subject": row["partner_id"],
        "position": str(row["position"]),
        "sequence": str(sequence),
        "schemaversion": str(SCHEMA_VERSION),
    }
    return _message(row["partner_id"], _compact(row), attributes)


def _message(key: str, body: bytes, attributes: dict[str, str]) -> Message:
    headers = [("content-type", CONTENT_TYPE.encode())]
    headers += [(f"ce_{name}", text.encode()) for name, text in attributes.items()]
    return Message(key=key.encode(), value=body, headers=headers)


def _compact(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value)


class Envelope(NamedTuple):
    """What a record's key and headers say, checked, before its value is read.

    A tuple of plain values, so that a process that reads the topic can
    check the headers and hand the rest over cheaply to the one that reads
    the values (the auditor's replay splits the work this way).
    """

    event_type: str
    position: int
    sequence: int
    chain_hash: str
    checkpoint: str
    key: bytes | None
    subject: bytes | None
    id: bytes | None


def decode_event(
    key: bytes | None, value: bytes | None, headers: Sequence[tuple[str, bytes | None]]
) -> PublishedEvent:
    """Check a Kafka record against the binding and the schemas, and read it."""
    return open_envelope(read_envelope(key, headers), value)


def read_envelope(key: bytes | None, headers: Sequence[tuple[str, bytes | None]]) -> Envelope:
    """Check a record's headers against the binding: all there, UTF-8, in range.

    Headers stay bytes, looked up by name and compared as bytes; only the two
    kept as text are decoded: every record pays this, and decoding all twelve
    cost more than the JSON.
    """
    ce = _ce_headers(headers)
    event_type = _event_type(ce)
    version = _integer(ce, "schemaversion")
    if version > SCHEMA_VERSION:
        raise MalformedMessageError(
            "future_schema_version",
            f"schema version {version} is newer than the {SCHEMA_VERSION} this "
            "consumer understands; upgrade the consumer",
        )
    chain = (ce.get("ce_chainhash") or b"").decode()
    if not _HASH.match(chain):
        raise MalformedMessageError("bad_header", "ce_chainhash is not 64 hex digits")
    return Envelope(
        event_type, _integer(ce, "position"), _integer(ce, "sequence"), chain,
        (ce.get("ce_checkpoint") or b"").decode(), key, ce.get("ce_subject"), ce.get("ce_id"),
    )  # fmt: skip


def open_envelope(envelope: Envelope, value: bytes | None) -> PublishedEvent:
    """The event a record's value holds, checked against its schema and its headers."""
    record = _validated(_json_object(value), envelope.event_type)
    _check_consistent(record, envelope)
    return PublishedEvent(
        record=record,
        position=envelope.position,
        sequence=envelope.sequence,
        chain_hash=envelope.chain_hash,
        checkpoint=envelope.checkpoint,
    )


def decode_leaf(leaf: bytes, sequence: int, previous_chain_hash: str) -> PublishedEvent:
    """A leaf of the log (a record's canonical bytes, as an entry bundle holds it), checked.

    A leaf carries no store position: the sequence stands in for it.
    """
    value = _json_object(leaf)
    event_type = value.get("type")
    if event_type not in _TYPES_BY_CE_TYPE.values():
        raise MalformedMessageError("unknown_type", f"leaf {sequence - 1} is not a partner event")
    record = _validated(value, str(event_type))
    if canonical_json(record) != leaf:
        raise MalformedMessageError("not_canonical", f"leaf {sequence - 1} is not canonical JSON")
    chain = chain_hash_of_canonical(previous_chain_hash, leaf)
    return PublishedEvent(record, sequence, sequence, chain, leaf)


def _ce_headers(headers: Sequence[tuple[str, bytes | None]]) -> dict[str, bytes]:
    """The record's headers by name (the CloudEvents ones are ce_*), once all are UTF-8 text."""
    ce = cast(dict[str, bytes], dict(headers))
    try:
        b"\n".join(ce.values()).decode()
    except TypeError:  # a header without a value (None): as if it were absent
        return _ce_headers([(name, raw) for name, raw in headers if raw is not None])
    except UnicodeDecodeError:
        raise MalformedMessageError("bad_header", f"{_not_utf8(ce)} is not UTF-8") from None
    if ce.get("ce_specversion") != _SPEC_VERSION:
        raise MalformedMessageError(
            "bad_header", f"ce_specversion must be {SPEC_VERSION} (binary-mode CloudEvent)"
        )
    return ce


def _not_utf8(ce: dict[str, bytes]) -> str:
    for name, raw in ce.items():
        try:
            raw.decode()
        except UnicodeDecodeError:
            return name
    return "a header"


def _event_type(ce: dict[str, bytes]) -> str:
    ce_type = ce.get("ce_type", b"")
    if ce_type not in _TYPES_BY_CE_TYPE_BYTES:
        raise MalformedMessageError(
            "unknown_type", f"ce_type {ce_type.decode()!r} is not a partner event"
        )
    return _TYPES_BY_CE_TYPE_BYTES[ce_type]


def _integer(ce: dict[str, bytes], name: str) -> int:
    text = ce.get(f"ce_{name}", b"")
    if not text.isdigit():
        raise MalformedMessageError(
            "bad_header", f"ce_{name} {text.decode()!r} is not a whole number"
        )
    return int(text)


def _json_object(value: bytes | None) -> dict[str, Any]:
    try:
        record = orjson.loads(value or b"")
    except orjson.JSONDecodeError as error:
        raise MalformedMessageError("not_json", f"the value is not JSON ({error})") from None
    if not isinstance(record, dict):
        raise MalformedMessageError("not_json", "the value is not a JSON object")
    return record


def _validated(record: dict[str, Any], event_type: str) -> PublicRecord:
    """The record, once its published schema has checked the shape its type states."""
    validator = _validator(event_type)
    if not validator.is_valid(record):
        error = next(iter(validator.iter_errors(record)))
        raise MalformedMessageError("schema_violation", _describe(error))
    return cast(PublicRecord, record)


@cache
def _validator(event_type: str) -> jsonschema_rs.Validator:
    """A compiled validator (Rust): checking every record must cost next to nothing."""
    schema = load_schema(f"partner-{kebab(event_type)}.v{SCHEMA_VERSION}")
    return jsonschema_rs.validator_for(schema, validate_formats=True)


def _describe(error: jsonschema_rs.ValidationError) -> str:
    where = "/".join(str(p) for p in error.instance_path) or "(the record)"
    return f"{where}: {error.message}"


def _check_consistent(record: PublicRecord, envelope: Envelope) -> None:
    partner_id = record["partner_id"].encode()
    expected = {
        "key": envelope.key == partner_id,
        "ce_subject": envelope.subject == partner_id,
        "ce_id": envelope.id == b"%s:%d" % (partner_id, record["version"]),
        "ce_type": record["type"] == envelope.event_type,
    }
    wrong = [name for name, ok in expected.items() if not ok]
    if wrong:
        raise MalformedMessageError(
            "inconsistent", f"{', '.join(wrong)} disagree with the event record"
        )


CHECKPOINT_TYPE = "prakerja.partner.checkpoint"


def encode_checkpoint(checkpoint: Checkpoint) -> Message:
    """The Kafka record of a signed checkpoint (keyed by its sequence)."""
    return _statement(
        checkpoint, CHECKPOINT_TYPE, f"checkpoint:{checkpoint.sequence}:{checkpoint.signed_at}",
        subject=str(checkpoint.sequence), time=checkpoint.signed_at,
    )  # fmt: skip


def _statement(
    signed: Checkpoint | KeyAnnouncement, kind: str, identifier: str, *, subject: str, time: str
) -> Message:
    """A signed statement as a CloudEvents record keyed by its subject."""
    attributes = {
        "specversion": SPEC_VERSION, "id": identifier, "source": signed.source, "type": kind,
        "time": time, "subject": subject, "schemaversion": str(SCHEMA_VERSION),
    }  # fmt: skip
    return _message(subject, _compact(signed.to_json()), attributes)


def decode_checkpoint(value: bytes | None) -> Checkpoint:
    """A checkpoint from its record's value (the signature is checked by the caller)."""
    record = _json_object(value)
    error = next(iter(_checkpoint_validator().iter_errors(record)), None)
    if error is not None:
        raise MalformedMessageError("schema_violation", _describe(error))
    return Checkpoint(**record)


@cache
def _checkpoint_validator() -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(load_schema("checkpoint.v1"), validate_formats=True)


KEY_ANNOUNCED_TYPE = "prakerja.partner.key-announced"


def encode_announcement(announcement: KeyAnnouncement) -> Message:
    """The Kafka record of a key announcement (on the checkpoints topic)."""
    return _statement(
        announcement, KEY_ANNOUNCED_TYPE, f"key:{announcement.new_key_id}",
        subject=announcement.new_key_id, time=announcement.announced_at,
    )  # fmt: skip


def decode_announcement(value: bytes | None) -> KeyAnnouncement:
    """A key announcement from its record's value (the signature is checked by the caller)."""
    record = _json_object(value)
    error = next(iter(_announcement_validator().iter_errors(record)), None)
    if error is not None:
        raise MalformedMessageError("schema_violation", _describe(error))
    return KeyAnnouncement(**record)


def is_announcement(headers: Sequence[tuple[str, bytes | None]] | None) -> bool:
    """Whether a checkpoints-topic record is a key announcement (by its ce_type)."""
    return any(
        name == "ce_type" and value == KEY_ANNOUNCED_TYPE.encode() for name, value in headers or ()
    )


@cache
def _announcement_validator() -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(load_schema("key-announcement.v1"), validate_formats=True)


WITNESSED_TYPE = "prakerja.partner.witnessed-checkpoint"
NOTE_CONTENT_TYPE = "text/plain; charset=utf-8"


def encode_witnessed(checkpoint: str, size: int, *, source: str, time: str) -> Message:
    """The checkpoints-topic record of a signed checkpoint with its witnesses' cosignatures.

    The value is the signed note itself, byte for byte as ``GET
    /log/checkpoint`` serves it; the key is the tree size.
    """
    digest = hashlib.sha256(checkpoint.encode()).hexdigest()[:16]
    attributes = {
        "specversion": SPEC_VERSION, "id": f"witnessed:{size}:{digest}", "source": source,
        "type": WITNESSED_TYPE, "time": time, "subject": str(size),
    }  # fmt: skip
    headers = [("content-type", NOTE_CONTENT_TYPE.encode())]
    headers += [(f"ce_{name}", text.encode()) for name, text in attributes.items()]
    return Message(key=str(size).encode(), value=checkpoint.encode(), headers=headers)


def is_witnessed(headers: Sequence[tuple[str, bytes | None]] | None) -> bool:
    """Whether a checkpoints-topic record is a witnessed signed checkpoint (by its ce_type)."""
    return any(
        name == "ce_type" and value == WITNESSED_TYPE.encode() for name, value in headers or ()
    )


def decode_witnessed(value: bytes | None) -> str:
    """The signed note of a witnessed-checkpoint record (its signatures checked by the caller)."""
    try:
        return (value or b"").decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedMessageError("not_text", "the checkpoint is not UTF-8 text") from None
