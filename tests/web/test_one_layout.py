"""One layout for staff pages: every page a persona opens has the same header (the brand,
the role's links, sign out), whichever app it comes from. Only the page for the client's
eyes (review together) replaces the links, with a way back."""

from __future__ import annotations

import re
from typing import Any

import pytest

from access_fixtures import STAFF, example_objects, rendered_pages

pytestmark = pytest.mark.django_db

HEADER = re.compile(r'<header class="site-header">.*?</header>', re.S)
# The client sees this page: the header carries no staff links.
FOR_THE_CLIENT = {"insights:review_together"}


def _header(html: str) -> str:
    found = HEADER.search(html)
    assert found, "no site header"
    header = re.sub(r' aria-current="page"', "", found.group(0))
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", header)


def test_it_shows_each_persona_the_same_header_on_every_staff_page(personas: Any) -> None:
    headers: dict[str, dict[str, set[str]]] = {}
    for persona, route, response in rendered_pages(personas, example_objects(personas)):
        if persona not in STAFF or route.name in FOR_THE_CLIENT or response.status_code != 200:
            continue
        header = _header(response.content.decode())
        headers.setdefault(persona, {}).setdefault(header, set()).add(route.name)
    differing = {who: list(seen.values()) for who, seen in headers.items() if len(seen) > 1}
    assert differing == {}
    assert {"alice", "charlie", "erin", "sam"} <= set(headers)
    assert "Caseload" in next(iter(headers["alice"])) and "Audit log" in next(iter(headers["erin"]))
