"""A witness's memory: the latest checkpoint it cosigned per log, and the refusals worth keeping.

Checking a request against the latest cosigned checkpoint and replacing it
happen in one transaction under one lock, as the protocol demands: two
requests racing cannot roll the witness back. A refused checkpoint that the
log's key did sign (a second tree of a size already cosigned, or a tree that
does not extend it) is kept as evidence: two signed checkpoints that
disagree are the proof that the log showed different histories.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.adapters.sqldb import OwnTables, Tx
from registry.record.cosignature import cosign, cosigner_of
from registry.record.note import Verifier, split
from registry.record.tree_head import TreeHead, parse
from registry.record.witness_protocol import (
    AddCheckpoint,
    WitnessRefusedError,
    check,
    parse_request,
)

log = structlog.get_logger(__name__)

_CREATE = [
    """CREATE TABLE IF NOT EXISTS witness_heads (
        origin TEXT PRIMARY KEY, size BIGINT NOT NULL, root_hash TEXT NOT NULL,
        note TEXT NOT NULL, cosigned_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS witness_evidence (
        origin TEXT NOT NULL, size BIGINT NOT NULL, note TEXT NOT NULL,
        refusal TEXT NOT NULL, received_at TEXT NOT NULL)""",
]
# Refusals of a checkpoint the log did sign: evidence of a log that misbehaved.
_EVIDENCE_STATUSES = (409, 422)


class WitnessStore(OwnTables):
    """The witness's rows in its own database."""

    CREATE = _CREATE
    LOCK = "partner-registry:witness"

    def advance(self, request: AddCheckpoint, logs: Mapping[str, Sequence[Verifier]]) -> TreeHead:
        """Check the request against the latest cosigned head and make it the new one."""
        try:
            with self._db.transaction() as tx:
                self._db.serialise(tx, self.LOCK)
                head = check(request, logs, self._latest(tx, _origin(request)))
                self._replace(tx, head, request.checkpoint)
        except WitnessRefusedError as refusal:
            if refusal.status in _EVIDENCE_STATUSES:
                self._keep_evidence(request.checkpoint, str(refusal))
            raise
        return head

    def latest(self, origin: str) -> TreeHead | None:
        """The latest checkpoint cosigned for a log, if any."""
        with self._db.transaction() as tx:
            return self._latest(tx, origin)

    def evidence(self) -> list[tuple[str, int, str, str]]:
        """Refused signed checkpoints: (origin, size, signed note, why), oldest first."""
        with self._db.transaction() as tx:
            rows = tx.execute(
                "SELECT origin, size, note, refusal FROM witness_evidence ORDER BY received_at"
            )
        return [(str(o), int(s), str(n), str(r)) for o, s, n, r in rows]

    def _latest(self, tx: Tx, origin: str) -> TreeHead | None:
        rows = tx.execute("SELECT size, root_hash FROM witness_heads WHERE origin = ?", (origin,))
        if not rows:
            return None
        return TreeHead(origin, int(rows[0][0]), base64.b64decode(str(rows[0][1])))

    def _replace(self, tx: Tx, head: TreeHead, note: str) -> None:
        root = base64.b64encode(head.root_hash).decode()
        tx.execute(
            "INSERT INTO witness_heads (origin, size, root_hash, note, cosigned_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (origin) DO UPDATE SET size = excluded.size, "
            "root_hash = excluded.root_hash, note = excluded.note, "
            "cosigned_at = excluded.cosigned_at",
            (head.origin, head.size, root, note, _now()),
        )

    def _keep_evidence(self, note: str, refusal: str) -> None:
        head = parse(split(note)[0])
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO witness_evidence (origin, size, note, refusal, received_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (head.origin, head.size, note, refusal, _now()),
            )


def _origin(request: AddCheckpoint) -> str:
    """The origin line of the request's checkpoint ('' if it has none: check() refuses it)."""
    return request.checkpoint.partition("\n")[0]


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class Witness:
    """This witness: its name and key, the logs it watches, its memory."""

    name: str
    key: Ed25519PrivateKey
    logs: Mapping[str, Sequence[Verifier]]
    store: WitnessStore

    @property
    def vkey(self) -> str:
        """The verifier key clients pin for this witness's cosignatures."""
        return cosigner_of(self.name, self.key.public_key()).vkey

    def add_checkpoint(self, body: str) -> str:
        """The cosignature line for a request's checkpoint, or a WitnessRefusedError."""
        head = self.store.advance(parse_request(body), self.logs)
        log.info("checkpoint cosigned", origin=head.origin, size=head.size)
        return cosign(head.body(), self.name, self.key, int(time.time())).line()
