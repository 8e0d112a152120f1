"""The check-in in French (issue 13, French; DESIGN.md, Languages): item words from the
instrument's own French file, English with a note (or left out, by the practice's
choice) where no validated French is offered, each administration's language stored,
and the same scores either way."""

from __future__ import annotations

from checkin_helpers import PHQ9_MODERATE, complete, form_data, issue
from django.test import TestCase
from django.utils import translation

from personas import make_personas
from plusone.core.instruments import load_instrument
from plusone.core.scoring import score
from plusone.measures import checkin
from plusone.measures.models import Administration, CheckinDraft

ANSWERS = {"phq9": dict(PHQ9_MODERATE), "personal_goals": {"goal_1": 4, "goal_2": 6}}
NOTE = "Ces questions n'ont pas de version française validée"


class FrenchCheckinTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def setUp(self) -> None:
        # The check-in link puts the client's stored language in the session.
        self.p.bob.language = "fr"
        self.p.bob.save(update_fields=["language"])

    def _open(self) -> None:
        path, _ = issue(self.p.alice, self.p.bob)
        self.client.get(path)

    def test_it_shows_the_goals_in_french_from_the_data_file_in_a_french_page(self) -> None:
        self._open()
        page = self.client.get("/checkin/")
        self.assertContains(page, '<html lang="fr-CA">')
        self.assertContains(page, "Où en êtes-vous par rapport à chacun de vos objectifs")
        self.assertContains(page, "Partie 1 sur 2")
        self.assertContains(page, "Passer pour aujourd'hui")
        self.assertContains(page, "Pleinement")
        self.assertNotContains(page, NOTE)
        for english in ("How close are you", "Skip today", "Next", "Part 1 of 2"):
            self.assertNotContains(page, english)

    def test_it_gives_an_instrument_without_offered_french_in_english_with_the_note(self) -> None:
        self._open()
        self.client.post(
            "/checkin/", {"group": "personal_goals", "action": "next", **_fields("personal_goals")}
        )
        page = self.client.get("/checkin/")
        self.assertEqual(page.context["group"].key, "phq9")
        self.assertContains(page, NOTE)
        self.assertContains(page, '<h1 lang="en">Low mood</h1>', html=False)
        self.assertContains(page, '<span lang="en">Little interest or pleasure in doing things')
        self.assertContains(page, "Envoyer mes réponses")

    def test_it_leaves_the_instrument_out_when_the_practice_chooses_so(self) -> None:
        practice = self.p.bob.practice
        practice.untranslated_instruments = "leave_out"
        practice.save(update_fields=["untranslated_instruments"])
        self._open()
        page = self.client.get("/checkin/")
        draft = CheckinDraft.objects.get()
        self.assertEqual(draft.instruments, ["personal_goals"])
        self.assertContains(page, "Partie 1 sur 1")

    def test_leaving_out_applies_only_to_a_french_reader(self) -> None:
        practice = self.p.bob.practice
        practice.untranslated_instruments = "leave_out"
        practice.save(update_fields=["untranslated_instruments"])
        self.p.bob.language = "en"
        self.p.bob.save(update_fields=["language"])
        self._open()
        self.client.get("/checkin/")
        self.assertEqual(CheckinDraft.objects.get().instruments, ["personal_goals", "phq9"])

    def test_it_stores_each_administrations_language_with_the_english_scores(self) -> None:
        path, _ = issue(self.p.alice, self.p.bob)
        complete(self.client, path, ANSWERS)
        french = {a.instrument_key: a for a in Administration.objects.all()}
        self.assertEqual(french["personal_goals"].language, "fr")
        self.assertEqual(french["phq9"].language, "en")
        for key, given in ANSWERS.items():
            english = score(load_instrument(key), given)
            self.assertEqual(
                (french[key].total, french[key].band, french[key].valid),
                (english.total, english.band.label if english.band else "", english.valid),
            )

    def test_it_stores_the_language_a_group_was_shown_in_after_a_switch(self) -> None:
        self.p.bob.language = "en"
        self.p.bob.save(update_fields=["language"])
        self._open()
        self.assertContains(self.client.get("/checkin/"), "How close are you to each")
        self.client.post("/checkin/", form_data("personal_goals", ANSWERS["personal_goals"]))
        # Bob switches to French on the last page and sends his answers from there.
        self.client.post("/language/", {"language": "fr", "next": "/checkin/"})
        self.assertContains(self.client.get("/checkin/"), "Partie 2 sur 2")
        self.client.post("/checkin/", form_data("phq9", ANSWERS["phq9"], "submit"))
        stored = {a.instrument_key: a.language for a in Administration.objects.all()}
        # The goals were read in English; PHQ-9 has no French offered, so English too.
        self.assertEqual(stored, {"personal_goals": "en", "phq9": "en"})
        self.assertEqual(CheckinDraft.objects.count(), 0)

    def test_our_own_items_are_french_from_their_data_file(self) -> None:
        with translation.override("fr-ca"):
            group = checkin.build_group("felt_change", episode_id=self.p.bob.episodes.get().pk)
        self.assertEqual(group.language, "fr")
        self.assertFalse(group.english_only)
        self.assertEqual(
            [q["text"] for q in group.questions],
            [
                "Je me sens différent(e), et ce changement tient",
                "Je comprends ce qui me garde coincé(e)",
                "Ma vie me semble au point mort",
            ],
        )
        self.assertEqual(group.questions[0]["anchors"], ("Pas du tout", "Tout à fait"))


def _fields(key: str) -> dict[str, str]:
    return {k: v for k, v in form_data(key, ANSWERS[key]).items() if k not in ("group", "action")}


class FrenchLinkEmailTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def test_the_link_email_is_in_the_clients_language_whoever_issues_it(self) -> None:
        from django.core import mail

        from plusone.measures import actions

        self.p.bob.language = "fr"
        self.p.bob.save(update_fields=["language"])
        with self.captureOnCommitCallbacks(execute=True):
            actions.issue_checkin_link(acting_user=self.p.alice, client=self.p.bob, send_email=True)
            actions.issue_checkin_link(
                acting_user=self.p.alice, client=self.p.dave, send_email=True
            )
        french, english = mail.outbox
        self.assertEqual(french.subject, "Riverside : votre lien de suivi")
        self.assertIn("Voici votre lien", french.body)
        self.assertEqual(english.subject, "Riverside: your check-in link")
        self.assertIn("Hello", english.body)
