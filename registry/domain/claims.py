"""Claims that keep one platform from being registered twice.

A partner's name and registration number are each claimed by an aggregate
whose id is derived from the identifier itself. The claim is saved in the
same transaction as the partner, so two concurrent registrations of one
platform collide in the store and exactly one of them is recorded. When a
partnership ends, a new partnership may take the claim over; when a partner
amends a name or number, it releases the old one for any platform to claim.
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from registry.domain.text import identity_key, lookalike_key

_NAMESPACE = UUID("6f1c1f3e-3b8e-5a43-9d5c-1f2b1e7a9c44")


class ClaimKind(StrEnum):
    """Which identifier of a platform a claim holds."""

    NAME = "name"
    REGISTRATION_NUMBER = "registration_number"
    LOOKALIKE_NAME = "lookalike_name"

    @property
    def described(self) -> str:
        """How a refusal names what the two platforms share."""
        if self is ClaimKind.LOOKALIKE_NAME:
            return "a name that looks the same as"
        return f"the same {self.value.replace('_', ' ')} as"


def claim_id(kind: ClaimKind, identifier: str) -> UUID:
    """The id every spelling of one identifier maps to.

    Look-alike names have claims of their own (added when that rule came),
    so the claims of names recorded before keep their ids.
    """
    key = (
        lookalike_key(identifier) if kind is ClaimKind.LOOKALIKE_NAME else identity_key(identifier)
    )
    return uuid5(_NAMESPACE, f"{kind.value}:{key}")


class PlatformClaim(Aggregate):
    """The partnership currently holding one identifier of a platform.

    Its topics are stored data, pinned like the partner's.
    """

    TOPIC = "registry.claims:PlatformClaim"

    class Created(Aggregate.Created):
        TOPIC = "registry.claims:PlatformClaim.Created"

    class Claimed(Aggregate.Created):
        TOPIC = "registry.claims:PlatformClaim.Claimed"
        class_version = 1
        kind: str
        identifier: str
        partner_id: UUID

    class Transferred(Aggregate.Event):
        TOPIC = "registry.claims:PlatformClaim.Transferred"
        class_version = 1
        partner_id: UUID

    class Released(Aggregate.Event):
        TOPIC = "registry.claims:PlatformClaim.Released"
        class_version = 1

    @staticmethod
    def create_id(kind: str, identifier: str, partner_id: UUID) -> UUID:
        """Derive the id from the identifier so that duplicates share it."""
        return claim_id(ClaimKind(kind), identifier)

    @event(Claimed)
    def __init__(self, kind: str, identifier: str, partner_id: UUID) -> None:
        self.kind = kind
        self.identifier = identifier
        self.partner_id: UUID | None = partner_id

    @event(Transferred)
    def transfer(self, partner_id: UUID) -> None:
        """Hand the identifier to a new partnership (of the same platform, or after a release)."""
        self.partner_id = partner_id

    @event(Released)
    def release(self) -> None:
        """Free the identifier: its partner no longer goes by it."""
        self.partner_id = None
