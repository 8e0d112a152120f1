"""Licensed packs in the check-in: administered once the practice supplies the text,
refused by name in a plan until it does; CORE-10 item 6 flags with its graded response;
MHC-SF at most every 4 weeks; carried instruments roll on within 180 s."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

from checkin_helpers import answer_today, answers_for, complete, form_data, issue, licensed_text
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from personas import TODAY, intake_data, login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical import actions as clinical
from plusone.clinical.licensed import PracticeLicenceRequired
from plusone.clinical.models import Episode, MeasurementPlan
from plusone.core.due import ROUTINE_BUDGET_SECONDS
from plusone.core.instruments import LicenceRequired
from plusone.measures import actions, checkin
from plusone.measures.models import Administration

CORE10_PLAN = {"routine": ["core10", "personal_goals"], "review": ["core10"]}


class _DataDirMixin:
    """A throwaway PLUSONE_DATA_DIR per test, for the practice's licensed-text files."""

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        self.data_dir = Path(tempfile.mkdtemp(prefix="plusone-licensed-"))
        self.addCleanup(shutil.rmtree, self.data_dir, True)  # type: ignore[attr-defined]
        override = self.settings(DATA_DIR=self.data_dir)  # type: ignore[attr-defined]
        override.enable()
        self.addCleanup(override.disable)  # type: ignore[attr-defined]


