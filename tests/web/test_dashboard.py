"""The caseload dashboard: tiers of attention, rows from summary rows, search by POST."""

from __future__ import annotations

import datetime as dt
import re
import uuid

from django.db import transaction
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from journey_fixtures import give_history
from personas import TODAY, intake_data, login_as, make_personas
from plusone.clinical import actions
from plusone.clinical.models import EpisodeSummary
from plusone.insights.dashboard import Tier, tier_of

CASELOAD = reverse("insights:caseload")


def _intake(therapist, practice, name, intention="to feel steadier with the people I love"):
    data = intake_data(
        given_name=name,
        family_name="Tester",
        prior_therapy=True,
        s2_intention=intention,
        goals=["a goal", "another goal"],
    )
    return actions.intake_client(therapist=therapist, practice=practice, data=data, today=TODAY)


def _summarise(client_row, **fields):
    """Set a summary row's fields as if the rules had judged them today."""
    with transaction.atomic():
        return actions.update_summary(
            client_row.episodes.get(), judged_on=timezone.localdate(), **fields
        )


def _flag(client_row):
    with transaction.atomic():
        actions.open_flag(
            episode=client_row.episodes.get(),
            grade=2,
            source_kind="administration",
            source_id=uuid.uuid4(),
            actor=None,
        )


def _tier_of_names(body):
    """{tier slug: [client names in page order]} from the dashboard's HTML."""
    out = {}
    for slug, section in re.findall(r'<tbody data-tier="(\w+)"[^>]*>(.*?)</tbody>', body, re.S):
        out[slug] = re.findall(r'<tr data-client="([^"]+)"', section)
    return out


class DashboardTierTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        p = cls.p
        cls.risky = _intake(p.alice, p.riverside, "Rita")
        cls.ruptured = _intake(p.alice, p.riverside, "Ruth")
        cls.worse = _intake(p.alice, p.riverside, "Walt")
        cls.ready = _intake(p.alice, p.riverside, "Petra")
        _flag(cls.risky)
        # A flag outranks every alert: Rita stays in the risk tier.
        _summarise(cls.risky, alerts=["possible_rupture", "deterioration"])
        _summarise(cls.ruptured, alerts=["possible_rupture", "not_progressing"])
        _summarise(cls.worse, alerts=["deterioration"], proposal_kind="plus_one")
        _summarise(cls.ready, proposal_kind="good_enough_ending", phase="stabilizing")

    def test_it_puts_alices_clients_in_tiers_in_order_of_attention(self):
        login_as(self.client, self.p.alice)
        body = self.client.get(CASELOAD).content.decode()
        tiers = _tier_of_names(body)
        self.assertEqual(list(tiers), ["risk", "rupture", "alert", "proposal", "rest"])
        self.assertEqual(tiers["risk"], ["Rita Tester"])
        self.assertEqual(tiers["rupture"], ["Ruth Tester"])
        self.assertEqual(tiers["alert"], ["Walt Tester"])
        self.assertEqual(tiers["proposal"], ["Petra Tester"])
        self.assertEqual(tiers["rest"], ["Bob Brown", "Dave Davis"])

    def test_it_puts_each_proposal_kind_that_waits_in_the_proposal_tier(self):
        summary = EpisodeSummary(open_flag_count=0, alerts=[])
        for kind in ("plus_one", "good_enough_ending", "stalled_review", "spike_exit"):
            summary.proposal_kind = kind
            self.assertIs(tier_of(summary), Tier.PROPOSAL, kind)
        for kind in ("", "stabilizing"):
            summary.proposal_kind = kind
            self.assertIs(tier_of(summary), Tier.REST, kind)

    def test_it_names_the_alert_and_the_proposal_on_the_row(self):
        login_as(self.client, self.p.alice)
        response = self.client.get(CASELOAD)
        self.assertContains(response, "Possible rupture")
        self.assertContains(response, "Proposal: Good-enough ending")
        self.assertContains(response, "Proposal: +1 threshold")

    def test_it_names_an_ending_without_promising_follow_ups_that_do_not_exist(self):
        # No follow-up is scheduled anywhere yet: the label says what exists.
        _summarise(self.ready, proposal_kind="ending", phase="consolidating")
        login_as(self.client, self.p.alice)
        response = self.client.get(CASELOAD)
        self.assertContains(response, "Proposal: Ending (good enough)")
        self.assertNotContains(response, "follow-up")

    def test_it_shows_charlie_none_of_bobs(self):
        login_as(self.client, self.p.charlie)
        response = self.client.get(CASELOAD)
        self.assertEqual(response.status_code, 200)
        for name in ("Bob", "Dave", "Rita", "Ruth"):
            self.assertNotContains(response, name)
        self.assertNotContains(response, str(self.p.bob.episodes.get().pk))

    def test_it_refuses_the_dashboard_to_erin_and_to_sam(self):
        for persona in (self.p.erin, self.p.sam):
            login_as(self.client, persona)
            response = self.client.get(CASELOAD)
            self.assertEqual(response.status_code, 403)
            self.assertNotContains(response, "Bob", status_code=403)

    def test_it_searches_by_post_with_no_name_in_the_url(self):
        login_as(self.client, self.p.alice)
        response = self.client.post(CASELOAD, {"q": "rit"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(_tier_of_names(response.content.decode())["risk"], ["Rita Tester"])
        self.assertNotContains(response, "Bob Brown")
        self.assertContains(response, "1 client matching")
        self.assertEqual(response.request["PATH_INFO"], CASELOAD)
        self.assertEqual(response.request["QUERY_STRING"], "")
        self.assertContains(response, f'method="post" action="{CASELOAD}"')


class DashboardRowTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        give_history(
            cls.p.bob.episodes.get(), n=20, skipped=9, decision_session=12, rupture_session=15
        )

    def setUp(self):
        login_as(self.client, self.p.alice)
        body = self.client.get(CASELOAD).content.decode()
        self.row = body.split('<tr data-client="Bob Brown">', 1)[1].split("</tr>", 1)[0]

    def test_it_never_cuts_the_clients_words_to_fit_a_line(self):
        # One line per client (issue 12): the intention is on the card and the journey,
        # whole; the caseload row names the client and never shows a cut-off quote.
        self.assertIn(">Bob Brown</a></th>", self.row)
        self.assertNotIn("Bob wants to feel", self.row)
        self.assertNotIn("…", self.row)

    def test_it_shows_the_agreed_phase_and_the_goal_ratings(self):
        self.assertIn('<td class="phase">+1 threshold</td>', self.row)
        # Session 20: goal_1 = min(3 + 20 // 6, 8) = 6, goal_2 = 5.
        self.assertIn("6 · 5", self.row)

    def test_it_shows_the_primary_measure_with_its_band_and_a_trend(self):
        self.assertRegex(self.row, r"PHQ-9 \d+ \(\w+")
        self.assertIn('<span class="sparkline"><svg', self.row)
        self.assertIn('aria-label="PHQ-9: 8 scores', self.row)

    def test_it_shows_the_last_and_next_session_and_not_completed_never_overdue(self):
        self.assertIn("Last:", self.row)
        self.assertNotIn("none yet", self.row)
        self.assertNotIn("not booked", self.row)
        self.assertIn("Check-ins not completed: 1", self.row)
        self.assertNotIn("overdue", self.row.lower())

    def test_it_links_the_journey_and_the_card_by_episode_id_only(self):
        episode = self.p.bob.episodes.get()
        self.assertIn(reverse("insights:journey", args=[episode.pk]), self.row)
        self.assertIn(reverse("insights:session_card", args=[episode.pk]), self.row)


class DashboardQueryCountTests(TestCase):
    """The whole caseload comes from summary rows in a constant number of queries."""

    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def _grow_to(self, n):
        have = EpisodeSummary.objects.filter(therapist=self.p.charlie).count()
        for i in range(have, n):
            row = _intake(self.p.charlie, self.p.riverside, f"Extra{i:02d}")
            if i % 5 == 0:
                _flag(row)
            _summarise(
                row,
                primary_trend=[18, 15, None, 12, 9],
                goal_ratings=[4, 6],
                latest_total=9,
                band_label="Mild",
                alerts=["deterioration"] if i % 7 == 1 else [],
                proposal_kind="plus_one" if i % 4 == 2 else "",
            )

    def test_it_reads_1_30_and_80_clients_in_the_same_number_of_queries(self):
        login_as(self.client, self.p.charlie)
        self._grow_to(1)
        self.client.get(CASELOAD)  # warm the session
        counts = {}
        for n in (1, 30, 80):
            self._grow_to(n)
            with self.assertNumQueries(QUERIES):
                response = self.client.get(CASELOAD)
            counts[n] = response.content.decode().count("<tr data-client=")
        self.assertEqual(counts, {1: 1, 30: 30, 80: 80})

    def test_it_searches_in_the_same_number_of_queries(self):
        login_as(self.client, self.p.charlie)
        self._grow_to(30)
        self.client.get(CASELOAD)
        with self.assertNumQueries(QUERIES):
            response = self.client.post(CASELOAD, {"q": "Extra0"})
        self.assertEqual(response.content.decode().count("<tr data-client="), 10)


# session, user, membership check (route), summaries with client and episode, open
# flags, last and next sessions, practice for the view event, and the audit record:
# atomic savepoint, head lock, insert, head update; and the open PHIPA requests due
# soon about these clients (plusone.rights: one UNION query, whatever the caseload).
QUERIES = 13


def _decided(client_row, days_ago):
    """A declined-proposal decision ``days_ago``: the proposal standing since is unanswered."""
    from plusone.clinical.models import Decision

    episode = client_row.episodes.get()
    Decision.objects.create(
        practice=episode.practice,
        episode=episode,
        phase="stabilizing",
        kind=Decision.Kind.DECLINED,
        decided_on=TODAY - dt.timedelta(days=days_ago),
        review_date=TODAY + dt.timedelta(days=28),
        recorded_by=client_row.therapist,
        confirmation=Decision.Confirmation.SPOKEN,
        confirmed_on=TODAY - dt.timedelta(days=days_ago),
    )


def _flag_at(client_row, when):
    from plusone.clinical.models import Flag

    _flag(client_row)
    Flag.objects.filter(episode=client_row.episodes.get()).update(opened_at=when)


class DashboardUrgencyTests(TestCase):
    """Within a tier: the newest flag first, then the proposal unanswered the longest."""

    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        p = cls.p
        now = timezone.now()
        cls.old_flag = _intake(p.alice, p.riverside, "Adam")
        cls.new_flag = _intake(p.alice, p.riverside, "Zoe")
        _flag_at(cls.old_flag, now - dt.timedelta(days=3))
        _flag_at(cls.new_flag, now - dt.timedelta(hours=1))
        cls.recent = _intake(p.alice, p.riverside, "Abe")
        cls.waiting = _intake(p.alice, p.riverside, "Yves")
        for row in (cls.recent, cls.waiting):
            _summarise(row, proposal_kind="plus_one", phase="stabilizing")
        _decided(cls.recent, days_ago=2)
        _decided(cls.waiting, days_ago=40)

    def setUp(self):
        login_as(self.client, self.p.alice)

    def test_it_puts_todays_flag_above_an_older_one(self):
        tiers = _tier_of_names(self.client.get(CASELOAD).content.decode())
        self.assertEqual(tiers["risk"], ["Zoe Tester", "Adam Tester"])

    def test_it_puts_the_proposal_unanswered_longest_first(self):
        tiers = _tier_of_names(self.client.get(CASELOAD).content.decode())
        self.assertEqual(tiers["proposal"], ["Yves Tester", "Abe Tester"])

    def test_it_shows_every_tier_in_one_table_with_the_same_columns(self):
        body = self.client.get(CASELOAD).content.decode()
        self.assertEqual(body.count("<table"), 1)
        self.assertEqual(body.count("<thead"), 1)
        self.assertIn('<th scope="rowgroup"', body)

    def test_it_puts_a_rows_actions_in_one_menu(self):
        body = self.client.get(CASELOAD).content.decode()
        row = body.split('<tr data-client="Abe Tester"', 1)[1].split("</tr>", 1)[0]
        self.assertEqual(row.count("<details"), 1)
        menu = row.split('<details class="row-menu">', 1)[1].split("</details>", 1)[0]
        for action in ("issue_link", "start_reflection_kiosk", "issue_reflection_link"):
            self.assertIn(f'action="{reverse("measures:" + action)}"', menu)
        self.assertEqual(menu.count('name="csrfmiddlewaretoken"'), 3)
        self.assertIn("Check-in link", menu)
        self.assertIn("Session Reflection on this device", menu)
        self.assertIn("Session Reflection link", menu)

    def test_it_filters_by_tier(self):
        response = self.client.post(CASELOAD, {"q": "", "tier": "proposal"})
        tiers = _tier_of_names(response.content.decode())
        self.assertEqual(list(tiers), ["proposal"])
        self.assertEqual(tiers["proposal"], ["Yves Tester", "Abe Tester"])
        self.assertContains(response, "2 clients in Proposals waiting")

    def test_it_filters_by_tier_and_name_together(self):
        response = self.client.post(CASELOAD, {"q": "zo", "tier": "risk"})
        self.assertEqual(_tier_of_names(response.content.decode()), {"risk": ["Zoe Tester"]})

    def test_it_ignores_an_unknown_tier(self):
        response = self.client.post(CASELOAD, {"tier": "nonsense"})
        self.assertEqual(response.status_code, 200)
        shown = _tier_of_names(response.content.decode()).values()
        self.assertEqual(sum(len(names) for names in shown), 6)

    def test_it_filters_by_tier_in_the_same_number_of_queries(self):
        self.client.get(CASELOAD)
        with self.assertNumQueries(QUERIES):
            self.client.post(CASELOAD, {"tier": "risk"})
