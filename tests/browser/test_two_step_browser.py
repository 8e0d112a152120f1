"""The two-step sign-in pages, in a browser: the app's layout and words, and no axe
violation (allauth's pages are not registered routes, so the axe crawl does not reach them)."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.mfa.models import Authenticator

from personas import PASSWORD, make_personas, totp_code

pytestmark = pytest.mark.browser


def _password_step(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_it_asks_for_the_code_on_an_app_page_without_axe_violations(
    live_server: Any, page: Any, axe: Any
) -> None:
    p = make_personas()
    _password_step(page, live_server.url, p.alice.email)
    page.get_by_role("heading", name="Two-step sign-in").wait_for()
    assert page.title() == "Two-step sign-in · PlusOne"
    assert axe(page) == []
    page.get_by_label("Code").fill(totp_code(p.alice))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Caseload").wait_for()


def test_it_sets_up_the_app_on_an_app_page_without_axe_violations(
    live_server: Any, page: Any, axe: Any
) -> None:
    p = make_personas()
    Authenticator.objects.filter(user=p.charlie).delete()
    _password_step(page, live_server.url, p.charlie.email)
    page.goto(f"{live_server.url}/accounts/2fa/totp/activate/")
    if "reauthenticate" in page.url:
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button").last.click()
    page.get_by_role("heading", name="Set up two-step sign-in").wait_for()
    assert axe(page) == []
