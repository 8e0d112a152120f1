"""Ids from URLs and forms: anything that is not a UUID is "not there"."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404


def uuid_or_404(value: Any) -> uuid.UUID:
    """A URL or form id as a UUID; anything else is "not there" (404), like a foreign id."""
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None
