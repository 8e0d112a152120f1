"""Follow-ups at 3 and 6 months after an Ending: "does it hold?" (issue 14; DESIGN.md,
Phases, Ending row). Scheduled when the client's confirmation makes the Ending take effect,
only with their follow-up consent; sent once on the due date; judged by core's Ending rule."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any
from urllib.parse import urlsplit

import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import TestCase, override_settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django_tasks_db.models import DBTaskResult

from journey_fixtures import give_history
from personas import login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical import risk
from plusone.clinical.models import Client, Consent, EpisodeSummary, Flag
from plusone.core.propose import propose
from plusone.insights import decisions as actions
from plusone.measures.actions.followups import (
    FOLLOW_UP_DELIVERY,
    add_months,
    record_follow_up_consent,
)
from plusone.measures.forms import field_name
from plusone.measures.management.commands.daily import run_daily
from plusone.measures.models import Administration, FollowUp, FollowUpStatus, SittingKind
from plusone.measures.summary import history_for
from plusone.notify import sms
from plusone.notify.escalation import ESCALATION_SLOT, escalate_flags
from plusone.notify.models import Delivery
from portal_fixtures import portal_web
from task_worker import run_worker

# A PHQ-9 of 15 (at or above cutoff 10), and one of 6 that holds.
HIGH = [2, 2, 2, 2, 2, 2, 2, 1, 0]
HOLDS = [1, 1, 1, 1, 1, 1, 0, 0, 0]
# Words a client must never read after a follow-up (DESIGN.md: an offer, never an alarm).
ALARM_WORDS = ("alarm", "warning", "urgent", "deteriorat", "relapse", "worse", "cutoff", "risk")


def _end(p: Any, episode: Any, *, confirmation: str = "pending") -> Any:
    today = timezone.localdate()
    return actions.record_decision(
        user=p.alice,
        episode=episode,
        data=actions.DecisionData(
            kind="phase_change",
            phase="ending",
            decided_on=today,
            options_discussed=["end_good_enough"],
            discomfort_acknowledged=False,
            symptom_rise_acknowledged=False,
            discomfort_note="",
            focus="",
            present=["client", "therapist"],
            confirmation=confirmation,
            confirmed_on=today if confirmation == "spoken" else None,
            reason="Held for months; we agreed to finish well.",
        ),
        today=today,
    )


def _consent(p: Any, *, agree: bool = True) -> Consent:
    return record_follow_up_consent(acting_user=p.alice, client=p.bob, agree=agree)


def _confirm(p: Any, decision: Any) -> Any:
    return actions.confirm_decision(
        user=p.alice, decision=decision, text="B.B.", today=timezone.localdate()
    )


def _link_in(body: str) -> str:
    return next(line for line in body.splitlines() if line.startswith("http"))


def walk(web: Any, url: str, phq9: list[int]) -> Any:
    """Answer a follow-up link through the ordinary check-in pages; return the done page."""
    answers = {
        "phq9": {f"phq9_{i}": v for i, v in enumerate(phq9, start=1)},
        "personal_goals": {"goal_1": 7, "goal_2": 6},
        "felt_change": {"felt_holds": 7, "felt_understand_stuck": 6, "felt_stuck": 3},
    }
    web.get(urlsplit(url).path)
    web.post("/checkin/consent/", {"choice": "agree"})
    for _ in range(6):
        page = web.get("/checkin/")
        if page.status_code == 302:
            break
        key = page.context["group"].key
        last = page.context["position"] == page.context["total"]
        data = {"group": key, "action": "submit" if last else "next"}
        data |= {field_name(key, item): str(v) for item, v in answers[key].items()}
        web.post("/checkin/", data)
        if last:
            break
    return web.get("/checkin/done/")


class FollowUpTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=14, skipped=9, decision_session=10, rupture_session=12)

    def _travel(self, months: int) -> Any:
        """To ten o'clock on the follow-up's due day, Toronto time."""
        day = add_months(timezone.localdate(), months)
        return time_machine.travel(
            dt.datetime.combine(day, dt.time(10), tzinfo=timezone.get_current_timezone()),
            tick=True,
        )

    def _run_queue(self) -> list[str]:
        """Run every queued follow-up task once through the task backend's own call."""
        results = []
        for row in DBTaskResult.objects.filter(task_path__endswith="send_follow_up"):
            with self.captureOnCommitCallbacks(execute=True):
                results.append(row.task.call(*row.args_kwargs["args"]))
        return results

    def _ended_with_consent(self) -> Any:
        _consent(self.p)
        return _confirm(self.p, _end(self.p, self.episode))


