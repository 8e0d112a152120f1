"""The journey's session axis is honest (issue 10, "Same-day check-ins").

An administration's date is the day it was completed. A check-in belongs to the
session it names, or else to the first attended session on or after its day. One
that no session can hold without overwriting another day's value of the same
instrument (after the last session, or a second day before the same session) gets
a point of its own, dated by its day; several on one day: the last counts.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from personas import login_as, make_personas
from plusone.clinical.models import Decision, Phase, Session
from plusone.core.instruments import load_instrument
from plusone.core.scoring import score
from plusone.insights.journey import build_journey
from plusone.lockbox.queries import WITHHELD_MARKER, Withholding
from plusone.measures.models import Administration, Context, Respondent, Sitting, SittingStatus

TODAY = dt.date(2026, 12, 7)


def at(day: int, hour: int, minute: int = 0, *, month: int = 12) -> dt.datetime:
    """A moment in the practice's time zone (America/Toronto), December 2026."""
    return timezone.make_aware(dt.datetime(2026, month, day, hour, minute))


def phq9(total: int) -> dict[str, int]:
    """PHQ-9 answers that sum to ``total``, the risk item (9) at 0."""
    answers, left = {}, total
    for i in range(1, 9):
        answers[f"phq9_{i}"] = min(3, left)
        left -= answers[f"phq9_{i}"]
    assert left == 0, total
    return answers | {"phq9_9": 0}


class _Course:
    """Sessions and check-ins written straight to the database, as the fixtures do."""

    def __init__(self, episode) -> None:
        self.episode = episode

    def session(self, when: dt.datetime) -> Session:
        return Session.objects.create(
            practice_id=self.episode.practice_id,
            episode=self.episode,
            starts_at=when,
            status=Session.Status.ATTENDED,
        )

    def give(self, key: str, answers: dict, when: dt.datetime, *, session=None, **extra):
        instrument = load_instrument(key)
        result = score(instrument, answers)
        return Administration.objects.create(
            practice_id=self.episode.practice_id,
            client_id=self.episode.client_id,
            episode=self.episode,
            session=session,
            instrument_key=key,
            instrument_version=instrument.version,
            context=Context.CHECKIN,
            respondent=extra.pop("respondent", Respondent.CLIENT),
            answers=answers,
            total=result.total,
            band=result.band.label if result.band else "",
            valid=result.valid,
            started_at=when,
            completed_at=when,
            idempotency_key=f"axis:{uuid.uuid4()}",
            **extra,
        )

    def skip(self, when: dt.datetime, *, session=None) -> Sitting:
        return Sitting.objects.create(
            practice_id=self.episode.practice_id,
            client_id=self.episode.client_id,
            episode=self.episode,
            session=session,
            context=Context.CHECKIN,
            status=SittingStatus.SKIPPED,
            idempotency_key=f"axis-skip:{uuid.uuid4()}",
            started_at=when,
            completed_at=when,
        )


def axis(data) -> list[tuple[dt.date, str, str]]:
    return [(p.date, p.kind, p.label) for p in data.journey.sessions]


def key_of(data, label: str) -> int:
    """The chart key of the point labelled ``label`` ("2" for session 2)."""
    (number,) = [p.number for p in data.journey.sessions if p.label == label]
    return number


