"""`plusone demo`: the demo practice loads once, through the real doors, and signs in."""

from __future__ import annotations

import io
import re
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import decrypt
from django.core.management import CommandError, call_command
from django.test import TestCase, override_settings
from django.urls import reverse

from plusone import audit
from plusone.accounts.models import Membership, User
from plusone.audit.models import AuditEvent
from plusone.clinical.models import (
    Client,
    Consent,
    Decision,
    Episode,
    EpisodeSummary,
    Flag,
    Goal,
    Session,
)
from plusone.core.instruments import load_instrument
from plusone.core.scoring import score
from plusone.demo.load import DEMO_PRACTICE_ID, load_demo
from plusone.demo.logins import PERSONAS
from plusone.measures.models import Administration, Context, Sitting

ROOT = Path(__file__).resolve().parents[2]
# Trees that are not the project's own files.
SKIP_DIRS = {".git", ".venv", "node_modules", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
ALL_PHASES = {"none", "stabilizing", "plus_one", "deepening", "consolidating", "ending"}
MODELS = (
    User,
    Membership,
    Authenticator,
    Client,
    Episode,
    Goal,
    Session,
    Decision,
    Consent,
    EpisodeSummary,
    Flag,
    Sitting,
    Administration,
    AuditEvent,
)


class DemoTests(TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        # The data dir lives outside the repository, as a user's var/ is git-ignored.
        cls.data_dir = Path(tempfile.mkdtemp(prefix="plusone-demo-test-"))
        cls.settings_override = override_settings(DATA_DIR=cls.data_dir)
        cls.settings_override.enable()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        cls.settings_override.disable()
        shutil.rmtree(cls.data_dir, ignore_errors=True)

    @classmethod
    def setUpTestData(cls) -> None:
        cls.result = load_demo(data_dir=cls.data_dir)

    def _counts(self) -> dict[str, int]:
        return {m.__name__: m.objects.count() for m in MODELS}

    def _totp_secret(self, username: str) -> str:
        authenticator = Authenticator.objects.get(
            user__email=f"{username}@riverside.example", type=Authenticator.Type.TOTP
        )
        return decrypt(authenticator.data["secret"])

    def test_it_loads_a_practice_with_the_personas_and_about_25_clients(self) -> None:
        practice = self.result.practice
        self.assertTrue(self.result.created)
        self.assertEqual(practice.pk, DEMO_PRACTICE_ID)
        roles = {
            (m.user.email.split("@")[0], m.role)
            for m in Membership.objects.filter(practice=practice).select_related("user")
        }
        expected = {(p.username, role) for p in PERSONAS for role in p.roles}
        self.assertEqual(roles, expected)
        clients = Client.objects.filter(practice=practice)
        self.assertTrue(20 <= clients.count() <= 30)
        alices = clients.filter(therapist__email="alice@riverside.example").count()
        charlies = clients.filter(therapist__email="charlie@riverside.example").count()
        self.assertGreater(alices, charlies)
        self.assertGreater(charlies, 0)

    def test_it_gives_every_client_a_practice_id_the_imports_can_match(self) -> None:
        refs = list(
            Client.objects.filter(practice=self.result.practice).values_list(
                "practice_ref", flat=True
            )
        )
        self.assertNotIn("", refs)
        self.assertEqual(len(set(refs)), len(refs))

    def test_it_adds_no_rows_when_run_a_second_time(self) -> None:
        before = self._counts()
        again = load_demo(data_dir=self.data_dir)
        self.assertFalse(again.created)
        self.assertEqual(again.passwords, self.result.passwords)
        self.assertEqual(self._counts(), before)

    def test_it_sets_new_passwords_when_the_logins_file_is_lost(self) -> None:
        logins = self.result.logins_file
        kept = logins.read_bytes()
        try:
            logins.unlink()
            again = load_demo(data_dir=self.data_dir)
            self.assertTrue(again.passwords_reset)
            self.assertEqual(stat.S_IMODE(logins.stat().st_mode), 0o600)
            alice = User.objects.get(email="alice@riverside.example")
            self.assertTrue(alice.check_password(again.passwords["alice"]))
            self.assertNotEqual(again.passwords["alice"], self.result.passwords["alice"])
        finally:
            logins.write_bytes(kept)

    def test_it_gives_alice_clients_in_every_phase_and_every_alert(self) -> None:
        summaries = EpisodeSummary.objects.filter(
            practice=self.result.practice, therapist__email="alice@riverside.example"
        )
        phases = set(summaries.values_list("phase", flat=True))
        self.assertEqual(phases, ALL_PHASES)
        alerts = {a for s in summaries for a in s.alerts}
        self.assertEqual({"not_progressing", "deterioration", "possible_rupture"}, alerts)
        proposals = set(summaries.values_list("proposal_kind", flat=True))
        self.assertLessEqual({"plus_one", "good_enough_ending", "stalled_review"}, proposals)

    def test_it_dates_weekly_sessions_in_toronto_ending_near_today(self) -> None:
        from django.utils import timezone

        today = timezone.localdate()
        for episode in Episode.objects.filter(practice=self.result.practice):
            attended = list(episode.sessions.filter(status=Session.Status.ATTENDED))
            last = timezone.localtime(attended[-1].starts_at).date()
            self.assertTrue(0 < (today - last).days <= 7, (today, last))
            self.assertEqual(
                str(timezone.localtime(attended[-1].starts_at).tzinfo), "America/Toronto"
            )
            self.assertTrue(
                episode.sessions.filter(status=Session.Status.SCHEDULED).exists(),
                "each client has a next session booked",
            )

    def test_it_leaves_exactly_one_open_flag_opened_by_a_check_in(self) -> None:
        flags = Flag.objects.filter(practice=self.result.practice, status=Flag.Status.OPEN)
        self.assertEqual(flags.count(), 1)
        flag = flags.get()
        # The flag names its sitting; the administration that stored the answer is in it.
        sitting = Sitting.objects.get(idempotency_key=str(flag.source_id))
        source = sitting.administrations.get(instrument_key=flag.instrument_key)
        self.assertEqual(source.context, Context.CHECKIN)
        self.assertGreater(source.risk_grade, 0)
        self.assertEqual(source.instrument_key, "phq9")
        opened = AuditEvent.objects.get(action="flag.open", target_id=str(flag.pk))
        # Opened by the check-in's token holder, through submit_checkin.
        self.assertEqual(opened.actor_kind, "token")
        self.assertTrue(
            AuditEvent.objects.filter(action="checkin.submit", actor_id=opened.actor_id).exists()
        )
        summary = EpisodeSummary.objects.get(episode=flag.episode)
        self.assertEqual(summary.open_flag_count, 1)

    def test_it_scores_every_administration_through_the_core(self) -> None:
        administrations = Administration.objects.filter(practice=self.result.practice)
        self.assertGreater(administrations.count(), 500)
        instruments = {}
        for a in administrations:
            instrument = instruments.setdefault(a.instrument_key, load_instrument(a.instrument_key))
            self.assertEqual(score(instrument, a.answers).total, a.total, a.instrument_key)

    def test_it_shows_erin_a_request_near_its_clock_and_alice_a_logged_referral(self) -> None:
        from plusone.custodian.models import Disclosure
        from plusone.rights.models import AccessRequest

        request = AccessRequest.objects.get(practice_id=DEMO_PRACTICE_ID)
        self.assertTrue(request.client.therapist.email.startswith("alice"))
        self.assertEqual((request.due_on - request.received_on).days, 30)
        disclosure = Disclosure.objects.get(practice_id=DEMO_PRACTICE_ID)
        self.assertEqual(disclosure.client_id, request.client_id)
        self.assertEqual(disclosure.legal_basis, "referral")

    def test_it_keeps_an_audit_chain_that_verifies(self) -> None:
        verification = audit.verify_chain(self.result.practice)
        self.assertTrue(verification.ok, verification.reason)
        self.assertGreater(verification.events, 100)

    def test_it_writes_passwords_only_to_the_data_dir_with_mode_0600(self) -> None:
        logins = self.result.logins_file
        self.assertEqual(logins.parent, self.data_dir)
        self.assertEqual(stat.S_IMODE(logins.stat().st_mode), 0o600)
        text = logins.read_text(encoding="utf-8")
        passwords = [self.result.passwords[p.username] for p in PERSONAS]
        totp_secrets = [self._totp_secret(p.username) for p in PERSONAS]
        for password in passwords:
            self.assertIn(password, text)
        for secret in totp_secrets:
            self.assertNotIn(secret, text)
            # allauth's row holds it encrypted by our MFA adapter, not in the clear.
            self.assertFalse(
                Authenticator.objects.filter(data__secret=secret).exists(), "TOTP secret in clear"
            )
        needles = [s.encode() for s in (*passwords, *totp_secrets)]
        leaks = []
        for path in ROOT.rglob("*"):
            if set(path.relative_to(ROOT).parts) & SKIP_DIRS or not path.is_file():
                continue
            if path.stat().st_size > 50_000_000:
                continue
            data = path.read_bytes()
            leaks += [str(path) for needle in needles if needle in data]
        self.assertEqual(leaks, [])

    def test_it_prints_a_totp_code_that_allauth_accepts(self) -> None:
        out = io.StringIO()
        call_command("demo", "--totp", "sam", stdout=out)
        code = out.getvalue().strip()
        self.assertRegex(code, r"^\d{6}$")
        authenticator = Authenticator.objects.get(
            user__email="sam@riverside.example", type=Authenticator.Type.TOTP
        )
        self.assertTrue(TOTP(authenticator).validate_code(code))

    def test_it_refuses_a_totp_code_for_someone_not_in_the_demo(self) -> None:
        with self.assertRaises(CommandError) as caught:
            call_command("demo", "--totp", "bob", stdout=io.StringIO())
        self.assertEqual(caught.exception.returncode, 2)

    def test_it_prints_the_url_every_login_and_the_totp_command(self) -> None:
        out = io.StringIO()
        call_command("demo", "--url", "http://127.0.0.1:8000/", stdout=out)
        text = out.getvalue()
        self.assertIn("http://127.0.0.1:8000/", text)
        for persona in PERSONAS:
            self.assertIn(persona.email, text)
            self.assertIn(self.result.passwords[persona.username], text)
        self.assertRegex(text, r"plusone demo --totp alice")

    def test_it_prints_a_portal_link_that_opens_the_clients_pin_page(self) -> None:
        out = io.StringIO()
        call_command("demo", "--url", "http://127.0.0.1:8000/", stdout=out)
        found = re.search(r"http://127\.0\.0\.1:8000(/me/in/[A-Za-z0-9_-]+)", out.getvalue())
        assert found, out.getvalue()
        opened = self.client.get(found.group(1))
        self.assertEqual((opened.status_code, opened["Location"]), (302, "/me/in/"))
        page = self.client.get("/me/in/")
        self.assertEqual(page.status_code, 200)
        self.assertIn('name="pin"', page.content.decode())
        # The link alone opens nothing of the client's.
        self.assertEqual(self.client.get("/me/")["Location"], "/me/signin/")

    def test_it_lets_alice_sign_in_with_password_and_totp_and_see_her_caseload(self) -> None:
        response = self.client.post(
            "/accounts/login/",
            {"login": "alice@riverside.example", "password": self.result.passwords["alice"]},
        )
        self.assertEqual(response.status_code, 302)
        self.assertIn("/accounts/2fa/authenticate/", response["Location"])
        secret = self._totp_secret("alice")
        from plusone.demo.logins import totp_code

        response = self.client.post(response["Location"], {"code": totp_code(secret)}, follow=True)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.request["PATH_INFO"], reverse("insights:caseload"))
        page = response.content.decode()
        some = Client.objects.filter(therapist__email="alice@riverside.example").first()
        self.assertIn(some.family_name, page)
        charlies = Client.objects.filter(therapist__email="charlie@riverside.example").first()
        self.assertNotIn(f"{charlies.given_name} {charlies.family_name}", page)
        self.assertIn("Open flag", page)


def test_it_ships_an_executable_run_demo_script_that_parses() -> None:
    script = ROOT / "scripts" / "run-demo"
    assert script.stat().st_mode & stat.S_IXUSR
    checked = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert re.search(r"plusone\" migrate --noinput", script.read_text())
