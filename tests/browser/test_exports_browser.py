"""The export pages in a real browser: they fit 390, 820 and 1366 px, pass axe, and a
POST downloads the file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse

from personas import login_as, make_personas
from plusone.custodian.models import Disclosure

pytestmark = pytest.mark.browser

# Set to a folder to keep the screenshots (for looking at them); unset, none are written.
SHOTS = os.environ.get("PLUSONE_SHOTS_DIR", "")
WIDTHS = (390, 820, 1366)


def _sign_in(context: Any, base: str, user: Any) -> None:
    from django.test import Client

    web = Client()
    login_as(web, user)
    cookie = web.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])


def _fits(page: Any) -> bool:
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_it_exports_bobs_episode_and_fits_every_width(
    live_server: Any, browser: Any, axe: Any, csp_watch: Any
) -> None:
    p = make_personas()
    pages = {
        "export-episode": (p.alice, reverse("interop:episode", args=[p.bob.episodes.get().pk])),
        "export-home": (p.erin, reverse("interop:home")),
    }
    for name, (user, path) in pages.items():
        context = browser.new_context(accept_downloads=True)
        context.set_default_timeout(10_000)
        _sign_in(context, live_server.url, user)
        page = context.new_page()
        page.on("console", csp_watch)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(live_server.url + path)
            assert _fits(page), f"{name} scrolls sideways at {width} px"
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
        violations = axe(page)
        assert violations == [], f"{name}: {violations}"
        if name == "export-episode":
            page.fill("#id_recipient_name", "Dr Family")
            page.select_option("#id_legal_basis", "referral")
            with page.expect_download() as download:
                page.click("text=Export and record the disclosure")
            assert download.value.suggested_filename.endswith(".fhir.json")
        context.close()
    assert Disclosure.objects.filter(client=p.bob).count() == 1
    assert csp_watch.violations == []
