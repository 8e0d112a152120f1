"""Every consent wording exists in English and French, each kept unchanged in its own
file (DESIGN.md, "Consent is data", Languages); the client reads it in their language and
the consent row keeps which one they read."""

from __future__ import annotations

from checkin_helpers import issue
from django.test import SimpleTestCase, TestCase
from django.utils import translation

from personas import make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Consent
from plusone.measures import consent


class ConsentWordingLanguagesTests(SimpleTestCase):
    def test_every_version_exists_in_both_languages_pinned_by_its_file(self) -> None:
        self.assertEqual(set(consent.CONSENT_WORDINGS_FR), set(consent.CONSENT_WORDINGS))
        for version, digest in consent.CONSENT_WORDINGS_FR.items():
            with self.subTest(version=version):
                self.assertEqual(consent.wording_digest(version, "fr"), digest)

    def test_the_french_is_the_files_own_text_and_the_english_stays_english(self) -> None:
        french = consent.wording("2026-12-1", "fr")
        self.assertIn("Votre thérapeute voit vos réponses et vos résultats.", french)
        self.assertIn("9-8-8", french)
        # Asked for in English under a French page, the wording is still the English.
        with translation.override("fr-ca"):
            english = consent.wording("2026-12-1")
        self.assertIn("Your therapist sees your answers and scores.", english)
        old = consent.wording("2026-11-1", "fr")
        self.assertIn("Les personnes que vous invitez", old)

    def test_it_refuses_a_language_it_does_not_keep(self) -> None:
        with self.assertRaises(LookupError):
            consent.wording("2026-12-1", "de")


class FrenchConsentPageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.p.bob.language = "fr"
        cls.p.bob.save(update_fields=["language"])

    def test_a_french_speaking_client_reads_and_agrees_to_the_french_wording(self) -> None:
        path, _ = issue(self.p.alice, self.p.bob, consent=False)
        self.client.get(path)
        page = self.client.get("/checkin/consent/")
        self.assertContains(page, "Personne ne surveille en temps réel")
        self.assertContains(page, "J'accepte, continuer")
        self.assertNotContains(page, "Who sees what")
        self.client.post("/checkin/consent/", {"choice": "agree"})
        row = Consent.objects.get(client=self.p.bob, instrument=consent.CHECKIN_INSTRUMENT)
        self.assertEqual((row.version, row.language), (consent.CONSENT_VERSION, "fr"))
        event = AuditEvent.objects.get(action="consent.checkin_agree")
        self.assertEqual(event.detail["language"], "fr")
