"""The consent step before a client's first check-in: agree, decline, a new version."""

from __future__ import annotations

from unittest import mock

from checkin_helpers import PHQ9_MODERATE, complete, form_data, issue
from django.test import TestCase

from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Consent
from plusone.measures import consent
from plusone.measures.models import Administration, Sitting

GOALS = {"goal_1": 4, "goal_2": 6}


def checkin_consents(person: object) -> list[Consent]:
    return list(
        Consent.objects.filter(client=person, instrument=consent.CHECKIN_INSTRUMENT).order_by(
            "given_at"
        )
    )


class ConsentStepTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _open(self) -> object:
        path, token = issue(self.p.alice, self.p.bob, consent=False)
        self.assertEqual(self.client.get(path).status_code, 302)
        return token

    def test_it_asks_for_consent_before_the_first_group(self) -> None:
        self._open()
        self.assertRedirects(
            self.client.get("/checkin/"), "/checkin/consent/", fetch_redirect_response=False
        )
        page = self.client.get("/checkin/consent/")
        self.assertContains(page, "What we collect")
        self.assertContains(page, "Your therapist sees your answers and scores.")
        self.assertContains(page, "administrator sees no answers")
        self.assertContains(page, "Nothing is shown to other clients.")
        self.assertContains(page, "Taking part is voluntary")
        self.assertContains(page, "nothing changes about your care")
        self.assertContains(page, "not read as you send them")
        self.assertContains(page, "9-8-8")
        self.assertContains(page, consent.CONSENT_VERSION)
        self.assertNotContains(page, "Brown")

    def test_it_records_bobs_agreement_with_its_version_and_audit_event(self) -> None:
        token = self._open()
        response = self.client.post("/checkin/consent/", {"choice": "agree"})
        self.assertRedirects(response, "/checkin/", fetch_redirect_response=False)
        [row] = checkin_consents(self.p.bob)
        self.assertEqual(row.version, consent.CONSENT_VERSION)
        self.assertEqual(row.kind, Consent.Kind.MEASUREMENT)
        self.assertIsNone(row.withdrawn_at)
        self.assertEqual(row.practice, self.p.riverside)
        event = AuditEvent.objects.get(action="consent.checkin_agree")
        self.assertEqual(event.target_id, str(row.pk))
        self.assertEqual(event.actor_kind, "token")
        self.assertEqual(str(event.actor_id), str(token.pk))
        # After agreeing, the first group is shown: the goals.
        self.assertContains(self.client.get("/checkin/"), "How close are you to each of your goals")

    def test_it_stores_nothing_and_ends_kindly_when_bob_declines(self) -> None:
        self._open()
        page = self.client.post("/checkin/consent/", {"choice": "decline"})
        self.assertContains(page, "Nothing from this check-in has been stored")
        self.assertContains(page, "nothing changes about your care")
        [row] = checkin_consents(self.p.bob)
        self.assertIsNotNone(row.withdrawn_at)
        self.assertTrue(AuditEvent.objects.filter(action="consent.checkin_decline").exists())
        # The sitting is over: answers posted now are refused and nothing is stored.
        self.client.post("/checkin/", form_data("phq9", PHQ9_MODERATE, "submit"))
        self.assertEqual(Sitting.objects.count(), 0)
        self.assertEqual(Administration.objects.count(), 0)

    def test_it_asks_again_next_time_after_bob_declined(self) -> None:
        self._open()
        self.client.post("/checkin/consent/", {"choice": "decline"})
        self._open()
        self.assertRedirects(
            self.client.get("/checkin/"), "/checkin/consent/", fetch_redirect_response=False
        )

    def test_it_does_not_ask_again_for_the_same_version(self) -> None:
        self._open()
        self.client.post("/checkin/consent/", {"choice": "agree"})
        self._open()
        self.assertEqual(self.client.get("/checkin/").status_code, 200)
        self.assertEqual(len(checkin_consents(self.p.bob)), 1)

    def test_it_asks_again_when_the_consent_version_changes(self) -> None:
        token = self._open()
        # Bob agreed to the November 2026 wording; the page now shows a newer one.
        with mock.patch.object(consent, "CONSENT_VERSION", "2026-11-1"):
            consent.record_checkin_consent(token=token, agreed=True)
        self.assertRedirects(
            self.client.get("/checkin/"), "/checkin/consent/", fetch_redirect_response=False
        )
        self.client.post("/checkin/consent/", {"choice": "agree"})
        versions = [row.version for row in checkin_consents(self.p.bob)]
        self.assertEqual(versions, ["2026-11-1", consent.CONSENT_VERSION])
        self.assertEqual(consent.CONSENT_VERSION, "2026-12-1")

    def test_it_keeps_bobs_consent_from_counting_for_dave(self) -> None:
        self._open()
        self.client.post("/checkin/consent/", {"choice": "agree"})
        path, _ = issue(self.p.alice, self.p.dave, consent=False)
        self.client.get(path)
        self.assertRedirects(
            self.client.get("/checkin/"), "/checkin/consent/", fetch_redirect_response=False
        )

    def test_it_ignores_an_answer_that_is_neither_agree_nor_decline(self) -> None:
        self._open()
        page = self.client.post("/checkin/consent/", {"choice": "maybe"})
        self.assertContains(page, "What we collect")
        self.assertEqual(checkin_consents(self.p.bob), [])

    def test_it_refuses_the_consent_page_without_an_open_link(self) -> None:
        page = self.client.get("/checkin/consent/")
        self.assertEqual(page.status_code, 400)
        self.assertEqual(checkin_consents(self.p.bob), [])

    def test_it_shows_the_consent_step_in_kiosk_mode(self) -> None:
        login_as(self.client, self.p.alice)
        self.client.post("/practice/checkin/kiosk/", {"client_id": str(self.p.bob.pk)})
        self.assertRedirects(
            self.client.get("/checkin/"), "/checkin/consent/", fetch_redirect_response=False
        )
        self.client.post("/checkin/consent/", {"choice": "agree"})
        self.client.post("/checkin/", form_data("personal_goals", GOALS))
        self.client.post("/checkin/", form_data("phq9", PHQ9_MODERATE, "submit"))
        self.assertEqual(Sitting.objects.count(), 1)

    def test_it_offers_the_tablet_back_when_a_kiosk_client_declines(self) -> None:
        login_as(self.client, self.p.alice)
        self.client.post("/practice/checkin/kiosk/", {"client_id": str(self.p.bob.pk)})
        page = self.client.post("/checkin/consent/", {"choice": "decline"})
        self.assertContains(page, "Please hand the tablet back")

    def test_it_walks_a_whole_checkin_after_agreeing_on_the_page(self) -> None:
        path, _ = issue(self.p.alice, self.p.bob, consent=False)
        complete(self.client, path, {"phq9": PHQ9_MODERATE, "personal_goals": GOALS})
        self.assertEqual(Sitting.objects.count(), 1)
        self.assertEqual(len(checkin_consents(self.p.bob)), 1)


