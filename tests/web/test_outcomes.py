"""Practice outcomes: a therapist's own page and the practice owner's pooled page."""

from __future__ import annotations

import datetime as dt
import uuid

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from personas import intake_data, login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical import actions
from plusone.clinical.models import Decision, Episode, Phase, Session
from plusone.measures.models import Administration, Context, Respondent, Sitting, SittingStatus

START = timezone.now() - dt.timedelta(days=200)


def _client(therapist, practice, n):
    data = intake_data(given_name=f"Outcome{n}", family_name="Client", goals=["a goal"])
    client = actions.intake_client(
        therapist=therapist, practice=practice, data=data, today=START.date()
    )
    return client.episodes.get()


def _score(episode, total, day, *, context=Context.CHECKIN, seconds=0):
    at = START + dt.timedelta(days=day)
    sitting = Sitting.objects.create(
        practice=episode.practice,
        client=episode.client,
        episode=episode,
        context=context,
        status=SittingStatus.COMPLETED,
        idempotency_key=uuid.uuid4().hex,
        started_at=at - dt.timedelta(seconds=seconds),
        completed_at=at,
        duration_seconds=seconds,
    )
    Administration.objects.create(
        practice=episode.practice,
        client=episode.client,
        episode=episode,
        sitting=sitting,
        instrument_key=episode.primary_instrument,
        instrument_version="1",
        context=context,
        respondent=Respondent.CLIENT,
        total=total,
        valid=True,
        started_at=at,
        completed_at=at,
        idempotency_key=uuid.uuid4().hex,
    )


def _sessions(episode, days):
    for day in days:
        Session.objects.create(
            practice=episode.practice,
            episode=episode,
            starts_at=START + dt.timedelta(days=day),
            status=Session.Status.ATTENDED,
        )


def _decide(episode, phase, day, by, *, proposal="", kind=Decision.Kind.PHASE_CHANGE):
    return Decision.objects.create(
        practice=episode.practice,
        episode=episode,
        phase=phase,
        kind=kind,
        decided_on=(START + dt.timedelta(days=day)).date(),
        review_date=(START + dt.timedelta(days=day + 28)).date(),
        recorded_by=by,
        proposal_kind=proposal,
    )


def _close(episode, day):
    Episode.objects.filter(pk=episode.pk).update(
        status=Episode.Status.CLOSED, closed_on=(START + dt.timedelta(days=day)).date()
    )


def _recovered_course(therapist, practice, n):
    """PHQ-9 18 -> 6 over three treatment sessions, +1 at session 2, ended, one follow-up."""
    episode = _client(therapist, practice, n)
    _sessions(episode, [7, 14, 21])
    _score(episode, 18, 1, seconds=150)
    _score(episode, 9, 13, seconds=90)
    _score(episode, 6, 20, seconds=120)
    _decide(episode, Phase.PLUS_ONE, 14, therapist, proposal="plus_one")
    _decide(episode, Phase.ENDING, 21, therapist, proposal="ending")
    _score(episode, 12, 110)  # a follow-up at caseness: "check in together"
    _close(episode, 21)
    return episode


class OutcomesPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        p = cls.p
        cls.recovered = _recovered_course(p.alice, p.riverside, 1)
        # Not at caseness at intake (PHQ-9 7): counted in no change figure.
        mild = _client(p.alice, p.riverside, 2)
        _score(mild, 7, 1)
        _score(mild, 1, 30)
        # At caseness, reliably worse, still open.
        worse = _client(p.alice, p.riverside, 3)
        _score(worse, 12, 1)
        _score(worse, 20, 30)
        _decide(worse, Phase.STABILIZING, 30, p.alice, proposal="step_back", kind="declined")
        # Charlie's client: in the practice page, never on Alice's.
        cls.charlies = _recovered_course(p.charlie, p.riverside, 4)

    def _get(self, user, url):
        login_as(self.client, user)
        return self.client.get(url)

    def _alice_url(self):
        return reverse("outcomes:therapist", kwargs={"therapist_id": self.p.alice.pk})

    def test_it_shows_alice_her_caseloads_figures_with_counts_and_intervals(self):
        response = self._get(self.p.alice, self._alice_url())
        assert response.status_code == 200
        figures = {f.label: f.value for f in response.context["outcomes"].figures}
        # Bob and Dave (no scores), the recovered course, mild and worse: five episodes.
        assert (figures["Ended"].count, figures["Ended"].denominator) == (1, 5)
        # Among the two at caseness: one recovered and improved, one deteriorated.
        assert (figures["Recovery"].count, figures["Recovery"].denominator) == (1, 2)
        assert figures["Reliable improvement"].count == 1
        assert figures["Reliable deterioration"].count == 1
        assert figures["Recovery"].low < 0.5 < figures["Recovery"].high
        assert response.context["outcomes"].not_at_caseness == 1
        # The follow-up (12, at caseness) does not hold; the good-enough ending counts.
        assert (
            figures["Follow-ups that hold"].count,
            figures["Follow-ups that hold"].denominator,
        ) == (0, 1)
        assert (
            figures["Good-enough endings"].count,
            figures["Good-enough endings"].denominator,
        ) == (1, 1)
        # Three proposals answered: +1 and ending agreed, one step back declined.
        assert (figures["Proposals agreed"].count, figures["Proposals agreed"].denominator) == (
            2,
            3,
        )
        content = response.content.decode()
        assert "1 of 2" in content and "95% interval" in content

    def test_it_gives_the_medians_their_counts(self):
        response = self._get(self.p.alice, self._alice_url())
        medians = {m.label: m.value for m in response.context["outcomes"].medians}
        assert medians["Sessions to the +1 decision"].n == 1
        assert medians["Sessions to the +1 decision"].median == 2
        # Check-ins with a real duration: 150, 90 and 120 s (0 s is no measured time): 2 minutes.
        assert medians["Real check-in duration"].median == 2.0

    def test_it_sets_recovery_of_finished_courses_beside_the_published_figure(self):
        response = self._get(self.p.alice, self._alice_url())
        comparison = response.context["outcomes"].comparison
        assert (comparison.value.count, comparison.value.denominator) == (1, 1)
        content = response.content.decode()
        assert "50.8%" in content and "2017-18" in content and "descriptive" in content

    def test_it_hides_alices_page_from_charlie_like_a_missing_one(self):
        mine = self._get(self.p.charlie, self._alice_url())
        random = self.client.get(
            reverse("outcomes:therapist", kwargs={"therapist_id": uuid.uuid4()})
        )
        assert mine.status_code == random.status_code == 404

    def test_it_sends_a_therapist_from_the_nav_to_their_own_page(self):
        response = self._get(self.p.charlie, reverse("insights:caseload"))
        assert reverse("outcomes:mine") in response.content.decode()
        response = self.client.get(reverse("outcomes:mine"))
        assert response["Location"] == reverse(
            "outcomes:therapist", kwargs={"therapist_id": self.p.charlie.pk}
        )

    def test_it_pools_the_practice_for_erin_without_a_column_per_therapist(self):
        response = self._get(self.p.erin, reverse("outcomes:practice"))
        assert response.status_code == 200
        figures = {f.label: f.value for f in response.context["outcomes"].figures}
        assert (figures["Recovery"].count, figures["Recovery"].denominator) == (2, 3)
        content = response.content.decode()
        for name in ("Alice", "Charlie", "alice@", "charlie@"):
            assert name not in content
        assert AuditEvent.objects.filter(
            action="view.outcomes_practice", actor_id=self.p.erin.pk
        ).exists()

    def test_it_keeps_the_practice_page_for_admins(self):
        assert self._get(self.p.alice, reverse("outcomes:practice")).status_code == 403

    def test_it_audits_alices_view_of_her_page(self):
        self._get(self.p.alice, self._alice_url())
        assert AuditEvent.objects.filter(
            action="view.outcomes_therapist", actor_id=self.p.alice.pk
        ).exists()


# One page's reads, the same with 1 client or 30: seven read the figures (episodes, scores,
# sessions, decisions, summaries, links, sittings); the rest are sign-in, roles, the audit row.
QUERIES = 16


class OutcomesQueryCountTests(TestCase):
    """The page reads a fixed number of queries, with 1 client or 30."""

    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def _pinned(self, user, url):
        login_as(self.client, user)
        self.client.get(url)  # warm the session and caches
        with self.assertNumQueries(QUERIES):
            response = self.client.get(url)
        assert response.status_code == 200
        return response.context["outcomes"]

    def test_it_reads_the_same_number_of_queries_for_1_and_30_clients(self):
        url = reverse("outcomes:therapist", kwargs={"therapist_id": self.p.charlie.pk})
        practice = reverse("outcomes:practice")
        _recovered_course(self.p.charlie, self.p.riverside, 100)
        self._pinned(self.p.charlie, url)
        self._pinned(self.p.erin, practice)
        for n in range(29):
            _recovered_course(self.p.charlie, self.p.riverside, 200 + n)
        assert self._pinned(self.p.charlie, url).ended_episodes == 30
        self._pinned(self.p.erin, practice)
