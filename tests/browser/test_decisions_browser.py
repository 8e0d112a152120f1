"""Decisions and the measurement plan editor in a real browser (Chromium, strict CSP)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from personas import login_as, make_personas

pytestmark = pytest.mark.browser


def _sign_in(context: Any, base: str, user: Any) -> None:
    """Sign a persona in as MFA-verified by cookie (the sign-in pages have their own test)."""
    from django.test import Client

    web = Client()
    login_as(web, user)
    cookie = web.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])


def _tick(page: Any, name: str, value: str) -> None:
    page.locator(f"input[name='{name}'][value='{value}']").check()


def _at_the_threshold(p: Any, episode: Any) -> Any:
    """Bob and Alice agreed the +1 threshold a week ago: the phase table then offers
    Deepening (straight from no phase it would need a written reason)."""
    from plusone.insights import decisions as actions

    week_ago = timezone.localdate() - dt.timedelta(days=7)
    return actions.record_decision(
        user=p.alice,
        episode=episode,
        data=actions.DecisionData(
            kind="phase_change",
            phase="plus_one",
            decided_on=week_ago,
            options_discussed=["go_deeper", "continue"],
            discomfort_acknowledged=False,
            symptom_rise_acknowledged=False,
            discomfort_note="",
            focus="",
            present=["client", "therapist"],
            confirmation="spoken",
            confirmed_on=week_ago,
        ),
        today=timezone.localdate(),
    )


def test_it_records_a_plus_one_decision_with_its_options_through_the_form(
    live_server: Any, context: Any, page: Any, csp_watch: Any, axe: Any
) -> None:
    from plusone.audit.models import AuditEvent
    from plusone.clinical.models import Consent, Decision

    p = make_personas()
    episode = p.bob.episodes.get()
    threshold = _at_the_threshold(p, episode)
    today = timezone.localdate()
    review = today + dt.timedelta(weeks=8)
    _sign_in(context, live_server.url, p.alice)
    page.goto(live_server.url + reverse("insights:decision_new", args=[episode.pk]))
    assert axe(page) == []
    _tick(page, "kind", "phase_change")
    page.get_by_label("The agreed phase (for a phase change)").select_option("deepening")
    page.get_by_label("The proposal this answers").select_option("plus_one")
    page.get_by_label("Decided on").fill(today.isoformat())
    for option in ("go_deeper", "continue", "end_good_enough", "refer"):
        _tick(page, "options_discussed", option)
    page.get_by_label("We talked about the discomfort this work may bring").check()
    page.get_by_label("We talked about a possible rise in symptoms for a while").check()
    page.get_by_label("What was said about discomfort").fill("Old grief may surface for a while")
    page.get_by_label("The focus, in the client's own words").fill(
        "I want to stop shrinking when my father calls"
    )
    page.get_by_label("Review date").fill(review.isoformat())
    _tick(page, "present", "client")
    _tick(page, "present", "therapist")
    _tick(page, "present", "support_person")
    _tick(page, "confirmation", "spoken")
    page.get_by_label("Date the client confirmed (spoken)").fill(today.isoformat())
    page.get_by_label("What the client said (spoken confirmation)").fill("Yes, let's try it")
    page.get_by_role("button", name="Record the decision").click()
    page.get_by_text("Decision recorded.").wait_for()
    assert page.url.endswith(reverse("insights:decisions", args=[episode.pk]))

    d = Decision.objects.exclude(pk=threshold.pk).get(episode=episode)
    assert (d.kind, d.phase, d.proposal_kind) == ("phase_change", "deepening", "plus_one")
    assert d.options_discussed == ["go_deeper", "continue", "end_good_enough", "refer"]
    assert d.discomfort_acknowledged and d.symptom_rise_acknowledged
    assert d.focus == "I want to stop shrinking when my father calls"
    assert d.review_date == review
    assert d.decided_on == today
    assert d.present == ["client", "therapist", "support_person"]
    assert (d.confirmation, d.confirmed_on) == ("spoken", today)
    assert d.recorded_by == p.alice
    event = AuditEvent.objects.get(action="decision.record", target_id=str(d.pk))
    assert event.actor_id == p.alice.pk
    assert event.detail["phase"] == "deepening"
    # The audit detail names the options but holds none of the client's words.
    assert "father" not in str(event.detail)
    consent = Consent.objects.exclude(decision=threshold).get(kind=Consent.Kind.TREATMENT_PLAN)
    assert consent.decision == d
    assert csp_watch.violations == []


def test_it_shows_each_missing_acknowledgement_of_a_plus_one_decision(
    live_server: Any, context: Any, page: Any, csp_watch: Any
) -> None:
    from plusone.clinical.models import Decision

    p = make_personas()
    episode = p.bob.episodes.get()
    _sign_in(context, live_server.url, p.alice)
    page.goto(live_server.url + reverse("insights:decision_new", args=[episode.pk]))
    page.get_by_label("The agreed phase (for a phase change)").select_option("deepening")
    _tick(page, "options_discussed", "go_deeper")
    _tick(page, "present", "client")
    page.get_by_role("button", name="Record the decision").click()
    page.get_by_text("Write the focus in the client's own words.").wait_for()
    assert page.get_by_text("Going deeper needs this acknowledgement.").count() == 2
    assert not Decision.objects.filter(episode=episode).exists()
    assert csp_watch.violations == []


def test_it_refuses_an_over_budget_plan_and_shows_the_minutes(
    live_server: Any, context: Any, page: Any, csp_watch: Any, axe: Any
) -> None:
    from plusone.audit.models import AuditEvent
    from plusone.clinical.models import MeasurementPlan

    p = make_personas()
    episode = p.bob.episodes.get()
    before = MeasurementPlan.objects.get(episode=episode).schedule
    _sign_in(context, live_server.url, p.alice)
    page.goto(live_server.url + reverse("measures:plan_editor", args=[episode.pk]))
    # Only the routine slot counts: clear every per-session slot so the sum is known.
    boxes = page.locator(
        "form input[type='checkbox']:not([name='intake']):not([name='review'])"
        ":not([name='risk_item_only'])"
    )
    for i in range(boxes.count()):
        boxes.nth(i).uncheck()
    # PHQ-9 10 items, GAD-7 8, SWLS 5, WHO-5 5, goals 3: 31 items at 6 s = 186 s.
    for key in ("phq9", "gad7", "swls", "who5", "personal_goals"):
        _tick(page, "routine", key)
    page.get_by_role("button", name="Save the plan").click()
    page.get_by_text("This plan cannot be saved").wait_for()
    panel = page.locator("section[aria-labelledby='burden-heading']").inner_text()
    assert "about 186 s, over the 180 s budget" in panel
    assert "Routine check-in (longest): about 186 s (3.1 min)" in panel
    assert MeasurementPlan.objects.get(episode=episode).schedule == before
    assert not AuditEvent.objects.filter(action="plan.update").exists()

    # Taking WHO-5 out brings it within budget, and the minutes follow.
    _tick(page, "routine", "phq9")
    page.locator("input[name='routine'][value='who5']").uncheck()
    page.get_by_role("button", name="Check").click()
    page.get_by_text("about 156 s (2.6 min)").wait_for()
    assert page.get_by_text("This plan cannot be saved").count() == 0
    assert axe(page) == []
    assert csp_watch.violations == []
