"""A hypothesis state machine over a check-in with a risk item: next, back, skip,
closing the page (and opening the link again), an answer saved as it is tapped and the
page closed, an expired link, a revoked link and edits of the answer, in any order.
Whatever the path, once the server has stored a positive risk answer, the sitting's one
flag is open with the highest grade given.

Runs on SQLite in the fast tier and on PostgreSQL in the full tier (.ci/run).
"""

from __future__ import annotations

import datetime as dt

from checkin_helpers import (
    agree_on_the_page,
    answer_today,
    answers_for,
    form_data,
    issue,
    phq9_with_item9,
)
from django.db import transaction
from django.test import Client as WebClient
from django.test import TestCase
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from personas import make_personas
from plusone.clinical.models import EpisodeSummary, Flag
from plusone.core.instruments import load_instrument
from plusone.tokens import service as tokens

ITEM9 = next(r for r in load_instrument("phq9").risk_items if r.item_id == "phq9_9")


class RiskSitting(RuleBasedStateMachine):
    """One client's sitting, driven through the pages as a phone would drive it."""

    personas = None

    def __init__(self) -> None:
        super().__init__()
        # Each run rolls back to here, so runs never see each other's rows.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        p = type(self).personas
        self.bob = p.bob
        # A first check-in sent, so this sitting asks GAD-7 after PHQ-9 (alternate sessions).
        _, first = issue(p.alice, p.bob)
        answer_today(first)
        self.path, self.token = issue(p.alice, p.bob)
        self.web = WebClient()
        self.web.get(self.path)
        agree_on_the_page(self.web)
        self.given = 0
        self.ended = False

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _current(self):
        page = self.web.get("/checkin/")
        return page if page.status_code == 200 and "group" in (page.context or {}) else None

    def _post(self, item9: int, action: str) -> None:
        page = self._current()
        if page is None:
            return
        key = page.context["group"].key
        last = page.context["position"] == page.context["total"]
        if action == "next" and last:
            action = "submit"
        answers = phq9_with_item9(item9) if key == "phq9" else answers_for(self.token, key)
        response = self.web.post("/checkin/", form_data(key, answers, action))
        if response.status_code == 302 and key == "phq9":
            # The server took the answer (Next, Back and the final send all store it).
            self.given = max(self.given, ITEM9.grade(item9))
        if action == "submit":
            self.ended = True

    @rule(item9=st.integers(0, 3))
    def next(self, item9: int) -> None:
        self._post(item9, "next")

    @rule(item9=st.integers(0, 3))
    def back(self, item9: int) -> None:
        self._post(item9, "back")

    @rule(item9=st.integers(0, 3))
    def answer_saved_then_page_closed(self, item9: int) -> None:
        # The tap's own save (htmx, on change), then the page closes before any Next.
        saved = self.web.post(
            "/checkin/answer/", {"group": "phq9", "phq9__phq9_9": str(item9)}, HTTP_HX_REQUEST="1"
        )
        if saved.status_code == 200:
            self.given = max(self.given, ITEM9.grade(item9))
        self.close_the_page_and_open_the_link_again()

    @rule()
    def skip_today(self) -> None:
        if self.web.post("/checkin/skip/").status_code == 302:
            self.ended = True

    @rule()
    def close_the_page_and_open_the_link_again(self) -> None:
        self.web = WebClient()
        self.web.get(self.path)

    @rule()
    def link_expires(self) -> None:
        now = timezone.now()
        type(self.token).objects.filter(pk=self.token.pk).update(
            created_at=now - dt.timedelta(days=8), expires_at=now - dt.timedelta(seconds=1)
        )

    @rule()
    def therapist_revokes_the_link(self) -> None:
        self.token.refresh_from_db()
        if self.token.revoked_at is None and self.token.used_at is None:
            tokens.revoke(self.token)

    @invariant()
    def a_risk_answer_given_has_its_open_flag(self) -> None:
        flags = list(Flag.objects.filter(client=self.bob))
        if self.given == 0:
            assert flags == [], "no risk answer was given, yet a flag opened"
            return
        assert len(flags) == 1, f"one flag per sitting, found {len(flags)}"
        flag = flags[0]
        assert flag.status == Flag.Status.OPEN
        assert flag.grade == self.given, (flag.grade, self.given)
        assert EpisodeSummary.objects.get(episode__client=self.bob).open_flag_count == 1


class RiskNeverLostStateMachineTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def test_it_ends_every_path_with_a_positive_risk_answer_with_an_open_flag(self) -> None:
        RiskSitting.personas = self.p
        run_state_machine_as_test(
            RiskSitting,
            settings=settings(
                max_examples=40,
                stateful_step_count=10,
                deadline=None,
                derandomize=True,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
