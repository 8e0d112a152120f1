"""Playwright on Debian's Chromium: one browser per test session, a context per test.

The browser is never downloaded. With ``CI=true`` a missing Chromium fails the
run instead of skipping it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# refuses to run under a loop unless told. Set here only, never globally.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DEFAULT_TIMEOUT_MS = 10_000
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_SOURCE = Path(__file__).parent / "vendor" / "axe.min.js"


def _missing_browser(reason: str) -> None:
    # DESIGN.md: under CI a missing browser is a failure, never a skip.
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole test session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - depends on the machine
        _missing_browser("playwright is not installed")
    if not CHROMIUM.exists():
        _missing_browser(f"{CHROMIUM} not found; run scripts/bootstrap-system")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


class CspWatch:
    """Collects console messages that report a blocked resource (CSP and the like)."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def __call__(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            self.violations.append(text)


def _new_context(browser: Any, **options: Any) -> Any:
    context = browser.new_context(**options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
    return context


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh, isolated browser context (cookies, storage) for one test."""
    ctx = _new_context(browser)
    yield ctx
    ctx.close()


@pytest.fixture
def csp_watch() -> CspWatch:
    return CspWatch()


@pytest.fixture
def page(context: Any, csp_watch: CspWatch) -> Any:
    """A desktop page; console messages about blocked resources are collected."""
    pg = context.new_page()
    pg.on("console", csp_watch)
    return pg


@pytest.fixture
def phone_page(browser: Any, csp_watch: CspWatch) -> Iterator[Any]:
    """A page in its own context with a phone viewport (390 x 844, touch)."""
    ctx = _new_context(browser, viewport=PHONE, has_touch=True, is_mobile=True)
    pg = ctx.new_page()
    pg.on("console", csp_watch)
    yield pg
    ctx.close()


@pytest.fixture
def tablet_page(browser: Any, csp_watch: CspWatch) -> Iterator[Any]:
    """A page in its own context with a tablet viewport, for kiosk mode."""
    ctx = _new_context(browser, viewport=TABLET, has_touch=True)
    pg = ctx.new_page()
    pg.on("console", csp_watch)
    yield pg
    ctx.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.0/2.1 A and AA tags) on the page and return its violations.

    The script is evaluated through the DevTools protocol, so the page's strict
    CSP stays in force for everything else.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async (tags) => {
            const r = await window.axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
            }));
        }""",
        AXE_TAGS,
    )
    return list(result)


def describe_violations(url: str, violations: list[dict[str, Any]]) -> str:
    """One line per violation, for an assertion message."""
    return "\n".join(
        f"{url}: {v['id']} ({v['impact']}): {v['help']} at {v['nodes']}" for v in violations
    )


@pytest.fixture
def axe() -> Any:
    """``axe(page) -> list of violations``, for the page currently loaded."""
    return axe_violations
