"""``{% portal_nav %}``: the portal's navigation, with the current page marked."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from plusone.portal.nav import NAV

register = template.Library()


@register.inclusion_tag("portal/_nav.html", takes_context=True)
def portal_nav(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    here = getattr(request, "path", "")
    links = []
    for name, label in NAV:
        url = reverse(name)
        links.append({"url": url, "label": label, "current": url == here})
    return {"links": links}