class SchedulingTests(FollowUpTestCase):
    def test_it_schedules_3_and_6_months_when_the_client_confirms_the_ending(self) -> None:
        _consent(self.p)
        ending = _end(self.p, self.episode)
        self.assertFalse(FollowUp.objects.exists())
        _confirm(self.p, ending)
        today = timezone.localdate()
        rows = list(FollowUp.objects.filter(episode=self.episode).order_by("months"))
        self.assertEqual(
            [(r.months, r.due_on, r.status) for r in rows],
            [(3, add_months(today, 3), "scheduled"), (6, add_months(today, 6), "scheduled")],
        )
        self.assertTrue(AuditEvent.objects.filter(action="followup.schedule").exists())

    def test_it_schedules_on_the_clients_spoken_yes(self) -> None:
        _consent(self.p)
        _end(self.p, self.episode, confirmation="spoken")
        self.assertEqual(FollowUp.objects.filter(episode=self.episode).count(), 2)

    def test_it_schedules_nothing_without_the_follow_up_consent(self) -> None:
        _confirm(self.p, _end(self.p, self.episode))
        self.assertFalse(FollowUp.objects.exists())

    def test_it_schedules_nothing_after_the_consent_was_withdrawn(self) -> None:
        _consent(self.p)
        _consent(self.p, agree=False)
        _confirm(self.p, _end(self.p, self.episode))
        self.assertFalse(FollowUp.objects.exists())

    def test_it_cancels_the_pending_follow_ups_on_withdrawal(self) -> None:
        self._ended_with_consent()
        _consent(self.p, agree=False)
        self.assertEqual(
            set(FollowUp.objects.values_list("status", flat=True)), {FollowUpStatus.CANCELLED}
        )
        with self._travel(3):
            run_daily()
            self.assertEqual(self._run_queue(), [])
        self.assertEqual(mail.outbox, [])

    def test_it_lets_alice_record_the_consent_on_the_journey(self) -> None:
        login_as(self.client, self.p.alice)
        url = f"/practice/episodes/{self.episode.pk}/follow-ups/consent/"
        response = self.client.post(url, {"choice": "agree"})
        self.assertEqual(response.status_code, 302)
        consent = Consent.objects.get(client=self.p.bob, kind=Consent.Kind.FOLLOW_UP)
        self.assertEqual((consent.channel, consent.withdrawn_at), ("email", None))

    def test_it_hides_the_consent_form_of_bob_from_charlie(self) -> None:
        login_as(self.client, self.p.charlie)
        url = f"/practice/episodes/{self.episode.pk}/follow-ups/consent/"
        self.assertEqual(self.client.post(url, {"choice": "agree"}).status_code, 404)
        self.assertFalse(Consent.objects.filter(kind=Consent.Kind.FOLLOW_UP).exists())


