"""The access-request PDF's field labels (PHIPA s.52 copy): every field the copy can
print has plain words for the client, in English and in Canadian French. A new field on
a model of the export fails here until it gets its words."""

from __future__ import annotations

from django.apps import apps
from django.db import models
from django.test import SimpleTestCase
from django.utils import translation

from plusone.reports.field_labels import CHOICE_WORDS, FIELD_LABELS
from plusone.rights.export import PARTS

# Never printed: the PDF skips these (content.INTERNAL_FIELDS) and drops bare UUIDs.
SKIPPED = frozenset({"id", "practice", "idempotency_key"})
# Labels that are the same word in English and French.
SAME_IN_FRENCH = frozenset({"Version", "Total", "Question", "Questionnaire", "Note", "Type"})


def _printed_fields() -> dict[str, list[str]]:
    """Field name -> the export models that hold it, for every field the PDF can print."""
    found: dict[str, list[str]] = {}
    for part in PARTS:
        model = apps.get_model(part.model)
        for field in model._meta.concrete_fields:
            if field.name in SKIPPED or isinstance(field, models.UUIDField):
                continue
            found.setdefault(field.name, []).append(part.model)
    return found


class FieldLabelTests(SimpleTestCase):
    def test_every_printed_field_has_a_label(self) -> None:
        missing = {
            name: owners for name, owners in _printed_fields().items() if name not in FIELD_LABELS
        }
        self.assertEqual(missing, {}, "give these fields words in reports/field_labels.py")

    def test_it_labels_only_printed_fields(self) -> None:
        self.assertEqual(set(FIELD_LABELS) - set(_printed_fields()), set())

    def test_uuid_and_internal_fields_have_no_label(self) -> None:
        for name in ("id", "practice", "idempotency_key", "goal_id", "source_id", "token_id"):
            self.assertNotIn(name, FIELD_LABELS)

    def test_labels_are_words_not_codes(self) -> None:
        with translation.override("en-ca"):
            for name, label in FIELD_LABELS.items():
                text = str(label)
                self.assertNotIn("_", text, name)
                self.assertTrue(text.strip(), name)
                self.assertEqual(text, text.strip(), name)
                self.assertTrue(text[0].isupper(), f"{name}: sentence case ({text!r})")

    def test_every_label_has_a_french_translation(self) -> None:
        with translation.override("en-ca"):
            english = {name: str(label) for name, label in FIELD_LABELS.items()}
        with translation.override("fr-ca"):
            french = {name: str(label) for name, label in FIELD_LABELS.items()}
        untranslated = {
            name: text
            for name, text in english.items()
            if french[name] == text and text not in SAME_IN_FRENCH
        }
        self.assertEqual(untranslated, {}, "translate these in locale/fr_CA django.po")
        for name, text in french.items():
            self.assertNotIn("_", text, name)


# Choice words that are the same word in English and French.
SAME_CHOICE_IN_FRENCH = frozenset({"Supervision"})


def _choices() -> dict[tuple[str, str], list[str]]:
    """(field name, stored value) -> the export models that store it, for every choice of
    every choice field of the export's models."""
    found: dict[tuple[str, str], list[str]] = {}
    for part in PARTS:
        model = apps.get_model(part.model)
        for field in model._meta.concrete_fields:
            for value, _label in field.flatchoices if field.choices else ():
                found.setdefault((field.name, value), []).append(part.model)
    return found


class ChoiceWordTests(SimpleTestCase):
    def test_every_choice_has_words(self) -> None:
        missing = {
            key: owners
            for key, owners in _choices().items()
            if key[1] not in CHOICE_WORDS.get(key[0], {})
        }
        self.assertEqual(missing, {}, "give these choices words in reports/field_labels.py")

    def test_it_has_words_only_for_stored_choices(self) -> None:
        known = set(_choices())
        extra = {
            (name, value)
            for name, words in CHOICE_WORDS.items()
            for value in words
            if (name, value) not in known
        }
        self.assertEqual(extra, set())

    def test_choice_words_are_sentence_case_words(self) -> None:
        with translation.override("en-ca"):
            for name, words in CHOICE_WORDS.items():
                for value, word in words.items():
                    text = str(word)
                    self.assertNotIn("_", text, (name, value))
                    self.assertEqual(text, text.strip(), (name, value))
                    self.assertTrue(
                        text[0].isupper() or text.startswith("s."), f"{name}={value}: {text!r}"
                    )

    def test_every_choice_has_a_french_translation(self) -> None:
        untranslated = {}
        for name, words in CHOICE_WORDS.items():
            for value, word in words.items():
                with translation.override("en-ca"):
                    english = str(word)
                with translation.override("fr-ca"):
                    french = str(word)
                if french == english and english not in SAME_CHOICE_IN_FRENCH:
                    untranslated[(name, value)] = english
                self.assertTrue(french.strip(), (name, value))
        self.assertEqual(untranslated, {}, "translate these in locale/fr_CA django.po")

    def test_a_closed_status_is_not_a_date_in_french(self) -> None:
        with translation.override("fr-ca"):
            for value in ("closed", "cancelled", "invited", "done"):
                self.assertFalse(str(CHOICE_WORDS["status"][value]).endswith(" le"), value)
