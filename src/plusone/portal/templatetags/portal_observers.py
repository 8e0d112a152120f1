"""``{% observers_access %}``: the client's active observers, each with "Revoke", for the
"who sees my record" page (``portal/_access_observers.html``)."""

from __future__ import annotations

from typing import Any

from django import template

from plusone.observers.queries import observers_of

register = template.Library()


@register.inclusion_tag("portal/_access_observers_list.html", takes_context=True)
def observers_access(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    person = getattr(request, "portal_client", None)
    active = [o for o in observers_of(person) if o.active] if person is not None else []
    return {"observers": active, "csrf_token": context.get("csrf_token")}
