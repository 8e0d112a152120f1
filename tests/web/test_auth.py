"""Staff sign-in through allauth, with TOTP mandatory for staff."""

from allauth.mfa.models import Authenticator
from django.test import TestCase
from django.urls import reverse

from personas import PASSWORD, login_as, make_personas, totp_code
from plusone.accounts.models import User

CASELOAD = reverse("insights:caseload")


class SignInTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def test_it_signs_alice_in_with_password_then_totp(self):
        response = self.client.post(
            reverse("account_login"), {"login": self.p.alice.email, "password": PASSWORD}
        )
        self.assertRedirects(response, reverse("mfa_authenticate"), fetch_redirect_response=False)
        self.assertEqual(self.client.get(CASELOAD).status_code, 302)
        response = self.client.post(reverse("mfa_authenticate"), {"code": totp_code(self.p.alice)})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.client.get(CASELOAD).status_code, 200)

    def test_it_refuses_a_wrong_totp_code(self):
        self.client.post(
            reverse("account_login"), {"login": self.p.alice.email, "password": PASSWORD}
        )
        wrong = f"{(int(totp_code(self.p.alice)) + 1) % 1_000_000:06d}"
        self.client.post(reverse("mfa_authenticate"), {"code": wrong})
        self.assertEqual(self.client.get(CASELOAD).status_code, 302)

    def test_it_sends_a_session_without_an_mfa_step_to_the_mfa_step(self):
        self.client.force_login(self.p.alice)
        response = self.client.get(CASELOAD)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(reverse("mfa_reauthenticate")))

    def test_it_sends_staff_without_totp_to_set_it_up(self):
        Authenticator.objects.filter(user=self.p.charlie).delete()
        self.client.force_login(self.p.charlie)
        response = self.client.get(CASELOAD)
        self.assertTrue(response["Location"].startswith(reverse("mfa_activate_totp")))

    def test_it_lets_a_verified_session_through(self):
        login_as(self.client, self.p.alice)
        self.assertEqual(self.client.get(CASELOAD).status_code, 200)

    def test_it_does_not_demand_totp_of_a_portal_user(self):
        portal = User.objects.create_user("bob@client.example", PASSWORD)
        self.client.force_login(portal)
        self.assertEqual(self.client.get(CASELOAD).status_code, 403)

    def test_it_has_closed_public_sign_up(self):
        response = self.client.post(
            reverse("account_signup"), {"email": "new@x.example", "password1": PASSWORD}
        )
        self.assertFalse(User.objects.filter(email="new@x.example").exists())
        self.assertNotEqual(response.status_code, 302)

    def test_it_offers_sign_in_by_emailed_code(self):
        self.assertEqual(self.client.get(reverse("account_request_login_code")).status_code, 200)


class RateLimitTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def test_it_stops_accepting_passwords_after_five_failures_for_one_account(self):
        login = reverse("account_login")
        for _ in range(5):
            response = self.client.post(login, {"login": self.p.alice.email, "password": "wrong"})
            self.assertContains(response, "are not correct")
        response = self.client.post(login, {"login": self.p.alice.email, "password": PASSWORD})
        self.assertContains(response, "Too many failed login attempts")
        self.assertNotEqual(self.client.get(CASELOAD).status_code, 200)


class HomeTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def test_it_sends_a_therapist_home_to_the_caseload(self):
        login_as(self.client, self.p.alice)
        self.assertRedirects(self.client.get("/"), CASELOAD)

    def test_it_sends_the_admin_home_to_a_plain_page(self):
        login_as(self.client, self.p.erin)
        self.assertRedirects(self.client.get("/"), reverse("insights:signed_in"))
