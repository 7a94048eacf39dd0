"""Signing officers in through the government's own OpenID Connect provider.

The authorization-code flow with PKCE, a state and a nonce (Authlib does the
protocol): the provider's ID token is checked against its published keys,
its issuer, its audience and the nonce; the officer's name and roles come
from the provider's userinfo. One claim (``OIDC_ROLE_CLAIM``) decides the
role: a value ``OIDC_DIRECTOR_ROLE`` makes a director, ``OIDC_OFFICER_ROLE``
an officer, and anyone else is refused, however well signed in.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from requests import RequestException

from registry.adapters.tokens import Actor, Role
from registry.config import Settings

CALLBACK_PATH = "/kelola/oidc/kembali"
_TIMEOUT = 10.0


class SignInRefusedError(Exception):
    """The provider's answer is not a sign-in of an officer or director of this registry."""


class IdentityProvider:
    """One OpenID Connect provider, configured by ``OIDC_*`` settings."""

    def __init__(self, settings: Settings) -> None:
        if not (settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret):
            raise ValueError("OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are all needed")
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.name = settings.oidc_name
        self._client_id = settings.oidc_client_id
        self._secret = settings.oidc_client_secret.get_secret_value()
        self._redirect = settings.public_base_url.rstrip("/") + CALLBACK_PATH
        self._settings = settings

    @cached_property
    def _metadata(self) -> dict[str, Any]:
        """The provider's discovery document, fetched once."""
        found: dict[str, Any] = httpx.get(
            f"{self.issuer}/.well-known/openid-configuration", timeout=_TIMEOUT
        ).json()
        return found

    def begin(self) -> tuple[str, dict[str, str]]:
        """Where to send the browser, and what its answer must match (kept in a cookie)."""
        kept = {"state": generate_token(30), "nonce": generate_token(30),
                "verifier": generate_token(64)}  # fmt: skip
        with self._client() as client:
            url, _ = client.create_authorization_url(
                self._metadata["authorization_endpoint"], state=kept["state"],
                nonce=kept["nonce"], code_verifier=kept["verifier"],
            )  # fmt: skip
        return url, kept

    def finish(self, answered_url: str, kept: dict[str, str]) -> Actor:
        """The officer the provider's answer signs in; SignInRefusedError if it does not."""
        try:
            with self._client(state=kept["state"]) as client:
                token = client.fetch_token(
                    self._metadata["token_endpoint"], authorization_response=answered_url,
                    code_verifier=kept["verifier"],
                )  # fmt: skip
                subject = self._verified_subject(token["id_token"], kept["nonce"])
                claims: dict[str, Any] = client.get(self._metadata["userinfo_endpoint"]).json()
        except (httpx.HTTPError, RequestException, KeyError, ValueError) as error:
            raise SignInRefusedError(f"the provider's answer was refused: {error}") from error
        if claims.get("sub") != subject:
            raise SignInRefusedError("the provider's userinfo names another person")
        name = claims.get("name") or claims.get("preferred_username") or subject
        return Actor(name=str(name), role=self._role_of(claims), token_id=f"oidc:{subject}")

    def _verified_subject(self, id_token: str, nonce: str) -> str:
        """The ID token's subject, once its signature, issuer, audience, nonce and times hold."""
        keys = KeySet.import_key_set(httpx.get(self._metadata["jwks_uri"], timeout=_TIMEOUT).json())
        expected = jwt.JWTClaimsRegistry(
            leeway=60, iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self._client_id},
            nonce={"essential": True, "value": nonce}, sub={"essential": True},
        )  # fmt: skip
        try:
            token = jwt.decode(id_token, keys, algorithms=["RS256", "ES256", "PS256", "EdDSA"])
            expected.validate(token.claims)
        except JoseError as error:
            raise SignInRefusedError(f"the ID token is not valid: {error}") from error
        return str(token.claims["sub"])

    def _role_of(self, claims: dict[str, Any]) -> Role:
        held = claims.get(self._settings.oidc_role_claim) or []
        roles = {held} if isinstance(held, str) else set(held)
        if self._settings.oidc_director_role in roles:
            return Role.DIRECTOR
        if self._settings.oidc_officer_role in roles:
            return Role.OFFICER
        raise SignInRefusedError(
            f"the provider gives no role of this registry in {self._settings.oidc_role_claim!r}"
        )

    def _client(self, state: str | None = None) -> OAuth2Session:
        return OAuth2Session(
            self._client_id, self._secret, scope="openid profile", redirect_uri=self._redirect,
            code_challenge_method="S256", state=state,
        )  # fmt: skip
