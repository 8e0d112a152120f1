"""PCL-5 and AUDIT-C at intake, and at reviews only when positive at intake or asked for.

The review check-in once asked 48 questions on a phone (PCL-5 alone is a 9,500 px
page). DESIGN.md, Burden: K10, PCL-5 and AUDIT-C at intake, and at reviews only when
they were at or above their cutoff at intake (or the therapist asks). AUDIT-C's cutoff
is 4 or more for men and 3 or more for women (Bradley et al. 2007); with the client's
sex not recorded, 3, so a woman who scored 3 is asked again.
"""

from __future__ import annotations

import datetime as dt

from checkin_helpers import answer_today, issue
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Episode, Session
from plusone.core.due import REVIEW_BUDGET_SECONDS
from plusone.measures import checkin
from plusone.measures.choice_actions import request_review_screens, set_checkin_choices

PCL5_POSITIVE = {f"pcl5_{i}": 2 for i in range(1, 21)}  # 40, at or above 33
PCL5_NEGATIVE = {f"pcl5_{i}": 1 for i in range(1, 21)}  # 20
AUDITC_3 = {"auditc_1": 1, "auditc_2": 1, "auditc_3": 1}
AUDITC_4 = {"auditc_1": 2, "auditc_2": 1, "auditc_3": 1}


class ScreensAtReviewTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()

    def _session(self, kind: str, days: int) -> Session:
        return Session.objects.create(
            practice=self.p.riverside,
            episode=self.episode,
            starts_at=timezone.now() + dt.timedelta(days=days),
            kind=kind,
        )

    def _intake(self, **answers: int) -> None:
        _, token = issue(self.p.alice, self.p.bob, session=self._session("intake", -7))
        today = checkin.plan_for(token)
        self.assertEqual(today.kind, "intake")
        self.assertLessEqual({"pcl5", "auditc"}, set(today.asked))
        answer_today(token, **answers)

    def _review(self, days: int = 1) -> checkin.Today:
        _, token = issue(self.p.alice, self.p.bob, session=self._session("review", days))
        today = checkin.plan_for(token)
        self.assertEqual(today.kind, "review")
        return today

    def _sex(self, value: str) -> None:
        set_checkin_choices(
            user=self.p.alice, client=self.p.bob, goal_words_on_links=False, auditc_sex=value
        )

    def test_it_leaves_out_screens_that_were_below_the_cutoff_at_intake(self) -> None:
        self._intake(**PCL5_NEGATIVE, auditc_1=1)
        today = self._review()
        self.assertNotIn("pcl5", today.asked)
        self.assertNotIn("auditc", today.asked)
        self.assertNotIn("pcl5", today.rolled)
        # The review still opens with the goals and asks the primary measure.
        self.assertEqual(today.asked[:2], ["personal_goals", "phq9"])

    def test_it_asks_pcl5_again_when_it_was_positive_at_intake(self) -> None:
        self._intake(**PCL5_POSITIVE)
        today = self._review()
        self.assertIn("pcl5", today.asked)
        self.assertNotIn("auditc", today.asked)

    def test_it_asks_a_woman_who_scored_3_on_audit_c_again_when_her_sex_is_not_recorded(
        self,
    ) -> None:
        self._intake(**AUDITC_3)
        self.assertIn("auditc", self._review().asked)

    def test_it_uses_4_for_a_man_and_3_for_a_woman_when_recorded(self) -> None:
        self._intake(**AUDITC_3)
        self._sex("male")
        self.assertNotIn("auditc", self._review(1).asked)
        self._sex("female")
        self.assertIn("auditc", self._review(2).asked)

    def test_it_asks_a_man_who_scored_4_again(self) -> None:
        self._intake(**AUDITC_4)
        self._sex("male")
        self.assertIn("auditc", self._review().asked)

    def test_it_asks_a_screen_the_therapist_asked_for_once(self) -> None:
        self._intake(**PCL5_NEGATIVE)
        login_as(self.client, self.p.alice)
        url = reverse("measures:review_screens", kwargs={"episode_id": self.episode.pk})
        response = self.client.post(url, {"screens": ["auditc", "k10"]})
        self.assertRedirects(
            response, reverse("measures:plan_editor", kwargs={"episode_id": self.episode.pk})
        )
        event = AuditEvent.objects.get(action="episode.review_screens")
        self.assertEqual(event.detail["screens"], ["auditc", "k10"])
        _, token = issue(self.p.alice, self.p.bob, session=self._session("review", 1))
        today = checkin.plan_for(token)
        # K10 is not in the review slot: asked for, it joins the review within 300 s.
        self.assertLessEqual({"auditc", "k10"}, set(today.asked))
        self.assertNotIn("pcl5", today.asked)
        self.assertLessEqual(sum(checkin.seconds_for(k) for k in today.asked), 300)
        answer_today(token)
        # Given once since it was asked for: the next review leaves it out again.
        after = self._review(2)
        self.assertNotIn("auditc", after.asked)
        self.assertNotIn("k10", after.asked)
        self.assertEqual(
            Episode.objects.get(pk=self.episode.pk).review_screen_requests.keys(), {"auditc", "k10"}
        )

    def test_it_keeps_a_review_with_every_screen_asked_within_300_seconds(self) -> None:
        self._intake(**PCL5_POSITIVE, **AUDITC_4)
        request_review_screens(user=self.p.alice, episode=self.episode, keys=["k10"])
        # The 4th session, a review: goals, Felt Change, PHQ-9, SWLS and the screens.
        for days in (1, 2):
            self._session("routine", days)
        today = self._review(3)
        seconds = sum(checkin.seconds_for(k) for k in today.asked)
        self.assertLessEqual(seconds, REVIEW_BUDGET_SECONDS)
        self.assertEqual(today.asked[:2], ["personal_goals", "felt_change"])
        self.assertIn("pcl5", today.asked)
        self.assertIn("k10", today.rolled)
