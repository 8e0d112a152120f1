"""The import pages: a therapist uploads, maps, checks (dry run) and imports; a bad row
stores nothing and the page lists line, column and reason; Charlie finds none of Bob's."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from import_helpers import HEADER, days_ago, phq9_row, with_practice_ids

from personas import login_as, make_personas
from plusone.clinical.models import Session
from plusone.measures.models import Administration, Context


class ImportPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        with_practice_ids(cls.p)

    def post(self, name, content, **data):
        upload = SimpleUploadedFile("scores.csv", content, content_type="text/csv")
        fields = {"file": upload, "encoding": "utf-8", "mapping": ""} | data
        return self.client.post(reverse(name), fields)

    def imported(self):
        return Administration.objects.filter(context=Context.IMPORT)

    def test_it_checks_then_imports_past_scores(self):
        login_as(self.client, self.p.alice)
        self.assertContains(self.client.get(reverse("imports:home")), "Import past scores")
        text = (HEADER + phq9_row("R-100", days_ago(9))).encode()
        page = self.post("imports:scores", text, dry_run="on")
        self.assertContains(page, "Dry run: nothing was stored")
        self.assertFalse(self.imported().exists())
        page = self.post("imports:scores", text)
        self.assertContains(page, "Imported")
        self.assertEqual(self.imported().count(), 1)

    def test_it_lists_every_bad_row_and_stores_nothing(self):
        login_as(self.client, self.p.alice)
        text = HEADER + phq9_row("R-100", days_ago(9)) + phq9_row("R-100", "yesterday")
        page = self.post(
            "imports:scores", (text + phq9_row("R-100", days_ago(3), total="2")).encode()
        )
        self.assertContains(page, "Nothing was stored")
        self.assertContains(page, "<td>3</td><td>administered_at</td>", html=False)
        self.assertContains(page, "<td>4</td><td>total</td>", html=False)
        self.assertFalse(self.imported().exists())

    def test_it_refuses_utf16_with_a_sentence(self):
        login_as(self.client, self.p.alice)
        page = self.post("imports:scores", HEADER.encode("utf-16"))
        self.assertContains(page, "UTF-16")

    def test_it_finds_none_of_bobs_for_charlie(self):
        login_as(self.client, self.p.charlie)
        page = self.post("imports:scores", (HEADER + phq9_row("R-100", days_ago(9))).encode())
        self.assertContains(page, "no client of yours has this practice id")
        self.assertFalse(self.imported().exists())
        ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20300101T150000Z\r\n"
        ics += "SUMMARY:ref:R-100\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        page = self.post("imports:schedule", ics.encode(), source="ical")
        self.assertContains(page, "no client of yours has this id")
        self.assertFalse(Session.objects.exclude(source_appointment_id="").exists())

    def test_it_imports_appointments_from_the_page(self):
        login_as(self.client, self.p.alice)
        text = "Appointment ID,Client ID,Date,Time,Duration,Status\n"
        text += "O-1,R-100,2030-01-07,09:00,50,Booked\n"
        page = self.post("imports:schedule", text.encode(), source="owl")
        self.assertContains(page, "Imported")
        self.assertEqual(Session.objects.get(source_appointment_id="O-1").duration_minutes, 50)


class HistoricalFlagPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        with_practice_ids(cls.p)

    def test_it_shows_an_imported_risk_answer_as_historical_for_review(self):
        from plusone.imports.scores import import_scores

        text = HEADER + phq9_row("R-100", days_ago(90), items="1,1,2,2,1,2,1,1,1", total="")
        import_scores(user=self.p.alice, raw=text.encode())
        login_as(self.client, self.p.alice)
        self.assertContains(self.client.get(reverse("insights:caseload")), "historical, for review")
        episode = self.p.bob.episodes.get()
        journey = reverse("insights:journey", kwargs={"episode_id": episode.pk})
        page = self.client.get(journey)
        self.assertContains(page, "No client was told a time and nothing escalates")
