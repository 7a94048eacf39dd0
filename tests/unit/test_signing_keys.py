"""The signing key file: created once and never replaced, refused when missing or wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

from registry.record.signing import SigningKeyError, create_key, load_key, load_or_create_key


def test_a_key_is_created_once_with_owner_only_permissions_and_never_replaced(
    tmp_path: Path,
) -> None:
    path = tmp_path / "keys" / "signing.pem"

    first = load_or_create_key(path)
    again = load_or_create_key(path)

    assert path.stat().st_mode & 0o777 == 0o600
    assert again.private_bytes_raw() == first.private_bytes_raw()
    with pytest.raises(SigningKeyError, match="never replaced"):
        create_key(path)


def test_a_missing_unreadable_or_non_ed25519_key_is_refused_clearly(tmp_path: Path) -> None:
    garbage, ecdsa = tmp_path / "garbage.pem", tmp_path / "ecdsa.pem"
    garbage.write_text("not a key")
    ecdsa.write_bytes(
        generate_private_key(SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )  # fmt: skip

    with pytest.raises(SigningKeyError, match="keys create"):
        load_key(tmp_path / "absent.pem")
    with pytest.raises(SigningKeyError, match="not a PEM Ed25519"):
        load_key(garbage)
    with pytest.raises(SigningKeyError, match="not an Ed25519 key"):
        load_key(ecdsa)
