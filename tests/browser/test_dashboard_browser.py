"""The caseload dashboard and the journey in a real browser (Chromium, strict CSP)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from journey_fixtures import give_history
from personas import TODAY, intake_data, login_as, make_personas
from plusone.clinical import actions

pytestmark = pytest.mark.browser


def _sign_in(context: Any, base: str, user: Any) -> None:
    """Sign a persona in as MFA-verified by cookie (the sign-in pages have their own test)."""
    from django.test import Client

    web = Client()
    login_as(web, user)
    cookie = web.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])


def _client_in_tier(p: Any, name: str, *, flag: bool = False, **summary: Any) -> None:
    data = intake_data(
        given_name=name, family_name="Tester", prior_therapy=True, s2_intention="to feel steadier"
    )
    row = actions.intake_client(therapist=p.alice, practice=p.riverside, data=data, today=TODAY)
    episode = row.episodes.get()
    with transaction.atomic():
        if flag:
            actions.open_flag(
                episode=episode,
                grade=2,
                source_kind="administration",
                source_id=uuid.uuid4(),
                actor=None,
            )
        actions.update_summary(episode, **summary)


def test_it_orders_the_dashboards_tiers_by_attention(
    live_server: Any, context: Any, page: Any, csp_watch: Any, axe: Any
) -> None:
    p = make_personas()
    # Created in reverse order of attention, so the page must reorder them.
    _client_in_tier(p, "Petra", proposal_kind="plus_one")
    _client_in_tier(p, "Walt", alerts=["not_progressing"])
    _client_in_tier(p, "Ruth", alerts=["possible_rupture"])
    _client_in_tier(p, "Rita", flag=True, alerts=["deterioration"])
    _sign_in(context, live_server.url, p.alice)
    page.goto(live_server.url + reverse("insights:caseload"))
    sections = page.locator("tbody[data-tier]")
    slugs = sections.evaluate_all("els => els.map(e => e.dataset.tier)")
    assert slugs == ["risk", "rupture", "alert", "proposal", "rest"]
    names = page.locator("tr[data-client]").evaluate_all("els => els.map(e => e.dataset.client)")
    assert names == [
        "Rita Tester",
        "Ruth Tester",
        "Walt Tester",
        "Petra Tester",
        "Bob Brown",
        "Dave Davis",
    ]
    assert page.locator("#tier-risk").is_visible()
    violations = axe(page)
    assert violations == [], violations
    assert csp_watch.violations == []


def test_it_searches_the_caseload_without_putting_the_name_in_the_url(
    live_server: Any, context: Any, page: Any, csp_watch: Any
) -> None:
    p = make_personas()
    _sign_in(context, live_server.url, p.alice)
    page.goto(live_server.url + reverse("insights:caseload"))
    page.fill("#caseload-q", "dave")
    page.get_by_role("button", name="Search").click()
    page.get_by_text("1 client matching").wait_for()
    names = page.locator("tr[data-client]").evaluate_all("els => els.map(e => e.dataset.client)")
    assert names == ["Dave Davis"]
    assert "dave" not in page.url.lower()
    assert csp_watch.violations == []


def test_it_renders_all_lanes_of_the_journey_for_a_40_session_client(
    live_server: Any, context: Any, page: Any, csp_watch: Any, axe: Any
) -> None:
    p = make_personas()
    episode = p.bob.episodes.get()
    give_history(episode, n=40)
    _sign_in(context, live_server.url, p.alice)
    page.goto(live_server.url + reverse("insights:journey", args=[episode.pk]))
    chart = page.locator(".journey-wide svg.chart-journey")
    assert chart.is_visible()
    lanes = chart.locator("text.lane-title").evaluate_all("els => els.map(e => e.textContent)")
    assert [lane.split(".")[0] for lane in lanes] == ["1", "2", "3", "4"]
    box = chart.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 300
    assert not page.locator(".journey-narrow svg").is_visible()
    # The chart's own table (the relationship lane's table below it shares its style).
    rows = page.locator("table.chart-table:not(.relationship-table) tbody tr")
    assert rows.count() == 40
    page.get_by_text("Why the system asks this (rule trace)").click()
    assert page.locator("ol.trace li").first.is_visible()
    violations = axe(page)
    assert violations == [], violations
    page.goto(live_server.url + reverse("insights:review_together", args=[episode.pk]))
    assert page.locator("svg.chart-journey text.lane-title").count() >= 3
    assert "Deterioration" not in page.locator("main").inner_text()
    assert csp_watch.violations == []


def test_it_orders_the_demo_caseload_by_attention(
    live_server: Any, context: Any, page: Any, csp_watch: Any, tmp_path: Any, settings: Any
) -> None:
    from plusone.accounts.models import User
    from plusone.clinical.models import EpisodeSummary, Flag
    from plusone.demo.load import load_demo

    settings.DATA_DIR = tmp_path
    load_demo(data_dir=tmp_path)
    alice = User.objects.get(email="alice@riverside.example")
    _sign_in(context, live_server.url, alice)
    page.goto(live_server.url + reverse("insights:caseload"))
    slugs = page.locator("tbody[data-tier]").evaluate_all("els => els.map(e => e.dataset.tier)")
    assert slugs == ["risk", "rupture", "alert", "proposal", "rest"]
    shown = page.locator("tbody[data-tier] tr[data-client]").evaluate_all(
        "els => els.map(e => [e.closest('tbody').dataset.tier, e.dataset.client])"
    )
    summaries = {
        s.client.display_name: s
        for s in EpisodeSummary.objects.filter(
            therapist=alice, episode__status="open"
        ).select_related("client")
    }
    assert sorted(name for _, name in shown) == sorted(summaries)
    flagged = set(
        Flag.objects.filter(client__therapist=alice, status=Flag.Status.OPEN).values_list(
            "client__given_name", flat=True
        )
    )
    # Checked against the rows themselves, tier by tier, in the order the page shows them.
    for tier, name in shown:
        s = summaries[name]
        has_flag = s.client.given_name in flagged
        assert (tier == "risk") == has_flag, name
        if tier == "rupture":
            assert "possible_rupture" in s.alerts, name
        if tier == "alert":
            assert {"deterioration", "not_progressing"} & set(s.alerts), name
            assert "possible_rupture" not in s.alerts, name
        if tier == "proposal":
            assert s.proposal_kind not in ("", "stabilizing") and not s.alerts, name
        if tier == "rest":
            assert not s.alerts and s.proposal_kind in ("", "stabilizing"), name
    assert len({tier for tier, _ in shown}) >= 2
    assert csp_watch.violations == []


def _demo_caseload(live_server: Any, context: Any, tmp_path: Any, settings: Any) -> None:
    from plusone.accounts.models import User
    from plusone.demo.load import load_demo

    settings.DATA_DIR = tmp_path
    load_demo(data_dir=tmp_path)
    _sign_in(context, live_server.url, User.objects.get(email="alice@riverside.example"))


def _fully_visible(page: Any, selector: str) -> int:
    """How many of ``selector`` lie wholly inside the viewport without scrolling."""
    return int(
        page.locator(selector).evaluate_all(
            "els => els.filter(e => { const r = e.getBoundingClientRect();"
            " return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight; }).length"
        )
    )


def _no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("() => document.scrollingElement.scrollWidth <= innerWidth"))


def test_it_shows_the_risk_tier_and_eleven_clients_at_1366_by_900(
    live_server: Any,
    context: Any,
    page: Any,
    csp_watch: Any,
    axe: Any,
    tmp_path: Any,
    settings: Any,
) -> None:
    _demo_caseload(live_server, context, tmp_path, settings)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + reverse("insights:caseload"))
    assert _fully_visible(page, "tbody[data-tier='risk'] .tier-heading") == 1
    assert _fully_visible(page, "tr[data-client]") >= 11
    assert _no_sideways_scroll(page)
    # The row's one menu opens with its three actions and nothing else moves.
    row = page.locator("tr[data-client]").first
    row.locator("summary", has_text="Actions").click()
    for name in ("Check-in link", "Session Reflection on this device", "Session Reflection link"):
        assert row.get_by_role("button", name=name).is_visible()
    violations = axe(page)
    assert violations == [], violations
    assert csp_watch.violations == []


@pytest.mark.parametrize("width", [820, 390])
def test_it_fits_a_tablet_and_a_phone_without_sideways_scrolling(
    live_server: Any,
    browser: Any,
    csp_watch: Any,
    axe: Any,
    tmp_path: Any,
    settings: Any,
    width: int,
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 1180 if width > 400 else 844})
    try:
        _demo_caseload(live_server, context, tmp_path, settings)
        page = context.new_page()
        page.on("console", csp_watch)
        page.goto(live_server.url + reverse("insights:caseload"))
        assert _no_sideways_scroll(page)
        rows = page.locator("tr[data-client]")
        assert rows.count() == 21
        for i in range(rows.count()):
            row = rows.nth(i)
            name = row.locator("th.who a")
            attention = row.locator("td.attention")
            for part in (name, attention):
                box = part.bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        risky = page.locator("tbody[data-tier='risk'] tr[data-client]").first
        assert risky.get_by_text("Acknowledge", exact=False).first.is_visible()
        assert risky.locator("td.attention").is_visible()
        risky.locator("summary", has_text="Actions").click()
        assert _no_sideways_scroll(page)
        assert risky.get_by_role("button", name="Check-in link").is_visible()
        violations = axe(page)
        assert violations == [], violations
        assert csp_watch.violations == []
    finally:
        context.close()


def test_it_shows_twelve_clients_at_1366_by_900(
    live_server: Any, context: Any, page: Any, tmp_path: Any, settings: Any
) -> None:
    _demo_caseload(live_server, context, tmp_path, settings)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(live_server.url + reverse("insights:caseload"))
    assert _fully_visible(page, "tr[data-client]") >= 12
