"""The schedule import: Jane App and Owl Practice CSV exports and iCalendar files become
sessions of the client's open episode, matched by practice id only, idempotent, with a dry run."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.test import TestCase
from django.utils import timezone
from import_helpers import with_practice_ids

from personas import make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.models import EpisodeSummary, Session
from plusone.imports.reading import ImportRefused
from plusone.imports.schedule import import_schedule

TORONTO = ZoneInfo("America/Toronto")


def next_week():
    return timezone.localdate() + dt.timedelta(days=7)


def jane_csv():
    day = next_week().isoformat()
    return (
        "Appointment ID,Patient ID,Patient,Start Date,Start Time,End Time,State\n"
        f"J-1,R-100,Bob Brown,{day},10:00,10:50,Booked\n"
        f"J-2,R-200,Dave Davis,{day},11:00,12:00,Cancelled\n"
    )


def owl_csv():
    day = next_week().strftime("%m/%d/%Y")
    return (
        "Appointment ID,Client ID,Client Name,Date,Time,Duration,Status\n"
        f"O-7,R-100,Bob Brown,{day},2:30 PM,45,Scheduled\n"
    )


def ics(status="CONFIRMED", start="T140000"):
    day = next_week().strftime("%Y%m%d")
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n"
        "UID:evt-1@owl.example\r\n"
        f"DTSTART;TZID=America/Toronto:{day}{start}\r\n"
        f"DTEND;TZID=America/Toronto:{day}T145000\r\n"
        f"STATUS:{status}\r\n"
        "SUMMARY:Session ref:R-1\r\n 00 with a long folded title\r\n"
        "END:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:evt-2\r\n"
        f"DTSTART:{day}T200000Z\r\nDURATION:PT1H\r\nSUMMARY:ref:R-200\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


class ScheduleImportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        with_practice_ids(cls.p)

    def run_import(self, text, source, user=None, **kw):
        return import_schedule(user=user or self.p.alice, raw=text.encode(), source=source, **kw)

    def imported(self):
        return Session.objects.exclude(source_appointment_id="").order_by("starts_at")

    def test_it_imports_a_jane_app_export_as_sessions(self):
        report = self.run_import(jane_csv(), "jane")
        self.assertEqual((report.errors, report.new), ([], 2))
        bob, dave = self.imported()
        start = dt.datetime.combine(next_week(), dt.time(10), TORONTO)
        self.assertEqual(
            (bob.starts_at, bob.duration_minutes, bob.status), (start, 50, "scheduled")
        )
        self.assertEqual((dave.duration_minutes, dave.status), (60, "cancelled"))
        self.assertEqual(bob.episode.client_id, self.p.bob.pk)
        self.assertEqual(AuditEvent.objects.filter(action="session.import").count(), 2)
        summary = EpisodeSummary.objects.get(episode=bob.episode)
        self.assertEqual(summary.next_session_at, start)

    def test_it_imports_an_owl_practice_export(self):
        report = self.run_import(owl_csv(), "owl")
        self.assertEqual(report.errors, [])
        session = self.imported().get()
        local = timezone.localtime(session.starts_at, TORONTO)
        self.assertEqual((local.hour, local.minute, session.duration_minutes), (14, 30, 45))

    def test_it_imports_an_icalendar_file_with_folded_lines_and_utc(self):
        report = self.run_import(ics(), "ical")
        self.assertEqual(report.errors, [])
        bob, dave = self.imported()
        self.assertEqual(
            (bob.source_appointment_id, bob.duration_minutes), ("evt-1@owl.example", 50)
        )
        self.assertEqual(bob.episode.client_id, self.p.bob.pk)
        self.assertEqual(dave.starts_at, dt.datetime.combine(next_week(), dt.time(20), dt.UTC))
        self.assertEqual(dave.duration_minutes, 60)

    def test_it_updates_instead_of_duplicating_on_a_second_import(self):
        self.run_import(ics(), "ical")
        report = self.run_import(ics(status="CANCELLED"), "ical")
        self.assertEqual((report.new, report.updated, report.unchanged), (0, 1, 1))
        self.assertEqual(self.imported().count(), 2)
        self.assertEqual(self.imported().first().status, "cancelled")
        again = self.run_import(jane_csv(), "jane")
        self.run_import(jane_csv(), "jane")
        self.assertEqual((again.new, self.imported().count()), (2, 4))

    def test_it_stores_nothing_on_a_dry_run(self):
        report = self.run_import(jane_csv(), "jane", dry_run=True)
        self.assertEqual((report.new, report.stored), (2, False))
        self.assertFalse(self.imported().exists())

    def test_it_refuses_rows_that_name_a_client_without_a_practice_id(self):
        text = jane_csv().replace("J-1,R-100", "J-1,")
        report = self.run_import(text, "jane")
        self.assertEqual([(e.line, e.column) for e in report.errors], [(2, "client_ref")])
        self.assertIn("never by name", report.errors[0].reason)
        self.assertFalse(self.imported().exists())

    def test_it_finds_no_client_of_alices_for_charlie(self):
        report = self.run_import(jane_csv(), "jane", user=self.p.charlie)
        self.assertEqual(len(report.errors), 2)
        self.assertFalse(self.imported().exists())

    def test_it_refuses_another_time_zone_and_a_file_that_is_no_calendar(self):
        text = ics().replace("TZID=America/Toronto", "TZID=Europe/Paris")
        report = self.run_import(text, "ical")
        self.assertIn("Europe/Paris", report.errors[0].reason)
        with self.assertRaises(ImportRefused):
            self.run_import("hello", "ical")
