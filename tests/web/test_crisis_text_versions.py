"""The practice's crisis text exists in both languages and each version put in force is
kept (DESIGN.md, Languages; issue 13, French)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.test import TestCase

from personas import make_personas
from plusone.clinical import risk
from plusone.clinical.models import CrisisTextVersion
from plusone.clinical.safety import DEFAULT_CRISIS_TEXTS

EN_1 = "Not read in real time; we read it by {read_by}. Call or text 9-8-8, or call 911."
FR_1 = (
    "Pas lu en temps réel; nous le lirons d'ici {read_by}. Appelez ou textez le 9-8-8, ou le 911."
)
EN_2 = "We read this by {read_by}. Now: call or text 9-8-8, call 911, or go to emergency."
FR_2 = "Nous le lirons d'ici {read_by}. Maintenant : 9-8-8, le 911 ou l'urgence."


class CrisisTextVersionTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _save(self, en: str, fr: str) -> None:
        risk.update_risk_settings(
            user=self.p.erin,
            practice=self.p.riverside,
            crisis_text=en,
            crisis_text_fr=fr,
            clinical_contact=None,
            escalation_lead_hours=4,
        )

    def test_the_default_crisis_text_exists_in_both_languages(self) -> None:
        self.assertEqual(set(DEFAULT_CRISIS_TEXTS), {"en", "fr"})
        self.assertIn("9-8-8", DEFAULT_CRISIS_TEXTS["fr"])

    def test_it_keeps_each_version_in_both_languages_together(self) -> None:
        self._save(EN_1, FR_1)
        self._save(EN_1, FR_1)  # unchanged: no new version
        self._save(EN_2, FR_2)
        self._save("", "")  # back to the default text: a version of its own
        versions = list(
            CrisisTextVersion.objects.filter(practice=self.p.riverside).values_list(
                "text_en", "text_fr", "saved_by"
            )
        )
        erin = self.p.erin.pk
        self.assertEqual(versions, [(EN_1, FR_1, erin), (EN_2, FR_2, erin), ("", "", erin)])

    def test_it_refuses_a_crisis_text_in_one_language_only_and_keeps_nothing(self) -> None:
        with self.assertRaises(ValidationError):
            self._save(EN_1, "")
        self.assertFalse(CrisisTextVersion.objects.exists())


class UntranslatedInstrumentsSettingTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def test_erin_chooses_to_leave_out_instruments_with_no_french(self) -> None:
        from django.urls import reverse

        from personas import login_as

        login_as(self.client, self.p.erin)
        url = reverse("clinical:risk_settings")
        page = self.client.get(url)
        self.assertContains(page, "no validated French version")
        self.assertEqual(self.p.riverside.untranslated_instruments, "english_note")
        form = {"crisis_text": "", "crisis_text_fr": "", "escalation_lead_hours": 4}
        response = self.client.post(url, {**form, "untranslated_instruments": "leave_out"})
        self.assertRedirects(response, url)
        self.p.riverside.refresh_from_db()
        self.assertEqual(self.p.riverside.untranslated_instruments, "leave_out")
        # A post without the choice leaves it as it was.
        self.client.post(url, form)
        self.p.riverside.refresh_from_db()
        self.assertEqual(self.p.riverside.untranslated_instruments, "leave_out")
