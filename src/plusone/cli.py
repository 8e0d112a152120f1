"""The ``plusone`` console script.

The analytics commands (``change``, ``gains``, ``analyze``, ``synth``) run on
the core alone, without Django. Every other command goes to Django's
management commands (``plusone migrate``, ``plusone check --deploy``).
"""

from __future__ import annotations

import os
import sys

ANALYTICS = {"change", "gains", "analyze", "synth"}


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ANALYTICS:
        # local: the analytics commands run without Django, and numpy loads only for them.
        from plusone.analytics.cli import run

        return run(args)
    if args and args[0] == "serve":
        return _serve(args)
    return _django(args)


def _serve(args: list[str]) -> int:
    """``plusone serve`` always runs the prod profile, and names every missing variable
    before Django loads (settings would stop at its own list, without DATABASE_URL)."""
    from plusone.web.serving import missing, refusal

    os.environ["PLUSONE_PROFILE"] = "prod"
    names = missing()
    if names:
        print(refusal(names), file=sys.stderr)
        return 2
    return _django(args)


def _django(args: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plusone.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["plusone", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
