"""The schedule import: Jane App and Owl Practice CSV exports and iCalendar files become
sessions of the client's open episode, matched by practice id only, idempotent, with a dry run."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.test import TestCase
from django.utils import timezone
from import_helpers import with_practice_ids

from personas import make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical.actions import sessions
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


def at(day, hour, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), TORONTO)


def jane(*rows):
    """A Jane export of ``rows``: (id, practice id, day, start, end, state)."""
    head = "Appointment ID,Patient ID,Start Date,Start Time,End Time,State\n"
    return head + "".join(
        f"{i},{ref},{day.isoformat()},{a},{b},{s}\n" for i, ref, day, a, b, s in rows
    )


class ScheduleImportOverlapTests(TestCase):
    """An imported appointment keeps the rules of a session booked by hand
    (clinical/actions/sessions.py): a therapist's scheduled and attended sessions never
    overlap, and a session already marked keeps its time."""

    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        with_practice_ids(cls.p)

    def run_import(self, text, **kw):
        return import_schedule(user=self.p.alice, raw=text.encode(), source="jane", **kw)

    def imported(self):
        return Session.objects.exclude(source_appointment_id="").order_by("starts_at")

    def book(self, client, hour, minute=0, minutes=50):
        return sessions.add_session(
            user=self.p.alice, client=client, starts_at=at(next_week(), hour, minute),
            duration_minutes=minutes,
        )  # fmt: skip

    def test_an_appointment_overlapping_a_session_booked_by_hand_is_a_row_error(self):
        self.book(self.p.dave, 10, 30)  # another client of Alice's: one therapist, one room
        audits = AuditEvent.objects.count()
        for dry_run in (True, False):
            report = self.run_import(jane_csv(), dry_run=dry_run)
            self.assertEqual([(e.line, e.column) for e in report.errors], [(2, "start")])
            day = at(next_week(), 10, 30)
            self.assertEqual(
                report.errors[0].reason,
                f"overlaps another session of Alice on {day:%A %B} {day.day} at 10:30",
            )
            self.assertFalse(report.stored)
        self.assertFalse(self.imported().exists())
        self.assertEqual(AuditEvent.objects.count(), audits)

    def test_two_overlapping_rows_of_one_file_are_an_error_on_the_later_one(self):
        day = next_week()
        text = jane(
            ("J-1", "R-100", day, "10:00", "10:50", "Booked"),
            ("J-3", "R-200", day, "10:45", "11:30", "Booked"),
            ("J-4", "R-200", day, "10:50", "11:30", "Cancelled"),  # a cancelled hour is free
        )
        report = self.run_import(text)
        self.assertEqual([(e.line, e.column) for e in report.errors], [(3, "start")])
        self.assertIn("of Alice on", report.errors[0].reason)
        self.assertTrue(report.errors[0].reason.endswith("at 10:00"))
        self.assertFalse(self.imported().exists())

    def test_a_re_import_does_not_collide_with_its_own_sessions(self):
        self.run_import(jane_csv())
        again = self.run_import(jane_csv())
        self.assertEqual((again.errors, again.unchanged, again.stored), ([], 2, True))
        self.assertEqual(self.imported().count(), 2)
        # Moved half an hour, over its own old time: still no collision, no duplicate.
        moved = self.run_import(jane_csv().replace("10:00,10:50", "10:30,11:20"))
        self.assertEqual((moved.errors, moved.updated), ([], 1))
        self.assertEqual(self.imported().first().starts_at, at(next_week(), 10, 30))
        self.assertEqual(self.imported().count(), 2)

    def test_two_imported_sessions_may_swap_their_times(self):
        day = next_week()
        first = [("J-1", "R-100", day, "10:00", "10:50", "Booked")]
        second = [("J-3", "R-200", day, "11:00", "11:50", "Booked")]
        self.assertEqual(self.run_import(jane(*first, *second)).errors, [])
        swapped = jane(
            ("J-1", "R-100", day, "11:00", "11:50", "Booked"),
            ("J-3", "R-200", day, "10:00", "10:50", "Booked"),
        )
        report = self.run_import(swapped)
        self.assertEqual((report.errors, report.updated), ([], 2))

    def test_a_cancelled_session_does_not_block_an_appointment(self):
        booked = self.book(self.p.dave, 10)
        sessions.cancel_session(user=self.p.alice, session=booked, base_version=booked.version)
        report = self.run_import(jane_csv())
        self.assertEqual((report.errors, report.stored), ([], True))
        self.assertEqual(self.imported().count(), 2)

    def test_a_session_already_marked_keeps_its_time_and_its_mark(self):
        day = timezone.localdate() - dt.timedelta(days=3)
        self.run_import(jane(("J-9", "R-100", day, "09:00", "09:50", "Arrived")))
        session = self.imported().get()
        self.assertEqual(session.status, "attended")
        later = jane(("J-9", "R-100", day, "15:00", "15:50", "Booked"))
        report = self.run_import(later)
        self.assertEqual((report.errors, report.updated, report.unchanged), ([], 0, 1))
        session.refresh_from_db()
        self.assertEqual((session.starts_at, session.status), (at(day, 9), "attended"))
        # A correction of the mark is taken, as by hand: attended, then no-show.
        self.run_import(jane(("J-9", "R-100", day, "15:00", "15:50", "No Show")))
        session.refresh_from_db()
        self.assertEqual((session.starts_at, session.status), (at(day, 9), "no_show"))
        event = AuditEvent.objects.filter(action="session.import_update").get()
        self.assertEqual(set(event.detail), {"episode", "source", "version", "changed"})
        self.assertEqual(event.detail["changed"], ["status"])