class ConsentWordingTests(TestCase):
    """Every change of a consent wording bumps its version and keeps the old text
    (DESIGN.md, "Consent is data, and versioned")."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def test_it_tells_bob_only_about_people_who_can_see_his_answers_today(self) -> None:
        path, _ = issue(self.p.alice, self.p.bob, consent=False)
        self.client.get(path)
        page = self.client.get("/checkin/consent/")
        # There are no observers yet: nothing about people Bob invites.
        self.assertNotContains(page, "invite")
        self.assertNotContains(page, "their own form")
        self.assertContains(page, "Nobody else is asked about you.")
        self.assertContains(page, "supervisor")
        self.assertContains(page, "Consent wording version 2026-12-1.")

    def test_it_records_new_consents_under_the_new_version(self) -> None:
        _, token = issue(self.p.alice, self.p.bob, consent=False)
        row = consent.record_checkin_consent(token=token, agreed=True)
        self.assertEqual(row.version, "2026-12-1")

    def test_it_keeps_the_text_of_every_version_bob_may_have_agreed_to(self) -> None:
        self.assertEqual(list(consent.CONSENT_WORDINGS), ["2026-11-1", "2026-12-1"])
        old = consent.wording("2026-11-1")
        self.assertIn("People you invite to say what change they see only see their own", old)
        new = consent.wording("2026-12-1")
        self.assertNotIn("invite", new)
        self.assertIn("Your therapist sees your answers and scores.", new)
        with self.assertRaises(LookupError):
            consent.wording("2099-1-1")

    def test_it_never_edits_a_published_wording_in_place(self) -> None:
        # A changed wording is a new version with a new file: each file's text is pinned.
        for version, digest in consent.CONSENT_WORDINGS.items():
            with self.subTest(version=version):
                self.assertEqual(consent.wording_digest(version), digest)