class SendingTests(FollowUpTestCase):
    def test_it_sends_the_due_follow_up_once_when_the_task_is_queued_twice(self) -> None:
        self._ended_with_consent()
        with self._travel(3):
            self.assertEqual(run_daily()["follow_ups"], 1)
            row = FollowUp.objects.get(months=3)
            from plusone.measures.tasks import send_follow_up

            send_follow_up.enqueue(str(row.pk))
            self.assertEqual(sorted(self._run_queue()), ["already", "sent"])
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(mail.outbox[0].to, [self.p.bob.email])
        body = mail.outbox[0].subject + mail.outbox[0].body
        for leak in ("Bob", "PHQ", "follow", "ending", "score"):
            self.assertNotIn(leak, body)
        delivery = Delivery.objects.get(kind=FOLLOW_UP_DELIVERY)
        self.assertEqual((delivery.slot, delivery.status), ("3m", "sent"))
        row.refresh_from_db()
        self.assertEqual(row.status, FollowUpStatus.INVITED)
        self.assertEqual(FollowUp.objects.get(months=6).status, FollowUpStatus.SCHEDULED)

    def test_it_sends_nothing_before_the_due_date(self) -> None:
        self._ended_with_consent()
        self.assertEqual(run_daily()["follow_ups"], 0)
        self.assertEqual(mail.outbox, [])


class JudgedTests(FollowUpTestCase):
    def _answer(self, phq9: list[int]) -> Any:
        self._ended_with_consent()
        with self._travel(3):
            run_daily()
            self._run_queue()
            url = next(line for line in mail.outbox[0].body.splitlines() if line.startswith("http"))
            done = walk(self.client, url, phq9)
            history = history_for(self.episode)
            proposal = propose(history, today=timezone.localdate())
            login_as(self.client, self.p.alice)
            caseload = self.client.get("/practice/caseload/")
        return done, proposal, caseload

    def test_it_stores_a_follow_up_that_core_reads_as_a_follow_up(self) -> None:
        _, proposal, _ = self._answer(HIGH)
        row = FollowUp.objects.get(months=3)
        self.assertEqual(row.status, FollowUpStatus.DONE)
        self.assertEqual(row.sitting.kind, SittingKind.FOLLOW_UP)
        self.assertEqual(
            (row.administration.instrument_key, row.administration.total), ("phq9", 15)
        )
        keys = set(
            Administration.objects.filter(sitting=row.sitting).values_list(
                "instrument_key", flat=True
            )
        )
        self.assertEqual(keys, {"phq9", "personal_goals", "felt_change"})
        self.assertEqual(proposal.kind, "check_in_together")
        self.assertTrue(any("Check in together: the follow-up" in line for line in proposal.trace))

    def test_it_shows_check_in_together_on_the_caseload_for_a_high_follow_up(self) -> None:
        done, _, caseload = self._answer(HIGH)
        self.assertContains(caseload, "Check in together")
        self.assertEqual(
            EpisodeSummary.objects.get(episode=self.episode).proposal_kind, "check_in_together"
        )
        self.assertContains(done, "a session to check in together")

    def test_it_proposes_nothing_for_a_follow_up_that_holds(self) -> None:
        done, proposal, caseload = self._answer(HOLDS)
        self.assertEqual(proposal.kind, "none")
        self.assertNotContains(caseload, "Check in together")
        self.assertNotContains(done, "a session to check in together")

    def test_it_offers_a_session_without_alarm_words(self) -> None:
        done, _, _ = self._answer(HIGH)
        offer = done.content.decode().lower()
        start = offer.index("<main")
        for word in ALARM_WORDS:
            self.assertNotIn(word, offer[start:], word)

    def test_it_opens_a_flag_that_escalates_for_a_risk_answer_in_a_follow_up(self) -> None:
        risk.update_risk_settings(
            user=self.p.erin,
            practice=self.p.riverside,
            crisis_text="",
            crisis_text_fr="",
            clinical_contact=self.p.charlie,
            escalation_lead_hours=4,
        )
        self._answer([1, 1, 1, 1, 1, 1, 0, 0, 2])
        flag = Flag.objects.get(episode=self.episode)
        self.assertEqual(
            (flag.grade, flag.acknowledged_at, flag.first_told), (2, None, self.p.alice)
        )
        queued = DBTaskResult.objects.filter(task_path="plusone.notify.tasks.notify_new_flag")
        self.assertEqual([q.args_kwargs["args"][0] for q in queued], [str(flag.pk)])
        with self.captureOnCommitCallbacks(execute=True):
            run = escalate_flags(now=flag.escalate_at)
        self.assertEqual(run.escalated, [str(flag.pk)])
        flag.refresh_from_db()
        self.assertEqual(flag.escalated_to, self.p.charlie)
        self.assertEqual(
            Delivery.objects.filter(target=str(flag.pk), slot=ESCALATION_SLOT).count(), 1
        )


