"""The check-in and the portal stay light: under 50 KB gzipped with everything they load
(the page, its stylesheets and scripts), and no script blocks the page from showing.

A client may open these on a slow phone plan; the issue's budget is 50 KB. The pages are
walked from the route registry, so a new portal page is weighed the day it is registered.
"""

from __future__ import annotations

import gzip
import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from access_fixtures import web_as
from plusone.web.routes import Policy, registered_routes

pytestmark = pytest.mark.django_db

BUDGET_BYTES = 50 * 1024
_ASSET = re.compile(r'<(?:link[^>]+href|script[^>]+src)="/static/([^"?#]+)"')
_SCRIPT = re.compile(r"<script\b[^>]*>", re.IGNORECASE)


def _weight(html: str) -> int:
    """Gzipped bytes of the page and of every static file it loads."""
    total = len(gzip.compress(html.encode("utf-8")))
    for asset in sorted(set(_ASSET.findall(html))):
        found = finders.find(asset)
        assert found, f"{asset} is linked but not found"
        with open(str(found), "rb") as handle:
            total += len(gzip.compress(handle.read()))
    return total


def _blocking_scripts(html: str) -> list[str]:
    return [
        tag
        for tag in _SCRIPT.findall(html)
        if "src=" in tag and not re.search(r"\b(defer|async)\b", tag)
    ]


def _pages(personas: Any) -> list[tuple[str, str]]:
    """(name, HTML) of the check-in's first page and every portal page without URL ids."""
    checkin = web_as(personas, "bob_checkin").get(reverse("measures:checkin"), follow=True)
    pages = [("measures:checkin", checkin.content.decode())]
    portal = web_as(personas, "bob_portal")
    for page in registered_routes():
        if page.policy is Policy.PORTAL and "GET" in page.methods and not page.examples:
            answer = portal.get(reverse(page.name))
            assert answer.status_code == 200, page.name
            pages.append((page.name, answer.content.decode()))
    return pages


def test_the_check_in_and_every_portal_page_stay_under_50_kb_and_never_block(
    personas: Any,
) -> None:
    pages = _pages(personas)
    weights = {name: _weight(html) for name, html in pages}
    print(
        "\n" + "\n".join(f"{name}: {size / 1024:.1f} KB gzipped" for name, size in weights.items())
    )
    assert {name: size for name, size in weights.items() if size > BUDGET_BYTES} == {}
    blocking = {name: tags for name, html in pages if (tags := _blocking_scripts(html))}
    assert blocking == {}


def test_the_weighing_counts_what_a_page_loads() -> None:
    """A page that loads htmx weighs more than its own HTML: the walk reads the assets."""
    html = '<script src="/static/vendor/htmx.min.js" defer></script>'
    assert _weight(html) > 10 * 1024
    assert _blocking_scripts('<script src="/static/x.js"></script>') != []
