"""Writing the audit trail out for archiving: JSON Lines and CSV, with the chain hashes.

Files are streamed to temporary names and renamed when complete, so an
archive never holds half an export.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from consumers.audit.sources import Entry
from registry.record.signing import Checkpoint

CSV_COLUMNS = ("sequence", "position", "chain_hash", "event")


def export(
    entries: Iterable[Entry],
    checkpoints: Iterable[Checkpoint],
    folder: Path,
    on_entry: Callable[[], None] = lambda: None,
) -> int:
    """Write audit-trail.jsonl, audit-trail.csv and checkpoints.jsonl; return the entry count."""
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    with (
        _atomic(folder / "audit-trail.jsonl") as lines,
        _atomic(folder / "audit-trail.csv") as table,
    ):
        writer = csv.writer(table, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for entry in entries:
            event = entry.body.decode("utf-8")
            lines.write(
                json.dumps(
                    {"sequence": entry.sequence, "position": entry.position,
                     "chain_hash": entry.chain_hash, "event": json.loads(event)},
                    ensure_ascii=False, sort_keys=True,
                ) + "\n"
            )  # fmt: skip
            writer.writerow((entry.sequence, entry.position, entry.chain_hash, event))
            count += 1
            on_entry()
    with _atomic(folder / "checkpoints.jsonl") as signed:
        for checkpoint in checkpoints:
            signed.write(json.dumps(checkpoint.to_json(), sort_keys=True) + "\n")
    return count


@contextmanager
def _atomic(target: Path) -> Iterator[IO[str]]:
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(target)
