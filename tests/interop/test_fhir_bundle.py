"""The FHIR R4B bundle: built through the models, valid, and read back whole."""

from __future__ import annotations

import re
from pathlib import Path

from django.test import TestCase
from django.utils import timezone

from journey_fixtures import give_history
from personas import make_personas
from plusone.interop.fhir import LOINC, SCORE_SYSTEM, build_bundle
from plusone.interop.scope import Scope, administrations

SRC = Path(__file__).resolve().parents[2] / "src"


def _resources(bundle, kind):
    return [e.resource for e in bundle.entry if e.resource.get_resource_type() == kind]


class BundleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        cls.episode = cls.p.bob.episodes.get()
        give_history(cls.episode, n=8, skipped=3, decision_session=5, rupture_session=6)
        cls.rows = administrations(Scope(cls.p.riverside, client=cls.p.bob))

    def _bundle(self):
        return build_bundle(self.p.bob, self.rows, now=timezone.now())

    def test_it_round_trips_the_bundle_json_through_the_r4b_models(self):
        from fhir.resources.R4B.bundle import Bundle

        bundle = self._bundle()
        again = Bundle.model_validate_json(bundle.model_dump_json())
        self.assertEqual(len(again.entry), len(bundle.entry))
        self.assertEqual(again.model_dump_json(), bundle.model_dump_json())

    def test_it_gives_one_response_per_administration_and_one_observation_per_total(self):
        bundle = self._bundle()
        responses = _resources(bundle, "QuestionnaireResponse")
        observations = _resources(bundle, "Observation")
        self.assertEqual({r.id for r in responses}, {str(a.pk) for a in self.rows})
        scored = [a for a in self.rows if a.valid and a.total is not None]
        self.assertEqual(len(observations), len(scored))
        self.assertEqual(
            sorted(o.valueQuantity.value for o in observations), sorted(a.total for a in scored)
        )

    def test_it_codes_the_phq9_total_with_loinc_and_others_with_the_project_system(self):
        observations = _resources(self._bundle(), "Observation")
        codes = {(o.code.coding[0].system, o.code.coding[0].code) for o in observations}
        self.assertIn((LOINC, "44261-6"), codes)
        self.assertIn((SCORE_SYSTEM, "session_reflection-total"), codes)

    def test_it_gives_each_instrument_one_questionnaire_with_its_canonical_url_and_link_ids(self):
        from plusone.core.instruments import load_instrument

        questionnaires = _resources(self._bundle(), "Questionnaire")
        keys = {a.instrument_key for a in self.rows}
        self.assertEqual({q.url for q in questionnaires}, {load_instrument(k).url for k in keys})
        phq9 = next(q for q in questionnaires if q.url.endswith("/phq9"))
        self.assertEqual([i.linkId for i in phq9.item], list(load_instrument("phq9").item_ids))
        self.assertEqual(phq9.item[0].code[0].code, "44250-9")

    def test_it_answers_by_link_id_and_never_carries_free_text(self):
        bundle = self._bundle()
        text = bundle.model_dump_json()
        self.assertNotIn("It felt rushed", text)
        phq9 = next(a for a in self.rows if a.instrument_key == "phq9")
        response = next(
            r for r in _resources(bundle, "QuestionnaireResponse") if r.id == str(phq9.pk)
        )
        self.assertEqual({i.linkId: i.answer[0].valueInteger for i in response.item}, phq9.answers)
        self.assertTrue(
            response.questionnaire.startswith("http://plusone.health/fhir/Questionnaire/phq9|")
        )

    def test_it_gives_the_patient_the_minimum_a_receiver_needs(self):
        patient = _resources(self._bundle(), "Patient")[0]
        self.assertEqual(patient.identifier[0].value, str(self.p.bob.pk))
        self.assertEqual(patient.birthDate, self.p.bob.date_of_birth)
        self.assertIsNone(patient.telecom)
        self.assertIsNone(patient.address)


def test_it_ships_a_licensed_pack_questionnaire_without_its_words():
    from plusone.core.instruments import load_instrument
    from plusone.interop.fhir import questionnaire

    q = questionnaire(load_instrument("core10"))
    assert [i.linkId for i in q.item] == list(load_instrument("core10").item_ids)
    assert all(i.text is None for i in q.item)


def test_it_imports_fhir_resources_only_from_r4b():
    pattern = re.compile(r"^\s*(?:from|import)\s+fhir\.resources(?P<rest>[.\w]*)", re.M)
    bad = []
    for path in SRC.rglob("*.py"):
        for match in pattern.finditer(path.read_text(encoding="utf-8")):
            if not (match["rest"] == ".R4B" or match["rest"].startswith(".R4B.")):
                bad.append(f"{path.relative_to(SRC)}: {match.group(0).strip()}")
    assert bad == []
    assert any(
        "fhir.resources.R4B" in p.read_text() for p in (SRC / "plusone/interop").glob("*.py")
    )