def table_rows(body: str) -> list[list[str]]:
    table = body.split('class="chart-table"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", table)
    return [[head, *re.findall(r"<td[^>]*>(.*?)</td>", rest)] for head, rest in rows]


class SameDayCheckInsTests(TestCase):
    """The repro: a session on 1 Dec with its check-in, then two check-ins on 6 Dec and
    no session. They were drawn as "1 Dec": the real 1 Dec score and the first of the
    two vanished."""

    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        course = _Course(cls.episode)
        first = course.session(at(24, 10, month=11))
        course.give("phq9", phq9(18), at(24, 9, 30, month=11), session=first)
        second = course.session(at(1, 10))
        course.give("phq9", phq9(16), at(1, 9, 30), session=second)
        course.give("phq9", phq9(14), at(6, 9))
        course.give("phq9", phq9(9), at(6, 19))

    def test_it_keeps_the_1_dec_score_at_the_1_dec_session(self):
        data = build_journey(self.episode, today=TODAY)
        values = data.journey.symptoms.values
        self.assertEqual(values[key_of(data, "1")], 18)
        self.assertEqual(values[key_of(data, "2")], 16)

    def test_it_gives_the_6_dec_check_ins_one_point_of_their_own_holding_the_later(self):
        data = build_journey(self.episode, today=TODAY)
        self.assertEqual(
            axis(data),
            [
                (dt.date(2026, 11, 24), "session", "1"),
                (dt.date(2026, 12, 1), "session", "2"),
                (dt.date(2026, 12, 6), "checkin", "check-in"),
            ],
        )
        values = data.journey.symptoms.values
        self.assertEqual(values[key_of(data, "check-in")], 9)
        self.assertNotIn(14, values.values())

    def test_it_shows_both_days_on_the_journey_page_and_its_table(self):
        login_as(self.client, self.p.alice)
        body = self.client.get(reverse("insights:journey", args=[self.episode.pk])).content
        rows = table_rows(body.decode())
        self.assertEqual(
            [(r[0], r[1], r[-2]) for r in rows],
            [
                ("1", "24 Nov 2026", "18 (moderately severe)"),
                ("2", "1 Dec 2026", "16 (moderately severe)"),
                ("check-in", "6 Dec 2026", "9 (mild)"),
            ],
        )

    def test_it_shows_the_client_the_6_dec_check_in_on_the_review_together_page(self):
        login_as(self.client, self.p.alice)
        body = self.client.get(reverse("insights:review_together", args=[self.episode.pk]))
        rows = table_rows(body.content.decode())
        self.assertEqual(
            [(r[0], r[1]) for r in rows][-2:], [("2", "1 Dec 2026"), ("check-in", "6 Dec 2026")]
        )
        self.assertEqual(rows[-1][-1], "low mood: lower range")
        self.assertEqual(rows[-2][-1], "low mood: higher range")
        svg = body.content.decode().split("<svg", 1)[1].split("</svg>", 1)[0]
        self.assertRegex(svg, r'class="axis-check-in" data-session="3"[^>]*>check-in</text>')
        self.assertRegex(svg, r'class="axis-check-in" data-session="3"[^>]*>6 Dec</text>')


class AxisTests(TestCase):
    """Check-ins on different days never overwrite each other, and every note on the page
    still names its session."""

    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        cls.course = _Course(cls.episode)

    def _weekly(self, scores: list[int]) -> list[Session]:
        """One session a week from 2 Nov 2026, each with a check-in that names it."""
        sessions = []
        for i, total in enumerate(scores):
            starts = at(2, 10, month=11) + dt.timedelta(weeks=i)
            session = self.course.session(starts)
            self.course.give(
                "phq9", phq9(total), starts - dt.timedelta(minutes=30), session=session
            )
            sessions.append(session)
        return sessions

    def test_it_keeps_an_earlier_days_check_in_before_the_same_session_as_its_own_point(self):
        self._weekly([18])  # 2 Nov
        second = self.course.session(at(1, 10))
        self.course.give("phq9", phq9(12), at(26, 9, month=11))
        self.course.give("personal_goals", {"goal_1": 3}, at(26, 9, month=11))
        self.course.give("phq9", phq9(10), at(30, 20, month=11))
        reflection = dict.fromkeys(("reflection_heard", "reflection_matters", "reflection_fit"), 8)
        self.course.give("session_reflection", reflection, at(1, 11), session=second)
        data = build_journey(self.episode, today=TODAY)
        self.assertEqual(
            axis(data),
            [
                (dt.date(2026, 11, 2), "session", "1"),
                (dt.date(2026, 11, 26), "checkin", "check-in"),
                (dt.date(2026, 12, 1), "session", "2"),
            ],
        )
        values = data.journey.symptoms.values
        self.assertEqual(values[key_of(data, "check-in")], 12)
        self.assertEqual(values[key_of(data, "2")], 10)
        # The whole of 26 Nov's check-in moves with it; the session keeps its reflection.
        self.assertEqual(data.journey.goals[0].values, {key_of(data, "check-in"): 3})
        self.assertEqual(dict(data.journey.reflection.values), {key_of(data, "2"): 8})

    def test_it_keeps_the_day_nearest_a_session_that_two_days_name(self):
        # A late link for session 1 (2 Nov), completed a week later: its own point, after it.
        [first] = self._weekly([18])
        self.course.give("phq9", phq9(11), at(9, 12, month=11), session=first)
        data = build_journey(self.episode, today=TODAY)
        self.assertEqual(axis(data)[1], (dt.date(2026, 11, 9), "checkin", "check-in"))
        values = data.journey.symptoms.values
        self.assertEqual((values[1], values[2]), (18, 11))

    def test_it_lets_a_check_in_that_names_its_session_keep_it(self):
        # Session 2 (9 Nov) is named by a check-in of 5 Nov; an unnamed one on 8 Nov moves.
        _, second = self._weekly([18, 17])
        Administration.objects.filter(session=second).delete()
        self.course.give("phq9", phq9(15), at(5, 9, month=11), session=second)
        self.course.give("phq9", phq9(12), at(8, 9, month=11))
        data = build_journey(self.episode, today=TODAY)
        self.assertEqual(
            axis(data),
            [
                (dt.date(2026, 11, 2), "session", "1"),
                (dt.date(2026, 11, 8), "checkin", "check-in"),
                (dt.date(2026, 11, 9), "session", "2"),
            ],
        )
        self.assertEqual(dict(data.journey.symptoms.values), {1: 18, 2: 12, 3: 15})

    def test_it_keeps_the_last_of_several_check_ins_on_the_session_day(self):
        [_first] = self._weekly([18])
        self.course.give("phq9", phq9(15), at(2, 21, month=11))
        data = build_journey(self.episode, today=TODAY)
        self.assertEqual([p.kind for p in data.journey.sessions], ["session"])
        self.assertEqual(dict(data.journey.symptoms.values), {1: 15})

    def test_it_draws_a_skipped_check_in_after_the_last_session_as_not_completed(self):
        self._weekly([18, 17])
        self.course.skip(at(20, 8, month=11))
        data = build_journey(self.episode, today=TODAY)
        self.assertEqual(axis(data)[-1], (dt.date(2026, 11, 20), "checkin", "check-in"))
        self.assertIsNone(data.journey.symptoms.values[3])
        self.assertEqual(data.journey.symptoms.values[2], 17)

    def test_it_names_sessions_in_gains_and_milestones_around_a_check_in_point(self):
        # Sessions 1-5 weekly from 2 Nov; a check-in on 5 Nov (before session 2) is held
        # by session 2's own day, so it gets a point between sessions 1 and 2.
        sessions = self._weekly([19, 18, 19, 18, 8, 7, 7])
        self.course.give("phq9", phq9(19), at(5, 9, month=11))
        Decision.objects.create(
            practice_id=self.episode.practice_id,
            episode=self.episode,
            phase=Phase.PLUS_ONE,
            kind=Decision.Kind.PHASE_CHANGE,
            decided_on=timezone.localdate(sessions[5].starts_at),
            recorded_by=self.p.alice,
            options_discussed=["go_deeper"],
            present=["client", "therapist"],
        )
        data = build_journey(self.episode, today=TODAY)
        self.assertEqual([p.label for p in data.journey.sessions][:3], ["1", "check-in", "2"])
        self.assertEqual(str(data.gains[0]), "Sudden gain between sessions 4 and 5: 18 → 8")
        self.assertEqual(
            [(m.session, m.label) for m in data.milestones], [(6, "Choosing what's next")]
        )
        self.assertEqual([d.session for d in data.journey.decisions], [key_of(data, "6")])
        gain = data.journey.symptoms.sudden_gains[0]
        self.assertEqual(
            (gain.pre_session, gain.post_session), (key_of(data, "4"), key_of(data, "5"))
        )
        login_as(self.client, self.p.alice)
        response = self.client.get(reverse("insights:journey", args=[self.episode.pk]))
        self.assertContains(response, "Session 6: Choosing what&#x27;s next")
        self.assertContains(response, "Sudden gain between sessions 4 and 5: 18 → 8")
        notes = {r[0]: r[-1] for r in table_rows(response.content.decode())}
        self.assertEqual(notes["5"], "sudden gain from session 4")

    def test_it_names_a_check_in_point_in_a_sudden_gain_note(self):
        self._weekly([19, 18, 19, 18])  # 2, 9, 16, 23 Nov
        for day, total in ((27, 8), (28, 7), (29, 7)):
            self.course.give("phq9", phq9(total), at(day, 9, month=11))
        data = build_journey(self.episode, today=TODAY)
        self.assertEqual(
            str(data.gains[0]),
            "Sudden gain between session 4 and the check-in of 27 Nov 2026: 18 → 8",
        )
        login_as(self.client, self.p.alice)
        response = self.client.get(reverse("insights:journey", args=[self.episode.pk]))
        rows = [(r[0], r[1], r[-1]) for r in table_rows(response.content.decode())]
        self.assertEqual(rows[4], ("check-in", "27 Nov 2026", "sudden gain from session 4"))

    def test_it_leaves_an_ordinary_journey_on_session_numbers(self):
        self._weekly([18, 16, 12])
        data = build_journey(self.episode, today=TODAY)
        self.assertEqual(
            [(p.number, p.kind, p.label) for p in data.journey.sessions],
            [(1, "session", "1"), (2, "session", "2"), (3, "session", "3")],
        )

    def test_it_adds_no_query_for_check_in_points(self):
        self._weekly([18, 16, 12])
        login_as(self.client, self.p.alice)
        url = reverse("insights:journey", args=[self.episode.pk])
        counts = []
        for _ in range(2):
            self.client.get(url)  # warm the session
            with CaptureQueriesContext(connection) as queries:
                self.assertEqual(self.client.get(url).status_code, 200)
            counts.append(len(queries))
            for day in (27, 28, 29):
                self.course.give("phq9", phq9(9), at(day, 9, month=11))
                self.course.give("phq9", phq9(9), at(day, 9, month=12))
        data = build_journey(self.episode, today=TODAY)
        self.assertEqual(sum(p.kind == "checkin" for p in data.journey.sessions), 6)
        self.assertEqual(counts[0], counts[1])

    def test_it_names_a_withheld_check_in_with_no_session_by_its_day(self):
        self._weekly([18])
        hidden = self.course.give("phq9", phq9(9), at(6, 9))
        withheld = Withholding(items=frozenset({("administration", hidden.pk)}))
        data = build_journey(self.episode, today=TODAY, withheld=withheld)
        self.assertIn(f"The check-in of 6 Dec 2026, one measure: {WITHHELD_MARKER}", data.withheld)
        self.assertEqual([p.kind for p in data.journey.sessions], ["session"])
