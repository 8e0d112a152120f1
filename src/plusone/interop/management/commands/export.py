"""``plusone export``: a FHIR bundle, a scores CSV or a research CSV on stdout (docs/cli.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from plusone.accounts.models import User
from plusone.custodian.models import LegalBasis
from plusone.interop import actions
from plusone.interop.actions import Format, Recipient


class Command(BaseCommand):
    help = "Export one client's, one episode's or one practice's scores to stdout."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--client", metavar="UUID")
        which.add_argument("--episode", metavar="UUID")
        which.add_argument("--practice", metavar="UUID")
        parser.add_argument("--format", choices=[f.value for f in Format], required=True)
        parser.add_argument("--user", metavar="EMAIL", required=True)
        parser.add_argument("--recipient", default="")
        parser.add_argument("--organisation", default="")
        parser.add_argument("--basis", choices=LegalBasis.values, default="")
        parser.add_argument("--basis-other", default="")

    def handle(self, *args: Any, **o: Any) -> None:
        user = User.objects.filter(email__iexact=o["user"], is_active=True).first()
        if user is None:
            raise CommandError("--user: no active user with that email", returncode=2)
        fmt = Format(o["format"])
        recipient = Recipient(
            name=o["recipient"],
            organisation=o["organisation"],
            legal_basis=o["basis"],
            legal_basis_other=o["basis_other"],
        )
        try:
            if o["practice"]:
                out = actions.export_practice(
                    user=user, fmt=fmt, recipient=recipient, practice_id=o["practice"]
                )
            elif o["episode"]:
                out = actions.export_episode(
                    user=user, episode_id=o["episode"], fmt=fmt, recipient=recipient
                )
            else:
                out = actions.export_client(
                    user=user, client_id=o["client"], fmt=fmt, recipient=recipient
                )
        except Http404:
            # Not yours and not there read the same, here as on the pages.
            raise CommandError(
                "nothing to export with that id for this user", returncode=2
            ) from None
        except actions.Refused as refused:
            raise CommandError(str(refused), returncode=2) from None
        self.stdout.write(out.text, ending="" if out.text.endswith("\n") else "\n")
