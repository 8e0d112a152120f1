"""The client's observers page at /me/observers/: invite (adults, at most three, observers
on), revoke, choose what the therapist sees, read what observers said (never safety text)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client as WebClient
from django.urls import reverse

from plusone.audit.models import AuditEvent
from plusone.clinical.models import Client
from plusone.observers.models import Observer, ObserverRound
from plusone.tokens.models import AccessToken
from portal_fixtures import portal_web
from task_worker import run_worker

pytestmark = pytest.mark.django_db

INVITE = {
    "label": "My brother Tom",
    "email": "tom@observer.example",
    "relationship": "family",
    "discussed": "on",
}


def test_bob_invites_an_observer_who_gets_a_link_and_then_revokes_them(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    web = portal_web(personas.bob)
    with django_capture_on_commit_callbacks(execute=True):
        sent = web.post(reverse("portal:observer_invite"), INVITE)
    assert sent.status_code == 302
    tom = Observer.objects.get(email="tom@observer.example")
    assert tom.label == "My brother Tom"
    # The email is a task: the worker sends it.
    run_worker()
    assert "/o/" in mail.outbox[-1].body
    page = web.get(reverse("portal:observers"))
    assert "My brother Tom" in page.content.decode()
    web.post(reverse("portal:observer_revoke", kwargs={"observer_id": tom.pk}))
    tom.refresh_from_db()
    assert tom.revoked_at is not None
    assert AccessToken.objects.get(pk=tom.links.get().token_id).revoked_at is not None
    assert AuditEvent.objects.filter(action="observers.revoke", target_id=str(tom.pk)).exists()


def test_the_invitation_needs_the_talk_in_session_and_the_18_plus(personas: Any) -> None:
    web = portal_web(personas.bob)
    page = web.post(reverse("portal:observer_invite"), {**INVITE, "discussed": ""})
    assert page.status_code == 400
    assert not Observer.objects.filter(email="tom@observer.example").exists()


def test_dave_cannot_invite_while_his_observers_are_off(personas: Any) -> None:
    web = portal_web(personas.dave)
    page = web.get(reverse("portal:observers"))
    assert "Observers are not turned on for you" in page.content.decode()
    assert reverse("portal:observer_invite") not in page.content.decode()
    refused = web.post(reverse("portal:observer_invite"), INVITE)
    assert refused.status_code == 400
    assert not Observer.objects.filter(client=personas.dave).exists()


def test_dave_cannot_revoke_bobs_observer(personas: Any) -> None:
    web = portal_web(personas.dave)
    url = reverse("portal:observer_revoke", kwargs={"observer_id": personas.olive_observer.pk})
    assert web.post(url).status_code == 404
    assert Observer.objects.get(pk=personas.olive_observer.pk).revoked_at is None


def test_bob_chooses_that_alice_reads_his_observers_words(personas: Any) -> None:
    web = portal_web(personas.bob)
    web.post(reverse("portal:observer_text_choice"), {"choice": "verbatim"})
    assert Client.objects.get(pk=personas.bob.pk).observer_text_to_therapist == "verbatim"


def test_bob_reads_the_ratings_but_never_the_safety_text(personas: Any) -> None:
    observer = WebClient()
    observer.get(f"/o/{personas.olive_token}")
    observer.post(
        reverse("observers:form"),
        {
            "item_observed_at_ease": "8",
            "item_observed_acts_on_values": "7",
            "item_observed_says_needs": "9",
            "item_observed_bounces_back": "6",
            "item_observed_takes_part": "8",
            "text": "I am scared of him some nights.",
            "adult": "on",
        },
    )
    assert ObserverRound.objects.get().safety_held
    page = portal_web(personas.bob).get(reverse("portal:observers")).content.decode()
    assert "Seems more at ease with people close to them" in page
    assert "scared of him" not in page


def test_the_who_sees_my_record_partial_lists_active_observers_with_revoke(
    personas: Any, rf: Any
) -> None:
    request = rf.get("/me/")
    request.portal_client = personas.bob
    html = render_to_string("portal/_access_observers.html", {"request": request})
    assert "Olive, my oldest friend" in html
    assert (
        reverse("portal:observer_revoke", kwargs={"observer_id": personas.olive_observer.pk})
        in html
    )
