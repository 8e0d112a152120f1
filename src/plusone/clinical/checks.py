"""The record's own system checks: what it needs from the floors above is connected.

plusone.E020: a receiver listens for ``clinical.signals.flag_raised`` (else a flag
would open and nobody be told). plusone.E021: the break-glass and consent-directive
rules of ``clinical.access`` are registered (else reads would fail, closed).
Both run on every ``check``, not only with --deploy.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from plusone.clinical import access
from plusone.clinical.signals import flag_raised


@register()
def check_flag_receiver(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if flag_raised.has_listeners():
        return []
    return [
        Error(
            "Nothing listens for clinical.signals.flag_raised: a new flag would notify nobody.",
            hint="Install plusone.notify (it connects the receiver in its ready()).",
            id="plusone.E020",
        )
    ]


@register()
def check_access_rules(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    return [
        Error(
            f"The {name} access rule is not registered with plusone.clinical.access.",
            hint="Install plusone.privacy and plusone.lockbox (they register in ready()).",
            id="plusone.E021",
        )
        for name in access.missing()
    ]
