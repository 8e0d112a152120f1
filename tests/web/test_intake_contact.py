"""Intake records the practice's own id for the client (which imports match on), a mobile
number and SMS consent (which reminders need)."""

from django.test import TestCase
from test_intake import INTAKE, _form

from personas import login_as, make_personas
from plusone.clinical.models import Client, Consent


class IntakeContactTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def setUp(self):
        login_as(self.client, self.p.alice)

    def test_it_stores_the_practice_id_phone_and_sms_consent(self):
        self.client.post(
            INTAKE,
            _form(practice_ref="JANE-1042", phone="+1 (416) 555-0142", consent_sms="on"),
        )
        mara = Client.objects.get(given_name="Mara")
        self.assertEqual((mara.practice_ref, mara.phone), ("JANE-1042", "+14165550142"))
        self.assertTrue(
            Consent.objects.filter(client=mara, kind="measurement", channel="sms").exists()
        )

    def test_it_refuses_a_practice_id_another_client_has(self):
        Client.objects.filter(pk=self.p.bob.pk).update(practice_ref="JANE-7")
        response = self.client.post(INTAKE, _form(practice_ref="JANE-7"))
        self.assertContains(response, "Another client in this practice has this id.")
        self.assertFalse(Client.objects.filter(given_name="Mara").exists())

    def test_it_refuses_a_practice_id_a_spreadsheet_would_run_as_a_formula(self):
        response = self.client.post(INTAKE, _form(practice_ref="=HYPERLINK(1)"))
        self.assertContains(response, "Use letters, digits and . _ - / only")
        self.assertFalse(Client.objects.filter(given_name="Mara").exists())

    def test_it_needs_a_mobile_number_for_sms_consent(self):
        response = self.client.post(INTAKE, _form(consent_sms="on", phone=""))
        self.assertContains(response, "A mobile number is needed for check-ins by text message.")

    def test_it_refuses_a_phone_that_is_not_a_number(self):
        response = self.client.post(INTAKE, _form(phone="call me"))
        self.assertContains(response, "Write the mobile number with its digits")
