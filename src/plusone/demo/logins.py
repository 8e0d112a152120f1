"""The demo's staff logins: passwords in a 0600 file in the data directory, TOTP in allauth.

Passwords are generated on first run with :func:`secrets.token_urlsafe` and
written only to ``<data dir>/demo-logins.txt`` (mode 0600), never into the
repository. TOTP secrets are generated at load and stored only where allauth
stores them (its ``Authenticator`` row); :func:`current_totp_code` reads them
back so a person can sign in without a phone.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

LOGINS_FILE = "demo-logins.txt"
EMAIL_DOMAIN = "riverside.example"


@dataclass(frozen=True)
class Persona:
    """A staff persona of STYLE.md, with the roles they hold in the demo practice."""

    username: str
    first_name: str
    family_name: str
    roles: tuple[str, ...]

    @property
    def email(self) -> str:
        return f"{self.username}@{EMAIL_DOMAIN}"


PERSONAS = (
    Persona("alice", "Alice", "Arsenault", ("therapist",)),
    Persona("charlie", "Charlie", "Chow", ("therapist",)),
    Persona("erin", "Erin", "Eriksen", ("admin", "privacy_officer")),
    Persona("sam", "Sam", "Sato", ("supervisor",)),
)


def logins_path(data_dir: Path) -> Path:
    return Path(data_dir) / LOGINS_FILE


def read_passwords(data_dir: Path) -> dict[str, str]:
    """Username -> password from the logins file, or {} when there is none."""
    path = logins_path(data_dir)
    if not path.exists():
        return {}
    passwords: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split()
        # username email password roles...
        if len(fields) >= 3:
            passwords[fields[0]] = fields[2]
    return passwords


def new_password() -> str:
    """A fresh random password (about 120 bits)."""
    return secrets.token_urlsafe(15)


def write_logins(data_dir: Path, passwords: dict[str, str]) -> Path:
    """Write the logins file with mode 0600 (created private, never widened)."""
    path = logins_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# PlusOne demo logins, generated on first run. Keep this file private (mode 0600).",
        "# username  email  password  roles",
    ]
    for persona in PERSONAS:
        lines.append(
            f"{persona.username}  {persona.email}  {passwords[persona.username]}  "
            + ",".join(persona.roles)
        )
    tmp = path.with_name(path.name + ".tmp")
    # Open with 0600 from the start so the passwords are never readable by others.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def totp_code(secret: str, at: float | None = None) -> str:
    """The TOTP code for base32 ``secret`` at ``at`` (default: now), computed as allauth does."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(time.time() if at is None else at) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def seconds_left(at: float | None = None) -> int:
    """Seconds until the current TOTP code changes."""
    from allauth.mfa import app_settings

    now = int(time.time() if at is None else at)
    return int(app_settings.TOTP_PERIOD - now % app_settings.TOTP_PERIOD)
