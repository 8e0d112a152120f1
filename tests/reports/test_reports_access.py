"""The access-request PDF: the readable companion of the JSON export, without what is
withheld (an observer's safety text, PHIPA s.52(1)(e)) and with the refusal notice."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from django.test import TestCase
from django.urls import reverse
from report_helpers import pdf_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web" / "checkin"))
from checkin_helpers import answer_today, issue

from personas import TODAY, login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Client
from plusone.rights import actions as rights

# What a stored value looks like before it is put into words.
RAW = {
    "ISO time": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:"),
    "ISO date": re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    "Python value": re.compile(r"\b(True|False|None)\b"),
    "dict or list": re.compile(r"[{}\[\]]"),
    "instrument key": re.compile(
        r"\b(phq9|gad7|who5|swls|personal_goals|felt_change|observed_change)"
    ),
    "snake case": re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b"),
}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SAFETY_TEXT = "He said he wants to die some nights and I am scared of him when he drinks."
ANSWERS = {
    "item_observed_at_ease": "8",
    "item_observed_acts_on_values": "7",
    "item_observed_says_needs": "9",
    "item_observed_bounces_back": "6",
    "item_observed_takes_part": "8",
}


class AccessRequestPdfTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.request = rights.record_access_request(
            user=cls.p.erin,
            client=cls.p.bob,
            received_on=TODAY,
            how_received="email",
            asked_for="Everything",
            today=TODAY,
        )
        cls.url = reverse("reports:access_pdf", args=[cls.request.pk])

    def _observer_writes(self, text):
        # Olive answers through her own link, as an observer does.
        self.client.get(f"/o/{self.p.olive_token}")
        self.client.post(reverse("observers:form"), {**ANSWERS, "text": text, "adult": "on"})
        self.client.logout()

    def test_it_leaves_the_observers_safety_text_out_and_gives_the_refusal_notice(self):
        self._observer_writes(SAFETY_TEXT)
        login_as(self.client, self.p.erin)
        response = self.client.post(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        text = pdf_text(response.content)
        self.assertNotIn("wants to die", text)
        self.assertNotIn("scared of him", text)
        self.assertIn("What we are not giving you, and why", text)
        self.assertIn("s.52(1)(e)(i)", text)
        self.assertIn("Information and Privacy Commissioner of Ontario", text)
        self.assertIn(self.p.bob.family_name, text)
        event = AuditEvent.objects.get(action="report.access_pdf")
        self.assertEqual(event.detail["withheld"], 1)

    def test_it_shows_plain_observer_text_the_client_may_have(self):
        self._observer_writes("He cooks again and laughs more.")
        login_as(self.client, self.p.erin)
        text = pdf_text(self.client.post(self.url).content)
        self.assertIn("He cooks again and laughs more.", text)
        self.assertNotIn("What we are not giving you", text)
        # Words, not codes: no UUID reaches the reader (the JSON export carries the ids).
        self.assertIsNone(UUID.search(text), text)

    def test_it_writes_the_copy_in_french_for_a_french_speaking_client(self):
        Client.objects.filter(pk=self.p.bob.pk).update(language="fr")
        self._observer_writes(SAFETY_TEXT)
        login_as(self.client, self.p.erin)
        text = pdf_text(self.client.post(self.url).content)
        self.assertIn("Copie du dossier détenu au sujet de", text)
        self.assertIn("Ce que nous ne vous remettons pas, et pourquoi", text)
        self.assertIn("Commissaire à l’information", text)
        self.assertIn("Séances", text)
        self.assertNotIn("wants to die", text)

    def _a_check_in_and_an_observer(self, text="He cooks again and laughs more."):
        _, token = issue(self.p.alice, self.p.bob)
        answer_today(token, phq9_9=1)
        self._observer_writes(text)

    def _words_only(self) -> str:
        """Erin's PDF text, after checking that no stored value shows as stored."""
        login_as(self.client, self.p.erin)
        text = pdf_text(self.client.post(self.url).content)
        for what, pattern in RAW.items():
            found = pattern.search(text)
            self.assertIsNone(
                found,
                f"{what}: …{text[max(0, found.start() - 80) : found.end() + 80] if found else ''}…",
            )
        return text

    def test_it_puts_every_stored_value_into_words(self):
        self._a_check_in_and_an_observer()
        text = self._words_only()
        self.assertIn("PHQ-9", text)
        self.assertIn("Question 9: 1", text)
        self.assertIn("Every session: PHQ-9", text)
        # Field labels are words too ("Main questionnaire", not "primary instrument").
        self.assertNotIn("primary instrument", text)
        self.assertNotIn("risk item only", text)
        self.assertRegex(text, r"\b(Yes|No)\b")
        self.assertIn(f"{TODAY:%Y}", text)

    def test_it_puts_the_values_into_french_words_for_a_french_speaking_client(self):
        Client.objects.filter(pk=self.p.bob.pk).update(language="fr")
        self._a_check_in_and_an_observer(SAFETY_TEXT)
        text = self._words_only()
        self.assertIn("Question 9 : 1", text)
        self.assertRegex(text, r"\b(Oui|Non)\b")
        self.assertNotRegex(text, r"\b(Yes|No)\b")
        self.assertNotIn("Created", text)
        self.assertNotIn("created at", text)
        # The ground for withholding, and why, are in French too.
        self.assertIn("art. 52(1)(e)(i) : risque de préjudice grave", text)
        self.assertNotIn("risk of serious harm", text)
        self.assertNotIn("observer's written answer", text)
        # Choices are in French words too, not the models' English labels.
        self.assertNotIn("Measurement", text)
        self.assertNotIn("Not applicable", text)
        self.assertNotIn("check-in link", text)

    def test_it_answers_alice_and_charlie_like_anyone_without_the_role(self):
        for persona in (self.p.alice, self.p.charlie):
            login_as(self.client, persona)
            self.assertEqual(self.client.post(self.url).status_code, 403)
        self.assertFalse(AuditEvent.objects.filter(action="report.access_pdf").exists())
