"""Partner events as Kafka records: encoding, and refusing what is not a valid event."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from registry.domain.criteria import Criterion
from registry.record.chain import GENESIS, canonical_json, chain_hash
from registry.record.messages import (
    MalformedMessageError,
    Message,
    PublishedEvent,
    decode_event,
    encode_event,
)
from registry.service.records import PublicRecord, record_of
from tests.builders import NEXT_MONTH, TODAY, decision, findings, obligation, records_of, registered


def history_records() -> list[PublicRecord]:
    partner = registered()
    partner.evaluate(findings(), [obligation()], decision(), today=TODAY)
    partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, criterion=Criterion.TECHNOLOGY)
    partner.extend_deadline(1, decision(), deadline=NEXT_MONTH + timedelta(days=7), today=TODAY)
    partner.withdraw_warning(1, decision(), today=TODAY)
    partner.warn(decision(), deadline=NEXT_MONTH, today=TODAY, obligation="Sales report")
    partner.resolve_warning(2, decision(), evidence="Report filed", today=TODAY)
    partner.suspend(decision(), today=TODAY)
    partner.reinstate(decision(), today=TODAY)
    partner.amend_details({"legal_name": "PT Contoh"}, decision(), today=TODAY)
    partner.terminate(decision(), today=TODAY)
    partner.lodge_objection(partner.version, decision(reason="Grounds"), today=TODAY)
    partner.decide_objection(1, decision(reason="Upheld"), upheld=True, today=TODAY)
    events: list[Any] = list(partner.collect_events())
    partner.correct(events, 3, {"reason": "Integration down"}, actor="officer.siti", reason="Typo")
    leaving = registered()
    leaving.withdraw(decision(reason="Leaving the programme"), today=TODAY)
    corrected = [record_of(e) for e in [*events, *partner.collect_events()]]
    return [*corrected, *records_of(leaving)]


def published(record: PublicRecord, sequence: int = 1) -> PublishedEvent:
    return PublishedEvent(record, position=sequence * 2, sequence=sequence, chain_hash="a" * 64)


def with_header(message: Message, name: str, value: bytes | None) -> list[tuple[str, Any]]:
    return [(n, value if n == name else v) for n, v in message.headers]


@pytest.mark.parametrize("index", range(16), ids=[
    "registered", "evaluated", "warned", "deadline-extended", "warning-withdrawn", "warned-again",
    "warning-resolved", "suspended", "reinstated", "details-amended", "terminated",
    "objection-lodged", "objection-decided", "corrected", "registered-again", "withdrawn",
])  # fmt: skip
def test_every_event_type_survives_encoding_and_decoding(index: int) -> None:
    event = published(history_records()[index], sequence=index + 1)

    message = encode_event(event, source="urn:test")

    assert decode_event(message.key, message.value, message.headers) == event


def test_canonical_json_sorts_keys_and_drops_white_space() -> None:
    assert canonical_json({"b": [1, "é"], "a": None}) == '{"a":null,"b":[1,"é"]}'.encode()


def test_chain_hash_depends_on_the_previous_hash_and_every_byte_of_the_record() -> None:
    record = history_records()[0]
    edited = json.loads(json.dumps(record))
    edited["reason"] += "."

    assert chain_hash(GENESIS, record) == chain_hash(GENESIS, json.loads(json.dumps(record)))
    assert chain_hash(GENESIS, record) != chain_hash(GENESIS, edited)
    assert chain_hash(GENESIS, record) != chain_hash("1" * 64, record)


def test_value_that_is_not_json_is_refused() -> None:
    message = encode_event(published(history_records()[0]), source="urn:test")

    with pytest.raises(MalformedMessageError) as refused:
        decode_event(message.key, b"\xff not json", message.headers)

    assert refused.value.reason == "not_json"


def test_unknown_event_type_is_refused() -> None:
    message = encode_event(published(history_records()[0]), source="urn:test")

    with pytest.raises(MalformedMessageError) as refused:
        decode_event(message.key, message.value, with_header(message, "ce_type", b"x.y.z"))

    assert refused.value.reason == "unknown_type"


def test_record_failing_its_schema_is_refused_naming_the_field() -> None:
    record = history_records()[2]
    assert record["type"] == "Warned"
    record["data"]["deadline"] = "next month"
    message = encode_event(published(record), source="urn:test")

    with pytest.raises(MalformedMessageError, match="data/deadline") as refused:
        decode_event(message.key, message.value, message.headers)

    assert refused.value.reason == "schema_violation"


def test_record_from_a_future_schema_version_is_refused() -> None:
    message = encode_event(published(history_records()[0]), source="urn:test")

    with pytest.raises(MalformedMessageError) as refused:
        decode_event(message.key, message.value, with_header(message, "ce_schemaversion", b"2"))

    assert refused.value.reason == "future_schema_version"


@pytest.mark.parametrize(
    ("header", "value", "reason"),
    [
        ("ce_specversion", b"0.3", "bad_header"),
        ("ce_position", b"-1", "bad_header"),
        ("ce_sequence", None, "bad_header"),
        ("ce_chainhash", b"abc", "bad_header"),
        ("ce_subject", b"someone-else", "inconsistent"),
        ("ce_id", b"someone-else:1", "inconsistent"),
        ("ce_type", b"prakerja.partner.unheard-of", "unknown_type"),
        ("ce_source", b"urn:\xff", "bad_header"),
        ("ce_time", b"\xe2\x82", "bad_header"),
        ("ce_schemaversion", b"one", "bad_header"),
    ],
)
def test_missing_or_wrong_headers_are_refused(
    header: str, value: bytes | None, reason: str
) -> None:
    message = encode_event(published(history_records()[1]), source="urn:test")

    with pytest.raises(MalformedMessageError) as refused:
        decode_event(message.key, message.value, with_header(message, header, value))

    assert refused.value.reason == reason


def test_key_that_is_not_the_partner_is_refused() -> None:
    message = encode_event(published(history_records()[0]), source="urn:test")

    with pytest.raises(MalformedMessageError, match="key"):
        decode_event(b"another-partner", message.value, message.headers)
