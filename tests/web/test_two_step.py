"""The two-step sign-in pages (allauth's MFA) in PlusOne's layout and words, not the
library's defaults ("Two-Factor Authentication", "Sign In")."""

from allauth.mfa.models import Authenticator
from django.test import TestCase
from django.urls import reverse

from personas import PASSWORD, login_as, make_personas

LIBRARY_WORDS = ("Two-Factor Authentication", "Sign In", "Authenticator App", "Recovery Codes")


class TwoStepPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def assert_ours(self, response, heading):
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "base.html")
        self.assertContains(response, f"<h1>{heading}</h1>", html=True)
        for words in LIBRARY_WORDS:
            self.assertNotContains(response, words)

    def test_it_asks_for_the_code_in_the_apps_words(self):
        self.client.post(
            reverse("account_login"), {"login": self.p.alice.email, "password": PASSWORD}
        )
        response = self.client.get(reverse("mfa_authenticate"))
        self.assert_ours(response, "Two-step sign-in")
        self.assertContains(response, "6-digit code from your authenticator app")
        self.assertContains(response, "Cancel and sign out")

    def test_it_sets_up_the_authenticator_app_in_the_apps_words(self):
        Authenticator.objects.filter(user=self.p.charlie).delete()
        self.client.post(
            reverse("account_login"), {"login": self.p.charlie.email, "password": PASSWORD}
        )
        self.client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        response = self.client.get(reverse("mfa_activate_totp"))
        self.assert_ours(response, "Set up two-step sign-in")

    def test_it_shows_recovery_codes_in_the_apps_words(self):
        login_as(self.client, self.p.alice)
        self.client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        self.client.post(reverse("mfa_generate_recovery_codes"))
        response = self.client.get(reverse("mfa_view_recovery_codes"))
        self.assert_ours(response, "Recovery codes")

    def test_it_asks_for_the_password_again_in_the_apps_words(self):
        login_as(self.client, self.p.alice)
        response = self.client.get(reverse("account_reauthenticate"))
        self.assert_ours(response, "Confirm it is you")
        self.assertContains(response, "enter your password again")
        wrong = self.client.post(reverse("account_reauthenticate"), {"password": "not it"})
        self.assert_ours(wrong, "Confirm it is you")
        self.assertContains(wrong, 'aria-invalid="true"')
