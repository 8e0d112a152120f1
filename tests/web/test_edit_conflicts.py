"""Two people editing the same record: the second save gets a conflict, never a silent overwrite.

Alice has Bob's measurement plan (and his safety plan) open in two browser sessions (two
test clients, each signed in). Both load the same version; the first save wins, the
second is refused with "… changed this while you were editing; here is their version …",
and the stored row is the first one's. Saving again from the conflict page is a
deliberate choice, and then it saves.
"""

import re
import threading

import pytest
from django.db import connection, connections
from django.test import Client as WebClient
from django.test import TestCase, TransactionTestCase
from django.urls import reverse

from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical import actions
from plusone.clinical.forms import STALE_FORM
from plusone.clinical.models import MeasurementPlan, SafetyPlan

CONFLICT = "changed this while you were editing; here is their version"


def loaded_version(response):
    """The hidden version the page carries, as a browser would post it back."""
    found = re.search(rb'name="version" value="(\d+)"', response.content)
    assert found, "the form has no hidden version"
    return found.group(1).decode()


def plan_post(version, **slots):
    data = {"action": "save", "mhcsf_min_days": "28", "session_interval_days": "7"}
    return {**data, "version": version, **slots}


class PlanConflictTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        cls.url = reverse("measures:plan_editor", kwargs={"episode_id": cls.episode.pk})

    def setUp(self):
        self.second = WebClient()
        login_as(self.client, self.p.alice)
        login_as(self.second, self.p.alice)

    def test_it_refuses_the_second_save_of_a_plan_and_keeps_the_first(self):
        first_version = loaded_version(self.client.get(self.url))
        second_version = loaded_version(self.second.get(self.url))
        self.assertEqual(first_version, second_version)

        saved = self.client.post(self.url, plan_post(first_version, routine=["phq9"]))
        self.assertRedirects(saved, self.url)
        refused = self.second.post(
            self.url, plan_post(second_version, routine=["phq9", "personal_goals"])
        )

        self.assertEqual(refused.status_code, 200)
        self.assertContains(refused, f"Alice {CONFLICT}")
        # Their version is shown, and the second editor's own choices stay in the form.
        self.assertContains(refused, "Their version (version 2")
        self.assertEqual(
            refused.context["form"].cleaned_data["routine"], ["phq9", "personal_goals"]
        )
        plan = MeasurementPlan.objects.get(episode=self.episode)
        self.assertEqual(plan.schedule["routine"], ["phq9"])
        self.assertEqual(plan.version, 2)
        self.assertEqual(AuditEvent.objects.filter(action="plan.update").count(), 1)

        # Saving again from the conflict page is deliberate: it carries their version.
        self.assertEqual(loaded_version(refused), "2")
        again = self.second.post(
            self.url, plan_post(loaded_version(refused), routine=["phq9", "personal_goals"])
        )
        self.assertRedirects(again, self.url)
        plan.refresh_from_db()
        self.assertEqual((plan.schedule["routine"], plan.version), (["phq9", "personal_goals"], 3))

    def test_it_keeps_the_loaded_version_when_defaults_are_filled_in(self):
        version = loaded_version(self.client.get(self.url))
        self.second.post(self.url, plan_post(version, routine=["phq9"]))
        defaults = self.client.post(self.url, {"action": "defaults", "version": version})
        # The defaults are only a suggestion on the page: saving them is still the stale version.
        self.assertEqual(loaded_version(defaults), version)

    def test_it_refuses_a_missing_or_forged_version_with_a_clear_message(self):
        for forged in ("", "abc", "-1", "99999999999999999999"):
            response = self.client.post(self.url, plan_post(forged, routine=["phq9", "gad7"]))
            self.assertContains(response, STALE_FORM)
        self.assertFalse(AuditEvent.objects.filter(action="plan.update").exists())
        self.assertEqual(MeasurementPlan.objects.get(episode=self.episode).version, 1)


class SafetyPlanConflictTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.url = reverse("clinical:safety_plan", kwargs={"client_id": cls.p.bob.pk})

    def setUp(self):
        self.second = WebClient()
        login_as(self.client, self.p.alice)
        login_as(self.second, self.p.alice)

    def test_it_refuses_the_second_save_of_a_safety_plan_and_keeps_the_first(self):
        first = self.client.get(self.url)
        self.assertContains(first, "Bob&#x27;s safety plan: call my sister")
        second = self.second.get(self.url)

        saved = self.client.post(
            self.url,
            {"text": "Call my sister, then walk the dog.", "version": loaded_version(first)},
        )
        self.assertRedirects(saved, self.url)
        refused = self.second.post(
            self.url, {"text": "Call the crisis line.", "version": loaded_version(second)}
        )

        self.assertEqual(refused.status_code, 200)
        self.assertContains(refused, f"Alice {CONFLICT}")
        self.assertContains(refused, "Call my sister, then walk the dog.")
        self.assertContains(refused, "Call the crisis line.")
        plan = SafetyPlan.objects.get(client=self.p.bob)
        self.assertEqual((plan.text, plan.version), ("Call my sister, then walk the dog.", 2))
        events = AuditEvent.objects.filter(action="safety_plan.update")
        self.assertEqual(events.count(), 1)
        # The audit row names the plan and its version, never its words.
        self.assertNotIn("sister", str(events.get().detail))

        again = self.second.post(
            self.url, {"text": "Call the crisis line.", "version": loaded_version(refused)}
        )
        self.assertRedirects(again, self.url)
        plan.refresh_from_db()
        self.assertEqual((plan.text, plan.version), ("Call the crisis line.", 3))

    def test_it_hides_bobs_safety_plan_from_charlie(self):
        login_as(self.second, self.p.charlie)
        self.assertEqual(self.second.get(self.url).status_code, 404)
        response = self.second.post(self.url, {"text": "overwritten", "version": "1"})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(SafetyPlan.objects.get(client=self.p.bob).version, 1)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's in-memory test database cannot hold two writers on two threads",
)
class SimultaneousSaveTests(TransactionTestCase):
    def test_it_lets_exactly_one_of_two_simultaneous_safety_plan_saves_win(self):
        p = make_personas()
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def save(text: str) -> None:
            try:
                barrier.wait(timeout=10)
                actions.update_safety_plan(user=p.alice, client=p.bob, text=text, base_version=1)
                outcomes.append("saved")
            except actions.EditConflict:
                outcomes.append("conflict")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=save, args=(t,)) for t in ("First.", "Second.")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        self.assertEqual(sorted(outcomes), ["conflict", "saved"])
        plan = SafetyPlan.objects.get(client=p.bob)
        self.assertEqual(plan.version, 2)
        self.assertIn(plan.text, ("First.", "Second."))
        self.assertEqual(AuditEvent.objects.filter(action="safety_plan.update").count(), 1)
