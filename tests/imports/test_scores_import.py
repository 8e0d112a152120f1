"""The import of past scores: all or nothing, a report for every bad row, idempotent, the
file's encoding read only as chosen, and imported risk answers opening historical flags."""

from django.test import TestCase
from import_helpers import HEADER, days_ago, phq9_row, with_practice_ids

from personas import make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import EpisodeSummary, Flag
from plusone.imports.reading import ImportRefused
from plusone.imports.scores import import_scores
from plusone.measures.models import Administration, Context
from plusone.notify.escalation import escalate_flags
from plusone.notify.models import Delivery


class ScoresImportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        with_practice_ids(cls.p)

    def run_import(self, text, user=None, **kw):
        raw = text.encode(kw.pop("encode_as", "utf-8")) if isinstance(text, str) else text
        return import_scores(user=user or self.p.alice, raw=raw, **kw)

    def imported(self):
        return Administration.objects.filter(context=Context.IMPORT)

    def test_it_stores_every_row_with_scores_from_core_and_audits_them(self):
        report = self.run_import(
            HEADER + phq9_row("R-100", days_ago(60)) + phq9_row("R-100", days_ago(30), total="")
        )
        self.assertEqual((report.errors, report.stored), ([], 2))
        rows = list(self.imported().order_by("completed_at"))
        self.assertEqual(
            [(r.total, r.band, r.client_id) for r in rows], [(11, "moderate", self.p.bob.pk)] * 2
        )
        self.assertEqual(AuditEvent.objects.filter(action="administration.import").count(), 2)
        summary = EpisodeSummary.objects.get(episode__client=self.p.bob)
        self.assertEqual(summary.latest_total, 11)

    def test_it_stores_nothing_when_one_row_fails_and_reports_line_column_and_reason(self):
        text = (
            HEADER
            + phq9_row("R-100", days_ago(60))
            + phq9_row("R-100", days_ago(50), items="1,1,2,2,1,2,1,1,7", total="")
            + phq9_row("R-100", days_ago(40), total="12")
            + phq9_row("R-999", days_ago(30))
        )
        report = self.run_import(text)
        self.assertEqual(report.stored, 0)
        self.assertFalse(self.imported().exists())
        self.assertEqual(
            [(e.line, e.column) for e in report.errors],
            [(3, "item_9"), (4, "total"), (5, "client_ref")],
        )
        self.assertIn("does not match the recomputed score (11)", report.errors[1].reason)
        self.assertFalse(AuditEvent.objects.filter(action="administration.import").exists())

    def test_it_refuses_a_row_that_names_a_client_without_a_practice_id(self):
        text = "client_ref,name,instrument,administered_at,item_1\n,Bob Brown,phq9,2026-01-01,1\n"
        with self.assertRaises(ImportRefused):
            self.run_import(text)
        report = self.run_import(HEADER + phq9_row("", days_ago(10)))
        self.assertEqual(report.errors[0].column, "client_ref")
        self.assertIn("never by name", report.errors[0].reason)

    def test_it_imports_the_same_file_twice_and_stores_each_administration_once(self):
        text = HEADER + phq9_row("R-100", days_ago(60)) + phq9_row("R-200", days_ago(20))
        first = self.run_import(text)
        second = self.run_import(text)
        self.assertEqual((first.stored, second.stored, second.already), (2, 0, 2))
        self.assertEqual(self.imported().count(), 2)

    def test_it_does_a_dry_run_that_stores_nothing(self):
        report = self.run_import(HEADER + phq9_row("R-100", days_ago(60)), dry_run=True)
        self.assertEqual((report.errors, report.new, report.stored), ([], 1, 0))
        self.assertFalse(self.imported().exists())

    def test_it_reads_utf8_with_a_byte_order_mark(self):
        report = self.run_import(
            b"\xef\xbb\xbf" + (HEADER + phq9_row("R-100", days_ago(5))).encode()
        )
        self.assertEqual(report.stored, 1)

    def test_it_reads_windows_1252_only_when_chosen(self):
        text = HEADER.replace("total", "total") + phq9_row("R-100", days_ago(5))
        mapped = text.replace("client_ref", "Numéro")
        raw = mapped.encode("cp1252")
        with self.assertRaisesRegex(ImportRefused, "Windows-1252"):
            self.run_import(raw, mapping={"Numéro": "client_ref"})
        report = self.run_import(raw, encoding="cp1252", mapping={"Numéro": "client_ref"})
        self.assertEqual(report.stored, 1)

    def test_it_refuses_utf16_naming_it(self):
        raw = (HEADER + phq9_row("R-100", days_ago(5))).encode("utf-16")
        with self.assertRaisesRegex(ImportRefused, "UTF-16"):
            self.run_import(raw)
        with self.assertRaisesRegex(ImportRefused, "UTF-16"):
            self.run_import((HEADER).encode("utf-16-le"))
        self.assertFalse(self.imported().exists())

    def test_it_maps_other_headers_to_the_fields(self):
        text = "Chart,Measure,Date," + ",".join(f"Q{k}" for k in range(1, 10)) + "\n"
        text += f"R-100,phq9,{days_ago(3)},1,1,2,2,1,2,1,1,0\n"
        mapping = {"Chart": "client_ref", "Measure": "instrument", "Date": "administered_at"}
        mapping |= {f"Q{k}": f"item_{k}" for k in range(1, 10)}
        self.assertEqual(self.run_import(text, mapping=mapping).stored, 1)

    def test_it_opens_a_historical_flag_without_promise_email_or_escalation(self):
        report = self.run_import(
            HEADER + phq9_row("R-100", days_ago(90), items="1,1,2,2,1,2,1,1,2", total="")
        )
        self.assertEqual(report.flags, 1)
        flag = Flag.objects.get(client=self.p.bob)
        self.assertTrue(flag.historical)
        self.assertIsNone(flag.promised_read_by)
        self.assertEqual(flag.status, Flag.Status.OPEN)
        self.assertFalse(Delivery.objects.exists())
        from django.utils import timezone

        with self.captureOnCommitCallbacks(execute=True):
            run = escalate_flags(now=timezone.now())
        self.assertEqual(run.escalated, [])
        self.assertFalse(Delivery.objects.exists())
        from django_tasks_db.models import DBTaskResult

        self.assertFalse(DBTaskResult.objects.exists())

    def test_it_finds_no_client_of_alices_for_charlie(self):
        report = self.run_import(HEADER + phq9_row("R-100", days_ago(5)), user=self.p.charlie)
        self.assertEqual(report.errors[0].reason, "no client of yours has this practice id")
        self.assertFalse(self.imported().exists())
