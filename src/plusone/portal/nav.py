"""The portal's navigation: (URL name, label), in the order shown on every portal page."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

NAV: list[tuple[str, str | Promise]] = [
    ("portal:home", _("Home")),
    ("portal:journey", _("My journey")),
    ("portal:goals", _("My goals")),
    ("portal:decisions", _("My decisions")),
    ("portal:bring", _("What I want to bring")),
    ("portal:observers", _("People who see the change")),
    ("portal:record", _("Notes and corrections")),
    ("portal:access", _("Who sees my record")),
]
