"""Retention: the College's rule as a pure function, the "retention due" report, legal
holds, and destruction as one explicit act with a certificate.

Nothing is ever deleted automatically. Erin (privacy officer) destroys one client's
record only after its retention period, never under an active legal hold, and only
after typing the client's name. Afterwards no row anywhere references the client, a
certificate names it pseudonymously, and ``plusone audit verify`` still passes.
"""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import connection, models
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from access_fixtures import example_objects
from journey_fixtures import give_history
from personas import intake_data, login_as, make_personas
from plusone.accounts.models import User
from plusone.audit.models import AuditEvent
from plusone.clinical import actions as clinical
from plusone.clinical.models import Client, Episode, Session
from plusone.custodian import actions, queries, walk
from plusone.custodian.models import DestructionCertificate, Disclosure, LegalBasis, LegalHold
from plusone.custodian.rules import College, add_years, retention_end
from plusone.measures.models import Administration
from plusone.notes import actions as notes
from plusone.notes.models import SessionNote
from plusone.privacy import actions as privacy

D = dt.date
TORONTO = ZoneInfo("America/Toronto")
# Long after any persona's retention period ends (last contact about now + 10 years).
LATER = D(2040, 1, 2)
HOLD_REASON = "SENTINEL-HOLD Bob's lawyer wrote on 3 March"


# The College rules, as a table: college, last contact, date of birth, end, governed by.
RETENTION_TABLE = [
    # CRPO: 10 years after the last contact when that is later.
    (College.CRPO, D(2020, 5, 1), D(1990, 1, 1), D(2030, 5, 1), "contact"),
    # CPO: the same rule.
    (College.CPO, D(2020, 5, 1), D(1990, 1, 1), D(2030, 5, 1), "contact"),
    # Last contact before 18 (impossible in v1, clients are 18+): 10 years after 18 wins.
    (College.CRPO, D(2020, 5, 1), D(2005, 6, 30), D(2033, 6, 30), "majority"),
    (College.CPO, D(2021, 1, 10), D(2004, 3, 1), D(2032, 3, 1), "majority"),
    # A 29 February birthday: the 28th birthday falls in a leap year, so it keeps its day.
    (College.CRPO, D(2021, 1, 10), D(2004, 2, 29), D(2032, 2, 29), "majority"),
    # A last contact on 29 February, 10 years on in a common year: 1 March (never early).
    (College.CRPO, D(2024, 2, 29), D(1980, 7, 4), D(2034, 3, 1), "contact"),
    # Both rules give the same day.
    (College.CRPO, D(2018, 3, 10), D(2000, 3, 10), D(2028, 3, 10), "both"),
    # OCSWSSW: 7 years after the last contact, whatever the age.
    (College.OCSWSSW, D(2020, 1, 15), D(1990, 1, 1), D(2027, 1, 15), "contact"),
    (College.OCSWSSW, D(2020, 1, 15), D(2010, 1, 1), D(2027, 1, 15), "contact"),
    (College.OCSWSSW, D(2024, 2, 29), D(1990, 1, 1), D(2031, 3, 1), "contact"),
    # A last contact on 31 December stays on 31 December.
    (College.OCSWSSW, D(2019, 12, 31), D(1970, 1, 1), D(2026, 12, 31), "contact"),
]


@pytest.mark.parametrize(("college", "last", "born", "end", "governed"), RETENTION_TABLE)
def test_it_computes_the_retention_end_of_each_college(
    college: College, last: dt.date, born: dt.date, end: dt.date, governed: str
) -> None:
    result = retention_end(college, last_contact=last, born=born)
    assert result.ends_on == end
    if governed == "contact":
        assert result.by_last_contact == end
    elif governed == "majority":
        assert result.by_majority == end and result.by_last_contact < end
    else:
        assert result.by_last_contact == result.by_majority == end
    assert str(end) in result.explanation


def test_it_moves_29_february_to_1_march_in_a_common_year() -> None:
    assert add_years(D(2024, 2, 29), 1) == D(2025, 3, 1)
    assert add_years(D(2024, 2, 29), 4) == D(2028, 2, 29)
    assert add_years(D(2023, 3, 1), 1) == D(2024, 3, 1)


