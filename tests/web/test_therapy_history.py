"""The therapy-history reflection at intake (issue 13): for a client who has had therapy
before, "What helped? What didn't? What do you wish had happened?", three optional answers
in the client's words, written with them on the intake form, encrypted at rest, and shown
on the episode's journey."""

from django.db import connection
from django.test import TestCase
from django.urls import reverse
from test_intake import INTAKE, _form

from personas import login_as, make_personas
from plusone.clinical.models import Client, Episode

HELPED = "Being believed the first time I said it"
DIDNT = "Homework sheets every week"
WISHED = "That we had talked about ending before it ended"


class TherapyHistoryTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()

    def setUp(self):
        login_as(self.client, self.p.alice)

    def _intake(self, **overrides):
        return self.client.post(
            INTAKE,
            _form(prior_helped=HELPED, prior_unhelpful=DIDNT, prior_wished=WISHED, **overrides),
        )

    def test_it_asks_the_three_questions_on_the_intake_form(self):
        page = self.client.get(INTAKE)
        for question in ("What helped?", "What didn&#x27;t?", "What do you wish had happened?"):
            self.assertContains(page, question)

    def test_it_keeps_the_answers_encrypted_on_the_episode(self):
        self.assertRedirects(self._intake(), reverse("insights:caseload"))
        episode = Episode.objects.get(client__given_name="Mara")
        self.assertEqual(
            (episode.prior_helped, episode.prior_unhelpful, episode.prior_wished),
            (HELPED, DIDNT, WISHED),
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT prior_helped, prior_unhelpful, prior_wished FROM clinical_episode "
                "WHERE id = %s",
                [episode.pk.hex if connection.vendor == "sqlite" else episode.pk],
            )
            stored = cursor.fetchone()
        for raw, plain in zip(stored, (HELPED, DIDNT, WISHED), strict=True):
            self.assertNotIn(plain, raw)
            self.assertTrue(raw.startswith("v1:"))

    def test_every_answer_is_optional(self):
        response = self.client.post(INTAKE, _form())
        self.assertRedirects(response, reverse("insights:caseload"))
        episode = Episode.objects.get(client__given_name="Mara")
        self.assertEqual(episode.prior_helped, "")

    def test_it_refuses_the_answers_for_a_client_with_no_therapy_before(self):
        response = self._intake(prior_therapy="no")
        self.assertEqual(response.status_code, 200)
        self.assertIn("prior_helped", response.context["form"].errors)
        self.assertFalse(Client.objects.filter(given_name="Mara").exists())

    def test_it_shows_the_answers_on_the_journey(self):
        self._intake()
        episode = Episode.objects.get(client__given_name="Mara")
        page = self.client.get(reverse("insights:journey", args=[episode.pk]))
        self.assertContains(page, "Therapy before")
        for answer in (HELPED, DIDNT, WISHED):
            self.assertContains(page, answer)

    def test_the_journey_says_nothing_of_it_for_a_client_without_therapy_before(self):
        episode = self.p.bob.episodes.get()
        Episode.objects.filter(pk=episode.pk).update(prior_therapy=False)
        page = self.client.get(reverse("insights:journey", args=[episode.pk]))
        self.assertNotContains(page, "Therapy before")
