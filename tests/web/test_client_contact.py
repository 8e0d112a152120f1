"""The therapist records, after intake too, the practice's own id for a client (which imports
match on) and their mobile number (for SMS), from the journey page."""

from django.test import TestCase
from django.urls import reverse

from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Client


class ClientContactTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.url = reverse("clinical:client_contact", args=[cls.p.bob.pk])
        cls.journey = reverse("insights:journey", args=[cls.p.bob.episodes.get().pk])

    def test_it_stores_bobs_practice_id_and_phone_with_an_audit_row_naming_neither(self):
        login_as(self.client, self.p.alice)
        response = self.client.post(self.url, {"practice_ref": "JANE-42", "phone": "416 555 0142"})
        self.assertRedirects(response, self.journey)
        bob = Client.objects.get(pk=self.p.bob.pk)
        self.assertEqual((bob.practice_ref, bob.phone), ("JANE-42", "+14165550142"))
        event = AuditEvent.objects.filter(action="client.contact_set").latest("id")
        self.assertEqual(event.target_id, str(bob.pk))
        self.assertNotIn("JANE-42", str(event.detail))
        self.assertNotIn("555", str(event.detail))

    def test_it_shows_the_form_on_the_journey_with_the_current_values(self):
        Client.objects.filter(pk=self.p.bob.pk).update(practice_ref="JANE-9")
        login_as(self.client, self.p.alice)
        page = self.client.get(self.journey).content.decode()
        self.assertIn(self.url, page)
        self.assertIn('value="JANE-9"', page)

    def test_it_refuses_an_id_dave_already_has(self):
        Client.objects.filter(pk=self.p.dave.pk).update(practice_ref="JANE-7")
        login_as(self.client, self.p.alice)
        response = self.client.post(self.url, {"practice_ref": "JANE-7", "phone": ""}, follow=True)
        self.assertContains(response, "Another client in this practice has this id.")
        self.assertEqual(Client.objects.get(pk=self.p.bob.pk).practice_ref, "")

    def test_it_refuses_a_formula_and_a_phone_without_digits(self):
        login_as(self.client, self.p.alice)
        response = self.client.post(self.url, {"practice_ref": "=1+1", "phone": "x"}, follow=True)
        self.assertContains(response, "Use letters, digits and . _ - / only")
        self.assertContains(response, "Write the mobile number with its digits")
        self.assertEqual(Client.objects.get(pk=self.p.bob.pk).practice_ref, "")

    def test_it_answers_charlie_as_if_bob_did_not_exist(self):
        login_as(self.client, self.p.charlie)
        response = self.client.post(self.url, {"practice_ref": "X-1", "phone": ""})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(Client.objects.get(pk=self.p.bob.pk).practice_ref, "")
