"""Hostile files for both imports (marker ``fuzz``): random bytes, a good file with random
bytes spliced in, or random cells. The page never answers 500, the action raises only
ImportRefused, and whatever happens, either every row of the file is stored or none."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase
from import_helpers import HEADER, days_ago, phq9_row, with_practice_ids

from personas import login_as, make_personas
from plusone.clinical.models import Session
from plusone.imports.reading import ImportRefused
from plusone.imports.schedule import import_schedule
from plusone.imports.scores import import_scores
from plusone.measures.models import Administration, Context

pytestmark = pytest.mark.fuzz

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
GOOD = (HEADER + phq9_row("R-100", days_ago(30)) + phq9_row("R-100", days_ago(20))).encode()
CELL = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12
) | st.sampled_from(["", "0", "3", "-1", "99", "phq9", "R-100", "2026-02-30", "1e999", "NaN"])


@st.composite
def files(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["bytes", "spliced", "cells"]))
    if kind == "bytes":
        return draw(st.binary(max_size=400))
    if kind == "spliced":
        at = draw(st.integers(0, len(GOOD)))
        return GOOD[:at] + draw(st.binary(min_size=1, max_size=20)) + GOOD[at:]
    lines = [HEADER.rstrip("\n")]
    for _ in range(draw(st.integers(1, 4))):
        cells = [draw(CELL) for _ in range(14)]
        lines.append(",".join(c.replace(",", " ").replace("\n", " ") for c in cells))
    return ("\n".join(lines) + "\n").encode()


class ImportFuzzTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.p = make_personas()
        with_practice_ids(cls.p)

    def imported(self) -> int:
        return Administration.objects.filter(context=Context.IMPORT).count()

    @FUZZ
    @given(raw=files(), encoding=st.sampled_from(["utf-8", "cp1252"]))
    def test_it_never_fails_with_a_500_or_imports_half_a_file(self, raw, encoding):
        before = self.imported()
        try:
            report = import_scores(user=self.p.alice, raw=raw, encoding=encoding)
        except ImportRefused:
            self.assertEqual(self.imported(), before)
            return
        added = self.imported() - before
        self.assertIn(added, (0, report.new))
        if report.errors:
            self.assertEqual(added, 0)

    @FUZZ
    @given(raw=files(), source=st.sampled_from(["jane", "owl", "ical"]))
    def test_it_never_fails_on_a_hostile_schedule(self, raw, source):
        before = Session.objects.count()
        try:
            report = import_schedule(user=self.p.alice, raw=raw, source=source)
        except ImportRefused:
            self.assertEqual(Session.objects.count(), before)
            return
        if report.errors:
            self.assertEqual(Session.objects.count(), before)

    @settings(FUZZ, max_examples=15)
    @given(raw=files())
    def test_it_answers_every_upload_without_a_server_error(self, raw):
        login_as(self.client, self.p.alice)
        upload = SimpleUploadedFile("x.csv", raw, content_type="text/csv")
        response = self.client.post(
            reverse("imports:scores"), {"file": upload, "encoding": "utf-8", "mapping": ""}
        )
        self.assertEqual(response.status_code, 200)
