"""The measurement plan editor: minutes, the 180 s and 300 s refusals, minimum intervals,
risk warning, phase-aware defaults, nothing asked that no page shows, and the screens
asked at the next review."""

import datetime as dt
import shutil
import tempfile
from pathlib import Path

from django.test import TestCase
from django.urls import reverse

from personas import TODAY, login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import Episode, MeasurementPlan
from plusone.clinical.plans import (
    check_plan,
    default_schedule,
    phase_default_schedule,
    risk_gap_days,
)
from plusone.core.due import due_today
from plusone.insights import decisions as actions


def _post(**slots):
    """A plan form post: only the slots given, weekly sessions, MHC-SF 28 days, made from
    the plan as intake stored it (version 1)."""
    data = {"action": "save", "mhcsf_min_days": "28", "session_interval_days": "7", "version": "1"}
    data.update(slots)
    return data


class PlanEditorTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        cls.url = reverse("measures:plan_editor", kwargs={"episode_id": cls.episode.pk})

    def test_it_shows_the_seconds_of_a_routine_check_in(self):
        login_as(self.client, self.p.alice)
        # PHQ-9 has 10 rated items (9 + the difficulty item) at 6 s each.
        response = self.client.post(self.url, _post(action="check", routine=["phq9"]))
        self.assertContains(response, "about 60 s (1.0 min)")
        # Personal goals add 3 ratings (18 s); the reflection's free text is its own sitting.
        both = self.client.post(
            self.url,
            _post(
                action="check",
                routine=["phq9", "personal_goals"],
                end_of_session=["session_reflection"],
            ),
        )
        self.assertContains(both, "about 78 s (1.3 min)")

    def test_it_refuses_a_routine_plan_over_180_seconds(self):
        login_as(self.client, self.p.alice)
        before = MeasurementPlan.objects.get(episode=self.episode).schedule
        # 60 + 48 + 60 + 30 = 198 s.
        response = self.client.post(self.url, _post(routine=["phq9", "gad7", "core10", "swls"]))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "This plan cannot be saved")
        self.assertContains(response, "about 198 s, over the 180 s budget")
        self.assertEqual(MeasurementPlan.objects.get(episode=self.episode).schedule, before)
        self.assertFalse(AuditEvent.objects.filter(action="plan.update").exists())

    def test_it_saves_a_plan_within_budget_and_audits_it(self):
        login_as(self.client, self.p.alice)
        response = self.client.post(
            self.url,
            _post(
                routine=["phq9", "personal_goals"],
                alternate=["gad7"],
                review=["phq9", "k10"],
                intake=["phq9", "k10"],
            ),
        )
        self.assertRedirects(response, self.url)
        plan = MeasurementPlan.objects.get(episode=self.episode)
        self.assertEqual(plan.schedule["routine"], ["phq9", "personal_goals"])
        self.assertEqual(plan.schedule["review"], ["phq9", "k10"])
        self.assertEqual(plan.min_interval_days["mhcsf"], 28)
        event = AuditEvent.objects.get(action="plan.update")
        self.assertEqual(event.target_id, str(plan.pk))
        self.assertEqual(event.detail["routine_seconds"], 60 + 18 + 48)

    def test_it_keeps_k10_pcl5_and_auditc_to_intake_and_reviews(self):
        login_as(self.client, self.p.alice)
        for key, title in (("k10", "K10"), ("pcl5", "PCL-5"), ("auditc", "AUDIT-C")):
            response = self.client.post(self.url, _post(alternate=[key], routine=["phq9"]))
            self.assertContains(response, f"{title} is given at intake and reviews only")
        self.assertFalse(AuditEvent.objects.filter(action="plan.update").exists())

    def test_it_keeps_mhcsf_to_at_most_every_four_weeks(self):
        # MHC-SF is a licensed pack: the practice's text must be there before it can be saved.
        data_dir = Path(tempfile.mkdtemp(prefix="plusone-licensed-"))
        self.addCleanup(shutil.rmtree, data_dir, True)
        folder = data_dir / "licensed" / str(self.p.riverside.pk)
        folder.mkdir(parents=True)
        items = "\n".join(f'mhcsf_{n} = "Item {n}"' for n in range(1, 15))
        (folder / "mhcsf.toml").write_text(
            f'instrument = "mhcsf"\nlicence = "Test licence"\n[items]\n{items}\n', encoding="utf-8"
        )
        override = self.settings(DATA_DIR=data_dir)
        override.enable()
        self.addCleanup(override.disable)
        login_as(self.client, self.p.alice)
        response = self.client.post(self.url, _post(routine=["phq9"], alternate=["mhcsf"]))
        self.assertContains(response, "MHC-SF may be given at most every 28 days")
        # Every 4th weekly session is exactly 28 days: allowed.
        ok = self.client.post(self.url, _post(routine=["phq9"], every_4th=["mhcsf"]))
        self.assertRedirects(ok, self.url)
        short = self.client.post(self.url, _post(routine=["phq9"], mhcsf_min_days="14"))
        self.assertIn("mhcsf_min_days", short.context["form"].errors)

    def test_it_warns_when_two_weeks_would_pass_with_no_risk_item(self):
        login_as(self.client, self.p.alice)
        # PHQ-9 only on even weekly sessions (alternate and every 4th): 14 days between item 9s.
        every_2nd = {"routine": ["personal_goals"], "alternate": ["phq9"], "every_4th": ["phq9"]}
        response = self.client.post(self.url, _post(action="check", **every_2nd))
        self.assertContains(response, "Up to 14 days can pass with no risk item")
        kept = self.client.post(
            self.url,
            _post(action="check", risk_item_only=["phq9"], **every_2nd),
        )
        self.assertNotContains(kept, "can pass with no risk item")
        # A warning never refuses the plan.
        saved = self.client.post(self.url, _post(**every_2nd))
        self.assertRedirects(saved, self.url)
        # Alternate sessions alone skip every 4th one too (it takes the every-4th slot).
        alternate_only = self.client.post(
            self.url, _post(action="check", routine=["personal_goals"], alternate=["phq9"])
        )
        self.assertContains(alternate_only, "Up to 28 days can pass with no risk item")

    def test_it_offers_the_deepening_defaults_once_deepening_is_agreed(self):
        threshold = actions.DecisionData(
            kind="phase_change",
            phase="plus_one",
            decided_on=TODAY - dt.timedelta(days=7),
            options_discussed=["go_deeper"],
            discomfort_acknowledged=False,
            symptom_rise_acknowledged=False,
            discomfort_note="",
            focus="",
            present=["client", "therapist"],
            confirmation="spoken",
            confirmed_on=TODAY - dt.timedelta(days=7),
        )
        actions.record_decision(
            user=self.p.alice, episode=self.episode, data=threshold, today=TODAY
        )
        data = actions.DecisionData(
            kind="phase_change",
            phase="deepening",
            decided_on=TODAY,
            options_discussed=["go_deeper"],
            discomfort_acknowledged=True,
            symptom_rise_acknowledged=True,
            discomfort_note="",
            focus="my words",
            present=["client", "therapist"],
            confirmation="spoken",
            confirmed_on=TODAY,
        )
        actions.record_decision(user=self.p.alice, episode=self.episode, data=data, today=TODAY)
        login_as(self.client, self.p.alice)
        response = self.client.post(self.url, {"action": "defaults"})
        form = response.context["form"]
        self.assertEqual(form.initial["routine"], ["personal_goals"])
        self.assertEqual(form.initial["alternate"], ["phq9", "gad7"])
        self.assertEqual(form.initial["risk_item_only"], ["phq9"])
        self.assertContains(response, "Deepening")
        # Offering defaults saves nothing.
        self.assertFalse(AuditEvent.objects.filter(action="plan.update").exists())

    def test_it_shows_and_refuses_a_review_sitting_over_300_seconds(self):
        login_as(self.client, self.p.alice)
        default = default_schedule("phq9", "gad7")
        check = self.client.post(self.url, _post(action="check", **default))
        self.assertContains(check, "Review sitting (routine plus review, longest): about 264 s")
        self.assertContains(check, "at most 300 s")
        before = MeasurementPlan.objects.get(episode=self.episode).schedule
        # K10 (60 s) on top of PCL-5 and AUDIT-C: 324 s.
        response = self.client.post(
            self.url, _post(**{**default, "review": ["phq9", "pcl5", "auditc", "k10"]})
        )
        self.assertContains(response, "This plan cannot be saved")
        self.assertContains(response, "takes about 324 s, over the 300 s budget")
        self.assertEqual(MeasurementPlan.objects.get(episode=self.episode).schedule, before)
        self.assertFalse(AuditEvent.objects.filter(action="plan.update").exists())

    def test_it_refuses_a_measure_that_no_page_would_show(self):
        # Without a secondary measure, GAD-7 would be collected and shown nowhere.
        Episode.objects.filter(pk=self.episode.pk).update(secondary_instrument="")
        login_as(self.client, self.p.alice)
        response = self.client.post(
            self.url, _post(routine=["phq9", "personal_goals"], alternate=["gad7"])
        )
        self.assertContains(response, "This plan cannot be saved")
        self.assertContains(response, "GAD-7 is neither the primary nor the secondary measure")
        self.assertFalse(AuditEvent.objects.filter(action="plan.update").exists())

    def test_it_offers_the_screens_to_ask_at_the_next_review_with_those_waiting_ticked(self):
        login_as(self.client, self.p.alice)
        page = self.client.get(self.url)
        self.assertContains(page, "Ask at the next review")
        self.assertContains(page, "Whatever they scored at intake.")
        action = reverse("measures:review_screens", kwargs={"episode_id": self.episode.pk})
        self.assertContains(page, f'action="{action}"')
        self.client.post(action, {"screens": ["pcl5"]})
        page = self.client.get(self.url)
        self.assertContains(page, 'value="pcl5" id="id_screens_0" checked')
        self.assertNotContains(page, 'value="k10" id="id_screens_2" checked')
        # Anything but PCL-5, AUDIT-C and K10 is refused, and nothing changes.
        self.client.post(action, {"screens": ["phq9"]})
        self.assertEqual(
            list(Episode.objects.get(pk=self.episode.pk).review_screen_requests), ["pcl5"]
        )

    def test_it_records_a_view_event(self):
        login_as(self.client, self.p.alice)
        self.client.get(self.url)
        event = AuditEvent.objects.get(action="view.plan_editor")
        self.assertEqual(event.target_id, str(self.episode.pk))

    def test_it_hides_bobs_plan_from_charlie_and_refuses_others(self):
        login_as(self.client, self.p.charlie)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.assertEqual(self.client.post(self.url, _post(routine=["phq9"])).status_code, 404)
        for persona in (self.p.erin, self.p.sam):
            login_as(self.client, persona)
            self.assertEqual(self.client.get(self.url).status_code, 403)
        login_as(self.client, self.p.faye)
        self.assertEqual(self.client.get(self.url).status_code, 404)


