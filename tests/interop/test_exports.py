"""The exports through their actions: who may take them, the scores CSV's columns, the
disclosure log and the audit row, and the research export read by the real analyze."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.http import Http404
from django.test import TestCase
from django.utils import timezone

from journey_fixtures import give_history
from personas import make_personas
from plusone.audit.models import AuditEvent
from plusone.cli import main
from plusone.custodian.actions import Refused
from plusone.custodian.models import Disclosure
from plusone.interop import actions, tables
from plusone.interop.actions import Format, Recipient
from plusone.interop.scope import Scope, administrations
from plusone.measures.models import Administration

DOCTOR = Recipient(name="Dr Family", organisation="Clinic", legal_basis="referral")


class ExportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=8, skipped=3, decision_session=5, rupture_session=6)
        give_history(
            cls.p.dave.episodes.get(), n=6, skipped=2, decision_session=4, rupture_session=5
        )
        cls.p.bob.practice_ref = "JANE-0042"
        cls.p.bob.save(update_fields=["practice_ref"])

    def _csv(self, text):
        return list(csv.DictReader(io.StringIO(text)))

    def test_it_writes_one_scores_row_per_administration_in_the_import_columns(self):
        out = actions.export_client(
            user=self.p.alice, client_id=self.p.bob.pk, fmt=Format.CSV, recipient=DOCTOR
        )
        header = out.text.splitlines()[0].split(",")
        self.assertEqual(header[:4], ["client_ref", "episode", "instrument", "administered_at"])
        self.assertEqual(header[-1], "total")
        self.assertEqual(header[4], "item_1")
        rows = self._csv(out.text)
        stored = Administration.objects.filter(client=self.p.bob)
        self.assertEqual(len(rows), stored.count())
        self.assertEqual({r["client_ref"] for r in rows}, {"JANE-0042"})
        self.assertEqual({r["episode"] for r in rows}, {str(self.episode.pk)})
        phq9 = stored.filter(instrument_key="phq9").order_by("completed_at").first()
        line = next(r for r in rows if r["instrument"] == "phq9")
        self.assertEqual(dt.datetime.fromisoformat(line["administered_at"]), phq9.completed_at)
        self.assertIsNotNone(dt.datetime.fromisoformat(line["administered_at"]).utcoffset())
        self.assertEqual(
            [line[f"item_{k}"] for k in range(1, 10)],
            [str(phq9.answers[f"phq9_{k}"]) for k in range(1, 10)],
        )
        self.assertEqual(line["total"], str(int(phq9.total)))
        self.assertNotIn("It felt rushed", out.text)

    def test_it_falls_back_to_the_client_uuid_when_the_practice_ref_is_blank(self):
        out = actions.export_client(
            user=self.p.alice, client_id=self.p.dave.pk, fmt=Format.CSV, recipient=DOCTOR
        )
        self.assertEqual({r["client_ref"] for r in self._csv(out.text)}, {str(self.p.dave.pk)})

    def test_it_logs_the_disclosure_and_audits_the_export(self):
        out = actions.export_episode(
            user=self.p.alice, episode_id=self.episode.pk, fmt=Format.FHIR, recipient=DOCTOR
        )
        disclosure = Disclosure.objects.get(client=self.p.bob)
        self.assertEqual(disclosure.recipient_name, "Dr Family")
        self.assertEqual(disclosure.legal_basis, "referral")
        self.assertIn(f"{out.rows} administration(s)", disclosure.content)
        event = AuditEvent.objects.filter(action="export.fhir").get()
        self.assertEqual(str(event.target_id), str(self.episode.pk))
        self.assertEqual(event.detail["administrations"], out.rows)
        self.assertEqual(event.detail["disclosures"], 1)

    def test_it_refuses_an_identifiable_export_without_a_recipient_and_writes_nothing(self):
        with pytest.raises(Refused):
            actions.export_client(
                user=self.p.alice, client_id=self.p.bob.pk, fmt=Format.FHIR, recipient=None
            )
        self.assertFalse(Disclosure.objects.exists())
        self.assertFalse(AuditEvent.objects.filter(action__startswith="export.").exists())

    def test_it_hides_bobs_export_from_charlie_sam_and_erin_like_a_missing_client(self):
        for user in (self.p.charlie, self.p.sam, self.p.erin, self.p.faye):
            with pytest.raises(Http404):
                actions.export_client(
                    user=user, client_id=self.p.bob.pk, fmt=Format.FHIR, recipient=DOCTOR
                )
            with pytest.raises(Http404):
                actions.export_episode(
                    user=user, episode_id=self.episode.pk, fmt=Format.CSV, recipient=DOCTOR
                )

    def test_it_keeps_the_practice_exports_for_the_admin_and_privacy_officer(self):
        for user in (self.p.alice, self.p.charlie, self.p.sam):
            for fmt in (Format.CSV, Format.RESEARCH):
                with pytest.raises(Http404):
                    actions.export_practice(user=user, fmt=fmt, recipient=DOCTOR)
        with pytest.raises(Http404):
            actions.export_practice(
                user=self.p.erin, fmt=Format.RESEARCH, practice_id=self.p.lakeview.pk
            )

    def test_it_logs_one_disclosure_per_client_of_the_practice_scores_csv(self):
        out = actions.export_practice(user=self.p.erin, fmt=Format.CSV, recipient=DOCTOR)
        clients = self.p.riverside.clients.filter(administration__isnull=False).distinct().count()
        self.assertEqual(clients, 2)
        self.assertEqual(out.disclosures, clients)
        self.assertEqual(Disclosure.objects.filter(practice=self.p.riverside).count(), clients)
        self.assertEqual(
            len(self._csv(out.text)),
            Administration.objects.filter(practice=self.p.riverside).count(),
        )

    def test_it_records_what_the_research_export_holds_and_discloses_no_one(self):
        out = actions.export_practice(user=self.p.erin, fmt=Format.RESEARCH)
        event = AuditEvent.objects.filter(action="export.research").get()
        self.assertEqual(event.detail["rows"], out.rows)
        self.assertEqual(event.detail["courses"], 2)
        self.assertIn("phq9", event.detail["instruments"])
        self.assertFalse(Disclosure.objects.exists())

    def test_it_pseudonymises_shifts_dates_and_drops_free_text_in_the_research_export(self):
        out = actions.export_practice(user=self.p.erin, fmt=Format.RESEARCH)
        for secret in (str(self.p.bob.pk), str(self.episode.pk), "JANE-0042", "It felt rushed"):
            self.assertNotIn(secret, out.text)
        rows = self._csv(out.text)
        self.assertEqual(len({r["client"] for r in rows}), 2)
        self.assertEqual(
            {r["item4"] for r in rows if r["instrument"] == "session_reflection"}, {""}
        )

    def test_it_keeps_each_clients_intervals_when_it_shifts_dates(self):
        rows = administrations(Scope(self.p.riverside))
        shifted = self._csv(
            tables.research_csv(
                rows, key=b"k" * 32, shifts={self.p.bob.pk: -40, self.p.dave.pk: 17}
            ).text
        )
        bob = [r for r in rows if r.client_id == self.p.bob.pk]
        first, last = bob[0], bob[-1]
        real = (timezone.localdate(last.completed_at) - timezone.localdate(first.completed_at)).days
        pseudo = tables.pseudonym(b"k" * 32, self.episode.pk)
        dates = sorted(dt.date.fromisoformat(r["date"]) for r in shifted if r["client"] == pseudo)
        self.assertEqual((dates[-1] - dates[0]).days, real)
        self.assertEqual(dates[0], timezone.localdate(first.completed_at) - dt.timedelta(days=40))

    def test_it_gives_a_research_export_that_plusone_analyze_reads_row_for_row(self):
        out = actions.export_practice(user=self.p.erin, fmt=Format.RESEARCH)
        path = self._tmp / "research.csv"
        path.write_text(out.text, encoding="utf-8")
        self.capsys.readouterr()
        code = main(["analyze", str(path), "--format", "json", "--no-trace"])
        result = json.loads(self.capsys.readouterr().out)
        self.assertEqual((code, result["errors"]), (0, []))
        pseudonyms = {r["client"] for r in self._csv(out.text)}
        self.assertEqual({c["client"] for c in result["clients"]}, pseudonyms)
        primaries = [r for r in self._csv(out.text) if r["instrument"] == r["primary"]]
        self.assertEqual(sum(c["administrations"] for c in result["clients"]), len(primaries))
        self.assertTrue(any(c["phase"] == "plus_one" for c in result["clients"]))

    @pytest.fixture(autouse=True)
    def _fixtures(self, tmp_path, capsys):
        self._tmp, self.capsys = tmp_path, capsys
