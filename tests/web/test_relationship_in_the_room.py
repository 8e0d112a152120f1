"""The relationship in the room, end to end through the pages (issue 13, DESIGN.md's
"Possible rupture"): the therapist rating an item 2 or more above the client's Session
Reflection of the same session raises "possible rupture" with its trace on the caseload,
the card and the journey; the reverse gap is shown, not alerted; a repair the therapist
logs closes it; while it is open the forward proposals are held ("repair first"), and a
step back never is."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from django.db import transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from personas import login_as, make_personas
from plusone.clinical.models import Decision, EpisodeSummary, RuptureEvent, Session
from plusone.core.instruments import load_instrument
from plusone.core.scoring import score
from plusone.measures import ratings
from plusone.measures.models import Administration, Context, Respondent
from plusone.measures.summary import history_for, refresh_summaries, refresh_summary

CASELOAD = "/practice/caseload/"
GAP_TRACE = escape("the therapist rated 'I felt heard and understood' 9, ≥ 2 above the client's 7")


def _tiers(body: str) -> dict[str, list[str]]:
    out = {}
    for slug, section in re.findall(r'<tbody data-tier="(\w+)"[^>]*>(.*?)</tbody>', body, re.S):
        out[slug] = re.findall(r'<tr data-client="([^"]+)"', section)
    return out


def _session(episode, days_ago: int) -> Session:
    return Session.objects.create(
        practice=episode.practice,
        episode=episode,
        starts_at=timezone.now() - dt.timedelta(days=days_ago, hours=1),
        status=Session.Status.ATTENDED,
    )


def _store(session: Session, key: str, answers: dict[str, int], *, later_days: int = 0) -> None:
    """An administration of ``key`` at the end of ``session`` (or ``later_days`` after it)."""
    result = score(load_instrument(key), answers)
    at = session.starts_at + dt.timedelta(minutes=48, days=later_days)
    Administration.objects.create(
        id=uuid.uuid4(),
        practice_id=session.practice_id,
        client_id=session.episode.client_id,
        episode=session.episode,
        session=session,
        instrument_key=key,
        instrument_version=load_instrument(key).version,
        context=Context.IN_SESSION,
        respondent=Respondent.CLIENT,
        answers=answers,
        total=result.total,
        band=result.band.label if result.band else "",
        valid=result.valid,
        started_at=at,
        completed_at=at,
        idempotency_key=f"test:{session.pk}:{key}",
    )


def _reflection(heard: int, matters: int = 8, fit: int = 8) -> dict[str, int]:
    return {"reflection_heard": heard, "reflection_matters": matters, "reflection_fit": fit}


def _rating(heard: int, matters: int = 8, fit: int = 8) -> dict[str, str]:
    return {
        "form": "rating",
        "therapist_heard": str(heard),
        "therapist_matters": str(matters),
        "therapist_fit": str(fit),
    }


def _url(session: Session) -> str:
    return reverse("measures:session_relationship", kwargs={"session_id": session.pk})


class CongruenceGapTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        cls.session = _session(cls.episode, days_ago=0)

    def setUp(self) -> None:
        login_as(self.client, self.p.alice)

    def _rate(self, client_heard: int, therapist_heard: int) -> None:
        _store(self.session, "session_reflection", _reflection(client_heard))
        response = self.client.post(_url(self.session), _rating(therapist_heard))
        self.assertRedirects(response, _url(self.session))

    def _journey(self):
        return self.client.get(f"/practice/episodes/{self.episode.pk}/journey/")

    def _card(self):
        return self.client.get(f"/practice/episodes/{self.episode.pk}/card/")

    def test_the_gap_raises_a_possible_rupture_on_the_caseload_card_and_journey_with_its_trace(
        self,
    ) -> None:
        self._rate(client_heard=7, therapist_heard=9)
        self.assertIn("possible_rupture", EpisodeSummary.objects.get(episode=self.episode).alerts)
        self.assertEqual(
            _tiers(self.client.get(CASELOAD).content.decode())["rupture"], ["Bob Brown"]
        )
        for page in (self._journey(), self._card()):
            self.assertContains(page, "Possible rupture")
            self.assertContains(page, GAP_TRACE)

    def test_the_gap_counts_when_the_client_reflects_by_the_link_the_next_day(self) -> None:
        # The post-session link is the fallback: the reflection belongs to its session.
        session = _session(self.episode, days_ago=3)
        _store(session, "session_reflection", _reflection(7), later_days=1)
        self.client.post(_url(session), _rating(9))
        self.assertContains(self._journey(), GAP_TRACE)

    def test_the_daily_batch_and_the_one_episode_path_both_read_the_rating(self) -> None:
        # The web -> core adapter: both paths get the rating, on its session's date.
        _store(self.session, "session_reflection", _reflection(7))
        ratings.rate_session(
            user=self.p.alice,
            session=self.session,
            answers={"therapist_heard": 9, "therapist_matters": 8, "therapist_fit": 8},
        )
        history = history_for(self.episode)
        day = timezone.localdate(self.session.starts_at)
        self.assertEqual(
            [(r.completed, r.items) for r in history.therapist_ratings], [(day, (9.0, 8.0, 8.0))]
        )
        self.assertEqual([r.completed for r in history.reflections], [day])
        EpisodeSummary.objects.filter(episode=self.episode).update(alerts=[], judged_on=None)
        self.assertEqual(refresh_summaries([self.episode], today=timezone.localdate()), 1)
        summary = EpisodeSummary.objects.get(episode=self.episode)
        self.assertIn("possible_rupture", summary.alerts)

    def test_the_journey_shows_client_against_therapist_item_by_item(self) -> None:
        self._rate(client_heard=7, therapist_heard=9)
        page = self._journey()
        lane = page.context["relationship"]
        row = lane.rows[-1]
        self.assertEqual(
            [(i.client, i.therapist) for i in row.items], [(7.0, 9.0), (8.0, 8.0), (8.0, 8.0)]
        )
        self.assertEqual([i.gap for i in row.items], ["rupture", "", ""])
        self.assertContains(page, "You rated 2 above the client")

    def test_the_reverse_gap_is_shown_but_not_alerted(self) -> None:
        self._rate(client_heard=10, therapist_heard=7)
        summary = EpisodeSummary.objects.get(episode=self.episode)
        self.assertNotIn("possible_rupture", summary.alerts)
        self.assertNotIn("rupture", _tiers(self.client.get(CASELOAD).content.decode()))
        page = self._journey()
        self.assertNotContains(page, "Possible rupture")
        self.assertEqual(page.context["relationship"].rows[-1].items[0].gap, "reverse")
        self.assertContains(page, "The client rated 3 above you")

    def test_a_logged_repair_closes_the_possible_rupture(self) -> None:
        self._rate(client_heard=7, therapist_heard=9)
        response = self.client.post(
            _url(self.session), {"form": "event", "kind": "repair", "note": "We talked it through"}
        )
        self.assertRedirects(response, _url(self.session))
        repair = RuptureEvent.objects.get()
        self.assertEqual((repair.kind, repair.repairs), ("repair", None))
        # The caseload re-judges the row the repair left to be judged again.
        self.assertNotIn("rupture", _tiers(self.client.get(CASELOAD).content.decode()))
        self.assertNotIn(
            "possible_rupture", EpisodeSummary.objects.get(episode=self.episode).alerts
        )
        page = self._journey()
        self.assertNotContains(page, "Possible rupture")
        self.assertContains(page, "resolved by the repair logged on")

    def test_a_logged_rupture_opens_one_on_the_caseload_at_once(self) -> None:
        self.client.post(_url(self.session), {"form": "event", "kind": "rupture", "note": ""})
        self.assertEqual(
            _tiers(self.client.get(CASELOAD).content.decode())["rupture"], ["Bob Brown"]
        )
        self.assertContains(self._journey(), "a rupture logged on")

    def test_the_journey_links_each_session_to_its_rating_and_relationship_form(self) -> None:
        self._rate(client_heard=7, therapist_heard=9)
        self.assertContains(self._journey(), f'href="{_url(self.session)}"')

    def test_a_supervisor_sees_the_lane_without_the_forms(self) -> None:
        self._rate(client_heard=7, therapist_heard=9)
        login_as(self.client, self.p.sam)
        page = self._journey()
        self.assertContains(page, GAP_TRACE)
        self.assertNotContains(page, f'href="{_url(self.session)}"')


# PHQ-9 fell reliably (22 -> 14) and stays above cutoff, flat: "stalled, review together".
STALLED = (22, 18, 14, 13, 14, 13, 14)
# Relief then a rise back past the +1 threshold: a step back to Stabilizing.
STEP_BACK = (18, 14, 9, 8, 7, 8, 7, 8, 14)


class RepairFirstTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _course(self, totals: tuple[int, ...], phase: str) -> tuple[object, Session]:
        episode = self.p.bob.episodes.get()
        n = len(totals)
        sessions = [_session(episode, days_ago=7 * (n - 1 - i)) for i in range(n)]
        for session, total in zip(sessions, totals, strict=True):
            items = [i for i in load_instrument("phq9").items if i.numeric]
            answers, left = {}, total
            for item in items[:-1]:
                answers[item.id] = min(item.max_value, left)
                left -= answers[item.id]
            answers[items[-1].id] = 0
            _store(session, "phq9", answers)
        Decision.objects.create(
            practice=episode.practice,
            episode=episode,
            phase=phase,
            kind=Decision.Kind.PHASE_CHANGE,
            decided_on=timezone.localdate(sessions[0].starts_at),
            confirmation=Decision.Confirmation.SPOKEN,
            confirmed_on=timezone.localdate(sessions[0].starts_at),
            recorded_by=self.p.alice,
        )
        with transaction.atomic():
            refresh_summary(episode, today=timezone.localdate())
        return episode, sessions[-1]

    def _summary(self, episode) -> EpisodeSummary:
        return EpisodeSummary.objects.get(episode=episode)

    def test_stalled_is_held_with_repair_first_while_open_and_offered_after_the_repair(self):
        episode, last = self._course(STALLED, "stabilizing")
        self.assertEqual(self._summary(episode).proposal_kind, "stalled_review")
        login_as(self.client, self.p.alice)
        _store(last, "session_reflection", _reflection(7))
        self.client.post(_url(last), _rating(9))
        summary = self._summary(episode)
        self.assertEqual((summary.proposal_kind, summary.held), ("", "stalled_review"))
        self.assertTrue(summary.repair_first)
        journey = self.client.get(f"/practice/episodes/{episode.pk}/journey/")
        self.assertContains(journey, "Held back (repair first: a possible rupture is open)")
        self.assertContains(journey, "Repair first: a possible rupture is open")
        self.client.post(_url(last), {"form": "event", "kind": "repair", "note": ""})
        self.client.get(CASELOAD)
        summary = self._summary(episode)
        self.assertEqual((summary.proposal_kind, summary.held), ("stalled_review", ""))
        self.assertFalse(summary.repair_first)

    def test_a_step_back_is_never_held_for_repair(self):
        episode, last = self._course(STEP_BACK, "plus_one")
        login_as(self.client, self.p.alice)
        _store(last, "session_reflection", _reflection(7))
        self.client.post(_url(last), _rating(9))
        summary = self._summary(episode)
        self.assertIn("possible_rupture", summary.alerts)
        self.assertEqual(summary.proposal_kind, "step_back_to_stabilizing")
        self.assertEqual(summary.held, "")
