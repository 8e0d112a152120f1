"""The referral summary: only with a referral consent, withheld parts marked, and logged
as a disclosure."""

from __future__ import annotations

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from report_helpers import pdf_text

from journey_fixtures import give_history
from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Consent
from plusone.custodian.models import Disclosure, LegalBasis
from plusone.lockbox import actions as lockbox

RECIPIENT = {"recipient": "Dr. Rivera", "organisation": "Bloor Family Health"}


class ReferralTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=8, decision_session=6, rupture_session=7, skipped=5)
        cls.url = reverse("reports:referral", args=[cls.episode.pk])

    def _consent(self):
        return Consent.objects.create(
            practice=self.p.bob.practice,
            client=self.p.bob,
            kind=Consent.Kind.REFERRAL,
            version="1",
            given_at=timezone.now(),
            recorded_by=self.p.alice,
        )

    def test_it_refuses_politely_without_a_referral_consent_and_names_it(self):
        login_as(self.client, self.p.alice)
        page = self.client.get(self.url)
        self.assertContains(page, "no referral consent on record")
        response = self.client.post(self.url, RECIPIENT)
        self.assertEqual(response.status_code, 400)
        self.assertNotEqual(response.get("Content-Type"), "application/pdf")
        self.assertFalse(Disclosure.objects.exists())
        self.assertFalse(AuditEvent.objects.filter(action="report.referral").exists())

    def test_it_sends_the_summary_and_writes_the_disclosure_row_with_a_consent(self):
        consent = self._consent()
        login_as(self.client, self.p.alice)
        response = self.client.post(self.url, RECIPIENT)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        text = pdf_text(response.content)
        self.assertIn("Referral summary", text)
        self.assertIn("Dr. Rivera", text)
        self.assertIn("Bob's first goal", text)
        self.assertIn("Primary measure: PHQ-9", text)
        row = Disclosure.objects.get()
        self.assertEqual(row.client_id, self.p.bob.pk)
        self.assertEqual(row.legal_basis, LegalBasis.REFERRAL)
        self.assertEqual(row.recipient_name, "Dr. Rivera")
        self.assertEqual(row.disclosed_by, self.p.alice)
        event = AuditEvent.objects.get(action="report.referral")
        self.assertEqual(event.detail["consent_id"], str(consent.pk))
        self.assertTrue(AuditEvent.objects.filter(action="disclosure.record").exists())

    def test_it_marks_what_the_client_withheld_instead_of_dropping_it(self):
        self._consent()
        goal = self.episode.goals.order_by("position").first()
        lockbox.record_directive(
            user=self.p.alice,
            client=self.p.bob,
            scope="item",
            item_kind="goal",
            item_id=goal.goal_id,
            instructed_on=timezone.localdate(),
            now=timezone.now(),
        )
        login_as(self.client, self.p.alice)
        text = pdf_text(self.client.post(self.url, RECIPIENT).content)
        self.assertIn("Withheld at the client's request: goal (1)", text)
        self.assertIn("Some information withheld at the client's request.", text)
        self.assertNotIn("Bob's first goal", text)
        self.assertEqual(Disclosure.objects.get().lockbox_notice != "", True)

    def test_it_answers_charlie_and_sam_with_404_and_logs_nothing(self):
        self._consent()
        for persona in (self.p.charlie, self.p.sam):
            login_as(self.client, persona)
            self.assertIn(self.client.post(self.url, RECIPIENT).status_code, (403, 404))
        login_as(self.client, self.p.charlie)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertFalse(Disclosure.objects.exists())
