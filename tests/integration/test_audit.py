"""Auditors replay, verify and export the public record; each kind of damage is named."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from kafka import KafkaConsumer, KafkaProducer

from consumers.audit.reader import partition_records, partitions_of
from infra.local.broker import LocalBroker
from registry.bootstrap import build_relay
from registry.config import Settings
from registry.record import note
from registry.record.chain import chain_hash
from registry.record.cosignature import cosigner_of
from registry.record.messages import decode_event, encode_event
from registry.record.signing import load_key
from registry.record.tree_head import TreeHead
from registry.service.seed import seed
from tests.builders import REPORTED
from tests.conftest import open_registry
from tests.histories import more_events, scripted_event_count, scripted_history, stored_records
from tests.kafka_helpers import (
    CLI,
    outsider,
    relay_settings,
    service_env,
    serving_api,
)

SIX = scripted_event_count(6)
"""Events in the scripted history of six partners that most tests here record."""

pytestmark = pytest.mark.postgres

Records = list[Any]


@pytest.fixture
def published(postgres_url: str, broker: LocalBroker, tmp_path: Path) -> Iterator[Settings]:
    """A scripted history published by the relay, with a signed checkpoint."""
    registry = open_registry(postgres_url)
    scripted_history(registry, partners=6)
    settings = relay_settings(
        postgres_url, broker.bootstrap_servers, signing_key_file=str(tmp_path / "key.pem")
    )
    relay = build_relay(settings, registry)
    relay.drain()
    relay.close()
    run(settings, "checkpoint")
    yield settings
    registry.close()


def run(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {
        **os.environ,
        **service_env(settings, SIGNING_KEY_FILE=settings.signing_key_file),
        **env,
    }
    return subprocess.run(
        [str(CLI), *args], env=full, capture_output=True, text=True, check=False, timeout=120
    )


def copy_topics(settings: Settings, change: Callable[[int, Records], Records]) -> None:
    """Copy the events and checkpoints topics under the prefix copy., changing partitions."""
    bootstrap = settings.kafka_bootstrap_servers or ""
    reader = partial(KafkaConsumer, bootstrap_servers=bootstrap, enable_auto_commit=False)
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for topic in ("partner-events", "partner-checkpoints"):
        for partition in partitions_of(reader, topic):
            records = list(partition_records(reader, topic, partition))
            if topic == "partner-events":
                records = change(partition, records)
            for r in records:
                producer.send(
                    f"copy.{topic}",
                    key=r.key,
                    value=r.value,
                    headers=r.headers,
                    partition=partition,
                )
    producer.flush()
    producer.close()


def replay_copy(settings: Settings, *extra: str) -> subprocess.CompletedProcess[str]:
    return run(settings, "audit", "replay", "--json", *extra, KAFKA_TOPIC_PREFIX="copy.")


def test_a_clean_history_replays_whole_with_status_0(published: Settings) -> None:
    result = run(published, "audit", "replay", "--json")

    report = json.loads(result.stdout)
    assert result.returncode == 0, result.stderr
    assert report["whole"] is True
    assert report["events"] == report["last_sequence"] == SIX
    assert report["checkpoints_verified"] == 1
    assert len(report["register"]) == 6 + 1  # six, and the one that left
    corrected = [r for r in report["register"] if r["corrections"]]
    assert [(r["legal_name"], len(r["corrections"])) for r in corrected] == [("PT Benar", 2)]
    objected = [r for r in report["register"] if r["objections"]]
    assert [(r["status"], r["objections"][0]["outcome"]) for r in objected] == [
        ("terminated", "dismissed")
    ]


def edit_body(partition: int, records: Records) -> Records:
    record = records[1]
    body = json.loads(record.value)
    body["reason"] = "Quietly rewritten afterwards"
    records[1] = type(record)(
        *[json.dumps(body).encode() if f == "value" else getattr(record, f) for f in record._fields]
    )
    return records


def drop_one(partition: int, records: Records) -> Records:
    return records[:1] + records[2:]


def duplicate_one(partition: int, records: Records) -> Records:
    return [*records, records[0]]


def swap_a_pair(partition: int, records: Records) -> Records:
    return [records[0], records[2], records[1], *records[3:]]


@pytest.mark.parametrize(
    ("damage", "kind"),
    [
        (drop_one, "gap"),
        (duplicate_one, "duplicate"),
        (edit_body, "chain_break"),
        (swap_a_pair, "reordered"),
    ],
)
def test_each_kind_of_damage_to_a_copy_of_the_topic_is_named_with_status_6(
    published: Settings, damage: Callable[[int, Records], Records], kind: str
) -> None:
    sizes = Counter(p for p, _ in all_records(published))
    busiest = sizes.most_common(1)[0][0]
    assert sizes[busiest] >= 3

    copy_topics(published, lambda p, records: damage(p, records) if p == busiest else records)

    result = replay_copy(published)

    report = json.loads(result.stdout)
    assert result.returncode == 6
    assert report["whole"] is False
    assert kind in report["counts"]
    assert any(f["kind"] == kind for f in report["findings"])


def test_history_rewritten_with_recomputed_hashes_after_a_checkpoint_is_caught(
    published: Settings,
) -> None:
    forged = forged_from(published, sequence=3)

    copy_topics(published, lambda _, records: [with_message(r, forged) for r in records])

    report = json.loads(replay_copy(published).stdout)
    assert "chain_break" not in report["counts"]
    # The signed checkpoint catches it, and so does the log's signed head of record 3 itself
    assert report["counts"] == {"rewritten": 1, "altered": 1}
    assert {(f["kind"], f["sequence"]) for f in report["findings"]} >= {("altered", 3)}


def forged_from(settings: Settings, sequence: int) -> dict[int, Any]:
    """Records from ``sequence`` on, one of them edited, every hash recomputed."""
    events = {e.sequence: e for e in (decode(r) for _, r in all_records(settings))}
    previous = events[sequence - 1].chain_hash
    forged = {}
    for number in range(sequence, max(events) + 1):
        event = events[number]
        body = event.record | ({"reason": "A different reason"} if number == sequence else {})
        previous = chain_hash(previous, body)
        forged[number] = encode_event(
            dataclasses.replace(event, record=body, chain_hash=previous), source="urn:forger"
        )
    return forged


def with_message(record: Any, forged: dict[int, Any]) -> Any:
    message = forged.get(decode(record).sequence)
    return (
        record if message is None else record._replace(value=message.value, headers=message.headers)
    )


def decode(record: Any) -> Any:
    return decode_event(record.key, record.value, record.headers)


def all_records(settings: Settings) -> list[tuple[int, Any]]:
    bootstrap = settings.kafka_bootstrap_servers or ""
    reader = partial(KafkaConsumer, bootstrap_servers=bootstrap, enable_auto_commit=False)
    return [
        (p, r)
        for p in partitions_of(reader, "partner-events")
        for r in partition_records(reader, "partner-events", p)
    ]


def test_replay_as_of_the_report_date_gives_the_eight_platforms(
    postgres_url: str, broker: LocalBroker, tmp_path: Path
) -> None:
    registry = open_registry(postgres_url)
    seed(registry)
    settings = relay_settings(
        postgres_url, broker.bootstrap_servers, signing_key_file=str(tmp_path / "k.pem")
    )
    relay = build_relay(settings, registry)
    relay.drain()
    relay.close()

    result = run(settings, "audit", "replay", "--as-of", "2020-04-27", "--json")
    before = json.loads(run(settings, "audit", "replay", "--as-of", "2020-04-26", "--json").stdout)

    report = json.loads(result.stdout)
    assert result.returncode == 0
    assert sorted(s["partner"]["name"] for s in report["standings"]) == sorted(REPORTED)
    assert all(s["events"][0]["event_type"] == "Registered" for s in report["standings"])
    assert before["standings"] == []
    registry.close()


@pytest.fixture
def served(published: Settings) -> Iterator[str]:
    """The API serving the same databases, with the read models rebuilt from the store."""
    assert run(published, "rebuild", "--source", "store").returncode == 0
    with serving_api(published) as url:
        yield url


def test_verify_finds_the_three_sources_in_agreement_then_a_removed_row(
    published: Settings, served: str
) -> None:
    agreed = run(published, "audit", "verify", "--url", served, "--json")
    store = __import__("registry.bootstrap", fromlist=["build_read_models"]).build_read_models(
        published
    )
    with store.transaction() as tx:
        tx.execute("DELETE FROM rm_audit_trail WHERE sequence = ?", (5,))
    store.close()

    damaged = run(published, "audit", "verify", "--url", served, "--json")

    assert agreed.returncode == 0, agreed.stdout + agreed.stderr
    report = json.loads(agreed.stdout)
    assert report["checkpoints_checked"] == 1
    assert set(report["compared"].values()) == {len(stored_records_of(published))}
    assert damaged.returncode == 6
    assert "sequence 5 is missing from the published audit trail" in damaged.stdout


def conflicting_copy(partition: int, records: Records) -> Records:
    """The partition with a second, different record at its first record's sequence."""
    if not records:
        return records
    first = records[0]
    body = json.loads(first.value) | {"reason": "A conflicting account"}
    return [*records, first._replace(value=json.dumps(body).encode())]


