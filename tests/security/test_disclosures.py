"""The disclosure log (PHIPA): each disclosure of a client's health information, with
recipient, legal basis, content, who and when, and the lockbox notice that went with it.

Alice records Bob's disclosures and sees them; Charlie sees nothing of Bob's; Erin,
the privacy officer, sees the practice-wide log and filters it by POST. Entries are
append-only: a correction is a new entry naming the old one.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.custodian import actions
from plusone.custodian.models import Disclosure, LegalBasis
from plusone.lockbox import actions as lockbox
from plusone.lockbox.models import Scope
from plusone.lockbox.queries import WITHHELD_NOTICE

CONTENT = "SENTINEL-DISCLOSURE Bob said he would hurt his neighbour tonight"
RECIPIENT = "Constable Recipient-Sentinel"


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "recipient_name": RECIPIENT,
        "recipient_organisation": "Toronto Police Service",
        "legal_basis": LegalBasis.RISK,
        "legal_basis_other": "",
        "content": CONTENT,
        "disclosed_on": timezone.localdate().isoformat(),
        "corrects": "",
    }
    data.update(overrides)
    return data


class DisclosureTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _url(self, person: object) -> str:
        return f"/custodian/clients/{person.pk}/disclosures/"  # type: ignore[attr-defined]

    def _record(self, person: object = None, **overrides: object) -> Disclosure:
        data = {
            "recipient_name": RECIPIENT,
            "recipient_organisation": "",
            "legal_basis": LegalBasis.REFERRAL,
            "legal_basis_other": "",
            "content": CONTENT,
            "disclosed_on": timezone.localdate(),
        }
        data.update(overrides)
        return actions.record_disclosure(
            user=self.p.alice,
            client=person or self.p.bob,
            data=actions.DisclosureData(**data),  # type: ignore[arg-type]
        )

    def test_it_records_a_disclosure_through_alices_page(self) -> None:
        login_as(self.client, self.p.alice)
        response = self.client.post(self._url(self.p.bob), _form())
        self.assertEqual(response.status_code, 302)
        row = Disclosure.objects.get(client=self.p.bob)
        self.assertEqual(row.content, CONTENT)
        self.assertEqual(row.legal_basis, LegalBasis.RISK)
        self.assertEqual(row.disclosed_by, self.p.alice)
        self.assertEqual(row.lockbox_notice, "")
        page = self.client.get(self._url(self.p.bob)).content.decode()
        self.assertIn("Risk of serious bodily harm (PHIPA s.40(1))", page)
        self.assertIn("None in force", page)

    def test_it_attaches_the_lockbox_notice_while_a_directive_is_in_force(self) -> None:
        lockbox.record_directive(
            user=self.p.alice,
            client=self.p.bob,
            scope=Scope.RECORD,
            instructed_on=timezone.localdate(),
            now=timezone.now(),
        )
        login_as(self.client, self.p.alice)
        self.client.post(self._url(self.p.bob), _form())
        row = Disclosure.objects.get(client=self.p.bob)
        self.assertEqual(row.lockbox_notice, WITHHELD_NOTICE)
        page = self.client.get(self._url(self.p.bob)).content.decode()
        self.assertIn("Some information withheld at the client&#x27;s request.", page)
        # Dave has no directive: his disclosure carries no notice.
        self.client.post(self._url(self.p.dave), _form())
        self.assertEqual(Disclosure.objects.get(client=self.p.dave).lockbox_notice, "")

    def test_it_keeps_the_notice_as_sent_after_the_directive_is_withdrawn(self) -> None:
        directive = lockbox.record_directive(
            user=self.p.alice,
            client=self.p.bob,
            scope=Scope.RECORD,
            instructed_on=timezone.localdate(),
            now=timezone.now(),
        )
        first = self._record()
        lockbox.withdraw_directive(user=self.p.alice, directive=directive, now=timezone.now())
        second = self._record()
        first.refresh_from_db()
        self.assertEqual(first.lockbox_notice, WITHHELD_NOTICE)
        self.assertEqual(second.lockbox_notice, "")

    def test_it_hides_bobs_disclosures_from_charlie(self) -> None:
        self._record()
        login_as(self.client, self.p.charlie)
        mine = self.client.get(self._url(self.p.bob))
        random = self.client.get(f"/custodian/clients/{uuid.uuid4()}/disclosures/")
        self.assertEqual(mine.status_code, 404)
        self.assertEqual(random.status_code, 404)
        self.assertNotIn(RECIPIENT, mine.content.decode())

    def test_it_refuses_charlie_recording_a_disclosure_about_bob(self) -> None:
        login_as(self.client, self.p.charlie)
        response = self.client.post(self._url(self.p.bob), _form())
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Disclosure.objects.exists())

    def test_it_refuses_sam_and_faye(self) -> None:
        self._record()
        login_as(self.client, self.p.sam)
        self.assertEqual(self.client.get(self._url(self.p.bob)).status_code, 403)
        login_as(self.client, self.p.faye)
        self.assertEqual(self.client.get(self._url(self.p.bob)).status_code, 404)

    def test_it_asks_for_the_law_when_the_basis_is_other(self) -> None:
        login_as(self.client, self.p.alice)
        response = self.client.post(
            self._url(self.p.bob), _form(legal_basis=LegalBasis.OTHER, legal_basis_other=" ")
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Name the law that required the disclosure.", response.content.decode())
        self.assertFalse(Disclosure.objects.exists())

    def test_it_refuses_a_disclosure_dated_in_the_future(self) -> None:
        login_as(self.client, self.p.alice)
        tomorrow = timezone.localdate() + dt.timedelta(days=1)
        response = self.client.post(self._url(self.p.bob), _form(disclosed_on=tomorrow.isoformat()))
        self.assertIn("cannot be in the future", response.content.decode())
        self.assertFalse(Disclosure.objects.exists())

    def test_it_corrects_by_a_new_entry_that_names_the_old_one(self) -> None:
        wrong = self._record(recipient_name="Wrong Recipient")
        login_as(self.client, self.p.alice)
        self.client.post(self._url(self.p.bob), _form(corrects=str(wrong.pk)))
        self.assertEqual(Disclosure.objects.filter(client=self.p.bob).count(), 2)
        fixed = Disclosure.objects.get(corrects=wrong)
        wrong.refresh_from_db()
        self.assertEqual(wrong.recipient_name, "Wrong Recipient")
        self.assertEqual(fixed.recipient_name, RECIPIENT)
        page = self.client.get(self._url(self.p.bob)).content.decode()
        self.assertIn("Corrects the entry of", page)

    def test_it_refuses_a_correction_that_names_another_clients_entry(self) -> None:
        daves = self._record(self.p.dave)
        login_as(self.client, self.p.alice)
        response = self.client.post(self._url(self.p.bob), _form(corrects=str(daves.pk)))
        self.assertIn("Select a valid choice", response.content.decode())
        self.assertFalse(Disclosure.objects.filter(client=self.p.bob).exists())

    def test_it_shows_erin_the_practice_log_filtered_by_post(self) -> None:
        self._record(legal_basis=LegalBasis.REFERRAL)
        self._record(self.p.dave, legal_basis=LegalBasis.COURT)
        login_as(self.client, self.p.erin)
        everything = self.client.get("/custodian/disclosures/").content.decode()
        self.assertIn("Bob Brown", everything)
        self.assertIn("Dave Davis", everything)
        response = self.client.post(
            "/custodian/disclosures/", {"legal_basis": LegalBasis.COURT, "start": "", "end": ""}
        )
        page = response.content.decode()
        self.assertIn("Dave Davis", page)
        self.assertNotIn("Bob Brown</td>", page)
        self.assertEqual(response.request["QUERY_STRING"], "")

    def test_it_lets_erin_record_a_disclosure_for_any_client_of_the_practice(self) -> None:
        login_as(self.client, self.p.erin)
        response = self.client.post(
            "/custodian/disclosures/new/",
            _form(client=str(self.p.dave.pk), legal_basis=LegalBasis.COURT),
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Disclosure.objects.get().disclosed_by, self.p.erin)
        # Gus is Lakeview's: not a choice.
        response = self.client.post("/custodian/disclosures/new/", _form(client=str(self.p.gus.pk)))
        self.assertIn("Select a valid choice", response.content.decode())
        self.assertEqual(Disclosure.objects.count(), 1)

    def test_it_refuses_the_action_to_a_therapist_who_does_not_treat_the_client(self) -> None:
        with self.assertRaises(actions.Refused):
            actions.record_disclosure(
                user=self.p.charlie,
                client=self.p.bob,
                data=actions.DisclosureData(
                    RECIPIENT, "", LegalBasis.RISK, "", CONTENT, timezone.localdate()
                ),
            )
        self.assertFalse(Disclosure.objects.exists())

    def test_it_audits_each_disclosure_without_health_information(self) -> None:
        row = self._record()
        event = AuditEvent.objects.get(action="disclosure.record")
        self.assertEqual(event.target_id, str(self.p.bob.pk))
        self.assertEqual(event.detail["disclosure_id"], str(row.pk))
        dumped = json.dumps(event.detail)
        for secret in ("SENTINEL", "Constable", "Bob", "Brown", "neighbour"):
            self.assertNotIn(secret, dumped)

    def test_it_stores_the_content_encrypted(self) -> None:
        self._record()
        with connection.cursor() as cursor:
            cursor.execute("SELECT content FROM custodian_disclosure")
            (stored,) = cursor.fetchone()
        self.assertNotIn("SENTINEL", stored)
        self.assertTrue(stored.startswith("v1:"))

    def test_it_reads_the_practice_log_in_a_fixed_number_of_queries(self) -> None:
        login_as(self.client, self.p.erin)
        self._record()
        self.client.get("/custodian/disclosures/")
        with CaptureQueriesContext(connection) as one:
            self.client.get("/custodian/disclosures/")
        for _ in range(29):
            self._record(self.p.dave)
        with CaptureQueriesContext(connection) as thirty:
            page = self.client.get("/custodian/disclosures/").content.decode()
        self.assertIn("30 disclosures", page)
        self.assertEqual(len(one), len(thirty))
