"""Invariants held by the database, and the measurement plan's burden check."""

import uuid

import pytest
from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from personas import make_personas
from plusone.accounts.models import Membership, Role
from plusone.clinical.models import Episode, Flag, age_on
from plusone.clinical.plans import check_plan, default_schedule, instrument_seconds

pytestmark = pytest.mark.django_db

OURS = ("accounts", "clinical", "audit", "tokens", "notify")


def test_it_uses_uuid_primary_keys_on_every_model_of_ours():
    for model in apps.get_models():
        if model._meta.app_label in OURS:
            assert isinstance(model._meta.pk, models.UUIDField), model.__name__


def test_it_gives_every_clinical_row_a_practice():
    for model in apps.get_app_config("clinical").get_models():
        assert model._meta.get_field("practice").related_model._meta.label == "accounts.Practice"


def _flag(p, **fields):
    return Flag(
        practice=p.riverside,
        client=p.bob,
        episode=p.bob.episodes.get(),
        grade=1,
        source_id=uuid.uuid4(),
        opened_at=timezone.now(),
        **fields,
    )


def test_it_refuses_an_acknowledged_flag_without_a_note():
    p = make_personas()
    flag = _flag(p, status="acknowledged", acknowledged_at=timezone.now(), acknowledged_by=p.alice)
    with pytest.raises(IntegrityError), transaction.atomic():
        flag.save()


def test_it_refuses_an_acknowledged_flag_without_an_acknowledger():
    p = make_personas()
    flag = _flag(p, status="acknowledged", acknowledged_at=timezone.now(), action_note="called")
    with pytest.raises(IntegrityError), transaction.atomic():
        flag.save()


def test_it_refuses_a_grade_outside_1_to_3():
    p = make_personas()
    flag = _flag(p)
    flag.grade = 4
    with pytest.raises(IntegrityError), transaction.atomic():
        flag.save()


def test_it_lets_one_person_hold_several_roles_but_each_once():
    p = make_personas()
    assert set(Membership.objects.filter(user=p.erin).values_list("role", flat=True)) == {
        "admin",
        "privacy_officer",
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(practice=p.riverside, user=p.erin, role=Role.ADMIN)


def test_it_refuses_a_primary_measure_outside_phq9_gad7_core10():
    p = make_personas()
    p.bob.episodes.update(status="closed", closed_on=timezone.localdate())
    with pytest.raises(IntegrityError), transaction.atomic():
        Episode.objects.create(
            practice=p.riverside,
            client=p.bob,
            primary_instrument="who5",
            prior_therapy=False,
            opened_on=timezone.localdate(),
        )


def test_it_allows_one_open_episode_per_client():
    p = make_personas()
    with pytest.raises(IntegrityError), transaction.atomic():
        Episode.objects.create(
            practice=p.riverside,
            client=p.bob,
            primary_instrument="phq9",
            prior_therapy=False,
            opened_on=timezone.localdate(),
        )


def test_it_counts_age_in_whole_years():
    import datetime as dt

    assert age_on(dt.date(2008, 11, 26), dt.date(2026, 11, 25)) == 17
    assert age_on(dt.date(2008, 11, 25), dt.date(2026, 11, 25)) == 18
    assert age_on(dt.date(2008, 2, 29), dt.date(2026, 2, 28)) == 17


def _seconds(table):
    return lambda key: table[key]


def test_it_counts_6_seconds_per_item_and_20_per_free_text():
    # The Session Reflection: three rated items and one free-text line.
    assert instrument_seconds("session_reflection") == 3 * 6 + 20
    assert instrument_seconds("personal_goals") == 3 * 6


def test_it_fits_the_default_plan_in_the_routine_budget():
    check = check_plan(default_schedule("phq9", "gad7"))
    assert check.ok
    assert instrument_seconds("phq9") + instrument_seconds("personal_goals") < check.routine_seconds
    assert check.routine_seconds <= 180


def test_it_refuses_a_routine_check_in_over_180_seconds():
    schedule = {"routine": ["a", "b"], "alternate": ["c"]}
    check = check_plan(schedule, seconds_for=_seconds({"a": 60, "b": 60, "c": 61}))
    assert check.routine_seconds == 181
    assert not check.ok and "181 s" in check.problems[0]
    at_limit = check_plan(schedule, seconds_for=_seconds({"a": 60, "b": 60, "c": 60}))
    assert at_limit.ok


def test_it_rewrites_the_summary_and_recounts_open_flags():
    from plusone.clinical import actions
    from plusone.clinical.models import EpisodeSummary

    p = make_personas()
    episode = p.bob.episodes.get()
    with transaction.atomic():
        actions.open_flag(
            episode=episode,
            grade=1,
            source_kind="administration",
            source_id=uuid.uuid4(),
            actor=None,
        )
        EpisodeSummary.objects.filter(episode=episode).update(open_flag_count=7)
        actions.update_summary(episode, latest_total=11.0, band_label="moderate", alerts=["x"])
    summary = EpisodeSummary.objects.get(episode=episode)
    assert (summary.latest_total, summary.band_label, summary.alerts) == (11.0, "moderate", ["x"])
    assert summary.open_flag_count == 1
    with pytest.raises(TypeError):
        actions.update_summary(episode, open_flag_count=3)
