"""Bearer tokens for the HTTP API: who may write, in which role.

A token is shown once, when created; only its SHA-256 hash is stored, so
the table leaks nothing usable. Tokens are long random strings, so a plain
hash (not a slow password hash) is the right tool. The actor recorded in
every event comes from the token, never from the request body.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from cachetools import TTLCache

from registry.adapters.sqldb import OwnTables
from registry.domain.text import MAX_NAME_LENGTH, require_text

_PREFIX = "prt_"
_CREATE = """CREATE TABLE IF NOT EXISTS api_tokens (
    id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, actor TEXT NOT NULL,
    role TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT)"""
_COLUMNS = "id, actor, role, created_at, revoked_at"


class Role(StrEnum):
    """What a token may do: officers record; directors also suspend, reinstate, terminate and
    decide objections."""

    OFFICER = "officer"
    DIRECTOR = "director"


class Permission(StrEnum):
    """One kind of write."""

    REGISTER = "register"
    AMEND = "amend"
    CORRECT = "correct"
    EVALUATE = "evaluate"
    WARN = "warn"
    SUSPEND = "suspend"
    RECORD_WITHDRAWAL = "record-withdrawal"
    LODGE_OBJECTION = "lodge-objection"
    DECIDE_OBJECTION = "decide-objection"
    RECORD_RULES = "record-rules"
    TERMINATE = "terminate"


PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OFFICER: frozenset(
        {
            Permission.REGISTER,
            Permission.AMEND,
            Permission.CORRECT,
            Permission.EVALUATE,
            Permission.WARN,
            Permission.RECORD_WITHDRAWAL,
            Permission.LODGE_OBJECTION,
        }
    ),
    Role.DIRECTOR: frozenset(Permission),
}


@dataclass(frozen=True)
class Actor:
    """The person behind an authenticated request."""

    name: str
    role: Role
    token_id: str

    def may(self, permission: Permission) -> bool:
        """Whether the actor's role allows this write."""
        return permission in PERMISSIONS[self.role]


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed: never the token itself."""

    id: str
    actor: str
    role: Role
    created_at: str
    revoked_at: str | None


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore(OwnTables):
    """Tokens in the event store's database (table ``api_tokens``)."""

    CREATE = (_CREATE,)
    LOCK = "partner-registry:tokens"

    def create(self, actor: str, role: Role) -> tuple[TokenInfo, str]:
        """A new token for the actor; the secret is returned here and never again."""
        name = require_text("actor", actor, MAX_NAME_LENGTH)
        secret = _PREFIX + secrets.token_urlsafe(32)
        info = TokenInfo(uuid.uuid4().hex[:12], name, role, _now(), None)
        with self._db.transaction() as tx:
            tx.execute(
                "INSERT INTO api_tokens (id, token_hash, actor, role, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (info.id, token_hash(secret), info.actor, info.role.value, info.created_at),
            )
        return info, secret

    def revoke(self, token_id: str) -> bool:
        """End a token; False if there is no such live token."""
        with self._db.transaction() as tx:
            found = tx.execute(
                "SELECT id FROM api_tokens WHERE id = ? AND revoked_at IS NULL", (token_id,)
            )
            if found:
                tx.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ?", (_now(), token_id))
        return bool(found)

    def authenticate(self, token: str) -> Actor | None:
        """The actor of a live token, or None."""
        if not token.startswith(_PREFIX):
            return None
        with self._db.transaction() as tx:
            rows = tx.execute(
                "SELECT id, actor, role FROM api_tokens "
                "WHERE token_hash = ? AND revoked_at IS NULL",
                (token_hash(token),),
            )
        if not rows:
            return None
        token_id, actor, role = rows[0]
        return Actor(name=str(actor), role=Role(role), token_id=str(token_id))

    def list(self) -> list[TokenInfo]:
        """Every token ever created, oldest first."""
        with self._db.transaction() as tx:
            rows = tx.execute(f"SELECT {_COLUMNS} FROM api_tokens ORDER BY created_at, id")  # noqa: S608
        return [TokenInfo(str(i), str(a), Role(r), str(c), v) for i, a, r, c, v in rows]


def _now() -> str:
    return datetime.now(UTC).isoformat()


class RecentTokens:
    """Remembers valid tokens for a few seconds, so a request costs no token query.

    A revoked token therefore stops working within ``ttl`` seconds, not at
    once; unknown tokens are never remembered.
    """

    def __init__(self, store: TokenStore, ttl: float = 5.0, size: int = 1024) -> None:
        self._store = store
        self._cache: TTLCache[str, Actor] = TTLCache(maxsize=size, ttl=ttl)
        self._lock = threading.Lock()

    def authenticate(self, token: str) -> Actor | None:
        """The actor of a live token, from memory when seen in the last few seconds."""
        key = token_hash(token)
        with self._lock:
            known = self._cache.get(key)
        if known is not None:
            return known
        found = self._store.authenticate(token)
        if found is not None:
            with self._lock:
                self._cache[key] = found
        return found