def test_verify_reports_a_conflicting_record_on_the_topic(published: Settings, served: str) -> None:
    # Given a copy of the topic where a different record re-uses a sequence
    copy_topics(published, conflicting_copy)

    # When the operator verifies the store against that topic
    result = run(published, "audit", "verify", "--url", served, "--json",
                 KAFKA_TOPIC_PREFIX="copy.")  # fmt: skip

    # Then the sources do not agree, and the conflict is named
    assert result.returncode == 6, result.stdout + result.stderr
    assert "conflicting record" in result.stdout


def test_verify_refuses_to_run_without_the_event_store(
    published: Settings, served: str, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "registry.sqlite3"

    result = run(published, "audit", "verify", "--url", served, DATABASE_URL=f"sqlite:///{missing}")

    assert result.returncode == 2
    assert "no event store" in result.stderr
    assert "audit replay" in result.stderr
    assert not missing.exists()


def stored_records_of(settings: Settings) -> list[Any]:
    registry = open_registry(settings.database_url.get_secret_value())
    try:
        return stored_records(registry)
    finally:
        registry.close()


def test_checkpoints_and_the_public_key_are_published_over_http(
    published: Settings, served: str
) -> None:
    checkpoints = httpx.get(f"{served}/audit-trail/checkpoints").json()
    keys = httpx.get(f"{served}/audit-trail/public-keys").json()

    assert [c["sequence"] for c in checkpoints] == [len(stored_records_of(published))]
    assert checkpoints[0]["key_id"] == keys[-1]["key_id"]
    assert keys[-1]["public_key"].startswith("-----BEGIN PUBLIC KEY-----")


def test_export_writes_the_trail_with_chain_hashes_as_json_lines_and_csv(
    published: Settings, served: str, tmp_path: Path
) -> None:
    result = run(published, "audit", "export", "--out", str(tmp_path / "archive"), "--url", served)

    lines = [
        json.loads(line)
        for line in (tmp_path / "archive" / "audit-trail.jsonl").read_text().splitlines()
    ]
    rows = (tmp_path / "archive" / "audit-trail.csv").read_text().splitlines()
    signed = (tmp_path / "archive" / "checkpoints.jsonl").read_text().splitlines()
    assert result.returncode == 0
    previous = "0" * 64
    for line in lines:
        previous = chain_hash(previous, line["event"])
        assert line["chain_hash"] == previous
    assert len(rows) == len(lines) + 1
    assert len(signed) == 1


# A witness nobody asked: its key is pinned, its cosignature never given.
STRANGER = cosigner_of("audit-board.example/witness", Ed25519PrivateKey.generate().public_key())


def log_vkey(settings: Settings) -> str:
    return run(settings, "keys", "vkey").stdout.strip()


def signed_checkpoint(settings: Settings, size: int, root: bytes, folder: Path) -> Path:
    """A checkpoint the log's key signed for a tree that is not the record's."""
    text = TreeHead(settings.log_origin, size, root).body()
    key = load_key(Path(settings.signing_key_file))
    path = folder / f"checkpoint-{size}.txt"
    path.write_text(note.signed_note(text, [note.sign(text, settings.log_origin, key)]))
    return path


def test_replay_from_the_tiles_over_http_needs_only_the_url_and_the_vkey(
    published: Settings, served: str, tmp_path: Path
) -> None:
    # Given an outsider with the registry's address and the log's vkey, nothing else
    vkey = log_vkey(published)

    # When they replay the log from its tiles
    result = outsider(tmp_path / "outsider", "audit", "replay", "--json",
                      "--url", served, "--log-vkey", vkey)  # fmt: skip

    # Then the record is whole, every record replayed, and nothing was created where they ran it
    report = json.loads(result.stdout)
    assert result.returncode == 0, result.stderr
    assert report["whole"] is True
    assert report["events"] == report["last_sequence"] == SIX
    assert len(report["register"]) == 6 + 1  # six, and the one that left
    assert sorted(p.name for p in (tmp_path / "outsider").iterdir()) == []


def test_a_signed_checkpoint_of_another_history_is_named_a_split_view_at_its_size(
    published: Settings, served: str, tmp_path: Path
) -> None:
    # Given a checkpoint the log's key signed for another tree of size 5 (shown to someone else)
    forked = signed_checkpoint(published, 5, bytes(range(32)), tmp_path)
    longer = signed_checkpoint(published, 40, bytes(32), tmp_path)

    # When an auditor replays the log against it
    result = outsider(tmp_path / "outsider", "audit", "replay", "--url", served,
                      "--log-vkey", log_vkey(published), "--checkpoint", str(forked),
                      "--checkpoint", str(longer))  # fmt: skip

    # Then the replay exits 6 naming the split view at 5 and the truncation at 40
    assert result.returncode == 6, result.stderr
    assert "First bad sequence: 5 (split_view)" in result.stdout
    assert "truncated" in result.stdout


def test_a_replay_that_requires_a_witness_refuses_an_unwitnessed_log(
    published: Settings, served: str, tmp_path: Path
) -> None:
    result = outsider(tmp_path / "outsider", "audit", "replay", "--url", served,
                      "--log-vkey", log_vkey(published), "--witness", STRANGER.vkey)  # fmt: skip

    assert result.returncode == 6, result.stderr
    assert "unwitnessed" in result.stdout
    assert "cosigned by 0 of the 1 witnesses required" in result.stdout


def test_replay_refuses_a_log_key_of_the_wrong_kind_and_a_missing_key(
    published: Settings, served: str, tmp_path: Path
) -> None:
    wrong = outsider(tmp_path / "outsider", "audit", "replay", "--url", served,
                     "--log-vkey", STRANGER.vkey)  # fmt: skip
    missing = outsider(tmp_path / "outsider", "audit", "replay", "--url", served)

    assert wrong.returncode == missing.returncode == 2
    assert "type 0x01" in wrong.stderr
    assert "--log-vkey" in missing.stderr


def test_an_outsider_proves_a_record_is_in_the_signed_log_and_the_log_only_grew(
    published: Settings, served: str, tmp_path: Path
) -> None:
    # Given an outsider who kept today's checkpoint, and the log growing afterwards
    vkey = log_vkey(published)
    kept = tmp_path / "kept-checkpoint.txt"
    kept.write_text(httpx.get(f"{served}/log/checkpoint").text)
    registry = open_registry(published.database_url.get_secret_value())
    more_events(registry, 3)
    relay = build_relay(published, registry)
    relay.drain()
    relay.close()
    registry.close()

    # When they ask for the proofs of record 5 and of the growth, over HTTP, with the vkey
    included = outsider(tmp_path / "o", "log", "inclusion", "5", "--url", served,
                        "--log-vkey", vkey, "--json")  # fmt: skip
    grown = outsider(tmp_path / "o", "log", "consistency", str(kept), "--url", served,
                     "--log-vkey", vkey, "--json")  # fmt: skip
    operator = run(published, "log", "inclusion", "5")

    # Then both proofs verify against the signed roots
    assert included.returncode == grown.returncode == operator.returncode == 0, (
        included.stderr + grown.stderr + operator.stderr
    )
    assert json.loads(included.stdout)["tree_size"] == SIX + 3
    assert json.loads(grown.stdout)["old_size"] == SIX
    assert "Record 5 is leaf 4" in operator.stdout


def test_a_kept_checkpoint_of_another_history_fails_its_consistency_proof(
    published: Settings, served: str, tmp_path: Path
) -> None:
    forked = signed_checkpoint(published, 5, bytes(range(32)), tmp_path)

    result = outsider(tmp_path / "o", "log", "consistency", str(forked), "--url", served,
                      "--log-vkey", log_vkey(published))  # fmt: skip

    assert result.returncode == 6
    assert "the proof does not verify" in result.stderr


def test_log_verify_checks_the_served_tiles_against_the_signed_root_and_catches_an_edited_leaf(
    published: Settings, served: str, tmp_path: Path
) -> None:
    # Given the log as served, checked by an outsider with the vkey
    vkey = log_vkey(published)
    whole = outsider(tmp_path / "o", "log", "verify", "--url", served, "--log-vkey", vkey)

    # When the operator's database has a leaf edited behind the log's back
    with psycopg.connect(published.database_url.get_secret_value(), autocommit=True) as db:
        db.execute("UPDATE tlog_leaves SET leaf = replace(leaf, 'officer', 'Officer') "
                   "WHERE idx = 3")  # fmt: skip
    edited = outsider(tmp_path / "o", "log", "verify", "--url", served, "--log-vkey", vkey)
    unwitnessed = outsider(tmp_path / "o", "log", "verify", "--url", served, "--log-vkey", vkey,
                           "--witness", STRANGER.vkey)  # fmt: skip

    # Then the genuine tiles verify, and the edited ones or a missing cosignature do not
    assert whole.returncode == 0, whole.stderr
    assert f"The {SIX} records served hash to the root" in whole.stdout
    assert edited.returncode == unwitnessed.returncode == 6
    assert "do not hash to the signed root" in edited.stderr
    assert "cosigned by 0 of the 1 witnesses" in unwitnessed.stderr
