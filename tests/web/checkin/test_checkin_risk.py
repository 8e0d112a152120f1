"""The risk path: a positive risk item opens a flag with the answers, and the client
sees the graded response (safety plan and resources, or the crisis text)."""

from __future__ import annotations

import uuid
from unittest import mock

from checkin_helpers import PHQ9_MODERATE, complete, issue, phq9_with_item9
from django.db import IntegrityError
from django.test import TestCase
from django_tasks_db.models import DBTaskResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from personas import make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import EpisodeSummary, Flag
from plusone.clinical.risk import format_read_by
from plusone.clinical.safety import RESOURCES, default_crisis_text, response_kind
from plusone.measures import actions
from plusone.measures.models import Administration, Sitting

GOALS = {"goal_1": 4, "goal_2": 6}
GAD7 = {f"gad7_{i}": 1 for i in range(1, 8)}


class RiskPathTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _complete(self, item9: int) -> None:
        path, _ = issue(self.p.alice, self.p.bob)
        answers = {"phq9": phq9_with_item9(item9), "personal_goals": GOALS, "gad7": GAD7}
        complete(self.client, path, answers)

    def test_it_opens_no_flag_when_item_9_is_zero(self) -> None:
        self._complete(0)
        self.assertEqual(Flag.objects.count(), 0)
        self.assertEqual(Sitting.objects.get().risk_grade, 0)

    def test_it_opens_a_grade_1_flag_and_shows_the_clients_own_safety_plan(self) -> None:
        self._complete(1)
        flag = Flag.objects.get(client=self.p.bob)
        phq9 = Administration.objects.get(instrument_key="phq9")
        self.assertEqual(flag.grade, 1)
        self.assertEqual(flag.status, Flag.Status.OPEN)
        # One flag per sitting: it names the sitting's link, and holds the answer itself.
        self.assertEqual(
            (flag.source_kind, flag.source_id), ("checkin", uuid.UUID(phq9.sitting.idempotency_key))
        )
        self.assertEqual((flag.instrument_key, flag.item_id, flag.answer), ("phq9", "phq9_9", 1))
        page = self.client.get("/checkin/done/")
        self.assertContains(page, "Your safety plan")
        self.assertContains(page, "Bob&#x27;s safety plan: call my sister")
        for resource in RESOURCES:
            self.assertContains(page, resource.href)
        self.assertContains(page, "1-855-242-3310")
        self.assertNotContains(page, "If you&#x27;re thinking about hurting yourself")
        self.assertTrue(AuditEvent.objects.filter(action="view.safety_plan").exists())

    def test_it_shows_the_default_crisis_text_at_grades_2_and_3(self) -> None:
        for answer in (2, 3):
            with self.subTest(answer=answer):
                self._complete(answer)
                flag = Flag.objects.filter(client=self.p.bob).latest("opened_at")
                self.assertEqual(flag.grade, 2)
                page = self.client.get("/checkin/done/")
                self.assertContains(page, "This form is not watched in real time.")
                flag.refresh_from_db()
                self.assertContains(
                    page,
                    "Your therapist reads it by "
                    + format_read_by(self.p.riverside, flag.promised_read_by),
                )
                self.assertContains(page, 'href="tel:988"')
                self.assertNotContains(page, "call my sister")

    def test_it_shows_the_practices_own_crisis_text_once_set(self) -> None:
        own = (
            "This form is not watched live. Your therapist reads it by {read_by}, "
            "our promise. If you might act on these thoughts now, call or text 9-8-8, call 911, "
            "or go to the nearest emergency department."
        )
        self.p.riverside.crisis_text = own
        self.p.riverside.save()
        self._complete(3)
        flag = Flag.objects.get(client=self.p.bob)
        when = format_read_by(self.p.riverside, flag.promised_read_by)
        self.assertContains(
            self.client.get("/checkin/done/"), f"Your therapist reads it by {when}, our promise."
        )

    def test_it_enqueues_the_notification_and_audits_the_flag_in_the_same_transaction(self) -> None:
        self._complete(2)
        flag = Flag.objects.get()
        self.assertTrue(
            AuditEvent.objects.filter(action="flag.open", target_id=str(flag.pk)).exists()
        )
        task = DBTaskResult.objects.get(task_path__endswith="notify_new_flag")
        self.assertEqual(task.args_kwargs["args"], [str(flag.pk)])
        self.assertEqual(EpisodeSummary.objects.get(episode__client=self.p.bob).open_flag_count, 1)

    def test_it_rolls_back_answers_and_flag_together_when_a_write_fails(self) -> None:
        _, token = issue(self.p.alice, self.p.bob)
        with (
            mock.patch("plusone.audit.record", side_effect=IntegrityError("disk full")),
            self.assertRaises(IntegrityError),
        ):
            actions.submit_checkin(link=token, answers={"phq9": phq9_with_item9(3)})
        self.assertEqual(Flag.objects.count(), 0)
        self.assertEqual(Administration.objects.count(), 0)
        token.refresh_from_db()
        self.assertIsNone(token.used_at)

    def test_it_grades_the_response_as_design_says(self) -> None:
        self.assertEqual(
            [response_kind(g) for g in (0, 1, 2, 3)], ["none", "safety_plan", "crisis", "crisis"]
        )
        self.assertIn("reads it by {read_by}", default_crisis_text("en"))
        self.assertIn("d'ici {read_by}", default_crisis_text("fr"))

    def test_it_flags_a_risk_answer_even_when_the_rest_is_blank(self) -> None:
        _, token = issue(self.p.alice, self.p.bob)
        answers = {f"phq9_{i}": None for i in range(1, 9)} | {"phq9_9": 1}
        result = actions.submit_checkin(link=token, answers={"phq9": answers})
        self.assertEqual(result.risk_grade, 1)
        self.assertEqual(Flag.objects.get().grade, 1)
        self.assertFalse(Administration.objects.get().valid)


class EveryRiskAnswerOpensAFlag(HypothesisTestCase):
    """Property: any PHQ-9 answer set with item 9 > 0 opens exactly one flag, graded as
    DESIGN.md says."""

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        rest=st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=8, max_size=8),
        item9=st.integers(0, 3),
    )
    def test_it_opens_a_flag_for_every_risk_positive_answer_set(
        self, rest: list[int | None], item9: int
    ) -> None:
        p = make_personas()
        _, token = issue(p.alice, p.bob)
        answers = {f"phq9_{i}": v for i, v in enumerate(rest, start=1)} | {"phq9_9": item9}
        result = actions.submit_checkin(link=token, answers={"phq9": answers})
        flags = Flag.objects.filter(client=p.bob)
        if item9 == 0:
            self.assertEqual(flags.count(), 0)
        else:
            self.assertEqual(flags.count(), 1)
            self.assertEqual(flags.get().grade, 1 if item9 == 1 else 2)
            self.assertEqual(result.flag, flags.get())


def test_it_keeps_the_worked_example_total(db: object) -> None:
    """STYLE.md's PHQ-9 worked example, stored through the check-in: 11, moderate."""
    p = make_personas()
    _, token = issue(p.alice, p.bob)
    actions.submit_checkin(link=token, answers={"phq9": dict(PHQ9_MODERATE)})
    stored = Administration.objects.get()
    assert (stored.total, stored.band) == (11, "moderate")
