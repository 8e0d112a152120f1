"""Kiosk (in-session) mode: the client is held in the check-in; leaving needs the
therapist's password and TOTP code; a risk answer says "please hand the tablet back"."""

from __future__ import annotations

from checkin_helpers import PHQ9_MODERATE, agree_on_the_page, form_data, phq9_with_item9
from django.test import TestCase

from personas import PASSWORD, login_as, make_personas, totp_code
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Flag
from plusone.measures.models import Administration, Context, Sitting

GOALS = {"goal_1": 4, "goal_2": 6}


class KioskTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _start(self) -> None:
        login_as(self.client, self.p.alice)
        response = self.client.post("/practice/checkin/kiosk/", {"client_id": str(self.p.bob.pk)})
        self.assertRedirects(response, "/checkin/", fetch_redirect_response=False)
        agree_on_the_page(self.client)

    def _answer(self, phq9: dict[str, int]) -> None:
        self.client.post("/checkin/", form_data("personal_goals", GOALS))
        self.client.post("/checkin/", form_data("phq9", phq9, "submit"))

    def test_it_signs_the_therapist_out_on_the_device(self) -> None:
        self._start()
        self.assertNotIn("_auth_user_id", self.client.session)
        caseload = self.client.get("/practice/caseload/")
        self.assertEqual(caseload.status_code, 302)
        self.assertNotIn(b"Bob", caseload.content)
        self.assertTrue(AuditEvent.objects.filter(action="checkin.kiosk_start").exists())

    def test_it_redirects_every_other_url_back_to_the_checkin(self) -> None:
        self._start()
        for url in ("/practice/caseload/", "/", "/practice/clients/new/", "/accounts/logout/"):
            self.assertRedirects(self.client.get(url), "/checkin/", fetch_redirect_response=False)
        self.assertEqual(self.client.get("/checkin/").status_code, 200)

    def test_it_shows_no_navigation_chrome(self) -> None:
        self._start()
        page = self.client.get("/checkin/")
        self.assertNotContains(page, "<nav")
        self.assertNotContains(page, "Sign out")

    def test_it_stores_a_kiosk_sitting(self) -> None:
        self._start()
        self._answer(dict(PHQ9_MODERATE))
        self.assertEqual(Sitting.objects.get().context, Context.KIOSK)
        self.assertEqual(Administration.objects.get(instrument_key="phq9").context, Context.KIOSK)
        page = self.client.get("/checkin/done/")
        self.assertContains(page, "Therapist: return to PlusOne")
        self.assertNotContains(page, "hand the tablet back")

    def test_it_asks_for_the_tablet_back_instead_of_the_crisis_page(self) -> None:
        self._start()
        self._answer(phq9_with_item9(3))
        self.assertEqual(Flag.objects.get(client=self.p.bob).grade, 2)
        page = self.client.get("/checkin/done/")
        self.assertContains(page, "Please hand the tablet back to your therapist now.")
        self.assertNotContains(page, "This form is not watched in real time")
        self.assertNotContains(page, "call my sister")

    def test_it_needs_password_and_totp_to_leave(self) -> None:
        self._start()
        exit_page = self.client.get("/checkin/exit/")
        self.assertContains(exit_page, "/accounts/login/")
        # The sign-in pages stay reachable; signing in with password and TOTP ends kiosk mode.
        login = self.client.post(
            "/accounts/login/", {"login": self.p.alice.email, "password": PASSWORD}
        )
        self.assertEqual(login.status_code, 302)
        self.assertIn("/accounts/2fa/authenticate/", login["Location"])
        self.assertNotIn("_auth_user_id", self.client.session)
        done = self.client.post("/accounts/2fa/authenticate/", {"code": totp_code(self.p.alice)})
        self.assertEqual(done.status_code, 302)
        caseload = self.client.get("/practice/caseload/")
        self.assertEqual(caseload.status_code, 200)
        self.assertContains(caseload, "Bob")
        self.assertNotIn("checkin_kiosk", self.client.session)

    def test_it_refuses_a_wrong_password_at_the_exit(self) -> None:
        self._start()
        login = self.client.post(
            "/accounts/login/", {"login": self.p.alice.email, "password": "guess"}
        )
        self.assertEqual(login.status_code, 200)
        self.assertNotIn("_auth_user_id", self.client.session)
        self.assertEqual(self.client.get("/checkin/").status_code, 200)

    def test_it_lets_only_the_clients_therapist_start_it(self) -> None:
        login_as(self.client, self.p.charlie)
        response = self.client.post("/practice/checkin/kiosk/", {"client_id": str(self.p.bob.pk)})
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("checkin_kiosk", self.client.session)
