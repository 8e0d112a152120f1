"""Goal ratings stay with the goal version they were given under, and the rule trace
names each goal by its words, never by its id (issue 10)."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import time_machine
from checkin_helpers import issue
from django.test import TestCase
from django.utils import timezone

from personas import make_personas
from plusone.clinical.models import Goal
from plusone.core.propose import propose
from plusone.measures import actions
from plusone.measures.summary import history_for

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class GoalVersionTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()

    def _rate(self, when: dt.datetime, goal_1: int, goal_2: int) -> None:
        with time_machine.travel(when, tick=False):
            _, token = issue(self.p.alice, self.p.bob)
            actions.submit_checkin(
                link=token, answers={"personal_goals": {"goal_1": goal_1, "goal_2": goal_2}}
            )

    def test_it_keeps_each_rating_with_the_version_it_was_given_under(self) -> None:
        start = timezone.now() - dt.timedelta(days=20)
        self._rate(start, 3, 4)
        first = Goal.objects.get(episode=self.episode, position=1)
        # Bob rewords his first goal ten days later; the old version stays, inactive.
        with time_machine.travel(start + dt.timedelta(days=10), tick=False):
            Goal.objects.filter(pk=first.pk).update(active=False)
            reworded = Goal.objects.create(
                id=uuid.uuid4(),
                practice=self.p.riverside,
                episode=self.episode,
                goal_id=first.goal_id,
                version=2,
                position=1,
                text="To speak up at work, in my own voice",
            )
        self._rate(start + dt.timedelta(days=15), 6, 5)
        ratings = sorted(
            (g for g in history_for(self.episode).goals if g.goal_id == str(first.goal_id)),
            key=lambda g: g.completed,
        )
        self.assertEqual([(g.version, g.rating) for g in ratings], [(1, 3.0), (2, 6.0)])
        self.assertEqual(ratings[0].label, first.text)
        self.assertEqual(ratings[1].label, reworded.text)

    def test_it_names_goals_by_their_words_in_the_trace(self) -> None:
        self._rate(timezone.now() - dt.timedelta(days=1), 5, 6)
        trace = " ".join(propose(history_for(self.episode), today=timezone.localdate()).trace)
        self.assertIn("Bob's first goal", trace)
        self.assertIsNone(UUID.search(trace), trace)
