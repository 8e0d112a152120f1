"""Observers (issue 13): off by default and turned on by the therapist; the client invites
at most three adults, each at most once every 8 weeks, and revokes them; the observer's
form at /o/<token>; the safety screen; what the therapist and the client see."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core import mail
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from personas import TODAY, login_as, make_personas
from plusone.audit.models import AuditEvent
from plusone.clinical import risk
from plusone.clinical.models import Client, Flag, ObserverTextChoice
from plusone.measures.models import Administration
from plusone.observers import actions, queries
from plusone.observers.models import Observer, ObserverRound
from plusone.observers.screen import touches_safety
from plusone.rights import actions as rights
from plusone.rights.export import build_export
from plusone.tokens.models import AccessToken
from task_worker import run_worker

ANSWERS = {
    "item_observed_at_ease": "8",
    "item_observed_acts_on_values": "7",
    "item_observed_says_needs": "9",
    "item_observed_bounces_back": "6",
    "item_observed_takes_part": "8",
}
SAFETY_TEXT = "He said he wants to die some nights and I am scared of him when he drinks."
PLAIN_TEXT = "He laughs more at dinner and calls his sister on Sundays."


def _invite(person, name="Sam's friend", email="friend@observer.example", **kw):
    return actions.invite(
        actor=f"token:{person.pk}",
        client=person,
        label=name,
        email=email,
        relationship="friend",
        **kw,
    )


def _raw_link(message) -> str:
    return message.body.split("/o/", 1)[1].split()[0]


class ObserverRuleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def test_observers_are_off_for_a_new_client_and_an_invitation_is_refused(self):
        self.assertFalse(Client.objects.get(pk=self.p.dave.pk).observers_enabled)
        with self.assertRaises(ValidationError):
            _invite(self.p.dave)
        self.assertFalse(Observer.objects.filter(client=self.p.dave).exists())

    def test_alice_turns_observers_on_for_dave_from_his_page_and_it_is_audited(self):
        login_as(self.client, self.p.alice)
        url = reverse("observers:client_observers", kwargs={"client_id": self.p.dave.pk})
        page = self.client.get(url)
        self.assertContains(page, "Observers are <strong>off</strong>")
        self.client.post(url, {"enabled": "on"})
        self.assertTrue(Client.objects.get(pk=self.p.dave.pk).observers_enabled)
        self.assertTrue(
            AuditEvent.objects.filter(
                action="observers.enabled", target_id=str(self.p.dave.pk)
            ).exists()
        )

    def test_charlie_cannot_turn_on_observers_for_alices_client(self):
        login_as(self.client, self.p.charlie)
        url = reverse("observers:client_observers", kwargs={"client_id": self.p.dave.pk})
        self.assertEqual(self.client.post(url, {"enabled": "on"}).status_code, 404)
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertFalse(Client.objects.get(pk=self.p.dave.pk).observers_enabled)

    def test_a_client_has_at_most_three_active_observers(self):
        # Olive is the first; two more make three, and a fourth is refused.
        _invite(self.p.bob, email="a@observer.example")
        _invite(self.p.bob, email="b@observer.example")
        with self.assertRaisesMessage(ValidationError, "at most three"):
            _invite(self.p.bob, email="c@observer.example")
        # Revoking one frees a place.
        actions.revoke(actor=None, observer=self.p.olive_observer)
        _invite(self.p.bob, email="c@observer.example")
        self.assertEqual(len(actions.active_observers(self.p.bob)), 3)

    def test_an_observer_is_invited_at_most_once_every_8_weeks(self):
        observer = _invite(self.p.bob)
        sent = observer.last_invited_at
        with self.assertRaisesMessage(ValidationError, "once every 8 weeks"):
            actions.send_again(actor=None, observer=observer, now=sent + dt.timedelta(weeks=7))
        actions.send_again(actor=None, observer=observer, now=sent + dt.timedelta(weeks=8))
        self.assertEqual(observer.links.count(), 2)

    def test_revoking_and_inviting_the_same_address_again_does_not_reset_the_8_weeks(self):
        observer = _invite(self.p.bob, email="twice@observer.example")
        actions.revoke(actor=None, observer=observer)
        with self.assertRaisesMessage(ValidationError, "once every 8 weeks"):
            _invite(self.p.bob, email="TWICE@observer.example")
        later = observer.last_invited_at + dt.timedelta(weeks=8, minutes=1)
        _invite(self.p.bob, email="twice@observer.example", now=later)

    def test_the_invitation_email_has_the_link_in_the_clients_language_and_no_health_words(self):
        _invite(self.p.bob, email="friend@observer.example")
        # The email is a task: the worker sends it.
        run_worker()
        message = mail.outbox[-1]
        self.assertEqual(message.to, ["friend@observer.example"])
        self.assertIn("/o/", message.body)
        for word in ("therap", "health", "PHQ", "depress", "anxi", "Riverside", "goal"):
            self.assertNotIn(word.lower(), (message.subject + message.body).lower())

    def test_revoking_an_observer_kills_their_open_link(self):
        actions.revoke(actor=None, observer=self.p.olive_observer)
        self.assertIsNotNone(AccessToken.objects.get(pk=self.p.olive.pk).revoked_at)
        page = self.client.get(f"/o/{self.p.olive_token}")
        self.assertContains(page, "no longer active", status_code=410)

    def test_turning_observers_off_kills_open_links(self):
        actions.set_observers_enabled(user=self.p.alice, client=self.p.bob, enabled=False)
        page = self.client.get(f"/o/{self.p.olive_token}")
        self.assertContains(page, "no longer active", status_code=410)


class ObserverFormTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def _open(self):
        opened = self.client.get(f"/o/{self.p.olive_token}")
        self.assertEqual(opened.status_code, 302)
        self.assertEqual(opened["Location"], reverse("observers:form"))
        return self.client.get(reverse("observers:form"))

    def _send(self, text="", adult="on", **overrides):
        self._open()
        data = {**ANSWERS, "text": text, **overrides}
        if adult:
            data["adult"] = adult
        return self.client.post(reverse("observers:form"), data)

    def test_it_tells_the_observer_what_happens_before_they_answer_and_shows_nothing_of_bob(self):
        page = self._open()
        for words in (
            "Their therapist sees your ratings",
            "join their health record",
            "goes to the therapist only",
            "not read in real time",
            "9-8-8",
            "911",
            "I am 18 or older",
            "Seems more at ease with people close to them",
        ):
            self.assertContains(page, words)
        for secret in ("Bob", "Brown", "first goal", "safety plan", "PHQ", "sister"):
            self.assertNotContains(page, secret)
        self.assertNotIn(self.p.olive_token, page.content.decode())

    def test_it_refuses_an_observer_who_does_not_attest_being_18_or_older(self):
        page = self._send(adult="")
        self.assertContains(page, "You need to be 18 or older to answer.", status_code=400)
        self.assertFalse(ObserverRound.objects.exists())
        self.assertIsNone(AccessToken.objects.get(pk=self.p.olive.pk).used_at)

    def test_it_stores_the_round_as_an_observer_administration_and_uses_the_link_once(self):
        done = self._send(text=PLAIN_TEXT)
        self.assertRedirects(done, reverse("observers:done"))
        row = ObserverRound.objects.get()
        self.assertEqual(row.administration.respondent, "observer")
        self.assertEqual(row.administration.instrument_key, "observed_change")
        self.assertEqual(row.administration.total, 7.6)
        self.assertEqual(row.administration.free_text, "")
        self.assertEqual(row.text, PLAIN_TEXT)
        self.assertFalse(row.safety_held)
        observer = Observer.objects.get(pk=self.p.olive_observer.pk)
        self.assertIsNotNone(observer.consent_given_at)
        self.assertIsNotNone(observer.adult_attested_at)
        self.assertTrue(observer.consent_version)
        # Used: the link now says only "no longer active".
        page = self.client.get(f"/o/{self.p.olive_token}")
        self.assertContains(page, "no longer active", status_code=410)
        self.assertNotContains(page, "used", status_code=410)

    def test_an_expired_link_says_no_longer_active(self):
        AccessToken.objects.filter(pk=self.p.olive.pk).update(
            created_at=timezone.now() - dt.timedelta(days=15),
            expires_at=timezone.now() - dt.timedelta(minutes=1),
        )
        page = self.client.get(f"/o/{self.p.olive_token}")
        self.assertContains(page, "no longer active", status_code=410)
        self.assertNotContains(page, "expired", status_code=410)

    def test_a_link_revoked_while_the_form_is_open_stores_nothing(self):
        self._open()
        actions.revoke(actor=None, observer=self.p.olive_observer)
        page = self.client.post(reverse("observers:form"), {**ANSWERS, "adult": "on"})
        self.assertContains(page, "no longer active", status_code=410)
        self.assertFalse(ObserverRound.objects.exists())

    def test_the_observer_pages_are_in_french_when_the_session_language_is_french(self):
        self.client.get(f"/o/{self.p.olive_token}")
        session = self.client.session
        session["plusone_language"] = "fr"
        session.save()
        page = self.client.get(reverse("observers:form"))
        self.assertContains(page, "Avant de répondre")
        self.assertContains(page, "9-8-8")
        # The items too, from Observed Change's own French file (ours, not validated).
        self.assertContains(page, "Semble plus à l&#x27;aise avec ses proches")
        self.assertContains(page, 'lang="fr"')
        self.assertNotContains(page, "Seems more at ease")
        self.client.post(reverse("observers:form"), {**ANSWERS, "adult": "on"})
        stored = ObserverRound.objects.get()
        self.assertEqual(stored.language, "fr")
        self.assertEqual(stored.administration.language, "fr")


class SafetyTextTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def _round(self, text):
        self.client.get(f"/o/{self.p.olive_token}")
        self.client.post(reverse("observers:form"), {**ANSWERS, "text": text, "adult": "on"})
        return ObserverRound.objects.get()

    def test_the_screen_reads_both_languages_as_whole_words_ignoring_case_and_accents(self):
        self.assertTrue(touches_safety("Il VEUT MOURIR parfois"))
        self.assertTrue(touches_safety("elle dit qu'il l'a étranglé"))
        self.assertTrue(touches_safety("I am Scared of him"))
        self.assertFalse(touches_safety("He is sleeping better and cooks again"))
        # Whole words: "gun" is not "begun".
        self.assertFalse(touches_safety("He has begun running"))

    def test_safety_text_opens_a_grade_2_flag_with_a_promise_for_alice(self):
        row = self._round(SAFETY_TEXT)
        self.assertTrue(row.safety_held)
        flag = Flag.objects.get(source_kind="observer", source_id=row.pk)
        self.assertEqual(flag.grade, 2)
        self.assertEqual(flag.client_id, self.p.bob.pk)
        promise = risk.promise_for(
            practice=self.p.riverside, therapist=self.p.alice, now=flag.opened_at
        )
        self.assertEqual(flag.promised_read_by, promise.read_by)
        self.assertEqual(flag.first_told, self.p.alice)
        self.assertEqual(flag.status, Flag.Status.OPEN)

    def test_the_observer_flag_says_what_it_is_and_that_bob_has_not_seen_it(self):
        from plusone.clinical.flag_words import brief, guidance_for

        row = self._round(SAFETY_TEXT)
        flag = Flag.objects.get(source_kind="observer", source_id=row.pk)
        self.assertEqual(
            brief(self.p.riverside.pk, flag), "An observer's written answer touches on safety"
        )
        self.assertIn("The client has not seen it", guidance_for(flag))
        login_as(self.client, self.p.alice)
        page = self.client.get(reverse("insights:caseload"))
        self.assertContains(page, "An observer&#x27;s written answer touches on safety")

    def test_safety_text_reaches_alice_even_when_bob_chose_ratings_only(self):
        self.assertEqual(self.p.bob.observer_text_to_therapist, ObserverTextChoice.RATINGS_ONLY)
        self._round(SAFETY_TEXT)
        seen = queries.for_therapist(Client.objects.get(pk=self.p.bob.pk))
        self.assertEqual(seen[0].text, SAFETY_TEXT)
        login_as(self.client, self.p.alice)
        page = self.client.get(
            reverse("observers:client_observers", kwargs={"client_id": self.p.bob.pk})
        )
        self.assertContains(page, "wants to die some nights")
        self.assertContains(page, "withheld from the client")

    def test_safety_text_is_withheld_from_bob(self):
        self._round(SAFETY_TEXT)
        seen = queries.for_client(Client.objects.get(pk=self.p.bob.pk))
        self.assertEqual(seen[0].text, "")
        self.assertEqual([r.value for r in seen[0].ratings], [8, 7, 9, 6, 8])

    def test_safety_text_is_withheld_from_an_access_request_export_with_the_refusal_notice(self):
        row = self._round(SAFETY_TEXT)
        request = rights.record_access_request(
            user=self.p.erin,
            client=self.p.bob,
            received_on=TODAY,
            how_received="email",
            asked_for="Everything",
            today=TODAY,
        )
        export = build_export(request, generated_at=timezone.now())
        self.assertNotIn("wants to die", str(export))
        self.assertEqual(export["observer_rounds"], [])
        withheld = [w for w in export["withheld"] if w["id"] == str(row.pk)]
        self.assertEqual(len(withheld), 1)
        self.assertEqual(withheld[0]["exception"], "s52_1_e_i")
        self.assertIn("s.52(1)(e)", withheld[0]["exception_text"])

    def test_plain_text_is_in_the_export_and_shown_to_bob(self):
        self._round(PLAIN_TEXT)
        request = rights.record_access_request(
            user=self.p.erin,
            client=self.p.bob,
            received_on=TODAY,
            how_received="email",
            asked_for="Everything",
            today=TODAY,
        )
        export = build_export(request, generated_at=timezone.now())
        self.assertEqual(export["observer_rounds"][0]["text"], PLAIN_TEXT)
        self.assertEqual(queries.for_client(self.p.bob)[0].text, PLAIN_TEXT)
        self.assertFalse(Flag.objects.filter(source_kind="observer").exists())

    def test_ratings_only_hides_plain_text_from_alice_and_verbatim_shows_it(self):
        self._round(PLAIN_TEXT)
        bob = Client.objects.get(pk=self.p.bob.pk)
        seen = queries.for_therapist(bob)[0]
        self.assertEqual(seen.text, "")
        self.assertEqual(seen.mean, 7.6)
        login_as(self.client, self.p.alice)
        url = reverse("observers:client_observers", kwargs={"client_id": bob.pk})
        self.assertNotContains(self.client.get(url), "calls his sister")
        actions.set_text_choice(actor=None, client=bob, choice=ObserverTextChoice.VERBATIM)
        self.assertContains(self.client.get(url), "calls his sister")


class S2ViewTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def test_the_s2_view_sets_observers_per_domain_against_bobs_own_holds(self):
        self.client.get(f"/o/{self.p.olive_token}")
        self.client.post(reverse("observers:form"), {**ANSWERS, "adult": "on"})
        episode = self.p.bob.episodes.get()
        Administration.objects.create(
            practice=self.p.riverside,
            client=self.p.bob,
            episode=episode,
            instrument_key="felt_change",
            instrument_version="1",
            context="checkin",
            respondent="client",
            answers={"felt_holds": 6},
            started_at=timezone.now(),
            completed_at=timezone.now(),
            idempotency_key="s2-felt",
        )
        view = queries.s2_view(episode)
        self.assertEqual(view.rounds, 1)
        self.assertEqual(view.self_rating, 6.0)
        ease = view.domains[0]
        self.assertEqual((ease.mean, ease.difference, ease.agree), (8.0, 2.0, None))

    def test_alice_sees_the_s2_view_on_bobs_journey_in_deepening_only(self):
        from plusone.clinical.models import Decision, Phase

        self.client.get(f"/o/{self.p.olive_token}")
        self.client.post(reverse("observers:form"), {**ANSWERS, "adult": "on"})
        episode = self.p.bob.episodes.get()
        url = reverse("insights:journey", kwargs={"episode_id": episode.pk})
        login_as(self.client, self.p.alice)
        self.assertNotContains(self.client.get(url), "Those around me see it")
        Decision.objects.create(
            practice=self.p.riverside,
            episode=episode,
            phase=Phase.DEEPENING,
            kind=Decision.Kind.PHASE_CHANGE,
            decided_on=timezone.localdate(),
            recorded_by=self.p.alice,
            options_discussed=["go_deeper"],
            focus="to stop bracing for disappointment",
            present=["client", "therapist"],
            confirmation=Decision.Confirmation.IN_SESSION,
            confirmation_text="BB",
            confirmed_on=timezone.localdate(),
        )
        page = self.client.get(url)
        self.assertContains(page, "Those around me see it")
        self.assertContains(page, "I am different")
        self.assertContains(page, "I can feel it")
        self.assertContains(page, "Seems more at ease with people close to them")


def _rounds(p, n):
    episode = p.bob.episodes.get()
    now = timezone.now()
    for i in range(n):
        administration = Administration.objects.create(
            practice=p.riverside,
            client=p.bob,
            episode=episode,
            instrument_key="observed_change",
            instrument_version="1.0.0",
            context="checkin",
            respondent="observer",
            answers={"observed_at_ease": 5},
            total=5.0,
            valid=True,
            started_at=now,
            completed_at=now,
            idempotency_key=f"observer:pinned:{i}",
        )
        row = ObserverRound(
            practice=p.riverside,
            client=p.bob,
            observer=p.olive_observer,
            administration=administration,
            token_id=uuid.uuid4(),
            completed_at=now,
        )
        row.text = f"round {i}"
        row.save()


class PinnedQueryTests(TestCase):
    """The observers pages read their rounds in one query, whatever their number."""

    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def _count(self, n, web, url):
        _rounds(self.p, n)
        web.get(url)  # warm the session and caches
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries_run:
            page = web.get(url)
        self.assertEqual(page.status_code, 200)
        return len(queries_run)

    def test_alices_observers_page_runs_the_same_queries_for_1_and_30_rounds(self):
        login_as(self.client, self.p.alice)
        url = reverse("observers:client_observers", kwargs={"client_id": self.p.bob.pk})
        one = self._count(1, self.client, url)
        ObserverRound.objects.all().delete()
        Administration.objects.filter(respondent="observer").delete()
        thirty = self._count(30, self.client, url)
        self.assertEqual(one, thirty)

    def test_bobs_observers_page_runs_the_same_queries_for_1_and_30_rounds(self):
        from portal_fixtures import portal_web

        web = portal_web(self.p.bob)
        url = reverse("portal:observers")
        one = self._count(1, web, url)
        ObserverRound.objects.all().delete()
        Administration.objects.filter(respondent="observer").delete()
        thirty = self._count(30, web, url)
        self.assertEqual(one, thirty)
