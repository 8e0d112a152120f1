"""The scores CSV round trip: what the export writes, the import reads back, once."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.test import TestCase

from journey_fixtures import give_history
from personas import make_personas
from plusone.clinical.models import Client, Episode
from plusone.imports.scores import import_scores
from plusone.interop import actions
from plusone.interop.actions import Format, Recipient
from plusone.measures.models import Administration

MOVING = Recipient(name="Faye at Lakeview", organisation="Lakeview", legal_basis="client_export")


def _facts(client):
    return sorted(
        (a.instrument_key, a.completed_at.replace(microsecond=0), a.answers, a.total)
        for a in Administration.objects.filter(client=client).exclude(total=None)
    )


class RoundTripTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        give_history(
            cls.p.bob.episodes.get(), n=8, skipped=3, decision_session=5, rupture_session=6
        )
        Client.objects.filter(pk=cls.p.bob.pk).update(practice_ref="JANE-0042")
        Client.objects.filter(pk=cls.p.gus.pk).update(practice_ref="JANE-0042")
        year_ago = dt.date.today() - dt.timedelta(days=400)
        Episode.objects.filter(client=cls.p.gus).update(opened_on=year_ago)

    def _export(self):
        return actions.export_client(
            user=self.p.alice, client_id=self.p.bob.pk, fmt=Format.CSV, recipient=MOVING
        ).text

    def test_it_stores_nothing_new_when_the_export_comes_back_to_the_same_record(self):
        before = Administration.objects.filter(client=self.p.bob).count()
        text = self._export()
        report = import_scores(user=self.p.alice, raw=text.encode())
        self.assertEqual(report.errors, [])
        self.assertEqual((report.new, report.stored), (0, 0))
        self.assertEqual(report.already, len(text.splitlines()) - 1)
        self.assertEqual(Administration.objects.filter(client=self.p.bob).count(), before)

    def test_it_rebuilds_the_same_scores_in_another_practice(self):
        rows = list(csv.DictReader(io.StringIO(self._export())))
        # The episode ids are Riverside's: at Lakeview the import finds Gus's own episode.
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**r, "episode": ""} for r in rows)
        report = import_scores(user=self.p.faye, raw=out.getvalue().encode())
        self.assertEqual(report.errors, [])
        self.assertEqual(report.stored, len(rows))
        self.assertEqual(_facts(self.p.gus), _facts(self.p.bob))
        again = import_scores(user=self.p.faye, raw=out.getvalue().encode())
        self.assertEqual((again.stored, again.already), (0, len(rows)))
