"""What ``plusone serve`` needs before it starts, read before Django loads its settings.

No Django here: the console script asks :func:`missing` first, so an operator who forgot
three variables reads all three names at once rather than a traceback about the first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

# The prod profile's own list (settings.py) plus a real database: serve never falls back
# to a SQLite file nobody chose.
REQUIRED = (
    "PLUSONE_SECRET_KEY",
    "PLUSONE_FIELD_KEYS",
    "PLUSONE_AUDIT_KEY",
    "DATABASE_URL",
    "PLUSONE_ALLOWED_HOSTS",
    "PLUSONE_DATA_DIR",
    "PLUSONE_EMAIL_URL",
)


def _is_set(name: str, environ: Mapping[str, str]) -> bool:
    if environ.get(name):
        return True
    path = environ.get(f"{name}_FILE")
    if not path:
        return False
    try:
        return bool(Path(path).read_text(encoding="utf-8").strip())
    except OSError:
        return False


def missing(environ: Mapping[str, str] | None = None) -> list[str]:
    """Each required variable set neither directly nor by a readable, non-empty NAME_FILE."""
    values = os.environ if environ is None else environ
    return [name for name in REQUIRED if not _is_set(name, values)]


def refusal(names: list[str]) -> str:
    return (
        "plusone serve refuses to start. Missing: "
        + ", ".join(names)
        + ". Set each variable, or NAME_FILE pointing at a file holding it "
        "(docs/configuration.md)."
    )
