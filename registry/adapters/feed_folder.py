"""The feed folder: each feed a manifest naming, in order, the parts its bytes are made of.

Written whole, a feed cost every publish what the register weighs (at
100,000 partners, 99 MB of JSON and CSV copied and synced for one
partner's change: seven publishes a second). Kept as parts, a change writes the few parts that
differ and a manifest listing them all, so a publish costs the same
whatever the register's size. A part is named by the SHA-256 of its bytes
and never changes, so the reader checks every part it reads against its
name, keeps it in memory while a manifest names it, and takes the
manifest's own digest as the feed's strong ETag.

A manifest is replaced atomically (temporary file, fsync, rename), so a reader
sees one version or the next, never a mix. Parts that no manifest names are
deleted only after ``GRACE_SECONDS``, and a reader that still misses one
(it read a manifest long gone) reads the manifest again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

PARTS = "parts"
"""The folder, inside the feed folder, holding every part."""

MANIFEST = ".parts"
"""What a feed's manifest adds to its name: ``current-partners.json.parts``."""

GRACE_SECONDS = 60.0
"""How long a part no manifest names is kept, for readers holding an older manifest."""

_ATTEMPTS = 3


class FeedFolderError(Exception):
    """A manifest names a part that is missing or altered, however often it is read."""


@dataclass(frozen=True)
class FeedVersion:
    """One published version of a feed: its parts, in order, are its bytes."""

    parts: tuple[bytes, ...]
    digest: str
    modified: float
    stamp: tuple[int, int]

    @property
    def body(self) -> bytes:
        """The feed's bytes, joined (a copy of the whole feed: servers send the parts)."""
        return b"".join(self.parts)


def part_name(piece: bytes) -> str:
    """The name a part is kept under: its bytes' SHA-256 (128 bits of it, in hex)."""
    return hashlib.sha256(piece).hexdigest()[:32]


def manifest_path(directory: Path, feed: str) -> Path:
    """Where a feed's manifest is kept."""
    return directory / f"{feed}{MANIFEST}"


def stamp_of(status: os.stat_result) -> tuple[int, int]:
    """What changes when a manifest is replaced: its modification time and size."""
    return status.st_mtime_ns, status.st_size


