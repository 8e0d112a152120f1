"""Every request has an id: on the response, in its JSON log line, on the error page."""

import io
import json
import logging
import re

import pytest
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import include, path

from plusone.web.logging import JsonFormatter, RedactFilter

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("a bug on our side")


# A URLconf of this module: the real site plus one view that fails, with the real handler.
urlpatterns = [path("boom/", _boom), path("", include("plusone.urls"))]
handler500 = "plusone.web.views.server_error"


@pytest.fixture
def json_log():
    """What the prod handler writes (JsonFormatter behind RedactFilter), one line a record."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactFilter())
    loggers = [logging.getLogger(n) for n in ("plusone.request", "django.request")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in out.getvalue().splitlines()]
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


def test_it_logs_each_request_as_json_with_its_request_id(json_log):
    response = HttpClient().get("/accounts/login/")
    (line,) = json_log()
    assert line["request_id"] == response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"])
    assert (line["method"], line["path"], line["status"]) == ("GET", "/accounts/login/", 200)
    assert line["level"] == "INFO" and line["logger"] == "plusone.request"


def test_it_redacts_a_checkin_token_and_the_query_string(json_log):
    HttpClient().get("/c/s3cret-token-value?name=Bob")
    text = json.dumps(json_log())
    assert "s3cret-token-value" not in text and "Bob" not in text
    (line,) = [entry for entry in json_log() if entry["logger"] == "plusone.request"]
    assert line["path"] == "/c/[redacted]"


def test_it_keeps_a_safe_request_id_from_the_proxy(json_log):
    response = HttpClient().get("/healthz", headers={"X-Request-ID": "nginx-7f3a9c01.abc"})
    assert response["X-Request-ID"] == "nginx-7f3a9c01.abc"


@pytest.mark.parametrize("unsafe", ["short", "bob smith\n", "<script>alert(1)</script>", "x" * 101])
def test_it_replaces_an_unsafe_request_id_with_its_own(unsafe):
    response = HttpClient().get("/healthz", headers={"X-Request-ID": unsafe})
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@override_settings(ROOT_URLCONF=__name__)
def test_it_shows_the_error_page_with_the_same_id_as_the_log_line(json_log):
    response = HttpClient(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert f"<code>{request_id}</code>" in response.content.decode()
    error = next(e for e in json_log() if e["logger"] == "django.request")
    assert error["request_id"] == request_id
    assert "RuntimeError" in error["exception"]
    access = next(e for e in json_log() if e["logger"] == "plusone.request")
    assert (access["request_id"], access["status"]) == (request_id, 500)


def test_it_wires_the_error_page_to_the_real_urlconf():
    from plusone import urls

    assert urls.handler500 == "plusone.web.views.server_error"


def test_it_writes_no_health_probe_at_info(json_log):
    HttpClient().get("/readyz")
    assert json_log() == []