def test_it_gives_the_primary_every_2nd_session_and_item_9_every_session_in_deepening():
    schedule = phase_default_schedule("phq9", "gad7", "deepening")
    given = [n for n in range(2, 8) if "phq9" in due_today(schedule, session_number=n)]
    assert given == [2, 4, 6]
    assert schedule["risk_item_only"] == ["phq9"]
    assert risk_gap_days(schedule) == 7
    assert check_plan(schedule).ok


def test_it_uses_the_default_plan_outside_deepening():
    schedule = phase_default_schedule("phq9", "gad7", "stabilizing")
    assert [n for n in range(2, 8) if "phq9" in due_today(schedule, session_number=n)] == [
        2,
        3,
        4,
        5,
        6,
        7,
    ]
    assert schedule["risk_item_only"] == []


def test_it_counts_6_seconds_per_item_and_20_per_free_text():
    # Hand count: Session Reflection has 3 rated items and 1 free-text line = 38 s, in its
    # own end-of-session sitting, never in the pre-session check-in.
    check = check_plan({"routine": ["phq9"], "end_of_session": ["session_reflection"]})
    assert check.end_of_session_seconds == 3 * 6 + 20
    assert check.routine_seconds == 10 * 6


def test_it_counts_the_default_review_sitting_as_the_routine_plus_the_review():
    check = check_plan(default_schedule("phq9", "gad7"))
    # Longest review: PHQ-9 60 + goals 18 + the 4th-session slot (WHO-5 or SWLS 30 and Felt
    # Change 18, or GAD-7 48) + PCL-5 120 + AUDIT-C 18 = 264 s.
    assert check.review_seconds == 60 + 18 + 48 + 120 + 18
    # Intake: PHQ-9, GAD-7, PCL-5, AUDIT-C, goals and SWLS = 294 s, within 600 s.
    assert check.intake_seconds == 60 + 48 + 120 + 18 + 18 + 30
    assert check.ok


def test_it_refuses_a_review_sitting_over_300_seconds():
    schedule = {**default_schedule("phq9", "gad7"), "review": ["phq9", "pcl5", "auditc", "k10"]}
    check = check_plan(schedule)
    assert check.review_seconds == 264 + 60
    assert not check.ok
    assert (
        "The review sitting (routine plus review) takes about 324 s, over the 300 s budget."
        in check.problems
    )


def test_it_refuses_an_instrument_that_no_page_shows():
    schedule = {**default_schedule("phq9", "gad7"), "alternate": ["core10"]}
    check = check_plan(schedule, primary="phq9", secondary="gad7")
    assert any(
        p.startswith("CORE-10 is neither the primary nor the secondary") for p in check.problems
    )
    # Screens (the screens row), growth, own words and the reflection all have a place.
    shown = {**default_schedule("phq9", ""), "review": ["phq9", "k10"]}
    assert check_plan(shown, primary="phq9", secondary="").ok
