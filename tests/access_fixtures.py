"""Shared set-up for the tests that walk the route registry (the access matrix, the axe
crawl, the fuzz tests) and for the backup population: one of Bob's objects of every kind a
route may name, and a web client per persona (tests/personas.py says who is who)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from django.test import Client as WebClient
from django.utils import timezone

from personas import login_as
from plusone.clinical.models import Client, Flag, Session
from plusone.custodian import actions as custodian
from plusone.custodian.models import DestructionCertificate
from plusone.lockbox.models import ConsentDirective, ItemKind, Scope
from plusone.measures import actions
from plusone.notes import actions as notes
from plusone.notes.models import REQUIRED_SECTIONS
from plusone.observers import actions as observer_actions
from plusone.observers.models import Observer, ObserverLink
from plusone.tokens import service as tokens
from plusone.tokens import service as tokens_service
from plusone.tokens.models import Purpose
from portal_fixtures import portal_web

# A sentinel in Bob's signed note: it must never reach an audit row.
NOTE_SENTINEL = "SENTINEL-NOTE-7f3a river crossing"

# Every persona of the matrix. "bob_checkin"/"dave_checkin" hold a check-in link
# session; "bob_confirming" holds alice's device, handed to Bob to confirm a decision
# (she is signed out of it); "olive" opened her observer link; "faye" is Lakeview's
# therapist; "bob_portal"/"dave_portal" are signed into their own portal (/me/), and
# "gus_portal" into his, at Lakeview (the other practice).
PERSONAS = (
    "anonymous",
    "bob_checkin",
    "dave_checkin",
    "bob_confirming",
    "alice",
    "charlie",
    "erin",
    "sam",
    "olive",
    "olive_revoked",
    "faye",
    "bob_portal",
    "dave_portal",
    "gus_portal",
)
STAFF = ("alice", "charlie", "erin", "sam", "faye")


# Who reads each policy's pages, for the crawls that look at what a page shows.
VIEWERS = {
    "public": ("anonymous",),
    "checkin_session": ("bob_checkin",),
    "staff_any": ("alice", "erin", "sam"),
    "therapist": ("alice", "charlie"),
    "supervisor": ("sam",),
    "admin": ("erin",),
    "privacy_officer": ("erin",),
    "portal": ("bob_portal",),
}


def rendered_pages(p: Any, objects: dict[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    """(persona, route, response) for every registered HTML page, as each of its VIEWERS."""
    from plusone.web.routes import registered_routes

    for route in registered_routes():
        if "GET" not in route.methods:
            continue
        url = route.example_url(objects)
        for persona in VIEWERS[route.policy]:
            response = web_as(p, persona).get(url)
            if "text/html" in response.get("Content-Type", ""):
                yield persona, route, response


def example_objects(p: Any) -> dict[str, Any]:
    """One of Bob's objects of every kind a route's ``examples`` may name."""
    episode = p.bob.episodes.get()
    flag = Flag.objects.create(
        practice=p.riverside,
        client=p.bob,
        episode=episode,
        grade=1,
        source_kind="test",
        source_id=episode.pk,
        opened_at=timezone.now(),
    )
    session = Session.objects.create(
        practice=p.riverside,
        episode=episode,
        starts_at=timezone.now() - dt.timedelta(days=1),
        status=Session.Status.ATTENDED,
    )
    sections = {name: f"{NOTE_SENTINEL} ({name})" for name in REQUIRED_SECTIONS}
    draft = notes.save_draft(user=p.alice, session=session, sections=sections, base_version=0)
    notes.sign_note(user=p.alice, session=session, base_version=draft.version)
    issued = actions.issue_checkin_link(acting_user=p.alice, client=p.bob, send_email=False)
    # A consent directive withholding Bob's first goal (plusone.lockbox): changes no access.
    directive = ConsentDirective.objects.create(
        practice=p.riverside,
        client=p.bob,
        scope=Scope.ITEM,
        item_kind=ItemKind.GOAL,
        item_id=episode.goals.first().goal_id,
        instructed_on=timezone.localdate(),
        recorded_by=p.alice,
        recorded_at=timezone.now(),
    )
    return {
        "client": p.bob,
        "directive": directive,
        "episode": episode,
        "flag": flag,
        "goal": episode.goals.first(),
        "session": session,
        "token": urlsplit(issued.url).path.rsplit("/c/", 1)[1],
        "portal_token": tokens.issue(
            Purpose.PORTAL_SIGNIN, practice=p.riverside, client=p.bob, ttl=dt.timedelta(days=1)
        )[0],
        "observer_token": p.olive_token,
        # Another of Bob's observers (not Olive): a revoke in the crawl leaves Olive's link live.
        "observer": _pat(p),
        "practice": p.riverside,
        "user": p.alice,
        **custodian_examples(p),
        **rights_examples(p),
        **record_examples(p),
    }


def custodian_examples(p: Any) -> dict[str, Any]:
    """A breach, a legal hold on Bob, and a destruction certificate (plusone.custodian)."""
    incident = custodian.record_incident(
        user=p.erin,
        practice=p.riverside,
        data=custodian.IncidentData(
            category="lost",
            discovered_on=timezone.localdate(),
            description="A laptop was left on a train",
            clients_affected=1,
            trigger="none",
            clients=[p.bob],
        ),
    )
    hold = custodian.place_hold(user=p.erin, client=p.bob, reason="Litigation pending")
    # A certificate for a record destroyed earlier (no client row is needed).
    certificate = DestructionCertificate.objects.create(
        practice=p.riverside,
        client_ref=uuid.uuid4(),
        initials="ZZ",
        birth_year=1950,
        destroyed={"clinical.Client": 1},
        college="crpo",
        last_contact=dt.date(2010, 1, 4),
        retention_end=dt.date(2020, 1, 4),
        basis="CRPO: 10 years after the last contact",
        method="row deletion",
        authorised_by=p.erin,
        destroyed_at=timezone.now(),
    )
    return {"incident": incident, "hold": hold, "certificate": certificate}


def rights_examples(p: Any) -> dict[str, Any]:
    """An access request by Bob, and his request to correct his signed note (plusone.rights)."""
    from plusone.notes.models import SessionNote
    from plusone.rights import actions as rights

    today = timezone.localdate()
    access = rights.record_access_request(
        user=p.erin,
        client=p.bob,
        received_on=today,
        how_received="email",
        asked_for="My whole record",
        today=today,
    )
    correction = rights.record_correction_request(
        user=p.erin,
        client=p.bob,
        note=SessionNote.objects.filter(episode__client=p.bob).first(),
        received_on=today,
        how_received="mail",
        asked="The date in my note is wrong",
        today=today,
    )
    return {"access_request": access, "correction_request": correction}


def record_examples(p: Any) -> dict[str, Any]:
    """Bob's portal record (issue 13): a decision recorded with him, one of his answered
    measures, and his consent to supervision by a second supervisor (withdrawing it, as the
    matrix's POST does, leaves Sam's access as it was)."""
    from plusone.accounts.models import Membership, Role, User
    from plusone.clinical.models import Consent, Decision
    from plusone.measures.models import Administration, Context, Respondent

    episode = p.bob.episodes.get()
    decision = Decision.objects.create(
        practice=p.riverside,
        episode=episode,
        phase="stabilizing",
        kind=Decision.Kind.PHASE_CHANGE,
        decided_on=timezone.localdate() - dt.timedelta(days=30),
        review_date=timezone.localdate() + dt.timedelta(days=12),
        recorded_by=p.alice,
        options_discussed=["continue"],
        confirmation=Decision.Confirmation.SPOKEN,
        confirmed_on=timezone.localdate() - dt.timedelta(days=30),
    )
    at = timezone.now() - dt.timedelta(days=2)
    administration = Administration.objects.create(
        practice=p.riverside,
        client=p.bob,
        episode=episode,
        instrument_key=episode.primary_instrument,
        instrument_version="1",
        context=Context.CHECKIN,
        respondent=Respondent.CLIENT,
        answers={},
        total=7,
        valid=True,
        started_at=at,
        completed_at=at,
        idempotency_key=f"access-fixture:{uuid.uuid4()}",
    )
    sue = User.objects.create_user("sue@riverside.example", first_name="Sue")
    Membership.objects.create(practice=p.riverside, user=sue, role=Role.SUPERVISOR)
    consent = Consent.objects.create(
        practice=p.riverside,
        client=p.bob,
        kind=Consent.Kind.SUPERVISION,
        version="2026-1",
        supervisor=sue,
        given_at=timezone.now(),
        recorded_by=p.alice,
    )
    return {"decision": decision, "administration": administration, "supervision_consent": consent}


def web_as(p: Any, persona: str) -> WebClient:
    """A fresh web client for ``persona``: signed in, or holding a link session."""
    web = WebClient()
    if persona in STAFF:
        login_as(web, getattr(p, persona))
    elif persona in ("bob_checkin", "dave_checkin"):
        person = p.bob if persona == "bob_checkin" else p.dave
        issued = actions.issue_checkin_link(acting_user=p.alice, client=person, send_email=False)
        opened = web.get(urlsplit(issued.url).path)
        assert opened.status_code == 302, opened.status_code
    elif persona in ("bob_portal", "dave_portal", "gus_portal"):
        portal_web({"bob_portal": p.bob, "dave_portal": p.dave, "gus_portal": p.gus}[persona], web)
    elif persona == "bob_signing_in":
        # Opened a portal sign-in link; the PIN is still to type (the fuzz of the PIN form).
        raw, _token = tokens.issue(
            Purpose.PORTAL_SIGNIN, practice=p.riverside, client=p.bob, ttl=dt.timedelta(days=1)
        )
        opened = web.get(f"/me/in/{raw}")
        assert opened.status_code == 302, opened.status_code
    elif persona == "bob_confirming":
        hand_over_to_bob(p, web)
    elif persona == "olive":
        # A fresh observer link of hers, moved into the session: the observer form is hers.
        # (A crawl may have turned Bob's observers off or revoked her; she is live again.)
        Client.objects.filter(pk=p.bob.pk).update(observers_enabled=True)
        Observer.objects.filter(pk=p.olive_observer.pk).update(revoked_at=None)
        raw, token = tokens_service.issue(
            "observer",
            practice=p.riverside,
            client=p.bob,
            episode=p.bob.episodes.get(),
            ttl=dt.timedelta(days=14),
        )
        ObserverLink.objects.create(token_id=token.pk, observer=p.olive_observer)
        opened = web.get(f"/o/{raw}")
        assert opened.status_code == 302, opened.status_code
    elif persona == "olive_revoked":
        # An observer Bob invited and then revoked, opening her (dead) link.
        web.get(f"/o/{revoked_observer_token(p)}")
    return web


def _pat(p: Any) -> Any:
    observer = Observer(
        practice=p.riverside,
        client=p.bob,
        email="pat@observer.example",
        relationship="coworker",
        created_at=timezone.now(),
        last_invited_at=timezone.now(),
    )
    observer.label = "Pat from work"
    observer.save()
    return observer


def revoked_observer_token(p: Any) -> str:
    """The raw link of an observer Bob invited and then revoked (made once per personas)."""
    raw = getattr(p, "_revoked_observer_token", None)
    if raw is None:
        raw, token = tokens_service.issue(
            "observer",
            practice=p.riverside,
            client=p.bob,
            episode=p.bob.episodes.get(),
            ttl=dt.timedelta(days=14),
        )
        observer = Observer(
            practice=p.riverside,
            client=p.bob,
            email="rita@observer.example",
            relationship="family",
            created_at=timezone.now(),
        )
        observer.label = "Rita"
        observer.save()
        ObserverLink.objects.create(token_id=token.pk, observer=observer)
        observer_actions.revoke(actor=f"token:{token.pk}", observer=observer)
        p._revoked_observer_token = raw
    return raw


def hand_over_to_bob(p: Any, web: WebClient) -> None:
    """Alice signs in on ``web``, records a decision for Bob to confirm on her device (once
    per test) and hands the device over: she is signed out, the device holds the decision."""
    from plusone.clinical.models import Decision
    from plusone.insights.decisions import DecisionData, record_decision

    episode = p.bob.episodes.get()
    if not Decision.objects.filter(episode=episode, confirmation="pending").exists():
        today = timezone.localdate()
        record_decision(
            user=p.alice,
            episode=episode,
            data=DecisionData(
                kind="phase_change",
                phase="stabilizing",
                decided_on=today,
                options_discussed=["continue"],
                discomfort_acknowledged=False,
                symptom_rise_acknowledged=False,
                discomfort_note="",
                focus="",
                present=["client", "therapist"],
                confirmation="pending",
            ),
            today=today,
        )
    login_as(web, p.alice)
    handed = web.post(f"/practice/episodes/{episode.pk}/decisions/confirm/")
    assert handed.status_code == 302, handed.status_code
