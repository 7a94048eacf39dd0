"""Faults the tests make outside the project: a disk of its own, connections cut."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg


@contextmanager
def small_disk(folder: Path, size: str = "256k") -> Iterator[Path]:
    """A tmpfs of its own at ``folder``, so it can be filled and made read-only."""
    folder.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert mounted.returncode == 0, f"this test needs root to mount a tmpfs: {mounted.stderr}"
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def remount(folder: Path, mode: str) -> None:
    """Make a ``small_disk`` read-only (``ro``) or writable again (``rw``)."""
    subprocess.run(["mount", "-o", f"remount,{mode}", str(folder)], check=True)


def terminate_connections(database_url: str, application: str) -> int:
    """pg_terminate_backend on every connection the named application holds."""
    with psycopg.connect(database_url, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (application,),
        ).fetchall()
    return len(rows)


def connections_of(database_url: str, application: str) -> int:
    """How many connections the named application holds."""
    with psycopg.connect(database_url, autocommit=True) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (application,)
        ).fetchone()
    return int(row[0]) if row else 0
