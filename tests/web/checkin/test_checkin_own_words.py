"""Own words on pages reached by link alone: the goals' labels only when the client chose it.

A check-in link opens by link alone, and an email can be read by someone else
(DESIGN.md, Burden: own words first). So the goals read "Goal 1", "Goal 2" unless
the client chose at intake to see their own words there; the S2 intention is never
on a link page; and the done page thanks them without their lanes.
"""

from __future__ import annotations

from checkin_helpers import PHQ9_MODERATE, complete, form_data, issue
from django.test import TestCase

from personas import make_personas
from plusone.clinical.models import Client
from plusone.measures.choice_actions import set_checkin_choices

GOALS = {"goal_1": 4, "goal_2": 6}
BOBS_GOALS = ("Bob&#x27;s first goal", "Bob&#x27;s second goal")


class GoalLabelsOnLinksTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _first_page(self):
        path, _ = issue(self.p.alice, self.p.bob)
        self.client.get(path)
        return self.client.get("/checkin/")

    def test_it_shows_goal_1_and_goal_2_not_bobs_words_by_default(self) -> None:
        self.assertFalse(Client.objects.get(pk=self.p.bob.pk).goal_words_on_links)
        page = self._first_page()
        self.assertEqual(page.context["group"].key, "personal_goals")
        self.assertContains(page, "Goal 1")
        self.assertContains(page, "Goal 2")
        self.assertNotContains(page, "Goal 3")
        for words in BOBS_GOALS:
            self.assertNotContains(page, words)

    def test_it_shows_bobs_own_words_once_he_chose_that(self) -> None:
        set_checkin_choices(
            user=self.p.alice,
            client=self.p.bob,
            goal_words_on_links=True,
            auditc_sex=self.p.bob.auditc_sex,
        )
        page = self._first_page()
        for words in BOBS_GOALS:
            self.assertContains(page, words)

    def test_it_keeps_bobs_words_off_the_error_page_of_the_goals_too(self) -> None:
        self._first_page()
        page = self.client.post("/checkin/", form_data("personal_goals", {"goal_1": 99}))
        self.assertContains(page, "Goal 2")
        for words in BOBS_GOALS:
            self.assertNotContains(page, words)

    def test_it_never_shows_the_s2_intention_on_a_link_page(self) -> None:
        intention = self.p.bob.episodes.get().s2_intention
        self.assertTrue(intention)
        set_checkin_choices(
            user=self.p.alice, client=self.p.bob, goal_words_on_links=True, auditc_sex=""
        )
        path, _ = issue(self.p.alice, self.p.bob, consent=False)
        self.client.get(path)
        pages = [self.client.get("/checkin/consent/")]
        self.client.post("/checkin/consent/", {"choice": "agree"})
        pages.append(self.client.get("/checkin/"))
        self.client.post("/checkin/", form_data("personal_goals", GOALS))
        pages.append(self.client.get("/checkin/"))
        self.client.post("/checkin/", form_data("phq9", PHQ9_MODERATE, "submit"))
        pages.append(self.client.get("/checkin/done/"))
        for page in pages:
            self.assertEqual(page.status_code, 200)
            self.assertNotContains(page, intention)
            self.assertNotContains(page, "Bob wants to feel at home")


class DonePageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        set_checkin_choices(
            user=cls.p.alice, client=cls.p.bob, goal_words_on_links=True, auditc_sex=""
        )

    def test_it_thanks_bob_and_shows_none_of_his_lanes(self) -> None:
        path, _ = issue(self.p.alice, self.p.bob)
        complete(self.client, path, {"personal_goals": GOALS, "phq9": PHQ9_MODERATE})
        page = self.client.get("/checkin/done/")
        self.assertContains(page, "Thank you")
        body = page.content.decode()
        # No goal words or ratings, no score or band, no intention, no chart.
        for words in ("first goal", "second goal", "Goal 1", "moderate", "PHQ-9", "<svg"):
            self.assertNotIn(words, body)
        self.assertNotIn(self.p.bob.episodes.get().s2_intention, body)
        self.assertNotRegex(body, r"\b11\b")
