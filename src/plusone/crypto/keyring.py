"""AES-256-GCM encryption with a key ring.

A ciphertext reads ``v1:<kid>:<base64(nonce || ciphertext+tag)>``. The first
key in the ring encrypts; any key in the ring decrypts by its id. The caller
passes associated data (the row's UUID) so a ciphertext copied to another row
fails to decrypt.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1"


class DecryptionError(Exception):
    """A value could not be decrypted: unknown key id, tampering, or the wrong row."""


class KeyRing:
    """An ordered set of (key id, 32-byte key); the first encrypts."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self.active_kid = keys[0][0]
        self._keys = {kid: AESGCM(key) for kid, key in keys}

    def encrypt(self, plaintext: str, associated_data: bytes) -> str:
        """Encrypt with the active key and a fresh 96-bit nonce."""
        nonce = secrets.token_bytes(12)
        sealed = self._keys[self.active_kid].encrypt(
            nonce, plaintext.encode("utf-8"), associated_data
        )
        blob = base64.b64encode(nonce + sealed).decode("ascii")
        return f"{PREFIX}:{self.active_kid}:{blob}"

    def decrypt(self, value: str, associated_data: bytes) -> str:
        """Decrypt a value from :meth:`encrypt`; raise DecryptionError on any failure."""
        try:
            prefix, kid, blob = value.split(":", 2)
        except ValueError:
            raise DecryptionError("not an encrypted value") from None
        if prefix != PREFIX or kid not in self._keys:
            raise DecryptionError(f"unknown key id {kid!r}")
        raw = base64.b64decode(blob)
        try:
            plain = self._keys[kid].decrypt(raw[:12], raw[12:], associated_data)
        except InvalidTag:
            raise DecryptionError(
                "authentication failed (tampered, or another row's value)"
            ) from None
        return plain.decode("utf-8")

    @staticmethod
    def key_id(value: str) -> str | None:
        """The key id a stored value was encrypted with, or None for empty."""
        parts = value.split(":", 2)
        return parts[1] if len(parts) == 3 and parts[0] == PREFIX else None


_ring: KeyRing | None = None


def field_key_ring() -> KeyRing:
    """The ring from settings.FIELD_KEY_RING (PLUSONE_FIELD_KEYS), built once."""
    global _ring
    if _ring is None:
        from django.conf import settings

        _ring = KeyRing(settings.FIELD_KEY_RING)
    return _ring


def reset_field_key_ring() -> None:
    """Forget the cached ring (tests that override settings)."""
    global _ring
    _ring = None
