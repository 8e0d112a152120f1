"""``plusone demo``: load the demo practice (once) and print how to sign in.

``plusone demo --totp USERNAME`` prints the persona's current 6-digit TOTP code.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from plusone.accounts.models import User
from plusone.clinical.models import Client
from plusone.demo.load import demo_practice, load_demo
from plusone.demo.logins import PERSONAS, seconds_left, totp_code
from plusone.observers.actions import set_observers_enabled
from plusone.portal.signin import handed_link


class Command(BaseCommand):
    help = (
        "Load the demo practice into this database (once; running it again changes "
        "nothing but a client's portal sign-in link, issued afresh) and print the "
        "logins. With --totp USERNAME, print that persona's current TOTP code instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--totp",
            metavar="USERNAME",
            help="print the current 6-digit TOTP code of alice, charlie, erin or sam",
        )
        parser.add_argument(
            "--url",
            default=None,
            help="the address to print for signing in (default: PLUSONE_SITE_URL)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["totp"]:
            self._print_totp(options["totp"])
            return

        # Progress only on a terminal (docs/cli.md, Conventions).
        tty = sys.stderr.isatty()
        if tty and demo_practice() is None:
            self.stderr.write("Loading the demo practice (usually under 20 s)…")
        result = load_demo(data_dir=Path(settings.DATA_DIR))
        if tty:
            verb = f"Loaded in {result.seconds:.1f} s." if result.created else "Already loaded."
            self.stderr.write(verb)
        url = (options["url"] or settings.SITE_URL + "/").rstrip("/") + "/"
        self.stdout.write(self._logins_text(result, url))

    def _print_totp(self, username: str) -> None:
        from allauth.mfa.models import Authenticator
        from allauth.mfa.utils import decrypt

        practice = demo_practice()
        if practice is None:
            raise CommandError("No demo practice in this database: run `plusone demo` first.")
        name = username.strip().lower()
        user = (
            User.objects.filter(memberships__practice=practice)
            .filter(email__istartswith=f"{name}@")
            .first()
            or User.objects.filter(memberships__practice=practice, email__iexact=name).first()
        )
        if user is None:
            known = ", ".join(p.username for p in PERSONAS)
            raise CommandError(f"No demo persona {username!r}; try one of: {known}.", returncode=2)
        authenticator = Authenticator.objects.filter(
            user=user, type=Authenticator.Type.TOTP
        ).first()
        if authenticator is None:
            raise CommandError(f"{username} has no TOTP authenticator.")
        code = totp_code(decrypt(authenticator.data["secret"]))
        self.stdout.write(code)
        if sys.stderr.isatty():
            self.stderr.write(f"valid for about {seconds_left()} more seconds")

    def _logins_text(self, result: Any, url: str) -> str:

        counts = {
            p.username: Client.objects.filter(
                practice=result.practice, therapist__email=p.email
            ).count()
            for p in PERSONAS
        }
        lines = [
            f"PlusOne demo practice: {result.practice.name}",
            f"Open {url} and sign in with an email address and password:",
            "",
        ]
        width = max(len(p.email) for p in PERSONAS)
        for p in PERSONAS:
            roles = ", ".join(r.replace("_", " ") for r in p.roles)
            if counts[p.username]:
                roles += f" ({counts[p.username]} clients)"
            password = result.passwords.get(p.username, "(not in this database)")
            lines.append(f"  {p.email:<{width}}  {password}  {roles}")
        lines += [
            "",
            "Staff sign-in asks for an authenticator code (TOTP). Get the current one with:",
            f"  {self._command_prefix()} demo --totp alice",
            "(or charlie, erin, sam).",
            f"These logins are kept in {result.logins_file} (mode 0600).",
        ]
        if result.passwords_reset:
            lines.append("The logins file was missing, so new passwords were set.")
        portal = self._portal_link(result.practice, url)
        if portal:
            lines += ["", *portal]
        return "\n".join(lines)

    def _portal_link(self, practice: Any, url: str) -> list[str]:
        """A fresh portal sign-in link for one of alice's clients, as she would email it."""
        alice = next(p for p in PERSONAS if p.username == "alice")
        therapist = User.objects.filter(email=alice.email).first()
        if therapist is None:
            return []
        theirs = Client.objects.filter(
            practice=practice, therapist=therapist, episodes__status="open"
        ).order_by("family_name", "given_name")
        # A client in deeper work has the most to see: own words, decisions, observers.
        person = next(
            (
                found
                for phase in ("deepening", "consolidating", "plus_one")
                if (found := theirs.filter(episodes__summary__phase=phase).first())
            ),
            theirs.first(),
        )
        if person is None:
            return []
        if not person.observers_enabled:
            # Discussed in session (the demo's story), so the client can invite an observer.
            set_observers_enabled(user=therapist, client=person, enabled=True)
        path = handed_link(acting_user=therapist, client=person)
        return [
            f"A client's own page (the portal), as {person.display_name} would open it:",
            f"  {url.rstrip('/')}{path}",
            "This is the sign-in link a therapist emails; the client then chooses a PIN "
            "(6 digits or more). Each run of this command issues a new link.",
        ]

    def _command_prefix(self) -> str:
        """How to run `plusone` from here with the same data directory."""
        exe = ".venv/bin/plusone" if Path(".venv/bin/plusone").exists() else "plusone"
        data_dir = Path(settings.DATA_DIR)
        default = (Path.cwd() / "var").resolve()
        env = []
        if os.environ.get("PLUSONE_DATA_DIR") and data_dir != default:
            env.append(f"PLUSONE_DATA_DIR={shlex.quote(str(data_dir))}")
        if os.environ.get("DATABASE_URL"):
            env.append("DATABASE_URL=…")
        return " ".join([*env, exe])