def test_it_ignores_the_birthday_under_the_social_work_rule() -> None:
    assert (
        retention_end(College.OCSWSSW, last_contact=D(2020, 1, 1), born=D(2015, 1, 1)).by_majority
        is None
    )


def _fk_fields() -> list[tuple[type[models.Model], models.ForeignKey[Any, Any]]]:
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey)
    ]


def dangling_references() -> list[str]:
    """Every foreign-key value, in every table, that names a row that no longer exists."""
    found = []
    for model, field in _fk_fields():
        target = field.related_model
        values = set(
            model._base_manager.exclude(**{f"{field.attname}__isnull": True}).values_list(
                field.attname, flat=True
            )
        )
        if not values:
            continue
        key = field.target_field.attname
        present = set(
            target._base_manager.filter(**{f"{key}__in": values}).values_list(key, flat=True)
        )
        if values - present:
            found.append(f"{model._meta.label}.{field.name}")
    return found


class RetentionTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _hold(self, client: Client | None = None) -> LegalHold:
        return actions.place_hold(user=self.p.erin, client=client or self.p.bob, reason=HOLD_REASON)

    def _destroy(
        self, client: Client | None = None, today: dt.date = LATER
    ) -> DestructionCertificate:
        person = client or self.p.bob
        return actions.destroy_client(
            user=self.p.erin, client=person, confirm_name=person.display_name, today=today
        )

    # Last contact and the report -----------------------------------------------------

    def test_it_takes_the_last_contact_from_sessions_check_ins_and_decisions(self) -> None:
        episode = self.p.bob.episodes.get()
        history = give_history(episode, n=6, skipped=3, decision_session=4, rupture_session=5)
        last_session = max(
            s.starts_at for s in history.sessions if s.status == Session.Status.ATTENDED
        )
        contact = queries.last_contacts([self.p.bob])[self.p.bob.pk]
        self.assertEqual(contact, timezone.localtime(last_session, TORONTO).date())
        # A scheduled (not attended) session later on is not contact.
        self.assertLess(contact, timezone.localdate() + dt.timedelta(days=3))

    def test_it_falls_back_to_the_day_the_client_was_added(self) -> None:
        contact = queries.last_contacts([self.p.dave])[self.p.dave.pk]
        self.assertEqual(contact, timezone.localtime(self.p.dave.created_at, TORONTO).date())

    def test_it_does_not_count_an_observers_answers_as_contact(self) -> None:
        later = timezone.now() + dt.timedelta(days=2)

        def answered(respondent: str) -> None:
            Administration.objects.create(
                practice=self.p.riverside,
                client=self.p.dave,
                episode=self.p.dave.episodes.get(),
                instrument_key="who5",
                instrument_version="1",
                context="checkin",
                respondent=respondent,
                started_at=later,
                completed_at=later,
                idempotency_key=f"test:{respondent}",
            )

        added = timezone.localtime(self.p.dave.created_at, TORONTO).date()
        answered("observer")
        self.assertEqual(queries.last_contacts([self.p.dave])[self.p.dave.pk], added)
        answered("client")
        self.assertEqual(
            queries.last_contacts([self.p.dave])[self.p.dave.pk],
            timezone.localtime(later, TORONTO).date(),
        )

    def test_it_reports_clients_due_with_their_holds(self) -> None:
        self._hold()
        login_as(self.client, self.p.erin)
        now = self.client.get("/custodian/retention/?days=90").content.decode()
        self.assertIn("No client's retention period ends in that time.", now)
        with time_machine.travel(dt.datetime(2040, 1, 2, 12, tzinfo=TORONTO), tick=False):
            login_as(self.client, self.p.erin)
            page = self.client.get("/custodian/retention/?days=0").content.decode()
        self.assertIn("Bob Brown", page)
        self.assertIn("Dave Davis", page)
        self.assertNotIn("Gus Green", page)
        self.assertIn("On hold", page)

    def test_it_reads_the_due_report_in_a_fixed_number_of_queries(self) -> None:
        def due_page() -> tuple[int, str]:
            with time_machine.travel(dt.datetime(2040, 1, 2, 12, tzinfo=TORONTO), tick=False):
                login_as(self.client, self.p.erin)
                self.client.get("/custodian/retention/?days=0")
                with CaptureQueriesContext(connection) as queries_run:
                    page = self.client.get("/custodian/retention/?days=0").content.decode()
            return len(queries_run), page

        self._hold()
        two, page = due_page()
        self.assertIn("2 clients due", page)
        for i in range(28):
            clinical.intake_client(
                therapist=self.p.alice,
                practice=self.p.riverside,
                data=intake_data(
                    given_name=f"Client{i}",
                    family_name="Test",
                    date_of_birth=D(1970, 1, 1),
                    goals=[],
                ),
                today=timezone.localdate(),
            )
        thirty, page = due_page()
        self.assertIn("30 clients due", page)
        self.assertEqual(two, thirty)

    def test_it_explains_a_bad_number_of_days(self) -> None:
        login_as(self.client, self.p.erin)
        page = self.client.get("/custodian/retention/?days=-4").content.decode()
        self.assertIn("Ensure this value is greater than or equal to 0.", page)

    def test_it_applies_the_colleges_rule_the_practice_chose(self) -> None:
        login_as(self.client, self.p.erin)
        self.client.post("/custodian/retention/college/", {"college": "ocswssw"})
        position = queries.retention_for([self.p.bob])[0]
        self.assertEqual(position.college, College.OCSWSSW)
        self.assertEqual(position.end.ends_on, add_years(position.last_contact, 7))
        self.assertTrue(AuditEvent.objects.filter(action="retention.college").exists())

    def test_it_keeps_the_retention_pages_from_everyone_but_the_privacy_officer(self) -> None:
        for person in (self.p.alice, self.p.charlie, self.p.sam, self.p.faye):
            login_as(self.client, person)
            for url in (
                "/custodian/retention/",
                f"/custodian/retention/clients/{self.p.bob.pk}/destroy/",
            ):
                self.assertEqual(self.client.get(url).status_code, 403, (person, url))

    # Legal holds ------------------------------------------------------------------------

    def test_it_places_and_releases_a_hold_with_reasons(self) -> None:
        login_as(self.client, self.p.erin)
        url = f"/custodian/retention/clients/{self.p.bob.pk}/"
        self.client.post(url + "hold/", {"reason": HOLD_REASON})
        hold = LegalHold.objects.get()
        self.assertTrue(hold.active)
        self.assertEqual(hold.placed_by, self.p.erin)
        response = self.client.post(f"/custodian/retention/holds/{hold.pk}/release/", {})
        self.assertIn("Give the reason the hold is released.", response.content.decode())
        self.client.post(
            f"/custodian/retention/holds/{hold.pk}/release/", {"release_reason": "Case settled"}
        )
        hold.refresh_from_db()
        self.assertFalse(hold.active)
        self.assertEqual(hold.release_reason, "Case settled")
        actions_seen = list(
            AuditEvent.objects.filter(action__startswith="legal_hold.").values_list(
                "action", flat=True
            )
        )
        self.assertEqual(actions_seen, ["legal_hold.place", "legal_hold.release"])

    def test_it_refuses_a_hold_without_a_reason(self) -> None:
        login_as(self.client, self.p.erin)
        response = self.client.post(f"/custodian/retention/clients/{self.p.bob.pk}/hold/", {})
        self.assertEqual(response.status_code, 200)
        self.assertIn("This field is required.", response.content.decode())
        self.assertFalse(LegalHold.objects.exists())

    def test_it_refuses_destruction_while_a_legal_hold_is_active(self) -> None:
        self._hold()
        with self.assertRaisesMessage(actions.Refused, "A legal hold is active"):
            self._destroy()
        self.assertTrue(Client.objects.filter(pk=self.p.bob.pk).exists())
        self.assertFalse(DestructionCertificate.objects.exists())

    def test_it_refuses_destruction_on_the_page_while_a_hold_is_active(self) -> None:
        self._hold()
        with time_machine.travel(dt.datetime(2040, 1, 2, 12, tzinfo=TORONTO), tick=False):
            login_as(self.client, self.p.erin)
            url = f"/custodian/retention/clients/{self.p.bob.pk}/destroy/"
            self.assertIn("A legal hold is active.", self.client.get(url).content.decode())
            response = self.client.post(url, {"confirm_name": "Bob Brown"})
        self.assertEqual(response.status_code, 200)
        self.assertIn("release it before destroying", response.content.decode())
        self.assertTrue(Client.objects.filter(pk=self.p.bob.pk).exists())

    def test_it_refuses_destruction_before_the_retention_end(self) -> None:
        end = queries.retention_for([self.p.bob])[0].end.ends_on
        with self.assertRaisesMessage(actions.Refused, f"The retention period ends on {end}"):
            self._destroy(today=end - dt.timedelta(days=1))
        self.assertTrue(Client.objects.filter(pk=self.p.bob.pk).exists())
        # On the end day itself it may go.
        self._destroy(today=end)
        self.assertFalse(Client.objects.filter(pk=self.p.bob.pk).exists())

    def test_it_refuses_destruction_without_the_typed_name(self) -> None:
        with time_machine.travel(dt.datetime(2040, 1, 2, 12, tzinfo=TORONTO), tick=False):
            login_as(self.client, self.p.erin)
            url = f"/custodian/retention/clients/{self.p.bob.pk}/destroy/"
            response = self.client.post(url, {"confirm_name": "bob brown"})
        self.assertIn("type it exactly", response.content.decode())
        self.assertTrue(Client.objects.filter(pk=self.p.bob.pk).exists())

    # Destruction ------------------------------------------------------------------------

    def _fill_bobs_record(self) -> dict[str, Any]:
        """Bob's record with a row of every kind the apps hold, through their actions."""
        objects = example_objects(self.p)  # session, signed note, flag, link, directive, hold
        actions.release_hold(user=self.p.erin, hold=objects["hold"], reason="Case settled")
        episode = self.p.bob.episodes.get()
        give_history(episode, n=6, skipped=3, decision_session=4, rupture_session=5)
        note = SessionNote.objects.get(session=objects["session"])
        notes.add_addendum(user=self.p.alice, note=note, reason="late detail", text="more")
        privacy.open_break_glass(
            user=self.p.erin, client_id=self.p.bob.pk, reason="urgent", now=timezone.now()
        )
        first = actions.record_disclosure(
            user=self.p.alice,
            client=self.p.bob,
            data=actions.DisclosureData(
                "Dr Who", "", LegalBasis.REFERRAL, "", "summary", timezone.localdate()
            ),
        )
        actions.record_disclosure(
            user=self.p.alice,
            client=self.p.bob,
            data=actions.DisclosureData(
                "Dr Who", "Clinic", LegalBasis.REFERRAL, "", "summary", timezone.localdate(), first
            ),
        )
        portal = User.objects.create_user("bob.portal@client.example", "a portal passphrase")
        Client.objects.filter(pk=self.p.bob.pk).update(portal_user=portal)
        self.p.bob.refresh_from_db()
        return objects

    def test_it_destroys_every_row_that_references_the_client_and_nothing_else(self) -> None:
        objects = self._fill_bobs_record()
        bob = self.p.bob
        episode_ids = list(Episode.objects.filter(client=bob).values_list("pk", flat=True))
        session_ids = list(Session.objects.filter(episode__client=bob).values_list("pk", flat=True))
        daves_before = Administration.objects.filter(client=self.p.dave).count()
        self.assertGreater(Administration.objects.filter(client=bob).count(), 5)

        certificate = self._destroy()

        self.assertFalse(Client.objects.filter(pk=bob.pk).exists())
        self.assertFalse(Episode.objects.filter(pk__in=episode_ids).exists())
        self.assertFalse(Session.objects.filter(pk__in=session_ids).exists())
        self.assertFalse(Disclosure.objects.exists())
        # The incident stays (it is the practice's), without its link to Bob.
        incident = objects["incident"]
        incident.refresh_from_db()
        self.assertEqual(incident.clients_affected, 1)
        self.assertFalse(incident.links.exists())
        # No foreign key anywhere names a row that is gone.
        self.assertEqual(dangling_references(), [])
        # Nobody else's rows went with it.
        self.assertTrue(Client.objects.filter(pk=self.p.dave.pk).exists())
        self.assertEqual(Administration.objects.filter(client=self.p.dave).count(), daves_before)
        self.assertEqual(certificate.destroyed["clinical.Client"], 1)
        self.assertEqual(certificate.destroyed["clinical.Episode"], 1)
        self.assertEqual(certificate.destroyed["custodian.Disclosure"], 2)
        self.assertIn("notes.SessionNote", certificate.destroyed)
        self.assertIn("notes.Addendum", certificate.destroyed)
        self.assertIn("measures.Administration", certificate.destroyed)
        # Bob's portal sign-in goes too; the staff stay.
        self.assertEqual(certificate.destroyed["accounts.User"], 1)
        self.assertFalse(User.objects.filter(email="bob.portal@client.example").exists())
        self.assertTrue(User.objects.filter(pk=self.p.alice.pk).exists())

    def test_it_finds_the_rows_by_introspection_of_every_model(self) -> None:
        self._fill_bobs_record()
        doomed = walk.collect(self.p.bob)
        found = {model._meta.label_lower for model in doomed}
        # Every installed model with a foreign key to Client that holds a row of Bob's.
        direct = {
            model._meta.label_lower
            for model, field in _fk_fields()
            if field.related_model is Client
            and model._meta.label_lower not in walk.KEEP
            and model._base_manager.filter(**{field.name: self.p.bob}).exists()
        }
        self.assertTrue(direct)
        self.assertLessEqual(direct, found)

    def test_it_writes_a_certificate_with_a_pseudonymous_reference(self) -> None:
        self._fill_bobs_record()
        bob = self.p.bob
        certificate = self._destroy()
        self.assertEqual(certificate.client_ref, bob.pk)
        self.assertEqual(certificate.initials, "BB")
        self.assertEqual(certificate.birth_year, 1988)
        self.assertEqual(certificate.authorised_by, self.p.erin)
        self.assertIn("Backups taken before today still contain the record", certificate.method)
        self.assertNotIn("1988-04-02", certificate.basis)
        login_as(self.client, self.p.erin)
        page = self.client.get(f"/custodian/certificates/{certificate.pk}/").content.decode()
        self.assertIn("Certificate of destruction", page)
        self.assertIn(str(bob.pk), page)
        self.assertNotIn("Bob", page)
        self.assertNotIn("Brown", page)
        listing = self.client.get("/custodian/certificates/").content.decode()
        self.assertIn(str(bob.pk), listing)

    def test_it_keeps_the_audit_chain_verifiable_after_a_destruction(self) -> None:
        self._fill_bobs_record()
        bob_id = str(self.p.bob.pk)
        self._destroy()
        # The events about Bob stay, with the destruction among them.
        actions_about_bob = set(
            AuditEvent.objects.filter(target_id=bob_id).values_list("action", flat=True)
        )
        self.assertIn("retention.destroy", actions_about_bob)
        self.assertIn("disclosure.record", actions_about_bob)
        out = StringIO()
        call_command("audit", "verify", "--format", "json", stdout=out)
        self.assertTrue(json.loads(out.getvalue())["ok"])

    def test_it_destroys_through_the_page_after_the_retention_end(self) -> None:
        self._fill_bobs_record()
        bob_id = self.p.bob.pk
        with time_machine.travel(dt.datetime(2040, 1, 2, 12, tzinfo=TORONTO), tick=False):
            login_as(self.client, self.p.erin)
            url = f"/custodian/retention/clients/{bob_id}/destroy/"
            response = self.client.post(url, {"confirm_name": "Bob Brown"})
        certificate = DestructionCertificate.objects.get(client_ref=bob_id)
        self.assertRedirects(
            response, f"/custodian/certificates/{certificate.pk}/", fetch_redirect_response=False
        )
        self.assertFalse(Client.objects.filter(pk=bob_id).exists())

    def test_it_keeps_health_information_out_of_every_custodian_audit_row(self) -> None:
        self._fill_bobs_record()
        self._destroy()
        rows = AuditEvent.objects.filter(
            action__regex=r"^(disclosure|incident|legal_hold|retention)\."
        )
        self.assertGreaterEqual(rows.count(), 5)
        dumped = json.dumps([r.detail for r in rows])
        for secret in ("Bob", "Brown", "1988", "SENTINEL", "Dr Who", "summary", "Litigation"):
            self.assertNotIn(secret, dumped)


def test_it_documents_the_rules_and_what_destruction_does_not_do() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "custodian.md").read_text()
    for needed in (
        "CRPO",
        "CPO",
        "OCSWSSW",
        "PHIPA s.40(1)",
        "CYFSA",
        "O. Reg. 329/04 s.6.3",
        "Last contact",
        "Backups",
        "plusone audit verify",
    ):
        assert needed in text, needed
