"""``plusone import`` and ``plusone import-schedule``: exit 0 stored, 1 any row refused (and
nothing stored), 2 usage; the JSON result on stdout, each bad row on stderr."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from import_helpers import HEADER, days_ago, phq9_row, with_practice_ids

from plusone.measures.models import Administration, Context

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return code, out.getvalue(), err.getvalue()


def test_it_imports_scores_from_the_command_line_all_or_nothing(personas, tmp_path):
    with_practice_ids(personas)
    good = tmp_path / "good.csv"
    good.write_text(HEADER + phq9_row("R-100", days_ago(20)), encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER + phq9_row("R-100", days_ago(40)) + phq9_row("R-100", days_ago(30), total="3"),
        encoding="utf-8",
    )
    code, out, err = run("import", str(bad), "--as", personas.alice.email, "--format", "json")
    assert (code, json.loads(out)["stored"]) == (1, 0)
    assert "line 3: total: 3 does not match the recomputed score (11)" in err
    assert not Administration.objects.filter(context=Context.IMPORT).exists()
    code, out, _ = run("import", str(good), "--as", personas.alice.email, "--format", "json")
    assert (code, json.loads(out)["stored"]) == (0, 1)
    code, _, err = run("import", str(good), "--as", "nobody@example.org")
    assert code == 2
    utf16 = tmp_path / "u16.csv"
    utf16.write_bytes(HEADER.encode("utf-16"))
    code, _, _ = run("import", str(utf16), "--as", personas.alice.email)
    assert code == 2


def test_it_imports_a_schedule_from_the_command_line(personas, tmp_path):
    with_practice_ids(personas)
    path = tmp_path / "owl.csv"
    path.write_text(
        "Appointment ID,Client ID,Date,Time,Duration,Status\n"
        "O-1,R-100,2030-01-07,09:00,50,Booked\n",
        encoding="utf-8",
    )
    args = ("import-schedule", str(path), "--source", "owl", "--as", personas.alice.email)
    code, out, _ = run(*args, "--dry-run", "--format", "json")
    assert (code, json.loads(out)["new"], json.loads(out)["stored"]) == (0, 1, False)
    code, out, _ = run(*args, "--format", "json")
    assert (code, json.loads(out)["stored"]) == (0, True)
