"""Withdrawal per instrument and per channel: recorded by Bob's therapist, then obeyed."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core import mail
from django.test import TestCase

from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Consent
from plusone.measures import actions
from plusone.measures.checkin import plan_for
from plusone.measures.consent import ALL_INSTRUMENTS, channel_withdrawn, withdrawn_instruments

sys.path.insert(0, str(Path(__file__).parent / "checkin"))
from checkin_helpers import issue


def url(person: object) -> str:
    return f"/practice/clients/{person.pk}/consent/"


class WithdrawalPageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def test_it_lists_bobs_measures_and_channels_for_alice(self) -> None:
        login_as(self.client, self.p.alice)
        page = self.client.get(url(self.p.bob))
        self.assertContains(page, "Record withdrawal from Patient Health Questionnaire-9")
        self.assertContains(page, "Record withdrawal from Email")
        self.assertContains(page, "Record withdrawal from SMS")

    def test_it_links_to_the_page_from_bobs_link_page(self) -> None:
        login_as(self.client, self.p.alice)
        page = self.client.post("/practice/checkin/link/", {"client_id": str(self.p.bob.pk)})
        self.assertContains(page, f'href="{url(self.p.bob)}"')

    def test_it_hides_bobs_page_from_charlie_and_erin(self) -> None:
        # Charlie and Faye (another practice) get "not there"; Erin is not a therapist at all.
        for other, status in ((self.p.charlie, 404), (self.p.faye, 404), (self.p.erin, 403)):
            login_as(self.client, other)
            self.assertEqual(self.client.get(url(self.p.bob)).status_code, status)
            response = self.client.post(url(self.p.bob), {"channel": "email", "action": "withdraw"})
            self.assertEqual(response.status_code, status)
        self.assertFalse(channel_withdrawn(self.p.bob, "email"))

    def test_it_records_a_withdrawal_as_a_new_row_with_its_audit_event(self) -> None:
        login_as(self.client, self.p.alice)
        before = Consent.objects.filter(client=self.p.bob).count()
        response = self.client.post(url(self.p.bob), {"instrument": "phq9", "action": "withdraw"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Consent.objects.filter(client=self.p.bob).count(), before + 1)
        row = Consent.objects.filter(client=self.p.bob).latest("given_at")
        self.assertEqual((row.instrument, row.recorded_by), ("phq9", self.p.alice))
        self.assertIsNotNone(row.withdrawn_at)
        event = AuditEvent.objects.get(action="consent.withdraw")
        self.assertEqual(event.target_id, str(row.pk))
        self.assertEqual(withdrawn_instruments(self.p.bob), {"phq9"})
        self.assertEqual(withdrawn_instruments(self.p.dave), set())

    def test_it_never_asks_a_withdrawn_instrument(self) -> None:
        _, token = issue(self.p.alice, self.p.bob)
        self.assertIn("phq9", plan_for(token).asked)
        login_as(self.client, self.p.alice)
        self.client.post(url(self.p.bob), {"instrument": "phq9", "action": "withdraw"})
        self.assertNotIn("phq9", plan_for(token).asked)
        self.assertNotIn("phq9", plan_for(token).rolled)

    def test_it_asks_again_after_re_consent_without_updating_the_old_row(self) -> None:
        login_as(self.client, self.p.alice)
        self.client.post(url(self.p.bob), {"instrument": "phq9", "action": "withdraw"})
        withdrawal = Consent.objects.filter(client=self.p.bob).latest("given_at")
        self.client.post(url(self.p.bob), {"instrument": "phq9", "action": "reconsent"})
        withdrawal.refresh_from_db()
        self.assertIsNotNone(withdrawal.withdrawn_at)
        self.assertEqual(withdrawn_instruments(self.p.bob), set())
        self.assertTrue(AuditEvent.objects.filter(action="consent.reconsent").exists())
        _, token = issue(self.p.alice, self.p.bob)
        self.assertIn("phq9", plan_for(token).asked)

    def test_it_refuses_an_instrument_outside_the_plan_or_an_unknown_channel(self) -> None:
        login_as(self.client, self.p.alice)
        for data in (
            {"instrument": "nonsense", "action": "withdraw"},
            {"channel": "pigeon", "action": "withdraw"},
            {"instrument": "phq9", "channel": "email", "action": "withdraw"},
            {"instrument": "phq9", "action": "delete"},
        ):
            self.assertEqual(self.client.post(url(self.p.bob), data).status_code, 400)
        self.assertFalse(AuditEvent.objects.filter(action__startswith="consent.").exists())


class WithdrawnEmailTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _withdraw_email(self) -> None:
        login_as(self.client, self.p.alice)
        self.client.post(url(self.p.bob), {"channel": "email", "action": "withdraw"})

    def test_it_records_the_channel_withdrawal(self) -> None:
        self._withdraw_email()
        row = Consent.objects.filter(client=self.p.bob).latest("given_at")
        self.assertEqual((row.instrument, row.channel), (ALL_INSTRUMENTS, "email"))
        self.assertTrue(channel_withdrawn(self.p.bob, "email"))
        self.assertFalse(channel_withdrawn(self.p.bob, "sms"))
        self.assertFalse(channel_withdrawn(self.p.dave, "email"))

    def test_it_refuses_to_email_a_checkin_link_and_shows_it_to_copy(self) -> None:
        self._withdraw_email()
        with self.captureOnCommitCallbacks(execute=True):
            page = self.client.post(
                "/practice/checkin/link/", {"client_id": str(self.p.bob.pk), "email": "1"}
            )
        self.assertEqual(len(mail.outbox), 0)
        self.assertContains(page, "has withdrawn consent to email")
        self.assertContains(page, 'id="checkin-link"')
        self.assertNotContains(page, "Email a new link instead")
        event = AuditEvent.objects.get(action="checkin.issue_link")
        self.assertEqual((event.detail["emailed"], event.detail["email_withdrawn"]), (False, True))

    def test_it_refuses_to_email_a_reflection_link(self) -> None:
        self._withdraw_email()
        with self.captureOnCommitCallbacks(execute=True):
            page = self.client.post(
                "/practice/reflection/link/", {"client_id": str(self.p.bob.pk), "email": "1"}
            )
        self.assertEqual(len(mail.outbox), 0)
        self.assertContains(page, "has withdrawn consent to email")

    def test_it_refuses_in_the_action_too(self) -> None:
        self._withdraw_email()
        with self.captureOnCommitCallbacks(execute=True):
            issued = actions.issue_checkin_link(
                acting_user=self.p.alice, client=self.p.bob, send_email=True
            )
        self.assertEqual((issued.emailed, issued.email_withdrawn), (False, True))
        self.assertEqual(len(mail.outbox), 0)

    def test_it_emails_again_after_re_consent_and_still_emails_dave(self) -> None:
        self._withdraw_email()
        self.client.post(url(self.p.bob), {"channel": "email", "action": "reconsent"})
        with self.captureOnCommitCallbacks(execute=True):
            bobs = actions.issue_checkin_link(
                acting_user=self.p.alice, client=self.p.bob, send_email=True
            )
            daves = actions.issue_checkin_link(
                acting_user=self.p.alice, client=self.p.dave, send_email=True
            )
        self.assertTrue(bobs.emailed and daves.emailed)
        self.assertEqual(len(mail.outbox), 2)
