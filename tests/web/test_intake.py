"""The therapist's intake form: a new adult client with their first episode."""

import datetime as dt

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import (
    Client,
    Consent,
    EpisodeSummary,
    Goal,
    MeasurementPlan,
    SafetyPlan,
)

INTAKE = reverse("clinical:intake")


def _form(**overrides):
    today = timezone.localdate()
    data = {
        "given_name": "Mara",
        "family_name": "Quinn",
        "date_of_birth": today.replace(year=today.year - 30).isoformat(),
        "email": "mara@client.example",
        "primary": "phq9",
        "secondary": "gad7",
        "prior_therapy": "yes",
        "s2_intention": "To stop bracing for the worst",
        "goal_1": "Sleep through the night",
        "goal_2": "Call my brother",
        "goal_3": "",
        "safety_plan": "Walk, then call Sam",
        "consent_email": "on",
        "goal_words_on_links": "no",
    }
    data.update(overrides)
    return data


class IntakeTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def setUp(self):
        login_as(self.client, self.p.alice)

    def test_it_shows_the_form(self):
        response = self.client.get(INTAKE)
        self.assertContains(response, "Date of birth")
        self.assertContains(response, "CORE-10")

    def test_it_creates_the_client_with_episode_goals_plan_consent_and_summary(self):
        response = self.client.post(INTAKE, _form())
        self.assertRedirects(response, reverse("insights:caseload"))
        mara = Client.objects.get(given_name="Mara")
        self.assertEqual(mara.therapist, self.p.alice)
        self.assertEqual(mara.practice, self.p.riverside)
        episode = mara.episodes.get()
        self.assertEqual(
            (episode.primary_instrument, episode.secondary_instrument), ("phq9", "gad7")
        )
        self.assertTrue(episode.prior_therapy)
        self.assertEqual(episode.s2_intention, "To stop bracing for the worst")
        goals = Goal.objects.filter(episode=episode).order_by("position")
        self.assertEqual([g.text for g in goals], ["Sleep through the night", "Call my brother"])
        self.assertEqual(SafetyPlan.objects.get(client=mara).text, "Walk, then call Sam")
        plan = MeasurementPlan.objects.get(episode=episode)
        self.assertEqual(plan.schedule["routine"], ["phq9", "personal_goals"])
        consents = Consent.objects.filter(client=mara, kind="measurement")
        self.assertTrue(consents.filter(instrument="phq9", channel="email").exists())
        self.assertFalse(consents.filter(channel="in_session").exists())
        self.assertTrue(
            EpisodeSummary.objects.filter(episode=episode, therapist=self.p.alice).exists()
        )
        event = AuditEvent.objects.get(action="client.intake", target_id=str(mara.pk))
        self.assertEqual(event.actor_id, self.p.alice.pk)
        self.assertNotIn("Mara", str(event.detail))
        self.assertNotIn("bracing", str(event.detail))

    def test_it_refuses_a_client_under_18_with_a_clear_message(self):
        today = timezone.localdate()
        seventeen = (today.replace(year=today.year - 18) + dt.timedelta(days=1)).isoformat()
        intakes = AuditEvent.objects.filter(action="client.intake").count()
        response = self.client.post(INTAKE, _form(date_of_birth=seventeen))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "adults only: this client is under 18")
        self.assertFalse(Client.objects.filter(given_name="Mara").exists())
        self.assertEqual(AuditEvent.objects.filter(action="client.intake").count(), intakes)

    def test_it_accepts_a_client_on_their_18th_birthday(self):
        today = timezone.localdate()
        birthday = today.replace(year=today.year - 18).isoformat()
        response = self.client.post(INTAKE, _form(date_of_birth=birthday))
        self.assertEqual(response.status_code, 302)

    def test_it_refuses_a_secondary_measure_equal_to_the_primary(self):
        response = self.client.post(INTAKE, _form(secondary="phq9"))
        self.assertContains(response, "different measure")
        self.assertFalse(Client.objects.filter(given_name="Mara").exists())

    def test_it_asks_for_at_least_one_goal(self):
        response = self.client.post(INTAKE, _form(goal_1="", goal_2=""))
        self.assertContains(response, "at least one goal")

    def test_it_refuses_the_intake_form_to_sam(self):
        self.client.logout()
        login_as(self.client, self.p.sam)
        self.assertEqual(self.client.post(INTAKE, _form()).status_code, 403)
        self.assertFalse(Client.objects.filter(given_name="Mara").exists())

    def test_it_asks_plainly_whether_links_show_the_goals_in_her_own_words(self):
        page = self.client.get(INTAKE)
        self.assertContains(page, "Show your goals in your own words on check-in links?")
        self.assertContains(page, "Anyone who opens the link could read them.")
        # Asked, never assumed: leaving it unanswered is an error and nothing is stored.
        response = self.client.post(INTAKE, _form(goal_words_on_links=""))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Ask the client whether links may show their goals")
        self.assertFalse(Client.objects.filter(given_name="Mara").exists())

    def test_it_stores_her_choice_about_her_goals_on_links(self):
        self.client.post(INTAKE, _form(goal_words_on_links="yes"))
        self.assertTrue(Client.objects.get(given_name="Mara").goal_words_on_links)
        self.client.post(INTAKE, _form(given_name="Nell", goal_words_on_links="no"))
        self.assertFalse(Client.objects.get(given_name="Nell").goal_words_on_links)
        event = AuditEvent.objects.get(
            action="client.intake", target_id=str(Client.objects.get(given_name="Mara").pk)
        )
        self.assertIs(event.detail["goal_words_on_links"], True)

    def test_it_records_her_sex_for_audit_c_scoring_only_when_given(self):
        page = self.client.get(INTAKE)
        self.assertContains(page, "AUDIT-C cutoff (optional)")
        self.assertContains(page, "The client&#x27;s sex for AUDIT-C scoring")
        self.assertContains(page, "Not recorded: positive from 3")
        self.client.post(INTAKE, _form())
        self.assertEqual(Client.objects.get(given_name="Mara").auditc_sex, "")
        self.client.post(INTAKE, _form(given_name="Nell", auditc_sex="male"))
        self.assertEqual(Client.objects.get(given_name="Nell").auditc_sex, "male")
        response = self.client.post(INTAKE, _form(given_name="Ola", auditc_sex="other"))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Client.objects.filter(given_name="Ola").exists())
