"""Front-end rules: no inline script or style, no hx-on, htmx configured safely."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.test import Client as HttpClient

SRC = Path(__file__).resolve().parents[2] / "src" / "plusone"
TEMPLATES = sorted(SRC.glob("*/templates/**/*.html"))


def test_it_finds_the_templates():
    assert any(t.name == "base.html" for t in TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: str(t.relative_to(SRC)))
def test_it_keeps_script_and_style_out_of_templates(template):
    text = template.read_text(encoding="utf-8")
    assert "hx-on" not in text
    assert not re.search(r"\sstyle\s*=", text)
    assert "<style" not in text
    # A script element must load a file (src=) or be inert JSON data.
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_it_configures_htmx_without_eval_or_indicator_styles():
    base = (SRC / "web" / "templates" / "base.html").read_text(encoding="utf-8")
    assert '"includeIndicatorStyles":false' in base
    assert '"allowEval":false' in base
    assert (SRC / "web" / "static" / "vendor" / "htmx.min.js").exists()
    assert (SRC / "web" / "static" / "vendor" / "htmx.LICENSE.txt").exists()


def test_it_installs_no_django_admin():
    assert not apps.is_installed("django.contrib.admin")


@pytest.mark.django_db
def test_it_answers_an_unknown_page_with_a_kind_404():
    response = HttpClient().get("/no-such-page/")
    assert response.status_code == 404