class LicensedPackTests(_DataDirMixin, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        # CORE-10 as Bob's secondary measure: a plan asks only what a page shows.
        Episode.objects.filter(pk=cls.episode.pk).update(secondary_instrument="core10")
        cls.episode.refresh_from_db()

    def _plan(self, schedule=CORE10_PLAN):
        return clinical.update_plan(
            user=self.p.alice, episode=self.episode, schedule=schedule, min_interval_days={}
        )

    def test_it_refuses_a_plan_with_core10_until_the_practice_supplies_the_text(self) -> None:
        before = MeasurementPlan.objects.get(episode=self.episode).schedule
        with self.assertRaises(LicenceRequired) as caught:
            self._plan()
        self.assertIsInstance(caught.exception, PracticeLicenceRequired)
        self.assertIn("CORE System Trust", str(caught.exception))
        self.assertIn("licensed/<practice id>/core10.toml", str(caught.exception))
        self.assertEqual(MeasurementPlan.objects.get(episode=self.episode).schedule, before)
        self.assertFalse(AuditEvent.objects.filter(action="plan.update").exists())

    def test_it_names_the_licence_holder_in_the_plan_editor(self) -> None:
        login_as(self.client, self.p.alice)
        url = reverse("measures:plan_editor", kwargs={"episode_id": self.episode.pk})
        data = {
            "action": "save",
            "mhcsf_min_days": "28",
            "session_interval_days": "7",
            "routine": ["phq9", "personal_goals"],
            "every_4th": ["mhcsf"],
            # The plan's version as intake stored it, as the page's hidden field carries it.
            "version": "1",
        }
        response = self.client.post(url, data)
        self.assertContains(response, "This plan cannot be saved")
        self.assertContains(response, "Obtain a licence from Corey L. M. Keyes")
        self.assertFalse(AuditEvent.objects.filter(action="plan.update").exists())

    def test_it_refuses_core10_as_the_primary_at_intake_without_the_text(self) -> None:
        data = intake_data(
            given_name="Cora",
            family_name="Cole",
            date_of_birth=dt.date(1980, 1, 1),
            primary="core10",
            goals=["A goal"],
            consent_channels=(),
        )
        with self.assertRaises(ValidationError) as caught:
            clinical.intake_client(
                therapist=self.p.alice, practice=self.p.riverside, data=data, today=TODAY
            )
        self.assertIn("CORE System Trust", str(caught.exception))

    def test_it_administers_core10_with_the_practices_text_and_stem(self) -> None:
        licensed_text(self.data_dir, self.p.riverside, "core10", stem="Licensed stem: last week")
        self._plan()
        path, token = issue(self.p.alice, self.p.bob)
        self.client.get(path)
        self.client.post("/checkin/", form_data("personal_goals", {"goal_1": 5, "goal_2": 6}))
        page = self.client.get("/checkin/")
        self.assertEqual(page.context["group"].key, "core10")
        self.assertContains(page, "Licensed stem: last week")
        self.assertContains(page, "Licensed text of core10_6")
        complete(
            self.client,
            path,
            {"core10": answers_for(token, "core10"), "personal_goals": {"goal_1": 5, "goal_2": 6}},
        )
        stored = Administration.objects.get(client=self.p.bob, instrument_key="core10")
        self.assertTrue(stored.valid)
        self.assertEqual(stored.instrument_version, "1.0.0")

    def test_it_flags_core10_item_6_with_its_graded_response(self) -> None:
        licensed_text(self.data_dir, self.p.riverside, "core10")
        self._plan()
        for answer, grade in ((0, 0), (1, 1), (2, 2), (3, 3), (4, 3)):
            with self.subTest(answer=answer):
                path, token = issue(self.p.alice, self.p.bob)
                complete(
                    self.client,
                    path,
                    {
                        "core10": answers_for(token, "core10", core10_6=answer),
                        "personal_goals": {"goal_1": 5, "goal_2": 6},
                    },
                )
                stored = Administration.objects.get(
                    sitting__idempotency_key=str(token.pk), instrument_key="core10"
                )
                self.assertEqual(stored.risk_grade, grade)
                # One flag per sitting: it names the sitting's link.
                flag = self.p.bob.flags.filter(source_id=token.pk).first()
                self.assertEqual(flag.grade if flag else 0, grade)
                if grade:
                    self.assertTrue(
                        AuditEvent.objects.filter(
                            action="flag.open", target_id=str(flag.pk)
                        ).exists()
                    )
                    page = self.client.get("/checkin/done/")
                    expected = "safety_plan" if grade == 1 else "crisis"
                    self.assertEqual(page.context["response"], expected)

    def test_it_keeps_one_practices_text_to_that_practice(self) -> None:
        licensed_text(self.data_dir, self.p.lakeview, "core10")
        with self.assertRaises(LicenceRequired):
            self._plan()
        self.assertFalse(checkin.administrable("core10", self.episode))

    def test_it_never_asks_a_pack_without_text_even_in_a_saved_plan(self) -> None:
        licensed_text(self.data_dir, self.p.riverside, "core10")
        self._plan()
        (self.data_dir / "licensed" / str(self.p.riverside.pk) / "core10.toml").unlink()
        _, token = issue(self.p.alice, self.p.bob)
        self.assertEqual(checkin.plan_for(token).asked, ["personal_goals"])


class RunTimeIntervalTests(_DataDirMixin, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()

    def test_it_asks_mhcsf_at_most_every_28_days_at_run_time(self) -> None:
        licensed_text(self.data_dir, self.p.riverside, "mhcsf")
        # Fortnightly sessions: MHC-SF every 2nd session passes the editor (2 x 14 = 28 days).
        clinical.update_plan(
            user=self.p.alice,
            episode=self.episode,
            schedule={"routine": ["phq9", "personal_goals"], "alternate": ["mhcsf"]},
            min_interval_days={},
            session_interval_days=14,
        )
        _, first = issue(self.p.alice, self.p.bob)
        answer_today(first)
        _, second = issue(self.p.alice, self.p.bob)
        self.assertIn("mhcsf", checkin.plan_for(second).asked)
        answer_today(second)
        given = Administration.objects.get(instrument_key="mhcsf").completed_at
        for _ in range(3):
            _, between = issue(self.p.alice, self.p.bob)
            answer_today(between)
        _, sixth = issue(self.p.alice, self.p.bob)
        # Session 6 has it due, but the sessions came closer together than planned.
        soon = checkin.plan_for(sixth, now=given + dt.timedelta(days=27))
        self.assertNotIn("mhcsf", soon.asked)
        self.assertNotIn("mhcsf", soon.rolled)
        later = checkin.plan_for(sixth, now=given + dt.timedelta(days=28))
        self.assertIn("mhcsf", later.asked)
        self.assertEqual(Administration.objects.filter(instrument_key="mhcsf").count(), 1)

    def test_it_rolls_carried_instruments_on_rather_than_pass_180_seconds(self) -> None:
        clinical.update_plan(
            user=self.p.alice,
            episode=self.episode,
            schedule={
                "routine": ["phq9", "personal_goals", "gad7"],
                "alternate": ["swls"],
                "every_4th": ["who5", "felt_change"],
            },
            min_interval_days={},
        )
        for _ in range(4):
            _, token = issue(self.p.alice, self.p.bob)
            actions.skip_checkin(link=token, now=timezone.now())
        _, fifth = issue(self.p.alice, self.p.bob)
        today = checkin.plan_for(fifth)
        self.assertEqual(today.asked, ["personal_goals", "felt_change", "phq9", "gad7", "who5"])
        self.assertEqual(today.rolled, ["swls"])
        seconds = sum(checkin.seconds_for(k) for k in today.asked)
        self.assertLessEqual(seconds, ROUTINE_BUDGET_SECONDS)
        self.assertGreater(seconds + checkin.seconds_for("swls"), ROUTINE_BUDGET_SECONDS)
        # The draft keeps what rolled on, and the sitting stores it for the next check-in.
        draft = actions.open_draft(fifth)
        self.assertEqual(draft.rolled_on, ["swls"])
        result = answer_today(fifth)
        self.assertEqual(result.sitting.carried_over, ["swls"])