class JourneyTests(FollowUpTestCase):
    def test_it_shows_the_follow_ups_after_the_ending_on_the_journey(self) -> None:
        self._ended_with_consent()
        with self._travel(3):
            run_daily()
            self._run_queue()
            url = _link_in(mail.outbox[0].body)
            walk(self.client, url, HIGH)
            login_as(self.client, self.p.alice)
            page = self.client.get(f"/practice/episodes/{self.episode.pk}/journey/")
        text = page.content.decode()
        self.assertIn("Follow-ups after the Ending", text)
        self.assertIn("3 months, due", text)
        self.assertIn("done, PHQ-9 15 (moderately severe)", text)
        self.assertIn("6 months, due", text)
        # After the Ending line of the timeline.
        self.assertLess(
            text.index("Timeline: decisions"), text.index("Follow-ups after the Ending")
        )

    def test_it_hides_bobs_follow_ups_from_charlie(self) -> None:
        self._ended_with_consent()
        login_as(self.client, self.p.charlie)
        page = self.client.get(f"/practice/episodes/{self.episode.pk}/journey/")
        self.assertEqual(page.status_code, 404)


class PortalTests(FollowUpTestCase):
    def _section(self, page: Any) -> str:
        text = page.content.decode()
        start = text.index('data-section="follow-ups"')
        return text[start : text.index("</section>", start)]

    def test_it_shows_bob_his_follow_ups_and_offers_a_session_in_plain_words(self) -> None:
        self._ended_with_consent()
        with self._travel(3):
            run_daily()
            self._run_queue()
            url = _link_in(mail.outbox[0].body)
            walk(self.client, url, HIGH)
            page = portal_web(self.p.bob).get("/me/journey/")
        section = self._section(page)
        self.assertIn("Check-ins after finishing", section)
        self.assertIn("At 3 months: done on", section)
        self.assertIn("At 6 months: around", section)
        self.assertIn("a session to check in together", section)
        for word in (*ALARM_WORDS, "phq", "15", "severe"):
            self.assertNotIn(word, section.lower(), word)
        # After the Ending line: the agreed phase comes first.
        text = page.content.decode()
        self.assertLess(text.index("Finishing well"), text.index("Check-ins after finishing"))

    def test_it_speaks_french_to_a_french_client(self) -> None:
        self._ended_with_consent()
        self.p.bob.language = "fr"
        self.p.bob.save(update_fields=["language"])
        section = self._section(portal_web(self.p.bob).get("/me/journey/"))
        self.assertIn("Suivis après la fin", section)
        self.assertIn("À 3 mois : vers le", section)

    def test_it_lets_bob_withdraw_in_the_portal_which_cancels_them(self) -> None:
        self._ended_with_consent()
        web = portal_web(self.p.bob)
        self.assertEqual(
            web.post("/me/journey/follow-ups/", {"choice": "withdraw"}).status_code, 302
        )
        self.assertEqual(
            set(FollowUp.objects.values_list("status", flat=True)), {FollowUpStatus.CANCELLED}
        )
        consent = Consent.objects.filter(kind=Consent.Kind.FOLLOW_UP).latest("given_at")
        self.assertIsNotNone(consent.withdrawn_at)
        self.assertTrue(AuditEvent.objects.filter(action="consent.follow_up_withdraw").exists())

    def test_it_lets_bob_agree_in_the_portal_after_the_ending(self) -> None:
        _confirm(self.p, _end(self.p, self.episode))
        self.assertFalse(FollowUp.objects.exists())
        portal_web(self.p.bob).post("/me/journey/follow-ups/", {"choice": "agree"})
        self.assertEqual(FollowUp.objects.filter(status="scheduled").count(), 2)


