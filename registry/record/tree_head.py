"""The log's checkpoint body (C2SP tlog-checkpoint): origin, tree size, root hash.

The body is three lines, each ending in a newline: the log's origin (a
schema-less URL naming this log), the number of records as a decimal, and
the RFC 6962 root hash in standard base64; optional extension lines follow.
It is signed as a note (``registry.record.note``), so a checkpoint is a
statement any tlog tooling reads: "this log, at this size, has this root".
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from registry.record.merkle import HASH_SIZE

_REQUIRED = ("origin", "tree size", "root hash")


class TreeHeadError(ValueError):
    """A checkpoint body that is not one."""


@dataclass(frozen=True)
class TreeHead:
    """A log's size and root hash, as a checkpoint states them."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """The checkpoint body, the text that is signed."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode()]
        return "".join(f"{line}\n" for line in [*lines, *self.extensions])


def parse(body: str) -> TreeHead:
    """The tree head a checkpoint body states; TreeHeadError if it is malformed."""
    if not body.endswith("\n"):
        raise TreeHeadError("a checkpoint body ends with a newline")
    lines = body[:-1].split("\n")
    if len(lines) < len(_REQUIRED) or not lines[0]:
        raise TreeHeadError("a checkpoint body has an origin, a size and a root hash")
    origin, size_text, root_text, *extensions = lines
    if not size_text.isdigit() or (size_text != "0" and size_text.startswith("0")):
        raise TreeHeadError(f"the tree size {size_text!r} is not a decimal number")
    try:
        root_hash = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        raise TreeHeadError("the root hash is not base64") from None
    if len(root_hash) != HASH_SIZE:
        raise TreeHeadError(f"the root hash is {len(root_hash)} bytes, not {HASH_SIZE}")
    if any(not line for line in extensions):
        raise TreeHeadError("a checkpoint body has no empty lines")
    return TreeHead(origin, int(size_text), root_hash, tuple(extensions))
