"""Arriving from a proposal's "record a decision", the form is filled in from that proposal;
a decision awaiting the client reads so on the card and the journey (issue 12)."""

from __future__ import annotations

from django.test import TestCase
from django.urls import reverse

from personas import login_as, make_personas


def _new(episode, proposal: str = "") -> str:
    url = reverse("insights:decision_new", args=[episode.pk])
    return f"{url}?proposal={proposal}" if proposal else url


def _selected(response, name: str) -> str:
    """The value of the selected option of select ``name`` ("" for none)."""
    field = response.context["form"][name]
    return str(field.value() or "")


class DecisionPrefillTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()

    def test_it_fills_in_the_proposal_and_the_phase_it_proposes(self):
        login_as(self.client, self.p.alice)
        for proposal, phase in (
            ("plus_one", "plus_one"),
            ("good_enough_ending", "ending"),
            ("consolidating", "consolidating"),
            ("step_back_to_stabilizing", "stabilizing"),
            ("spike_exit", "stabilizing"),
        ):
            with self.subTest(proposal=proposal):
                response = self.client.get(_new(self.episode, proposal))
                self.assertEqual(_selected(response, "proposal_kind"), proposal)
                self.assertEqual(_selected(response, "phase"), phase)
                self.assertContains(response, f'<option value="{phase}" selected>')

    def test_it_asks_which_phase_when_the_proposal_offers_two(self):
        login_as(self.client, self.p.alice)
        response = self.client.get(_new(self.episode, "deepening_or_ending"))
        self.assertEqual(_selected(response, "proposal_kind"), "deepening_or_ending")
        self.assertEqual(_selected(response, "phase"), "")
        self.assertContains(response, "Deepening or Ending: choose one")
        self.assertNotContains(response, "(no change)")

    def test_it_ignores_an_unknown_proposal(self):
        login_as(self.client, self.p.alice)
        response = self.client.get(_new(self.episode, "<script>"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(_selected(response, "proposal_kind"), "")

    def test_it_links_the_journeys_proposal_to_the_filled_in_form(self):
        from journey_fixtures import give_history

        give_history(self.episode, n=30, rupture_session=5)
        login_as(self.client, self.p.alice)
        response = self.client.get(reverse("insights:journey", args=[self.episode.pk]))
        proposal = response.context["data"].proposal
        self.assertIsNotNone(proposal)
        self.assertContains(response, _new(self.episode, proposal.kind).replace("&", "&amp;"))


class AwaitingOnThePhaseLineTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        from test_awaiting_the_client import _decide

        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        _decide(cls.p, cls.episode, "plus_one", days_ago=7, confirmation="spoken")
        _decide(cls.p, cls.episode, "deepening")

    def test_it_says_awaiting_the_client_beside_the_agreed_phase(self):
        login_as(self.client, self.p.alice)
        for name in ("insights:session_card", "insights:journey"):
            with self.subTest(page=name):
                response = self.client.get(reverse(name, args=[self.episode.pk]))
                self.assertContains(response, "<strong>+1 threshold</strong>", html=False)
                self.assertContains(response, "Deepening: awaiting the client</")
