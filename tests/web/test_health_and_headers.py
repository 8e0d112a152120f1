"""Health endpoints and the security headers every response carries."""

import json

import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client as HttpClient

from plusone.web import views as web_views

pytestmark = pytest.mark.django_db


def test_it_answers_healthz_with_plain_json():
    response = HttpClient().get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}


def test_it_answers_readyz_after_asking_the_database(django_assert_num_queries):
    HttpClient().get("/readyz")
    # Once every migration is seen applied, readiness asks the database one query.
    with django_assert_num_queries(1):
        response = HttpClient().get("/readyz")
    assert json.loads(response.content) == {"status": "ok"}


def test_it_is_not_ready_while_a_migration_is_unapplied(monkeypatch):
    monkeypatch.setattr(web_views, "_migrated", False)
    MigrationRecorder.Migration.objects.filter(app="measures").order_by("-applied")[0].delete()
    response = HttpClient().get("/readyz")
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "unavailable", "reason": "migrations"}


def test_it_is_ready_again_once_the_migration_is_applied(monkeypatch):
    monkeypatch.setattr(web_views, "_migrated", False)
    response = HttpClient().get("/readyz")
    assert response.status_code == 200
    assert web_views._migrated is True


def test_it_sends_no_referrer_and_a_strict_csp():
    response = HttpClient().get("/healthz")
    assert response["Referrer-Policy"] == "no-referrer"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"


def test_it_serves_the_login_page_without_absolute_links():
    body = HttpClient().get("/accounts/login/").content.decode()
    assert "http://" not in body and "https://" not in body and 'href="//' not in body
    assert "<script>" not in body and "style=" not in body
    assert "/accounts/signup/" not in body


def test_it_serves_a_favicon_rather_than_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
