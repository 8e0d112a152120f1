"""The link page in a real browser: the copy button copies the link, the QR code shows whole
at 390, 820 and 1366 px, nothing scrolls sideways, and axe finds nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from personas import make_personas, sign_in_browser

pytestmark = pytest.mark.browser


def test_it_copies_the_link_and_shows_its_qr_code(
    live_server: Any, context: Any, page: Any, csp_watch: Any, axe: Any, tmp_path: Any
) -> None:
    p = make_personas()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in_browser(context, live_server.url, p.alice)
    page.goto(live_server.url + reverse("insights:caseload"))
    # The row's actions sit in one menu (issue 12): open it first.
    page.locator("tr[data-client] details.row-menu summary").first.click()
    page.locator(f'form[action="{reverse("measures:issue_link")}"]').first.locator(
        "button[type=submit]"
    ).click()
    page.get_by_role("heading", name="Check-in link for").wait_for()
    link = page.locator("#checkin-link").input_value()
    page.get_by_role("button", name="Copy the link").click()
    page.get_by_role("status").filter(has_text="Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == link
    qr = page.get_by_role("img", name="QR code of the check-in link")
    for width in (390, 820, 1366):
        page.set_viewport_size({"width": width, "height": 900})
        box = qr.bounding_box()
        assert box is not None and box["width"] >= 180 and box["x"] + box["width"] <= width
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        page.screenshot(path=str(tmp_path / f"link-{width}.png"), full_page=True)
    assert axe(page) == []
    assert csp_watch.violations == []
