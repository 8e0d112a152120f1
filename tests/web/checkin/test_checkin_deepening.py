"""Stems from the definitions, and the Deepening plan: the primary every 2nd session and
PHQ-9 item 9 every session, asked on its own when PHQ-9 is not due."""

from __future__ import annotations

from pathlib import Path

from checkin_helpers import answer_today, answers_for, complete, decide, form_data, issue
from django.test import TestCase

from personas import make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import EpisodeSummary, Flag
from plusone.core.instruments import load_instrument
from plusone.measures import actions, checkin
from plusone.measures.models import Administration, SittingKind

SRC = Path(__file__).resolve().parents[3] / "src" / "plusone" / "measures"


class StemTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def test_it_shows_each_instruments_stem_from_its_definition(self) -> None:
        path, _ = issue(self.p.alice, self.p.bob)
        self.client.get(path)
        page = self.client.get("/checkin/")
        self.assertContains(page, load_instrument("personal_goals").stem)
        goals = answers_for(_token(self.p.bob), "personal_goals")
        self.client.post("/checkin/", form_data("personal_goals", goals))
        page = self.client.get("/checkin/")
        self.assertContains(page, "Over the last 2 weeks, how often have you been bothered by any")

    def test_it_keeps_no_stem_text_in_the_checkin_code(self) -> None:
        source = (SRC / "checkin.py").read_text(encoding="utf-8")
        self.assertNotIn("Over the last 2 weeks", source)
        self.assertNotIn("STEMS", source)


def _token(person):
    from plusone.tokens.models import AccessToken

    return AccessToken.objects.filter(client=person).latest("created_at")


class DeepeningPlanTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()

    def _deepen_and_review(self) -> None:
        decide(self.p, self.episode, "deepening")
        # The decision makes the next sitting a review; it asks the whole PHQ-9.
        _, token = issue(self.p.alice, self.p.bob)
        result = answer_today(token)
        self.assertEqual(result.sitting.kind, SittingKind.REVIEW)

    def test_it_asks_the_primary_every_2nd_session_and_item_9_alone_between(self) -> None:
        self._deepen_and_review()
        _, second = issue(self.p.alice, self.p.bob)
        self.assertEqual(checkin.plan_for(second).asked, ["personal_goals", "phq9", "gad7"])
        answer_today(second)
        _, third = issue(self.p.alice, self.p.bob)
        self.assertEqual(checkin.plan_for(third).asked, ["personal_goals", "phq9-risk"])

    def test_it_stores_item_9_alone_as_its_own_administration_never_scored(self) -> None:
        self._deepen_and_review()
        _, second = issue(self.p.alice, self.p.bob)
        answer_today(second)
        before = EpisodeSummary.objects.get(episode=self.episode).latest_total
        path, third = issue(self.p.alice, self.p.bob)
        complete(
            self.client,
            path,
            {"personal_goals": {"goal_1": 5, "goal_2": 5}, "phq9-risk": {"phq9_9": 0}},
        )
        lone = Administration.objects.get(
            sitting__idempotency_key=str(third.pk), risk_item_only=True
        )
        self.assertEqual(lone.instrument_key, "phq9")
        self.assertEqual(lone.answers, {"phq9_9": 0})
        self.assertIsNone(lone.total)
        self.assertFalse(lone.valid)
        self.assertEqual(lone.band, "")
        # The summary's PHQ-9 total is still the last full PHQ-9.
        self.assertEqual(EpisodeSummary.objects.get(episode=self.episode).latest_total, before)
        event = AuditEvent.objects.get(action="administration.create", target_id=str(lone.pk))
        self.assertIs(event.detail["risk_item_only"], True)
        self.assertEqual(Flag.objects.count(), 0)

    def test_it_shows_only_item_9_with_the_phq9_stem_on_its_own_page(self) -> None:
        self._deepen_and_review()
        _, second = issue(self.p.alice, self.p.bob)
        answer_today(second)
        path, _ = issue(self.p.alice, self.p.bob)
        self.client.get(path)
        self.client.post("/checkin/", form_data("personal_goals", {"goal_1": 5, "goal_2": 5}))
        page = self.client.get("/checkin/")
        self.assertEqual(page.context["group"].key, "phq9-risk")
        self.assertEqual(
            [q["name"] for q in page.context["group"].questions], ["phq9-risk__phq9_9"]
        )
        self.assertContains(page, load_instrument("phq9").stem)
        self.assertContains(page, "Thoughts that you would be better off dead")
        self.assertNotContains(page, "Little interest or pleasure")

    def test_it_opens_a_flag_from_item_9_alone_exactly_as_the_full_phq9_would(self) -> None:
        self._deepen_and_review()
        _, second = issue(self.p.alice, self.p.bob)
        answer_today(second)
        for answer, grade in ((1, 1), (2, 2), (3, 2)):
            with self.subTest(answer=answer):
                _, token = issue(self.p.alice, self.p.bob)
                draft = actions.open_draft(token)
                self.assertIn("phq9-risk", draft.instruments)
                result = actions.submit_checkin(
                    link=token,
                    answers={"phq9-risk": {"phq9_9": answer}, "personal_goals": {"goal_1": 5}},
                )
                self.assertEqual(result.risk_grade, grade)
                self.assertEqual(result.flag.grade, grade)
                # The flag names its sitting, and holds the lone item's answer.
                self.assertEqual(str(result.flag.source_id), result.sitting.idempotency_key)
                self.assertEqual((result.flag.item_id, result.flag.answer), ("phq9_9", answer))
                lone = Administration.objects.get(sitting=result.sitting, risk_item_only=True)
                self.assertTrue(lone.risk_item_only)
                self.assertEqual(lone.risk_grade, grade)
                self.assertTrue(
                    AuditEvent.objects.filter(
                        action="flag.open", target_id=str(result.flag.pk)
                    ).exists()
                )
                # Sessions alternate: the next one asks the whole PHQ-9; answer it to move on.
                _, between = issue(self.p.alice, self.p.bob)
                answer_today(between)

    def test_it_never_rolls_a_lone_risk_item_on_from_a_skipped_checkin(self) -> None:
        self._deepen_and_review()
        _, second = issue(self.p.alice, self.p.bob)
        answer_today(second)
        _, third = issue(self.p.alice, self.p.bob)
        skipped = actions.skip_checkin(link=third)
        self.assertIn("phq9-risk", skipped.sitting.carried_over)
        _, fourth = issue(self.p.alice, self.p.bob)
        asked = checkin.plan_for(fourth).asked
        # Session 4: the whole PHQ-9 is due, so item 9 is not asked twice.
        self.assertIn("phq9", asked)
        self.assertNotIn("phq9-risk", asked)

    def test_it_follows_a_plan_the_therapist_edited_as_saved(self) -> None:
        from plusone.clinical.actions import update_plan

        decide(self.p, self.episode, "deepening")
        update_plan(
            user=self.p.alice,
            episode=self.episode,
            schedule={"routine": ["phq9", "personal_goals"], "review": ["phq9"]},
            min_interval_days={},
        )
        _, token = issue(self.p.alice, self.p.bob)
        answer_today(token)
        _, token = issue(self.p.alice, self.p.bob)
        self.assertEqual(checkin.plan_for(token).asked, ["personal_goals", "phq9"])
