"""Officers' browser sessions: who is signed in, in a signed cookie, and its CSRF token.

A session cookie holds the officer's name, role and a random CSRF token,
signed (itsdangerous) so it cannot be forged or altered, ``HttpOnly`` (no
script reads it), ``SameSite=Strict`` (no other site's page sends it) and
``Secure`` unless the registry's public URL is plain HTTP (a developer's
machine); it ends after ``SESSION_MAX_AGE_SECONDS``. Every form carries the
CSRF token and every POST is refused without it. Signing in through an
identity provider needs one more, short cookie across the redirect to the
provider and back: it is ``SameSite=Lax``, since the provider's redirect
back is a navigation from another site.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import structlog
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from registry.adapters.tokens import Actor, Role
from registry.config import Settings

log = structlog.get_logger(__name__)

SESSION_COOKIE = "registry_session"
SIGN_IN_COOKIE = "registry_sign_in"
SIGN_IN_SECONDS = 600


@dataclass(frozen=True)
class Session:
    """A signed-in officer: who, with which role, and the token every form must carry."""

    actor: Actor
    csrf: str


class Sessions:
    """Reads, starts and ends sessions; one secret signs them all."""

    def __init__(self, settings: Settings) -> None:
        secret = settings.session_secret.get_secret_value() if settings.session_secret else None
        if secret is None:
            log.warning("SESSION_SECRET is not set: sessions end when this server restarts")
            secret = secrets.token_urlsafe(32)
        self._signer = URLSafeTimedSerializer(secret, salt="partner-registry-session")
        self._max_age = settings.session_max_age_seconds
        self.secure = not settings.public_base_url.startswith("http://")

    def current(self, request: Request) -> Session | None:
        """The signed-in officer, or None (no cookie, a forged one, or an expired one)."""
        found = self._load(request.cookies.get(SESSION_COOKIE), self._max_age)
        if found is None:
            return None
        actor = Actor(name=found["actor"], role=Role(found["role"]), token_id=found["via"])
        return Session(actor, found["csrf"])

    def start(self, response: Response, actor: Actor) -> None:
        """Sign the officer in: a new session, with a new CSRF token."""
        value = {"actor": actor.name, "role": actor.role.value, "via": actor.token_id,
                 "csrf": secrets.token_urlsafe(24)}  # fmt: skip
        self._set(response, SESSION_COOKIE, value, self._max_age, same_site="strict")

    def end(self, response: Response) -> None:
        """Sign out: the cookie is cleared."""
        response.delete_cookie(SESSION_COOKIE, path="/", secure=self.secure, httponly=True,
                               samesite="strict")  # fmt: skip

    def remember_sign_in(self, response: Response, state: dict[str, str]) -> None:
        """Keep what the provider's answer must match (state, nonce, PKCE verifier)."""
        self._set(response, SIGN_IN_COOKIE, state, SIGN_IN_SECONDS, same_site="lax")

    def sign_in_state(self, request: Request) -> dict[str, str] | None:
        """What was kept for the sign-in in progress, or None."""
        kept: dict[str, str] | None = self._load(
            request.cookies.get(SIGN_IN_COOKIE), SIGN_IN_SECONDS
        )
        return kept

    def forget_sign_in(self, response: Response) -> None:
        """The sign-in is over, whichever way it ended."""
        response.delete_cookie(SIGN_IN_COOKIE, path="/", secure=self.secure, httponly=True,
                               samesite="lax")  # fmt: skip

    def _set(
        self, response: Response, name: str, value: dict[str, str], max_age: int, same_site: str
    ) -> None:
        response.set_cookie(
            name, self._signer.dumps(value), max_age=max_age, path="/", secure=self.secure,
            httponly=True, samesite=same_site,  # type: ignore[arg-type]
        )  # fmt: skip

    def _load(self, cookie: str | None, max_age: int) -> Any:
        if not cookie:
            return None
        try:
            return self._signer.loads(cookie, max_age=max_age)
        except BadSignature:
            return None