class DownSmsBackend:
    """The SMS gateway is down."""

    def send(self, to: str, body: str) -> None:
        raise ConnectionError("gateway down")


class ChannelTests(FollowUpTestCase):
    """The follow-up goes on the channel the client chose, email or SMS, from ``plusone
    remind`` (every 5 or 15 minutes) as well as ``plusone daily``; at most once either way."""

    PHONE = "+16135550101"

    def setUp(self) -> None:
        sms.outbox.clear()
        self.addCleanup(sms.outbox.clear)

    def _by_sms(self, *, language: str = "en") -> None:
        Client.objects.filter(pk=self.p.bob.pk).update(phone=self.PHONE, language=language)
        self.p.bob.refresh_from_db()
        record_follow_up_consent(
            acting_user=self.p.alice, client=self.p.bob, agree=True, channel="sms"
        )
        _confirm(self.p, _end(self.p, self.episode))

    def _remind(self) -> dict[str, int]:
        out = io.StringIO()
        call_command("remind", "--format", "json", stdout=out)
        return json.loads(out.getvalue())

    def _worker(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            run_worker()

    def _mail_to_bob(self) -> list[Any]:
        return [m for m in mail.outbox if self.p.bob.email in m.to]

    def test_it_texts_bob_the_link_once_when_remind_and_daily_both_run(self) -> None:
        self._by_sms()
        with self._travel(3):
            self.assertEqual(self._remind()["follow_ups"], 1)
            run_daily()
            self._remind()
            self._worker()
            self._remind()
            run_daily()
            self._worker()
            token = FollowUp.objects.get(months=3).link
        self.assertEqual([m.to for m in sms.outbox], [self.PHONE])
        text = sms.outbox[0].body
        self.assertIn("/c/", text)
        with translation.override("en-ca"):
            self.assertIn(date_format(timezone.localtime(token.expires_at), "DATE_FORMAT"), text)
        for leak in ("Bob", "Brown", "PHQ", "follow", "ending", "score", "therapy", "session"):
            self.assertNotIn(leak.lower(), text.lower(), leak)
        self.assertEqual(self._mail_to_bob(), [])
        delivery = Delivery.objects.get(kind=FOLLOW_UP_DELIVERY)
        self.assertEqual((delivery.slot, delivery.status), ("3m", "sent"))

    def test_a_text_the_gateway_refused_is_marked_failed_and_not_retried(self) -> None:
        self._by_sms()
        with self._travel(3), override_settings(SMS_BACKEND=f"{__name__}.DownSmsBackend"):
            self._remind()
            self._worker()
            self._remind()
            self._worker()
        self.assertEqual(sms.outbox, [])
        delivery = Delivery.objects.get(kind=FOLLOW_UP_DELIVERY)
        self.assertEqual((delivery.slot, delivery.status), ("3m", "failed"))
        self.assertEqual(FollowUp.objects.get(months=3).status, FollowUpStatus.INVITED)

    def test_it_texts_a_french_client_in_french(self) -> None:
        self._by_sms(language="fr")
        with self._travel(3):
            self._remind()
            self._worker()
            token = FollowUp.objects.get(months=3).link
        text = sms.outbox[0].body
        self.assertIn("Voici votre lien", text)
        with translation.override("fr-ca"):
            self.assertIn(date_format(timezone.localtime(token.expires_at), "DATE_FORMAT"), text)

    def test_it_sends_nothing_after_bob_withdrew(self) -> None:
        self._by_sms()
        record_follow_up_consent(acting_user=self.p.alice, client=self.p.bob, agree=False)
        with self._travel(3):
            self.assertEqual(self._remind()["follow_ups"], 0)
            run_daily()
            self._worker()
        self.assertEqual(sms.outbox, [])
        self.assertEqual(self._mail_to_bob(), [])
        self.assertFalse(Delivery.objects.filter(kind=FOLLOW_UP_DELIVERY).exists())

    def test_it_emails_from_remind_alone_without_the_daily_run(self) -> None:
        self._ended_with_consent()
        with self._travel(3):
            self._remind()
            self._worker()
        self.assertEqual(len(self._mail_to_bob()), 1)
        self.assertEqual(sms.outbox, [])

    def test_it_waits_for_the_daytime_before_sending(self) -> None:
        self._by_sms()
        day = add_months(timezone.localdate(), 3)
        night = dt.datetime.combine(day, dt.time(2), tzinfo=timezone.get_current_timezone())
        with time_machine.travel(night, tick=False):
            self.assertEqual(self._remind()["follow_ups"], 0)
            self.assertEqual(run_daily()["follow_ups"], 0)
            self._worker()
        self.assertEqual(sms.outbox, [])
        with self._travel(3):
            self.assertEqual(self._remind()["follow_ups"], 1)

    def test_it_skips_a_follow_up_already_claimed_when_queueing(self) -> None:
        self._by_sms()
        with self._travel(3):
            Delivery.objects.create(
                practice=self.p.riverside,
                kind=FOLLOW_UP_DELIVERY,
                target=str(self.episode.pk),
                slot="3m",
            )
            self.assertEqual(self._remind()["follow_ups"], 0)

    def test_it_lets_alice_record_the_consent_by_sms(self) -> None:
        Client.objects.filter(pk=self.p.bob.pk).update(phone=self.PHONE)
        login_as(self.client, self.p.alice)
        page = self.client.get(f"/practice/episodes/{self.episode.pk}/journey/")
        self.assertContains(page, "The client agrees to follow-ups by text message")
        url = f"/practice/episodes/{self.episode.pk}/follow-ups/consent/"
        self.client.post(url, {"choice": "agree", "channel": "sms"})
        consent = Consent.objects.get(client=self.p.bob, kind=Consent.Kind.FOLLOW_UP)
        self.assertEqual((consent.channel, consent.withdrawn_at), ("sms", None))

    def test_it_offers_sms_only_to_a_client_with_a_phone(self) -> None:
        _confirm(self.p, _end(self.p, self.episode))
        login_as(self.client, self.p.alice)
        page = self.client.get(f"/practice/episodes/{self.episode.pk}/journey/")
        self.assertNotIn("by text message", PortalTests._section(self, page))
        self.assertFalse(self.p.bob.phone)
        section = PortalTests._section(self, portal_web(self.p.bob).get("/me/journey/"))
        self.assertNotIn("by text message", section)

    def test_it_lets_bob_choose_sms_in_the_portal_in_french(self) -> None:
        Client.objects.filter(pk=self.p.bob.pk).update(phone=self.PHONE, language="fr")
        self.p.bob.refresh_from_db()
        _confirm(self.p, _end(self.p, self.episode))
        web = portal_web(self.p.bob)
        section = PortalTests._section(self, web.get("/me/journey/"))
        self.assertIn("par texto", section)
        choice = {"choice": "agree", "channel": "sms"}
        done = web.post("/me/journey/follow-ups/", choice, follow=True)
        self.assertContains(done, "par texto")
        consent = Consent.objects.get(client=self.p.bob, kind=Consent.Kind.FOLLOW_UP)
        self.assertEqual((consent.channel, consent.language), ("sms", "fr"))
        section = PortalTests._section(self, web.get("/me/journey/"))
        self.assertIn("par texto", section)
        self.assertEqual(FollowUp.objects.filter(channel="sms").count(), 2)
