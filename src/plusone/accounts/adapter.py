"""allauth adapters: no public sign-up, and MFA secrets encrypted at rest."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest

from plusone.crypto.keyring import field_key_ring


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        """Public sign-up is closed: a practice admin creates staff accounts."""
        return False


class MFAAdapter(DefaultMFAAdapter):
    """Keeps TOTP secrets and recovery-code seeds encrypted with the field key ring."""

    # allauth gives no row id here, so the associated data names the purpose.
    ASSOCIATED_DATA = b"allauth.mfa.secret"

    def encrypt(self, text: str) -> str:
        return field_key_ring().encrypt(text, self.ASSOCIATED_DATA)

    def decrypt(self, encrypted_text: str) -> str:
        return field_key_ring().decrypt(encrypted_text, self.ASSOCIATED_DATA)
