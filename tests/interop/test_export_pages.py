"""The export pages, acting as each persona: a POST downloads and logs, and "not yours"
is "not there"."""

from __future__ import annotations

import csv
import io

from django.test import TestCase
from django.urls import reverse

from journey_fixtures import give_history
from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.custodian.models import Disclosure

FORM = {"format": "csv", "recipient_name": "Dr Family", "legal_basis": "referral"}


class ExportPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=5, skipped=2, decision_session=3, rupture_session=4)

    def test_it_lets_alice_download_bobs_episode_and_logs_the_disclosure(self):
        login_as(self.client, self.p.alice)
        url = reverse("interop:episode", args=[self.episode.pk])
        self.assertContains(self.client.get(url), "Export and record the disclosure")
        response = self.client.post(url, FORM)
        self.assertEqual(response.status_code, 200)
        self.assertIn("attachment;", response["Content-Disposition"])
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        self.assertEqual({r["episode"] for r in rows}, {str(self.episode.pk)})
        self.assertEqual(Disclosure.objects.filter(client=self.p.bob).count(), 1)

    def test_it_asks_for_the_recipient_and_writes_nothing_without_one(self):
        login_as(self.client, self.p.alice)
        url = reverse("interop:client", args=[self.p.bob.pk])
        response = self.client.post(url, {"format": "fhir", "legal_basis": "referral"})
        self.assertContains(response, "This field is required")
        self.assertFalse(Disclosure.objects.exists())

    def test_it_answers_charlie_with_404_for_bobs_exports(self):
        login_as(self.client, self.p.charlie)
        for url in (
            reverse("interop:client", args=[self.p.bob.pk]),
            reverse("interop:episode", args=[self.episode.pk]),
        ):
            self.assertEqual(self.client.get(url).status_code, 404)
            self.assertEqual(self.client.post(url, FORM).status_code, 404)
        self.assertFalse(AuditEvent.objects.filter(action__startswith="export.").exists())

    def test_it_gives_erin_the_practice_exports_and_alice_none(self):
        login_as(self.client, self.p.alice)
        self.assertContains(self.client.get(reverse("interop:home")), "privacy officer")
        self.assertEqual(self.client.post(reverse("interop:research")).status_code, 403)
        login_as(self.client, self.p.erin)
        page = self.client.get(reverse("interop:home"))
        self.assertContains(page, "De-identified research export")
        response = self.client.post(reverse("interop:research"))
        self.assertEqual(response.status_code, 200)
        self.assertNotIn(str(self.p.bob.pk), response.content.decode())
        response = self.client.post(
            reverse("interop:practice_scores"),
            {
                "recipient_name": "New EMR",
                "legal_basis": "other",
                "legal_basis_other": "PHIPA s.42",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            Disclosure.objects.filter(recipient_name="New EMR", client=self.p.bob).count(), 1
        )
        self.assertEqual(
            Disclosure.objects.filter(recipient_name="New EMR").count(),
            # Bob's scores are in the file; Dave has none, so nothing of his was disclosed.
            1,
        )
