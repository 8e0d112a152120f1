"""Flag invariants, as properties: a risk-positive PHQ-9 answer set always ends with an
open flag, and no path closes a flag without an acknowledger and an action note."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from personas import make_personas
from plusone.clinical import actions as clinical_actions
from plusone.clinical.models import EpisodeSummary, Flag
from plusone.measures import actions

BLANKS = st.text(alphabet=" \t\n\r\u00a0\u2003\u3000", max_size=12)
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _risky_answers(rest: list[int | None], item9: int) -> dict[str, int | None]:
    return {f"phq9_{i}": v for i, v in enumerate(rest, start=1)} | {"phq9_9": item9}


class FlagInvariantTests(TestCase):
    @SETTINGS
    @given(
        rest=st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=8, max_size=8),
        item9=st.integers(1, 3),
        notes=st.lists(BLANKS, max_size=3),
    )
    def test_it_never_ends_a_risk_positive_check_in_without_an_open_flag(
        self, rest: list[int | None], item9: int, notes: list[str]
    ) -> None:
        p = make_personas()
        issued = actions.issue_checkin_link(acting_user=p.alice, client=p.bob, send_email=False)
        actions.submit_checkin(link=issued.token, answers={"phq9": _risky_answers(rest, item9)})
        flag = Flag.objects.get(client=p.bob)
        # Blank and whitespace-only notes never close it, whoever tries.
        for note in notes:
            with self.assertRaises(ValidationError):
                clinical_actions.acknowledge_flag(user=p.alice, flag=flag, note=note)
        flag.refresh_from_db()
        self.assertEqual(flag.status, Flag.Status.OPEN)
        self.assertEqual(EpisodeSummary.objects.get(episode__client=p.bob).open_flag_count, 1)

    @SETTINGS
    @given(
        note=st.text(min_size=1, max_size=200).filter(lambda t: t.strip()),
    )
    def test_it_closes_a_flag_only_with_the_acknowledger_and_the_note(self, note: str) -> None:
        p = make_personas()
        issued = actions.issue_checkin_link(acting_user=p.alice, client=p.bob, send_email=False)
        actions.submit_checkin(link=issued.token, answers={"phq9": _risky_answers([1] * 8, 2)})
        flag = Flag.objects.get(client=p.bob)
        closed = clinical_actions.acknowledge_flag(user=p.alice, flag=flag, note=note)
        stored = Flag.objects.get(pk=closed.pk)
        self.assertEqual(stored.status, Flag.Status.ACKNOWLEDGED)
        self.assertEqual(stored.acknowledged_by, p.alice)
        self.assertIsNotNone(stored.acknowledged_at)
        self.assertEqual(stored.action_note, note.strip())
        with self.assertRaises(clinical_actions.FlagAlreadyAcknowledged):
            clinical_actions.acknowledge_flag(user=p.alice, flag=flag, note=note)

    @SETTINGS
    @given(
        has_note=st.booleans(),
        has_acknowledger=st.booleans(),
        has_time=st.booleans(),
    )
    def test_it_refuses_a_direct_save_that_closes_a_flag_without_everything(
        self, has_note: bool, has_acknowledger: bool, has_time: bool
    ) -> None:
        p = make_personas()
        issued = actions.issue_checkin_link(acting_user=p.alice, client=p.bob, send_email=False)
        actions.submit_checkin(link=issued.token, answers={"phq9": _risky_answers([1] * 8, 3)})
        flag = Flag.objects.get(client=p.bob)
        flag.status = Flag.Status.ACKNOWLEDGED
        flag.action_note = "Phoned Bob." if has_note else ""
        flag.acknowledged_by = p.alice if has_acknowledger else None
        flag.acknowledged_at = timezone.now() if has_time else None
        if has_note and has_acknowledger and has_time:
            flag.save()
            self.assertEqual(Flag.objects.get(pk=flag.pk).status, Flag.Status.ACKNOWLEDGED)
            return
        with self.assertRaises(IntegrityError), transaction.atomic():
            flag.save()
        self.assertEqual(Flag.objects.get(pk=flag.pk).status, Flag.Status.OPEN)

    def test_it_refuses_a_bulk_update_that_closes_a_flag(self) -> None:
        p = make_personas()
        issued = actions.issue_checkin_link(acting_user=p.alice, client=p.bob, send_email=False)
        actions.submit_checkin(link=issued.token, answers={"phq9": _risky_answers([0] * 8, 1)})
        attempts = [
            {"status": Flag.Status.ACKNOWLEDGED},
            {"status": Flag.Status.ACKNOWLEDGED, "acknowledged_by": p.alice},
            {
                "status": Flag.Status.ACKNOWLEDGED,
                "acknowledged_by": p.alice,
                "acknowledged_at": dt.datetime(2026, 11, 26, tzinfo=dt.UTC),
            },
        ]
        for change in attempts:
            with (
                self.subTest(change=sorted(change)),
                self.assertRaises(IntegrityError),
                transaction.atomic(),
            ):
                Flag.objects.filter(client=p.bob).update(**change)
        self.assertEqual(Flag.objects.get(client=p.bob).status, Flag.Status.OPEN)
