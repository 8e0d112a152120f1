"""Consent directives (the lockbox): Bob withholds a note, his whole record, or access
by a named clinician. Others see a marker, never silence; alice (his therapist)
still sees everything; a risk flag stays with alice and whoever covers it; only
break-glass with a permitted purpose overrides; withdrawal restores access."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from zoneinfo import ZoneInfo

import time_machine
from django.db import transaction
from django.http import Http404
from django.test import TestCase
from django.utils import timezone

from journey_fixtures import give_history
from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical import actions as clinical
from plusone.clinical import queries, risk
from plusone.clinical.models import Session
from plusone.insights.journey import build_journey
from plusone.lockbox import actions
from plusone.lockbox.models import ConsentDirective, ItemKind, Scope
from plusone.lockbox.queries import (
    WITHHELD_MARKER,
    WITHHELD_NOTICE,
    disclosure_notice,
    withheld_from,
)
from plusone.measures.models import Administration
from plusone.notes import actions as notes
from plusone.notes.models import REQUIRED_SECTIONS

TORONTO = ZoneInfo("America/Toronto")
NOTE_WORDS = "SENTINEL-LOCKBOX-NOTE Bob spoke about the river"
DIRECTIVE_NOTE = "SENTINEL-LOCKBOX-DIRECTIVE Bob does not want his supervisor to read this"
MARKER = WITHHELD_MARKER.replace("'", "&#x27;")


class LockboxTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        p = cls.p
        cls.episode = p.bob.episodes.get()
        cls.session = Session.objects.create(
            practice=p.riverside,
            episode=cls.episode,
            starts_at=timezone.now() - dt.timedelta(days=1),
            status=Session.Status.ATTENDED,
        )
        sections = {name: f"{NOTE_WORDS} ({name})" for name in REQUIRED_SECTIONS}
        draft = notes.save_draft(
            user=p.alice, session=cls.session, sections=sections, base_version=0
        )
        notes.sign_note(user=p.alice, session=cls.session, base_version=draft.version)

    # helpers ----------------------------------------------------------------------------

    def _as(self, user: object) -> None:
        login_as(self.client, user)

    def _directive(self, scope: str, **fields: object) -> ConsentDirective:
        return actions.record_directive(
            user=self.p.alice,
            client=self.p.bob,
            scope=scope,
            instructed_on=timezone.localdate(),
            now=timezone.now(),
            **fields,
        )

    def _withhold_note(self) -> ConsentDirective:
        return self._directive(Scope.ITEM, item_kind=ItemKind.NOTE, item_id=self.session.pk)

    def _note_url(self) -> str:
        return f"/practice/sessions/{self.session.pk}/note/"

    def _journey_url(self) -> str:
        return f"/practice/episodes/{self.episode.pk}/journey/"

    def _break_glass(self, purpose: str) -> None:
        self._as(self.p.erin)
        response = self.client.post(
            "/privacy/break-glass/",
            {"client": str(self.p.bob.pk), "reason": "Bob's sister called", "purpose": purpose},
        )
        self.assertEqual(response.status_code, 302)

    def _flag(self) -> None:
        with transaction.atomic():
            clinical.open_flag(
                episode=self.episode,
                grade=2,
                source_kind="administration",
                source_id=uuid.uuid4(),
                actor=None,
            )

    # a withheld item ----------------------------------------------------------------------

    def test_it_shows_sam_the_marker_not_bobs_withheld_note(self) -> None:
        self._withhold_note()
        self._as(self.p.sam)
        page = self.client.get(self._note_url())
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, MARKER)
        self.assertNotContains(page, "SENTINEL-LOCKBOX-NOTE")

    def test_it_still_shows_alice_the_note_she_wrote(self) -> None:
        self._withhold_note()
        self._directive(Scope.RECORD)
        self._as(self.p.alice)
        page = self.client.get(self._note_url())
        self.assertContains(page, "SENTINEL-LOCKBOX-NOTE")
        self.assertNotContains(page, MARKER)

    def test_it_shows_sam_a_marker_row_for_a_withheld_goal_on_the_journey(self) -> None:
        goal = self.episode.goals.get(position=1)
        self._directive(Scope.ITEM, item_kind=ItemKind.GOAL, item_id=goal.goal_id)
        self._as(self.p.sam)
        page = self.client.get(self._journey_url())
        self.assertContains(page, f"Goal 1: {MARKER}")
        self.assertNotContains(page, "first goal")
        self.assertContains(page, "second goal")
        self._as(self.p.alice)
        self.assertContains(self.client.get(self._journey_url()), "first goal")

    # the whole record ---------------------------------------------------------------------

    def test_it_shows_sam_only_markers_under_a_whole_record_directive(self) -> None:
        self._directive(Scope.RECORD)
        self._as(self.p.sam)
        pages = {
            "journey": self.client.get(self._journey_url()),
            "together": self.client.get(f"/practice/episodes/{self.episode.pk}/journey/together/"),
            "card": self.client.get(f"/practice/episodes/{self.episode.pk}/card/"),
            "decisions": self.client.get(f"/practice/episodes/{self.episode.pk}/decisions/"),
            "note": self.client.get(self._note_url()),
        }
        for name, page in pages.items():
            with self.subTest(page=name):
                self.assertEqual(page.status_code, 200)
                self.assertContains(page, MARKER)
                for words in ("SENTINEL-LOCKBOX-NOTE", "first goal", "feel at home"):
                    self.assertNotContains(page, words)

    def test_it_keeps_bobs_flag_on_alices_dashboard_under_a_whole_record_directive(self) -> None:
        self._flag()
        self._directive(Scope.RECORD)
        self._as(self.p.alice)
        body = self.client.get("/practice/caseload/").content.decode()
        risk_tier = body.split('data-tier="risk"', 1)[1].split("</tbody>", 1)[0]
        self.assertIn('data-client="Bob Brown"', risk_tier)
        self.assertContains(self.client.get(self._journey_url()), "Open risk flags")

    def test_it_keeps_bobs_flag_and_safety_plan_for_charlie_covering_alice(self) -> None:
        away = timezone.localdate() + dt.timedelta(days=7)
        risk.set_absence(
            user=self.p.alice,
            practice=self.p.riverside,
            therapist=self.p.alice,
            starts_on=away,
            ends_on=away,
            cover=self.p.charlie,
        )
        self._directive(Scope.RECORD)
        self._directive(Scope.CLINICIAN, clinician=self.p.charlie)
        noon = dt.datetime.combine(away, dt.time(12), tzinfo=TORONTO)
        with time_machine.travel(noon, tick=False):
            self._flag()
            self._as(self.p.charlie)
            page = self.client.get("/practice/flags/covering/")
            self.assertContains(page, "Bob Brown")
            self.assertContains(page, "call my sister")
            # The flag only: the record stays closed to the clinician Bob named.
            self.assertEqual(self.client.get(self._journey_url()).status_code, 404)

    # a named clinician --------------------------------------------------------------------

    def test_it_closes_bobs_record_to_sam_when_bob_names_him(self) -> None:
        self._directive(Scope.CLINICIAN, clinician=self.p.sam)
        self._as(self.p.sam)
        for url in (
            self._journey_url(),
            self._note_url(),
            f"/practice/episodes/{self.episode.pk}/card/",
            f"/practice/episodes/{self.episode.pk}/decisions/",
        ):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)
        with self.assertRaises(Http404):
            queries.access_client(self.p.sam, self.p.bob.pk)
        # Dave did not consent to supervision; nothing else changes for alice.
        self._as(self.p.alice)
        self.assertEqual(self.client.get(self._journey_url()).status_code, 200)

    def test_it_refuses_to_name_alice_and_says_why(self) -> None:
        self._as(self.p.alice)
        response = self.client.post(
            f"/lockbox/clients/{self.p.bob.pk}/",
            {
                "scope": Scope.CLINICIAN,
                "clinician": self.p.alice.pk,
                "instructed_on": timezone.localdate().isoformat(),
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "transfer the client")
        self.assertFalse(ConsentDirective.objects.exists())

    def test_it_restores_sams_access_when_bob_withdraws(self) -> None:
        named = self._directive(Scope.CLINICIAN, clinician=self.p.sam)
        note = self._withhold_note()
        self._as(self.p.alice)
        for directive in (named, note):
            response = self.client.post(f"/lockbox/directives/{directive.pk}/withdraw/")
            self.assertEqual(response.status_code, 302)
        self._as(self.p.sam)
        page = self.client.get(self._note_url())
        self.assertContains(page, "SENTINEL-LOCKBOX-NOTE")
        self.assertNotContains(page, MARKER)
        # Withdrawn, never deleted: both rows stay with who and when.
        rows = ConsentDirective.objects.filter(withdrawn_by=self.p.alice)
        self.assertEqual(rows.count(), 2)
        self.assertEqual(AuditEvent.objects.filter(action="lockbox.withdraw").count(), 2)

    def test_it_refuses_a_second_withdrawal_politely(self) -> None:
        directive = self._withhold_note()
        self._as(self.p.alice)
        url = f"/lockbox/directives/{directive.pk}/withdraw/"
        self.client.post(url)
        again = self.client.post(url, follow=True)
        self.assertContains(again, "already withdrawn")
        self.assertEqual(AuditEvent.objects.filter(action="lockbox.withdraw").count(), 1)

    # the override -------------------------------------------------------------------------

    def test_it_keeps_the_marker_for_erins_break_glass_without_a_permitted_purpose(self) -> None:
        self._withhold_note()
        self._break_glass("care")
        page = self.client.get(self._note_url())
        self.assertContains(page, MARKER)
        self.assertNotContains(page, "SENTINEL-LOCKBOX-NOTE")

    def test_it_lifts_the_marker_for_erins_break_glass_under_s40(self) -> None:
        self._withhold_note()
        self._break_glass("risk")
        page = self.client.get(self._note_url())
        self.assertContains(page, "SENTINEL-LOCKBOX-NOTE")
        self.assertNotContains(page, MARKER)
        event = AuditEvent.objects.get(action="break_glass.open")
        self.assertEqual(event.detail["purpose"], "risk")
        # As privacy officer she reaches Bob's directives from the journey.
        journey = self.client.get(self._journey_url())
        self.assertContains(journey, f"/lockbox/officer/clients/{self.p.bob.pk}/")

    def test_it_lifts_a_whole_record_directive_for_a_break_glass_required_by_law(self) -> None:
        self._directive(Scope.RECORD)
        self._break_glass("law")
        page = self.client.get(self._note_url())
        self.assertContains(page, "SENTINEL-LOCKBOX-NOTE")
        self.assertNotContains(self.client.get(self._journey_url()), MARKER)

    def test_it_refuses_an_unknown_break_glass_purpose(self) -> None:
        self._as(self.p.erin)
        response = self.client.post(
            "/privacy/break-glass/",
            {"client": str(self.p.bob.pk), "reason": "because", "purpose": "curiosity"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Select a valid choice")
        self.assertFalse(AuditEvent.objects.filter(action="break_glass.open").exists())

    # the notice and the audit -------------------------------------------------------------

    def test_it_gives_the_disclosure_notice_only_while_a_directive_is_in_force(self) -> None:
        self.assertIsNone(disclosure_notice(self.p.bob))
        directive = self._directive(Scope.RECORD)
        self.assertEqual(disclosure_notice(self.p.bob), WITHHELD_NOTICE)
        self.assertIsNone(disclosure_notice(self.p.dave))
        actions.withdraw_directive(user=self.p.alice, directive=directive, now=timezone.now())
        self.assertIsNone(disclosure_notice(self.p.bob))

    def test_it_records_the_directive_with_no_health_information_in_the_audit(self) -> None:
        self._as(self.p.alice)
        response = self.client.post(
            f"/lockbox/clients/{self.p.bob.pk}/",
            {
                "scope": Scope.ITEM,
                "item": f"{ItemKind.NOTE}:{self.session.pk}",
                "instructed_on": timezone.localdate().isoformat(),
                "note": DIRECTIVE_NOTE,
            },
        )
        self.assertEqual(response.status_code, 302)
        directive = ConsentDirective.objects.get()
        self.assertEqual(directive.note, DIRECTIVE_NOTE)
        event = AuditEvent.objects.get(action="lockbox.directive")
        self.assertEqual(event.detail["directive_id"], str(directive.pk))
        self._sam_sees_only_the_marker()
        for row in AuditEvent.objects.all():
            text = json.dumps(row.detail) + row.action + row.target_id
            self.assertNotIn("SENTINEL", text)
            self.assertNotIn("Bob", text)

    def _sam_sees_only_the_marker(self) -> None:
        self._as(self.p.sam)
        self.assertContains(self.client.get(self._note_url()), MARKER)

    def test_it_stores_the_directive_note_encrypted(self) -> None:
        self._directive(Scope.RECORD, note=DIRECTIVE_NOTE)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT note FROM lockbox_consentdirective")
            (stored,) = cursor.fetchone()
        self.assertNotIn("SENTINEL", stored)

    # the pages ----------------------------------------------------------------------------

    def test_it_explains_each_mistake_on_the_form(self) -> None:
        self._as(self.p.alice)
        url = f"/lockbox/clients/{self.p.bob.pk}/"
        cases = [
            ({}, "Choose what the client withholds."),
            ({"scope": Scope.ITEM, "instructed_on": "2026-01-02"}, "Choose the item"),
            ({"scope": Scope.CLINICIAN, "instructed_on": "2026-01-02"}, "Choose the clinician"),
            ({"scope": Scope.ITEM, "item": f"note:{uuid.uuid4()}"}, "Choose an item"),
            ({"scope": Scope.RECORD, "instructed_on": "3026-01-02"}, "cannot be in the future"),
            ({"scope": Scope.RECORD, "instructed_on": "yesterday"}, "YYYY-MM-DD"),
        ]
        for data, message in cases:
            with self.subTest(data=data):
                response = self.client.post(url, data)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, message)
        self.assertFalse(ConsentDirective.objects.exists())

    def test_it_refuses_the_same_directive_twice(self) -> None:
        self._directive(Scope.RECORD)
        self._as(self.p.alice)
        response = self.client.post(
            f"/lockbox/clients/{self.p.bob.pk}/",
            {"scope": Scope.RECORD, "instructed_on": timezone.localdate().isoformat()},
        )
        self.assertContains(response, "already in force")
        self.assertEqual(ConsentDirective.objects.count(), 1)

    def test_it_links_the_directives_from_alices_journey_only(self) -> None:
        link = f"/lockbox/clients/{self.p.bob.pk}/"
        self._as(self.p.alice)
        self.assertContains(self.client.get(self._journey_url()), link)
        self._as(self.p.sam)
        self.assertNotContains(self.client.get(self._journey_url()), link)

    def test_it_lets_erin_record_a_directive_as_privacy_officer(self) -> None:
        self._as(self.p.erin)
        found = self.client.post("/lockbox/officer/", {"client": str(self.p.bob.pk)})
        url = f"/lockbox/officer/clients/{self.p.bob.pk}/"
        self.assertRedirects(found, url)
        response = self.client.post(
            url, {"scope": Scope.RECORD, "instructed_on": timezone.localdate().isoformat()}
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(ConsentDirective.objects.get().recorded_by, self.p.erin)
        # Erin manages the directives but still reads no clinical content.
        self.assertEqual(self.client.get(self._journey_url()).status_code, 404)

    def test_it_hides_bobs_directives_from_charlie_and_lakeview(self) -> None:
        directive = self._directive(Scope.RECORD)
        for user in (self.p.charlie, self.p.faye):
            with self.subTest(user=user.email):
                self._as(user)
                page = self.client.get(f"/lockbox/clients/{self.p.bob.pk}/")
                self.assertEqual(page.status_code, 404)
                gone = self.client.post(f"/lockbox/directives/{directive.pk}/withdraw/")
                self.assertEqual(gone.status_code, 404)
        directive.refresh_from_db()
        self.assertIsNone(directive.withdrawn_at)


class WithheldMeasureTests(TestCase):
    """A withheld administration leaves a marker row on sam's journey and card, and
    only there: alice's chart keeps the score."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=6, skipped=5, decision_session=4, rupture_session=5)

    def _withhold(self, **filters: object) -> Administration:
        chosen = Administration.objects.filter(episode=self.episode, **filters).latest(
            "completed_at"
        )
        login_as(self.client, self.p.alice)
        response = self.client.post(
            f"/lockbox/clients/{self.p.bob.pk}/",
            {
                "scope": Scope.ITEM,
                "item": f"{ItemKind.ADMINISTRATION}:{chosen.pk}",
                "instructed_on": timezone.localdate().isoformat(),
            },
        )
        self.assertEqual(response.status_code, 302)
        return chosen

    def test_it_leaves_the_score_out_of_sams_journey_with_a_marker_row(self) -> None:
        self._withhold(instrument_key="phq9", respondent="client")
        sams = build_journey(
            self.episode,
            today=timezone.localdate(),
            withheld=withheld_from(self.p.sam, self.p.bob),
        )
        alices = build_journey(
            self.episode,
            today=timezone.localdate(),
            withheld=withheld_from(self.p.alice, self.p.bob),
        )
        self.assertIn(6, alices.journey.symptoms.values)
        self.assertNotIn(6, sams.journey.symptoms.values)
        self.assertIn(f"Session 6, one measure: {WITHHELD_MARKER}", sams.withheld)
        self.assertIsNone(sams.proposal)
        self.assertEqual(alices.withheld, ())
        login_as(self.client, self.p.sam)
        page = self.client.get(f"/practice/episodes/{self.episode.pk}/journey/")
        self.assertContains(page, f"Session 6, one measure: {MARKER}")

    def test_it_shows_sam_a_marker_for_a_withheld_session_reflection_on_the_card(self) -> None:
        self._withhold(instrument_key="session_reflection")
        login_as(self.client, self.p.sam)
        page = self.client.get(f"/practice/episodes/{self.episode.pk}/card/")
        self.assertContains(page, f"Last Session Reflection: {MARKER}")
        login_as(self.client, self.p.alice)
        page = self.client.get(f"/practice/episodes/{self.episode.pk}/card/")
        self.assertNotContains(page, MARKER)


class DirectiveListQueryTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _add(self, n: int) -> None:
        for _ in range(n):
            ConsentDirective.objects.create(
                practice=self.p.riverside,
                client=self.p.bob,
                scope=Scope.RECORD,
                instructed_on=timezone.localdate(),
                recorded_by=self.p.alice,
                recorded_at=timezone.now(),
                withdrawn_at=timezone.now(),
                withdrawn_by=self.p.erin,
            )

    def _count(self) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        login_as(self.client, self.p.alice)
        with CaptureQueriesContext(connection) as queries_run:
            page = self.client.get(f"/lockbox/clients/{self.p.bob.pk}/")
        self.assertEqual(page.status_code, 200)
        return len(queries_run)

    def test_it_lists_1_and_30_directives_in_the_same_number_of_queries(self) -> None:
        self._add(1)
        one = self._count()
        self._add(29)
        self.assertEqual(self._count(), one)