class FeedWriter:
    """The publisher's side: writes the parts a version lacks, then its manifest."""

    def __init__(
        self, directory: Path, grace: float = GRACE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.directory = directory
        self.grace = grace
        self.clock = clock
        self._named: dict[str, dict[int, tuple[bytes, str]]] = {}
        self._on_disk: set[str] | None = None
        self._manifests: dict[str, bytes] = {}
        self._unnamed_since: dict[str, float] = {}
        self._last_sweep = float("-inf")

    def write(self, feed: str, pieces: Sequence[bytes]) -> bool:
        """Publish ``pieces`` (joined, the feed's bytes) as the feed's version; False if the
        version published already has these bytes.

        A feed's first manifest replaces the whole file publishers wrote before
        the folder held parts, so that no stale copy is left looking current.
        """
        names = self._names(feed, pieces)
        manifest = "\n".join(names).encode() + b"\n"
        if self._manifest(feed) == manifest:
            return False
        for name, piece in zip(names, pieces, strict=True):
            self._keep_part(name, piece)
        _replace(manifest_path(self.directory, feed), [manifest])
        if feed not in self._manifests:
            (self.directory / feed).unlink(missing_ok=True)
        self._manifests[feed] = manifest
        return True

    def sweep(self) -> list[str]:
        """Delete the parts no manifest has named for ``grace`` seconds; return their names.

        Looks at most four times a grace period (reading every manifest each
        publish cost more than the publish's own writes): a part is deleted
        between one and one and a quarter grace periods after it was last named.
        """
        now, deleted = self.clock(), list[str]()
        if now - self._last_sweep < self.grace / 4:
            return deleted
        self._last_sweep = now
        named = set()
        for manifest in self.directory.glob(f"*{MANIFEST}"):
            named.update(_names_in(manifest.read_bytes()))
        for name in self._parts_on_disk() - named:
            since = self._unnamed_since.setdefault(name, now)
            if now - since >= self.grace:
                with contextlib.suppress(FileNotFoundError):
                    (self.directory / PARTS / name).unlink()
                self._parts_on_disk().discard(name)
                del self._unnamed_since[name]
                deleted.append(name)
        for name in named & self._unnamed_since.keys():
            del self._unnamed_since[name]
        return deleted

    def _names(self, feed: str, pieces: Sequence[bytes]) -> list[str]:
        """Each piece's part name; a piece kept from the feed's last version (the very same
        object: the blocks that did not change) is not hashed again."""
        before = self._named.get(feed, {})
        named: dict[int, tuple[bytes, str]] = {}
        names = []
        for piece in pieces:
            held = before.get(id(piece))
            name = held[1] if held is not None and held[0] is piece else part_name(piece)
            named[id(piece)] = (piece, name)
            names.append(name)
        self._named[feed] = named
        return names

    def _manifest(self, feed: str) -> bytes | None:
        """The manifest last published (read from disk the first time: a restart)."""
        if feed not in self._manifests:
            with contextlib.suppress(FileNotFoundError):
                self._manifests[feed] = manifest_path(self.directory, feed).read_bytes()
        return self._manifests.get(feed)

    def _keep_part(self, name: str, piece: bytes) -> None:
        on_disk = self._parts_on_disk()
        if name in on_disk:
            return
        _replace(self.directory / PARTS / name, [piece])
        on_disk.add(name)

    def _parts_on_disk(self) -> set[str]:
        if self._on_disk is None:
            folder = self.directory / PARTS
            folder.mkdir(parents=True, exist_ok=True)
            _remove_leftovers(self.directory, folder)
            self._on_disk = {p.name for p in folder.iterdir() if not p.name.startswith(".")}
        return self._on_disk


class FeedReader:
    """The API's side: a feed's current version, its parts held in memory while named."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._parts: dict[str, bytes] = {}
        self._named: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def stamp(self, feed: str) -> tuple[int, int] | None:
        """The stamp of the feed's manifest (None: not published): a stat, never a read."""
        try:
            return stamp_of(manifest_path(self._directory, feed).stat())
        except FileNotFoundError:
            return None

    def read(self, feed: str) -> FeedVersion | None:
        """The feed's current version, or None if it was never published."""
        for _ in range(_ATTEMPTS):
            path = manifest_path(self._directory, feed)
            try:
                status = path.stat()
                manifest = path.read_bytes()
            except FileNotFoundError:
                return None
            names = _names_in(manifest)
            try:
                parts = tuple(self._part(name) for name in names)
            except FileNotFoundError:
                continue
            self._hold(feed, names)
            digest = hashlib.sha256(manifest).hexdigest()[:32]
            return FeedVersion(parts, digest, status.st_mtime, stamp_of(status))
        msg = f"{feed}: its manifest names parts missing from {self._directory / PARTS}"
        raise FeedFolderError(msg)

    def _part(self, name: str) -> bytes:
        held = self._parts.get(name)
        if held is not None:
            return held
        piece = (self._directory / PARTS / name).read_bytes()
        if part_name(piece) != name:
            msg = f"part {name} of the feed folder does not hold the bytes it is named for"
            raise FeedFolderError(msg)
        self._parts[name] = piece
        return piece

    def _hold(self, feed: str, names: Iterable[str]) -> None:
        """Keep in memory the parts some feed's latest manifest names, and only those."""
        with self._lock:
            self._named[feed] = list(names)
            named = {n for held in self._named.values() for n in held}
            self._parts = {n: p for n, p in self._parts.items() if n in named}


def _remove_leftovers(*folders: Path) -> None:
    """Delete the temporary files a publisher stopped mid-write left (one publisher writes a
    folder: a temporary file of another process is a leftover)."""
    own = f".{os.getpid()}.tmp"
    for folder in folders:
        for path in folder.glob(".*.tmp"):
            if not path.name.endswith(own):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()


def _names_in(manifest: bytes) -> list[str]:
    return manifest.decode().split()


def _replace(target: Path, pieces: Sequence[bytes]) -> None:
    """Write a file whole beside its target, sync it, and rename it over the target."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            handle.writelines(pieces)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(target)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise
