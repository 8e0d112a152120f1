"""The incident register (PHIPA s.12(2)/(3), O. Reg. 329/04 s.6.3): Erin, the privacy
officer, registers each breach with its IPC reporting trigger and the client notice;
incidents whose individuals are not yet notified lead the register; the yearly counts
by category match a hand count. Nobody else reaches any of it."""

from __future__ import annotations

import datetime as dt
import json

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.custodian import actions, queries
from plusone.custodian.models import Incident, IncidentCategory, ReportingTrigger

DESCRIPTION = "SENTINEL-INCIDENT Bob Brown's file was emailed to the wrong Bob"


def _form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "category": IncidentCategory.DISCLOSED,
        "discovered_on": timezone.localdate().isoformat(),
        "description": DESCRIPTION,
        "clients_affected": "1",
        "trigger": ReportingTrigger.NONE,
        "ipc_notified_on": "",
        "clients_notified_on": "",
        "notification_method": "",
        "containment": "Recipient confirmed deletion",
    }
    data.update(overrides)
    return data


class IncidentTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()

    def _incident(self, category: str, day: dt.date, **extra: object) -> Incident:
        data = {
            "category": category,
            "discovered_on": day,
            "description": DESCRIPTION,
            "clients_affected": 1,
            "trigger": ReportingTrigger.NONE,
        }
        data.update(extra)
        return actions.record_incident(
            user=self.p.erin,
            practice=self.p.riverside,
            data=actions.IncidentData(**data),  # type: ignore[arg-type]
        )

    def test_it_registers_a_breach_with_the_affected_clients(self) -> None:
        login_as(self.client, self.p.erin)
        response = self.client.post(
            "/custodian/incidents/new/",
            _form(clients=[str(self.p.bob.pk)], trigger=ReportingTrigger.USE_KNOWINGLY),
        )
        self.assertEqual(response.status_code, 302)
        incident = Incident.objects.get()
        self.assertEqual(incident.description, DESCRIPTION)
        self.assertEqual(incident.trigger, "p1")
        self.assertEqual([link.client for link in incident.links.all()], [self.p.bob])
        page = self.client.get(response["Location"]).content.decode()
        self.assertIn("have not been notified yet", page)
        self.assertIn("Bob Brown", page)

    def test_it_counts_incidents_per_category_in_a_calendar_year(self) -> None:
        # Hand count for 2025: stolen 2, lost 1, used 0, disclosed 3, collected 1.
        table = [
            (IncidentCategory.STOLEN, dt.date(2025, 1, 1)),
            (IncidentCategory.STOLEN, dt.date(2025, 12, 31)),
            (IncidentCategory.LOST, dt.date(2025, 6, 15)),
            (IncidentCategory.DISCLOSED, dt.date(2025, 2, 28)),
            (IncidentCategory.DISCLOSED, dt.date(2025, 3, 1)),
            (IncidentCategory.DISCLOSED, dt.date(2025, 11, 30)),
            (IncidentCategory.COLLECTED, dt.date(2025, 7, 7)),
            # Outside 2025: never counted in it.
            (IncidentCategory.STOLEN, dt.date(2024, 12, 31)),
            (IncidentCategory.USED, dt.date(2026, 1, 1)),
        ]
        for category, day in table:
            self._incident(category, day)
        # Lakeview's breach is not Riverside's to report.
        actions.record_incident(
            user=self.p.faye,
            practice=self.p.lakeview,
            data=actions.IncidentData("lost", dt.date(2025, 5, 5), DESCRIPTION, 1, "none"),
        )
        expected = {"stolen": 2, "lost": 1, "used": 0, "disclosed": 3, "collected": 1}
        self.assertEqual(queries.yearly_counts(self.p.erin, 2025), expected)
        self.assertEqual(
            queries.yearly_counts(self.p.erin, 2024),
            {"stolen": 1, "lost": 0, "used": 0, "disclosed": 0, "collected": 0},
        )
        login_as(self.client, self.p.erin)
        page = self.client.get("/custodian/incidents/counts/?year=2025").content.decode()
        self.assertIn("<td>Disclosed without authority</td><td>3</td>", page)
        self.assertIn("<td>Used without authority</td><td>0</td>", page)

    def test_it_explains_a_bad_year(self) -> None:
        login_as(self.client, self.p.erin)
        response = self.client.get("/custodian/incidents/counts/?year=twenty")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Enter a whole number.", response.content.decode())

    def test_it_lists_incidents_with_unnotified_clients_first(self) -> None:
        today = timezone.localdate()
        notified = self._incident(
            "lost",
            today,
            clients_notified_on=today,
            notification_method="letter",
        )
        old_unnotified = self._incident("stolen", today - dt.timedelta(days=30))
        nobody = self._incident("used", today, clients_affected=0)
        rows = queries.incidents(self.p.erin)
        self.assertEqual(rows[0], old_unnotified)
        self.assertEqual(set(rows[1:]), {notified, nobody})
        login_as(self.client, self.p.erin)
        page = self.client.get("/custodian/incidents/").content.decode()
        self.assertLess(page.index("Not yet notified"), page.index("(By letter)"))

    def test_it_records_the_client_notice_and_the_ipc_report_later(self) -> None:
        incident = self._incident("stolen", timezone.localdate() - dt.timedelta(days=3))
        login_as(self.client, self.p.erin)
        day = timezone.localdate().isoformat()
        response = self.client.post(
            f"/custodian/incidents/{incident.pk}/",
            _form(
                clients_notified_on=day,
                notification_method="phone",
                ipc_notified_on=day,
                trigger=ReportingTrigger.STOLEN,
                description="an attempt to rewrite it",
            ),
        )
        self.assertEqual(response.status_code, 302)
        incident.refresh_from_db()
        self.assertEqual(incident.trigger, "p2")
        self.assertEqual(incident.notification_method, "phone")
        self.assertFalse(incident.clients_unnotified)
        # What happened is fixed once registered.
        self.assertEqual(incident.description, DESCRIPTION)
        self.assertEqual(incident.category, "stolen")

    def test_it_asks_how_the_individuals_were_notified(self) -> None:
        login_as(self.client, self.p.erin)
        response = self.client.post(
            "/custodian/incidents/new/",
            _form(clients_notified_on=timezone.localdate().isoformat()),
        )
        self.assertIn("Say how the individuals were notified.", response.content.decode())
        self.assertFalse(Incident.objects.exists())

    def test_it_refuses_a_notice_dated_before_the_discovery(self) -> None:
        login_as(self.client, self.p.erin)
        today = timezone.localdate()
        response = self.client.post(
            "/custodian/incidents/new/",
            _form(ipc_notified_on=(today - dt.timedelta(days=1)).isoformat(), trigger="p7"),
        )
        self.assertIn("before the breach was discovered", response.content.decode())
        self.assertFalse(Incident.objects.exists())

    def test_it_refuses_an_ipc_report_with_no_trigger(self) -> None:
        login_as(self.client, self.p.erin)
        response = self.client.post(
            "/custodian/incidents/new/", _form(ipc_notified_on=timezone.localdate().isoformat())
        )
        self.assertIn("choose the trigger that applied", response.content.decode())
        self.assertFalse(Incident.objects.exists())

    def test_it_refuses_fewer_affected_than_clients_linked(self) -> None:
        login_as(self.client, self.p.erin)
        response = self.client.post(
            "/custodian/incidents/new/",
            _form(clients_affected="1", clients=[str(self.p.bob.pk), str(self.p.dave.pk)]),
        )
        self.assertIn("You linked 2 clients", response.content.decode())
        self.assertFalse(Incident.objects.exists())

    def test_it_keeps_the_register_from_everyone_but_the_privacy_officer(self) -> None:
        incident = self._incident("lost", timezone.localdate())
        for person in (self.p.alice, self.p.charlie, self.p.sam, self.p.faye):
            login_as(self.client, person)
            for url in ("/custodian/incidents/", f"/custodian/incidents/{incident.pk}/"):
                self.assertEqual(self.client.get(url).status_code, 403, (person, url))

    def test_it_answers_another_practices_incident_as_not_there(self) -> None:
        theirs = actions.record_incident(
            user=self.p.faye,
            practice=self.p.lakeview,
            data=actions.IncidentData("lost", timezone.localdate(), DESCRIPTION, 1, "none"),
        )
        login_as(self.client, self.p.erin)
        self.assertEqual(self.client.get(f"/custodian/incidents/{theirs.pk}/").status_code, 404)

    def test_it_audits_incidents_without_health_information(self) -> None:
        incident = self._incident("disclosed", timezone.localdate(), clients=[self.p.bob])
        event = AuditEvent.objects.get(action="incident.record")
        self.assertEqual(event.target_id, str(incident.pk))
        dumped = json.dumps(event.detail)
        for secret in ("SENTINEL", "Bob", "Brown", str(self.p.bob.pk)):
            self.assertNotIn(secret, dumped)

    def test_it_reads_the_register_in_a_fixed_number_of_queries(self) -> None:
        login_as(self.client, self.p.erin)
        self._incident("lost", timezone.localdate(), clients=[self.p.bob], clients_affected=2)
        self.client.get("/custodian/incidents/")
        with CaptureQueriesContext(connection) as one:
            self.client.get("/custodian/incidents/")
        for _ in range(29):
            self._incident(
                "stolen",
                timezone.localdate(),
                clients=[self.p.bob, self.p.dave],
                clients_affected=2,
            )
        with CaptureQueriesContext(connection) as thirty:
            page = self.client.get("/custodian/incidents/").content.decode()
        self.assertEqual(page.count("Not yet notified"), 30)
        self.assertEqual(len(one), len(thirty))
