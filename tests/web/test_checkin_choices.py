"""The client's check-in choices, changed by the therapist with the client and audited:
whether links show the goals in their own words, and their sex for AUDIT-C scoring."""

from django.test import TestCase
from django.urls import reverse

from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Client


def _url(person):
    return reverse("measures:checkin_choices", kwargs={"client_id": person.pk})


def _journey(person):
    return reverse("insights:journey", kwargs={"episode_id": person.episodes.get().pk})


class CheckinChoicesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def test_it_offers_the_choices_on_bobs_journey_to_alice_only(self):
        login_as(self.client, self.p.alice)
        page = self.client.get(_journey(self.p.bob))
        self.assertContains(page, "Show your goals in your own words on check-in links?")
        self.assertContains(page, "Anyone who opens the link could read them.")
        self.assertContains(page, f'action="{_url(self.p.bob)}"')
        self.assertContains(page, "AUDIT-C cutoff (optional)")
        # Sam supervises Bob read-only: he sees the choice, not the form.
        login_as(self.client, self.p.sam)
        page = self.client.get(_journey(self.p.bob))
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, f'action="{_url(self.p.bob)}"')
        self.assertContains(page, "Check-in links show: Goal 1, Goal 2")

    def test_it_changes_bobs_choices_and_audits_it_without_the_values_of_his_record(self):
        login_as(self.client, self.p.alice)
        response = self.client.post(
            _url(self.p.bob), {"goal_words_on_links": "yes", "auditc_sex": "female"}
        )
        self.assertRedirects(response, _journey(self.p.bob))
        bob = Client.objects.get(pk=self.p.bob.pk)
        self.assertTrue(bob.goal_words_on_links)
        self.assertEqual(bob.auditc_sex, "female")
        event = AuditEvent.objects.get(action="client.checkin_choices")
        self.assertEqual(event.target_id, str(bob.pk))
        self.assertEqual(event.actor_id, self.p.alice.pk)
        self.assertEqual(event.detail, {"goal_words_on_links": True, "auditc_sex_recorded": True})
        page = self.client.get(_journey(self.p.bob))
        self.assertContains(page, "Check-in links show: the goals in Bob's own words")

    def test_it_refuses_a_choice_that_is_not_offered_and_changes_nothing(self):
        login_as(self.client, self.p.alice)
        response = self.client.post(
            _url(self.p.bob), {"goal_words_on_links": "maybe", "auditc_sex": "x"}, follow=True
        )
        self.assertContains(response, "Choose yes or no")
        bob = Client.objects.get(pk=self.p.bob.pk)
        self.assertFalse(bob.goal_words_on_links)
        self.assertEqual(bob.auditc_sex, "")
        self.assertFalse(AuditEvent.objects.filter(action="client.checkin_choices").exists())

    def test_it_hides_bob_from_charlie_and_refuses_sam_and_erin(self):
        data = {"goal_words_on_links": "yes", "auditc_sex": ""}
        login_as(self.client, self.p.charlie)
        self.assertEqual(self.client.post(_url(self.p.bob), data).status_code, 404)
        for persona in (self.p.sam, self.p.erin):
            login_as(self.client, persona)
            self.assertEqual(self.client.post(_url(self.p.bob), data).status_code, 403)
        self.assertFalse(Client.objects.get(pk=self.p.bob.pk).goal_words_on_links)
