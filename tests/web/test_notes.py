"""Session notes: encrypted drafts, signing, immutability, addenda, conflicts, turning off."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Session
from plusone.notes import actions
from plusone.notes.models import Addendum, NoteDraft, SessionNote, SignedNoteImmutable

FULL = {
    "risk_assessment": "No current ideation; safety plan reviewed",
    "interventions_and_plan": "Explored the pull to please; plan: notice it this week",
    "consent_changes": "None",
    "disclosures": "None",
    "meaning": "Pleasing kept her safe as a child",
    "memory": "",
    "self_in_relationship": "",
    "symptom_message": "The low mood says: you are not allowed to want",
}


def _session(client_row, days_ago=1):
    episode = client_row.episodes.get()
    return Session.objects.create(
        practice=client_row.practice,
        episode=episode,
        starts_at=timezone.now() - dt.timedelta(days=days_ago),
        status=Session.Status.ATTENDED,
    )


class NoteTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.session = _session(cls.p.bob)
        cls.url = reverse("insights:note", kwargs={"session_id": cls.session.pk})
        cls.addendum_url = reverse("insights:note_addendum", kwargs={"session_id": cls.session.pk})

    def _sign(self):
        draft = actions.save_draft(
            user=self.p.alice, session=self.session, sections=FULL, base_version=0
        )
        return actions.sign_note(
            user=self.p.alice, session=self.session, base_version=draft.version
        )

    def test_it_saves_a_draft_encrypted_at_rest_and_audits_it(self):
        login_as(self.client, self.p.alice)
        response = self.client.post(self.url, {**FULL, "version": 0, "action": "save"})
        self.assertRedirects(response, self.url)
        draft = NoteDraft.objects.get(session=self.session)
        self.assertEqual((draft.version, draft.author), (1, self.p.alice))
        self.assertEqual(draft.symptom_message, FULL["symptom_message"])
        raw = NoteDraft.objects.values("risk_assessment", "meaning").get()
        for value in raw.values():
            self.assertTrue(value.startswith("v1:"))
            self.assertNotIn("safety", value)
        event = AuditEvent.objects.get(action="note.save_draft")
        self.assertEqual((event.target_id, event.detail["version"]), (str(draft.pk), 1))

    def test_it_signs_a_note_with_every_required_section(self):
        login_as(self.client, self.p.alice)
        response = self.client.post(self.url, {**FULL, "version": 0, "action": "sign"})
        self.assertRedirects(response, self.url)
        note = SessionNote.objects.get(session=self.session)
        self.assertEqual((note.signed_by, note.author), (self.p.alice, self.p.alice))
        self.assertEqual(note.meaning, FULL["meaning"])
        self.assertFalse(NoteDraft.objects.exists())
        self.assertTrue(
            AuditEvent.objects.filter(action="note.sign", target_id=str(note.pk)).exists()
        )
        page = self.client.get(self.url)
        self.assertContains(page, "A signed note cannot change")
        self.assertContains(page, "you are not allowed to want")

    def test_it_refuses_to_sign_without_the_required_sections(self):
        login_as(self.client, self.p.alice)
        post = {**FULL, "consent_changes": "", "disclosures": "", "version": 0, "action": "sign"}
        response = self.client.post(self.url, post)
        self.assertContains(response, "Write every required section before signing")
        self.assertContains(response, "Consent changes, Disclosures")
        self.assertFalse(SessionNote.objects.exists())
        # The draft is kept, and the form carries its new version so the next save works.
        self.assertEqual(NoteDraft.objects.get().version, 1)
        again = self.client.post(self.url, {**FULL, "version": 1, "action": "sign"})
        self.assertRedirects(again, self.url)
        self.assertTrue(SessionNote.objects.exists())

    def test_it_never_changes_a_signed_note(self):
        note = self._sign()
        login_as(self.client, self.p.alice)
        post = {**FULL, "risk_assessment": "rewritten", "version": 0, "action": "save"}
        response = self.client.post(self.url, post, follow=True)
        self.assertContains(response, "This note is signed. Add an addendum instead.")
        note.refresh_from_db()
        self.assertEqual(note.risk_assessment, FULL["risk_assessment"])
        self.assertFalse(NoteDraft.objects.exists())
        with self.assertRaises(actions.NoteAlreadySigned):
            actions.save_draft(
                user=self.p.alice, session=self.session, sections=FULL, base_version=0
            )
        note.risk_assessment = "edited in the shell"
        with self.assertRaises(SignedNoteImmutable):
            note.save()
        with self.assertRaises(SignedNoteImmutable):
            note.delete()
        self.assertEqual(
            SessionNote.objects.get(pk=note.pk).risk_assessment, FULL["risk_assessment"]
        )

    def test_it_lets_the_database_refuse_a_signed_note_without_required_sections(self):
        with self.assertRaises(IntegrityError), transaction.atomic():
            SessionNote(
                practice=self.p.riverside,
                episode=self.session.episode,
                session=self.session,
                author=self.p.alice,
                signed_by=self.p.alice,
                signed_at=timezone.now(),
                signed_version=1,
                risk_assessment="",
                interventions_and_plan="x",
                consent_changes="x",
                disclosures="x",
            ).save()

    def test_it_adds_an_addendum_with_author_time_and_reason(self):
        note = self._sign()
        login_as(self.client, self.p.alice)
        response = self.client.post(
            self.addendum_url,
            {"reason": "Client corrected a date", "text": "It was 2019, not 2018"},
        )
        self.assertRedirects(response, self.url)
        addendum = Addendum.objects.get(note=note)
        self.assertEqual(addendum.author, self.p.alice)
        self.assertEqual(addendum.reason, "Client corrected a date")
        self.assertIsNotNone(addendum.created_at)
        self.assertTrue(Addendum.objects.values("text").get()["text"].startswith("v1:"))
        self.assertTrue(
            AuditEvent.objects.filter(action="note.addendum", target_id=str(addendum.pk)).exists()
        )
        page = self.client.get(self.url)
        self.assertContains(page, "It was 2019, not 2018")
        self.assertContains(page, "Client corrected a date")

    def test_it_refuses_an_addendum_without_a_reason(self):
        self._sign()
        login_as(self.client, self.p.alice)
        response = self.client.post(self.addendum_url, {"reason": "", "text": "x"}, follow=True)
        self.assertContains(response, "An addendum needs a reason and its text.")
        self.assertFalse(Addendum.objects.exists())

    def test_it_shows_a_conflict_instead_of_overwriting_a_newer_draft(self):
        actions.save_draft(user=self.p.alice, session=self.session, sections=FULL, base_version=0)
        first, second = self.client_class(), self.client_class()
        login_as(first, self.p.alice)
        login_as(second, self.p.alice)
        # Both load version 1; the first saves, the second then saves from the stale version.
        ok = first.post(
            self.url, {**FULL, "memory": "first writer", "version": 1, "action": "save"}
        )
        self.assertRedirects(ok, self.url)
        stale = second.post(
            self.url, {**FULL, "memory": "second writer", "version": 1, "action": "save"}
        )
        self.assertEqual(stale.status_code, 200)
        self.assertContains(stale, "Someone saved this note while you were editing it")
        # The second writer's text is still in the form, and the saved version is shown beside it.
        self.assertContains(stale, "second writer")
        self.assertContains(stale, "first writer")
        draft = NoteDraft.objects.get()
        self.assertEqual((draft.version, draft.memory), (2, "first writer"))
        self.assertEqual(AuditEvent.objects.filter(action="note.save_draft").count(), 2)

    def test_it_hides_notes_when_the_practice_turns_them_off(self):
        self.p.riverside.notes_enabled = False
        self.p.riverside.save(update_fields=["notes_enabled"])
        login_as(self.client, self.p.alice)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        post = {**FULL, "version": 0, "action": "save"}
        self.assertEqual(self.client.post(self.url, post).status_code, 404)
        self.assertFalse(NoteDraft.objects.exists())
        page = self.client.get(
            reverse("measures:session_relationship", kwargs={"session_id": self.session.pk})
        )
        self.assertNotContains(page, self.url)
        with self.assertRaises(actions.NotesTurnedOff):
            actions.save_draft(
                user=self.p.alice, session=self.session, sections=FULL, base_version=0
            )

    def test_it_links_the_note_from_the_session_form_while_notes_are_on(self):
        login_as(self.client, self.p.alice)
        page = self.client.get(
            reverse("measures:session_relationship", kwargs={"session_id": self.session.pk})
        )
        self.assertContains(page, self.url)

    def test_it_records_a_view_event(self):
        login_as(self.client, self.p.alice)
        self.client.get(self.url)
        event = AuditEvent.objects.get(action="view.note")
        self.assertEqual(event.target_id, str(self.session.pk))

    def test_it_hides_bobs_note_from_charlie_like_a_missing_one(self):
        self._sign()
        login_as(self.client, self.p.charlie)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(
            self.client.post(self.addendum_url, {"reason": "x", "text": "y"}).status_code, 404
        )
        self.assertFalse(Addendum.objects.exists())

    def test_it_gives_the_admin_no_note_content(self):
        self._sign()
        login_as(self.client, self.p.erin)
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_it_shows_sam_bobs_signed_note_read_only(self):
        self._sign()
        login_as(self.client, self.p.sam)
        page = self.client.get(self.url)
        self.assertContains(page, "you are not allowed to want")
        self.assertNotContains(page, "Add the addendum")
        self.assertEqual(
            self.client.post(self.url, {**FULL, "version": 0, "action": "save"}).status_code, 404
        )
        self.assertEqual(
            self.client.post(self.addendum_url, {"reason": "x", "text": "y"}).status_code, 403
        )

    def test_it_hides_daves_note_from_sam(self):
        dave_session = _session(self.p.dave)
        actions.save_draft(user=self.p.alice, session=dave_session, sections=FULL, base_version=0)
        login_as(self.client, self.p.sam)
        url = reverse("insights:note", kwargs={"session_id": dave_session.pk})
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_it_keeps_the_other_practice_out(self):
        login_as(self.client, self.p.faye)
        self.assertEqual(self.client.get(self.url).status_code, 404)
