"""Access tokens: ``issue``, ``resolve``, ``consume``, ``reissue`` and ``TokenError``.

The functions live in :mod:`plusone.tokens.service` and are re-exported here
lazily so this package imports before Django's app registry is ready.
"""

from __future__ import annotations

from typing import Any

REASONS = ("unknown", "expired", "used", "revoked")


class TokenError(Exception):
    """A token that cannot be used; ``code`` is one of unknown, expired, used, revoked."""

    def __init__(self, code: str) -> None:
        if code not in REASONS:
            raise ValueError(f"unknown token error code {code!r}")
        super().__init__(code)
        self.code = code


_EXPORTS = {"issue", "resolve", "consume", "reissue", "revoke", "hash_token"}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        from plusone.tokens import service

        return getattr(service, name)
    raise AttributeError(name)
