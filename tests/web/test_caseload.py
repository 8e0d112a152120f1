"""The therapist's caseload page, acting as personas through Django's test client."""

import uuid

from django.db import transaction
from django.test import TestCase
from django.urls import reverse

from personas import TODAY, intake_data, login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical import actions
from plusone.clinical.models import EpisodeSummary, Flag

CASELOAD = reverse("insights:caseload")


def _open_flag(client_row, grade=2, **answer):
    with transaction.atomic():
        return actions.open_flag(
            episode=client_row.episodes.get(),
            grade=grade,
            source_kind="administration",
            source_id=uuid.uuid4(),
            actor=None,
            **answer,
        )


class CaseloadTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def test_it_lists_alices_clients_for_alice(self):
        login_as(self.client, self.p.alice)
        response = self.client.get(CASELOAD)
        self.assertContains(response, "Bob Brown")
        self.assertContains(response, "Dave Davis")
        self.assertNotContains(response, "Gus")

    def test_it_hides_bob_and_dave_from_charlie(self):
        login_as(self.client, self.p.charlie)
        response = self.client.get(CASELOAD)
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "Bob Brown")
        self.assertNotContains(response, "Dave Davis")

    def test_it_refuses_the_caseload_to_the_admin(self):
        login_as(self.client, self.p.erin)
        self.assertEqual(self.client.get(CASELOAD).status_code, 403)

    def test_it_sends_an_anonymous_visitor_to_sign_in(self):
        response = self.client.get(CASELOAD)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(reverse("account_login")))

    def test_it_records_a_view_event_for_the_caseload(self):
        login_as(self.client, self.p.alice)
        self.client.get(CASELOAD)
        event = AuditEvent.objects.filter(action="view.caseload").get()
        self.assertEqual(event.actor_id, self.p.alice.pk)
        self.assertEqual(event.practice, self.p.riverside)

    def test_it_marks_an_open_flag_with_an_acknowledge_form(self):
        flag = _open_flag(self.p.bob)
        login_as(self.client, self.p.alice)
        response = self.client.get(CASELOAD)
        self.assertContains(response, "Open flag")
        self.assertContains(response, reverse("clinical:acknowledge_flag", args=[flag.pk]))

    def test_it_names_the_item_and_the_answer_of_a_flag_not_only_its_grade(self):
        _open_flag(self.p.bob, instrument_key="phq9", item_id="phq9_9", answer=2)
        login_as(self.client, self.p.alice)
        response = self.client.get(CASELOAD)
        self.assertContains(response, "Grade 2: PHQ-9 item 9: More than half the days,")
        self.assertContains(response, "What to do, on the card")

    def test_it_offers_a_check_in_link_button_per_client(self):
        login_as(self.client, self.p.alice)
        response = self.client.get(CASELOAD)
        self.assertContains(response, f'action="{reverse("measures:issue_link")}"', count=2)
        self.assertContains(response, f'name="client_id" value="{self.p.bob.pk}"')

    def test_it_carries_no_integer_id_and_no_query_string_in_its_links(self):
        login_as(self.client, self.p.alice)
        body = self.client.get(CASELOAD).content.decode()
        self.assertNotIn("?", "".join(part.split('"')[0] for part in body.split('href="')[1:]))

    def test_it_reads_the_caseload_in_a_constant_number_of_queries(self):
        login_as(self.client, self.p.alice)
        _open_flag(self.p.bob)
        self.client.get(CASELOAD)  # warm the session
        with self.assertNumQueries(QUERIES):
            self.client.get(CASELOAD)
        for i in range(29):
            client_row = actions.intake_client(
                therapist=self.p.alice,
                practice=self.p.riverside,
                data=_intake(f"Extra{i}"),
                today=TODAY,
            )
            if i % 3 == 0:
                _open_flag(client_row)
        self.assertEqual(EpisodeSummary.objects.filter(therapist=self.p.alice).count(), 31)
        with self.assertNumQueries(QUERIES):
            response = self.client.get(CASELOAD)
        self.assertContains(response, "Extra28")


# session, user, membership check (route), caseload, open flags, last and next
# sessions (one grouped query), practice for the view event, and the audit record:
# atomic savepoint, head lock, insert, head update; and the open PHIPA requests due
# soon about these clients (plusone.rights: one UNION query, whatever the caseload).
QUERIES = 13


def _intake(name):
    return intake_data(given_name=name, s2_intention="steadier")


class AcknowledgeFlagTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def setUp(self):
        self.flag = _open_flag(self.p.bob)
        self.url = reverse("clinical:acknowledge_flag", args=[self.flag.pk])

    def test_it_closes_the_flag_with_alices_action_note(self):
        login_as(self.client, self.p.alice)
        response = self.client.post(self.url, {"action_note": "Called Bob; safe tonight."})
        self.assertRedirects(response, CASELOAD, fetch_redirect_response=False)
        self.flag.refresh_from_db()
        self.assertEqual(self.flag.status, Flag.Status.ACKNOWLEDGED)
        self.assertEqual(self.flag.acknowledged_by, self.p.alice)
        self.assertEqual(self.flag.action_note, "Called Bob; safe tonight.")
        summary = EpisodeSummary.objects.get(episode=self.flag.episode)
        self.assertEqual(summary.open_flag_count, 0)
        event = AuditEvent.objects.get(action="flag.acknowledge")
        self.assertEqual(event.target_id, str(self.flag.pk))
        self.assertEqual(event.actor_id, self.p.alice.pk)
        self.assertNotIn("Called Bob", str(event.detail))

    def test_it_refuses_to_close_a_flag_without_a_note(self):
        login_as(self.client, self.p.alice)
        self.client.post(self.url, {"action_note": "   "})
        self.flag.refresh_from_db()
        self.assertEqual(self.flag.status, Flag.Status.OPEN)
        self.assertFalse(AuditEvent.objects.filter(action="flag.acknowledge").exists())

    def test_it_answers_charlie_with_404_and_leaves_the_flag_open(self):
        login_as(self.client, self.p.charlie)
        response = self.client.post(self.url, {"action_note": "not mine"})
        self.assertEqual(response.status_code, 404)
        self.flag.refresh_from_db()
        self.assertEqual(self.flag.status, Flag.Status.OPEN)

    def test_it_lets_sam_read_but_not_acknowledge(self):
        login_as(self.client, self.p.sam)
        self.assertEqual(self.client.post(self.url, {"action_note": "x"}).status_code, 403)
        self.flag.refresh_from_db()
        self.assertEqual(self.flag.status, Flag.Status.OPEN)

    def test_it_refuses_a_get(self):
        login_as(self.client, self.p.alice)
        self.assertEqual(self.client.get(self.url).status_code, 405)

    def test_it_acknowledges_only_once(self):
        login_as(self.client, self.p.alice)
        self.client.post(self.url, {"action_note": "first"})
        self.client.post(self.url, {"action_note": "second"})
        self.flag.refresh_from_db()
        self.assertEqual(self.flag.action_note, "first")
        self.assertEqual(AuditEvent.objects.filter(action="flag.acknowledge").count(), 1)
