"""The personas of STYLE.md, built through the real actions, for any test.

Use them from a pytest function through the ``personas`` fixture (tests/conftest.py),
or from a ``django.test.TestCase`` with::

    from personas import login_as, make_personas

    class CaseloadTests(TestCase):
        @classmethod
        def setUpTestData(cls):
            cls.p = make_personas()

        def test_it_...(self):
            login_as(self.client, self.p.alice)

Who is who (practice "Riverside" unless said otherwise):

- ``alice``: a therapist. ``bob`` and ``dave`` are her clients (Client rows).
- ``charlie``: another therapist in Riverside; sees nothing of Bob's.
- ``erin``: the practice admin and privacy officer (two memberships).
- ``sam``: a supervisor. Bob consented to supervision by Sam; Dave did not.
- ``olive``: Bob's observer: a token (``olive_token`` raw, ``olive`` the row), not a user;
  ``olive_observer`` is her Observer row. Bob's observers are on (discussed in session);
  Dave's are off, as every client's are by default.
- ``lakeview`` is a second practice with therapist ``faye`` and her client ``gus``.

Every staff persona has TOTP set up with a seeded secret (``TOTP_SECRETS``);
``totp_code(user)`` gives the current code, and ``PASSWORD`` signs any persona in.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.test import RequestFactory
from django.utils import timezone

from plusone import tokens
from plusone.accounts.models import Membership, Practice, Role, User
from plusone.clinical import actions
from plusone.clinical.models import Client, Consent
from plusone.observers.models import Observer, ObserverLink, Relationship

PASSWORD = "a long persona passphrase"
# The practice's today: the actions read the real clock (timezone.now), so a fixed
# date here drifts from it after midnight in Toronto. Tests that need a set date
# travel there with time-machine.
TODAY = dt.datetime.now(ZoneInfo("America/Toronto")).date()


def _secret(name: str) -> str:
    return base64.b32encode(f"{name}-totp-seed-2026!"[:20].encode()).decode()


TOTP_SECRETS = {name: _secret(name) for name in ("alice", "charlie", "erin", "sam", "faye")}


@dataclass
class Personas:
    riverside: Practice
    lakeview: Practice
    alice: User
    charlie: User
    erin: User
    sam: User
    faye: User
    bob: Client
    dave: Client
    gus: Client
    olive: Any
    olive_token: str
    olive_observer: Any = None


def _staff(practice: Practice, name: str, *roles: Role) -> User:
    user = User.objects.create_user(
        f"{name}@{practice.name.lower()}.example", PASSWORD, first_name=name.capitalize()
    )
    for role in roles:
        Membership.objects.create(practice=practice, user=user, role=role)
    TOTP.activate(user, TOTP_SECRETS[name])
    return user


def intake_data(**overrides: Any) -> actions.IntakeData:
    """What the intake form collects, plainly filled; a test overrides what it is about."""
    fields: dict[str, Any] = {
        "given_name": "Test",
        "family_name": "Client",
        "date_of_birth": dt.date(1990, 1, 1),
        "email": "",
        "primary": "phq9",
        "secondary": "",
        "prior_therapy": False,
        "s2_intention": "",
        "goals": ["a goal"],
        "safety_plan": "",
        "consent_channels": [],
    }
    return actions.IntakeData(**{**fields, **overrides})


def _client(therapist: User, practice: Practice, given: str, family: str, **extra: Any) -> Client:
    data = intake_data(
        given_name=given,
        family_name=family,
        date_of_birth=dt.date(1988, 4, 2),
        email=f"{given.lower()}@client.example",
        primary=extra.get("primary", "phq9"),
        secondary=extra.get("secondary", "gad7"),
        prior_therapy=extra.get("prior_therapy", True),
        s2_intention=f"{given} wants to feel at home in their own life",
        goals=[f"{given}'s first goal", f"{given}'s second goal"],
        safety_plan=f"{given}'s safety plan: call my sister",
        consent_channels=["email"],
    )
    return actions.intake_client(therapist=therapist, practice=practice, data=data, today=TODAY)


def make_personas() -> Personas:
    """Create both practices and every persona. Call inside a test transaction."""
    riverside = Practice.objects.create(name="Riverside")
    lakeview = Practice.objects.create(name="Lakeview")
    alice = _staff(riverside, "alice", Role.THERAPIST)
    charlie = _staff(riverside, "charlie", Role.THERAPIST)
    erin = _staff(riverside, "erin", Role.ADMIN, Role.PRIVACY_OFFICER)
    sam = _staff(riverside, "sam", Role.SUPERVISOR)
    faye = _staff(lakeview, "faye", Role.THERAPIST)
    bob = _client(alice, riverside, "Bob", "Brown")
    dave = _client(alice, riverside, "Dave", "Davis", primary="gad7", secondary="phq9")
    gus = _client(faye, lakeview, "Gus", "Green")
    Consent.objects.create(
        practice=riverside,
        client=bob,
        kind=Consent.Kind.SUPERVISION,
        version="2026-1",
        supervisor=sam,
        given_at=timezone.now(),
        recorded_by=alice,
    )
    olive_token, olive = tokens.issue(
        "observer",
        practice=riverside,
        client=bob,
        episode=bob.episodes.get(),
        ttl=dt.timedelta(days=14),
    )
    Client.objects.filter(pk=bob.pk).update(observers_enabled=True)
    bob.observers_enabled = True
    olive_observer = Observer(
        practice=riverside,
        client=bob,
        email="olive@observer.example",
        relationship=Relationship.FRIEND,
        created_at=timezone.now(),
        last_invited_at=timezone.now(),
    )
    olive_observer.label = "Olive, my oldest friend"
    olive_observer.save()
    ObserverLink.objects.create(token_id=olive.pk, observer=olive_observer)
    return Personas(
        riverside,
        lakeview,
        alice,
        charlie,
        erin,
        sam,
        faye,
        bob,
        dave,
        gus,
        olive,
        olive_token,
        olive_observer,
    )


def totp_code(user: User) -> str:
    """The current TOTP code for a persona, from the seeded secret."""
    name = user.email.split("@", 1)[0]
    counter = int(time.time()) // 30
    return format_hotp_value(hotp_value(TOTP_SECRETS[name], counter))


def login_as(test_client: Any, user: User) -> None:
    """Sign ``user`` in on Django's test client as fully MFA-verified.

    Uses allauth's own session record: a password step and a TOTP step, exactly
    what allauth stores after a real sign-in with the persona's authenticator.
    """
    test_client.force_login(user)
    session = test_client.session
    request = RequestFactory().get("/")
    request.session = session
    request.user = user
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    record_authentication(request, user, "password", email=user.email)
    record_authentication(request, user, "mfa", id=authenticator.pk, type="totp")
    session.save()


def sign_in_browser(context: Any, base: str, user: User) -> None:
    """Sign ``user`` in on a Playwright browser context, by the session cookie of
    :func:`login_as` (the sign-in pages have their own browser test)."""
    from django.conf import settings
    from django.test import Client as TestClient

    web = TestClient()
    login_as(web, user)
    cookie = web.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])


def signed_in(user: User) -> Any:
    """A fresh Django test client with ``user`` signed in, MFA-verified."""
    from django.test import Client as WebClient

    web = WebClient()
    login_as(web, user)
    return web


def signed_note(p: Personas, person: Client, text: str, *, days_ago: int = 2) -> Any:
    """An attended session of ``person`` with a note Alice wrote (``text`` in every section)
    and signed."""
    from plusone.clinical.models import Session
    from plusone.notes import actions as notes
    from plusone.notes.models import REQUIRED_SECTIONS

    session = Session.objects.create(
        practice=p.riverside,
        episode=person.episodes.get(),
        starts_at=timezone.now() - dt.timedelta(days=days_ago),
        status=Session.Status.ATTENDED,
    )
    sections = {name: f"{text} ({name})" for name in REQUIRED_SECTIONS}
    draft = notes.save_draft(user=p.alice, session=session, sections=sections, base_version=0)
    return notes.sign_note(user=p.alice, session=session, base_version=draft.version)
