"""access_* answer "not yours" exactly like "not there" (Http404)."""

import uuid

import pytest
from django.http import Http404

from personas import make_personas
from plusone.clinical import actions
from plusone.clinical.queries import access_client, access_episode, access_flag

pytestmark = pytest.mark.django_db


@pytest.fixture
def p():
    return make_personas()


def _flag(p, client):
    episode = client.episodes.get()
    from django.db import transaction

    with transaction.atomic():
        return actions.open_flag(
            episode=episode,
            grade=2,
            source_kind="administration",
            source_id=uuid.uuid4(),
            actor=None,
        )


def test_it_gives_alice_her_own_clients(p):
    assert access_client(p.alice, p.bob.pk) == p.bob
    assert access_client(p.alice, str(p.dave.pk), write=True) == p.dave


def test_it_hides_bobs_record_from_charlie_like_a_missing_one(p):
    with pytest.raises(Http404):
        access_client(p.charlie, p.bob.pk)
    with pytest.raises(Http404):
        access_client(p.charlie, uuid.uuid4())


def test_it_hides_clients_from_the_admin_and_privacy_officer(p):
    with pytest.raises(Http404):
        access_client(p.erin, p.bob.pk)


def test_it_shows_sam_bob_read_only_because_bob_consented_to_supervision(p):
    assert access_client(p.sam, p.bob.pk) == p.bob
    with pytest.raises(Http404):
        access_client(p.sam, p.bob.pk, write=True)


def test_it_hides_dave_from_sam_because_dave_did_not_consent(p):
    with pytest.raises(Http404):
        access_client(p.sam, p.dave.pk)


def test_it_stops_showing_bob_to_sam_once_consent_is_withdrawn(p):
    from django.utils import timezone

    p.bob.consents.filter(kind="supervision").update(withdrawn_at=timezone.now())
    with pytest.raises(Http404):
        access_client(p.sam, p.bob.pk)


def test_it_keeps_practices_apart(p):
    with pytest.raises(Http404):
        access_client(p.alice, p.gus.pk)
    with pytest.raises(Http404):
        access_client(p.faye, p.bob.pk)


def test_it_answers_a_malformed_id_with_404(p):
    with pytest.raises(Http404):
        access_client(p.alice, "not-a-uuid")


def test_it_gives_episodes_only_to_those_who_may_see_the_client(p):
    episode = p.bob.episodes.get()
    assert access_episode(p.alice, episode.pk) == episode
    assert access_episode(p.sam, episode.pk) == episode
    for outsider in (p.charlie, p.erin, p.faye):
        with pytest.raises(Http404):
            access_episode(outsider, episode.pk)
    with pytest.raises(Http404):
        access_episode(p.sam, episode.pk, write=True)


def test_it_gives_flags_only_to_those_who_may_see_the_client(p):
    flag = _flag(p, p.bob)
    assert access_flag(p.alice, flag.pk, write=True) == flag
    assert access_flag(p.sam, flag.pk) == flag
    for outsider in (p.charlie, p.erin, p.faye):
        with pytest.raises(Http404):
            access_flag(outsider, flag.pk)
    with pytest.raises(Http404):
        access_flag(p.sam, flag.pk, write=True)


def test_it_hides_everything_from_an_anonymous_user(p):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(Http404):
        access_client(AnonymousUser(), p.bob.pk)
