"""The journey page, the review-together layout and the before-session card, as personas."""

from __future__ import annotations

import re
import uuid

from django.db import transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from journey_fixtures import LOW_TEXT, give_history, primary_total
from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical import actions
from plusone.insights.journey import REVIEW_TOGETHER_CHECKLIST, build_journey
from plusone.measures import actions as measures_actions


def _journey(episode):
    return reverse("insights:journey", args=[episode.pk])


def _together(episode):
    return reverse("insights:review_together", args=[episode.pk])


def _card(episode):
    return reverse("insights:session_card", args=[episode.pk])


class JourneyTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        cls.history = give_history(cls.episode, n=40)

    def test_it_builds_one_point_per_attended_session_with_none_for_a_skipped_check_in(self):
        data = build_journey(self.episode, today=timezone.localdate())
        self.assertEqual(len(data.journey.sessions), 40)
        values = data.journey.symptoms.values
        self.assertIsNone(values[self.history.skipped])
        self.assertEqual(values[1], primary_total(1))
        self.assertEqual(values[40], primary_total(40))
        self.assertIsNone(data.journey.goals[0].values[self.history.skipped])

    def test_it_marks_the_sudden_gain_between_sessions_4_and_5(self):
        data = build_journey(self.episode, today=timezone.localdate())
        marks = [(g.pre_session, g.post_session) for g in data.journey.symptoms.sudden_gains]
        self.assertEqual(marks, [(4, 5)])
        self.assertEqual(str(data.gains[0]), "Sudden gain between sessions 4 and 5: 17 → 8")

    def test_it_draws_the_plus_one_decision_as_a_milestone_at_its_session(self):
        data = build_journey(self.episode, today=timezone.localdate())
        self.assertEqual(
            [(d.session, d.phase) for d in data.journey.decisions],
            [(self.history.decision_session, "plus_one")],
        )

    def test_it_renders_every_lane_for_a_40_session_client(self):
        login_as(self.client, self.p.alice)
        response = self.client.get(_journey(self.episode))
        self.assertEqual(response.status_code, 200)
        body = response.content.decode()
        for lane in ("1. Own words", "2. Growth", "3. Relationship", "4. Symptoms"):
            self.assertIn(lane, body)
        for name in ("WHO-5", "SWLS", "Session Reflection", "Therapist Rating"):
            self.assertIn(name, body)
        table = body.split('class="chart-table"', 1)[1].split("</table>", 1)[0]
        self.assertEqual(len(re.findall(r'<th scope="row"', table)), 40)
        self.assertIn("not completed", table)
        self.assertNotIn("overdue", body.lower())
        self.assertContains(response, "Sudden gain between sessions 4 and 5")

    def test_it_shows_the_proposal_as_a_question_with_its_rule_trace(self):
        login_as(self.client, self.p.alice)
        response = self.client.get(_journey(self.episode))
        self.assertContains(response, "Would you like to go into deeper work")
        self.assertContains(response, "<summary>Why the system asks this (rule trace)</summary>")
        self.assertContains(response, "Agreed phase: +1 threshold")

    def test_it_opens_the_review_together_checklist_with_an_alert(self):
        # A real relapse today: PHQ-9 20 after months at 4 is a reliable worsening above
        # the cutoff (the alerts are judged as of today, never copied from a stale row).
        token = measures_actions.issue_checkin_link(
            acting_user=self.p.alice, client=self.p.bob, send_email=False
        ).token
        answers = {f"phq9_{i}": v for i, v in enumerate([3, 3, 3, 3, 2, 2, 2, 2, 0], start=1)}
        measures_actions.submit_checkin(link=token, answers={"phq9": answers})
        login_as(self.client, self.p.alice)
        response = self.client.get(_journey(self.episode))
        self.assertContains(response, "Deterioration")
        for item in REVIEW_TOGETHER_CHECKLIST:
            self.assertContains(response, f"<li>{item}</li>")

    def test_it_records_a_view_event_naming_the_episode(self):
        login_as(self.client, self.p.alice)
        self.client.get(_journey(self.episode))
        event = AuditEvent.objects.get(action="view.journey")
        self.assertEqual(event.target_id, str(self.episode.pk))
        self.assertEqual(event.actor_id, self.p.alice.pk)

    def test_it_answers_charlie_with_404_for_bobs_journey(self):
        login_as(self.client, self.p.charlie)
        for url in (_journey(self.episode), _together(self.episode), _card(self.episode)):
            self.assertEqual(self.client.get(url).status_code, 404, url)

    def test_it_answers_erin_with_404_and_no_clinical_content(self):
        login_as(self.client, self.p.erin)
        response = self.client.get(_journey(self.episode))
        self.assertEqual(response.status_code, 404)
        self.assertNotContains(response, "Bob", status_code=404)

    def test_it_lets_sam_read_bobs_journey_without_write_links(self):
        login_as(self.client, self.p.sam)
        response = self.client.get(_journey(self.episode))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "(read-only)")
        self.assertNotContains(response, reverse("measures:plan_editor", args=[self.episode.pk]))
        self.assertNotContains(response, reverse("insights:decision_new", args=[self.episode.pk]))

    def test_it_answers_sam_with_404_for_dave(self):
        login_as(self.client, self.p.sam)
        dave = self.p.dave.episodes.get()
        self.assertEqual(self.client.get(_journey(dave)).status_code, 404)
        self.assertEqual(self.client.get(_card(dave)).status_code, 404)

    def test_it_answers_an_unknown_episode_like_someone_elses(self):
        login_as(self.client, self.p.alice)
        missing = reverse("insights:journey", args=[uuid.uuid4()])
        self.assertEqual(self.client.get(missing).status_code, 404)


class ReviewTogetherTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=40)
        with transaction.atomic():
            actions.update_summary(cls.episode, alerts=["deterioration", "possible_rupture"])

    def setUp(self):
        login_as(self.client, self.p.alice)
        self.response = self.client.get(_together(self.episode))
        self.body = self.response.content.decode()
        self.main = self.body.split('<main id="main"', 1)[1].split("</main>", 1)[0]

    def test_it_shows_the_clients_words_and_phase_in_plain_language(self):
        self.assertEqual(self.response.status_code, 200)
        self.assertIn("Bob wants to feel at home in their own life", self.main)
        self.assertIn("Choosing what&#x27;s next", self.main)
        self.assertIn("In your own words", self.main)
        self.assertIn("A score is not a diagnosis.", self.main)

    def test_it_shows_no_alerts_and_no_jargon(self):
        lowered = self.main.lower()
        for word in (
            "deterioration",
            "not progressing",
            "rupture",
            "alert",
            "phq-9",
            "trace",
            "stabilizing",
            "+1 threshold",
            "therapist rating",
        ):
            self.assertNotIn(word, lowered)

    def test_it_shows_no_scores_or_bands_as_verdicts(self):
        lowered = self.main.lower()
        for band in ("minimal", "mild", "moderate", "severe", "cutoff"):
            self.assertNotIn(band, lowered)
        # The symptom column gives the plain-words range, never the score.
        table = self.main.split("<table", 1)[1]
        self.assertIn("lower range", table)

    def test_it_puts_the_proposal_only_as_a_question(self):
        self.assertIn("Something to talk about together", self.main)
        self.assertIn("?", self.main.split("Something to talk about together", 1)[1])


class SessionCardTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=30)

    def test_it_shows_the_last_reflection_with_its_text(self):
        login_as(self.client, self.p.alice)
        response = self.client.get(_card(self.episode))
        self.assertContains(response, "Last Session Reflection")
        self.assertContains(response, "5 of 10")
        self.assertContains(response, LOW_TEXT)

    def test_it_shows_the_agreed_focus_and_holds_the_proposal_while_a_rupture_is_open(self):
        # The last session's reflection (5 of 10, the line answered) is a possible rupture with
        # no repair up to it: DESIGN.md's "repair first" holds "Deepening or ending" back.
        login_as(self.client, self.p.alice)
        response = self.client.get(_card(self.episode))
        self.assertContains(response, "to stop bracing for disappointment")
        self.assertNotContains(response, "Would you like to go into deeper work")

    def test_it_shows_open_flags(self):
        with transaction.atomic():
            actions.open_flag(
                episode=self.episode,
                grade=2,
                source_kind="administration",
                source_id=uuid.uuid4(),
                actor=None,
            )
        login_as(self.client, self.p.alice)
        response = self.client.get(_card(self.episode))
        self.assertContains(response, "Grade 2")

    def test_it_leaves_out_what_waits_for_the_portal(self):
        login_as(self.client, self.p.alice)
        response = self.client.get(_card(self.episode))
        self.assertNotContains(response, "want to bring today")
        self.assertNotContains(response, "shared")

    def test_it_records_a_view_event(self):
        login_as(self.client, self.p.sam)
        self.assertEqual(self.client.get(_card(self.episode)).status_code, 200)
        event = AuditEvent.objects.get(action="view.session_card")
        self.assertEqual(event.actor_id, self.p.sam.pk)


class ReviewTogetherWithNoDecisionTests(TestCase):
    """With no decision recorded, the client reads "not agreed yet", never a phase name
    beside a question asking whether to agree on exactly that phase."""

    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=2, skipped=0, decision_session=0, rupture_session=0)
        cls.episode.decisions.all().delete()

    def test_it_says_not_agreed_yet_when_no_phase_is_agreed(self):
        login_as(self.client, self.p.alice)
        body = self.client.get(_together(self.episode)).content.decode()
        self.assertIn("Where we are: <strong>not agreed yet</strong>", body)
        self.assertNotIn("Where we are: <strong>Finding steadier ground", body)
