"""A web client signed into the client portal, the way ``plusone.portal.session.begin``
signs a client in (the sign-in pages themselves are tested through the pages)."""

from __future__ import annotations

import time
from typing import Any

from django.test import Client as WebClient

from plusone.portal import session as portal_session
from plusone.web import language


def portal_web(person: Any, web: WebClient | None = None) -> WebClient:
    """``web`` (or a new web client) holding a portal session for ``person``."""
    web = web or WebClient()
    stored = web.session
    now = time.time()
    stored[portal_session.CLIENT_KEY] = str(person.pk)
    stored[portal_session.SIGNED_IN_KEY] = now
    stored[portal_session.SEEN_KEY] = now
    stored[language.SESSION_KEY] = person.language
    stored.save()
    return web
