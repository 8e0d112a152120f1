"""An exception's message never reaches a log line: it may quote what a client wrote or a
row's values (a unique-violation's DETAIL names them). The type and the frames stay, so
the log still says what failed and where; messages of connection and timeout errors,
which name hosts and locks, stay too."""

import io
import json
import logging

import pytest
from django.db import IntegrityError, OperationalError, transaction
from django.test import Client as HttpClient
from django.test import override_settings
from django.urls import include, path

from personas import make_personas
from plusone.clinical.models import Client
from plusone.web.logging import JsonFormatter, RedactFilter

pytestmark = pytest.mark.django_db

PHI = "Bob Brown wrote that he wants to die"


def _boom(request):
    try:
        raise KeyError(PHI)
    except KeyError as exc:
        raise ValueError(f"could not score {PHI}") from exc


urlpatterns = [path("boom/", _boom), path("", include("plusone.urls"))]
handler500 = "plusone.web.views.server_error"


def _capture(formatter: logging.Formatter, *names: str):
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.addFilter(RedactFilter())
    loggers = [logging.getLogger(n) for n in names]
    for lg in loggers:
        lg.addHandler(handler)
    return out, lambda: [lg.removeHandler(handler) for lg in loggers]


@pytest.fixture(params=["json", "plain"])
def log(request):
    formatter = (
        JsonFormatter()
        if request.param == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    out, undo = _capture(formatter, "plusone.test", "django.request")
    yield out
    undo()


def test_it_keeps_the_type_and_the_frames_but_not_the_message(log):
    try:
        raise ValueError(PHI)
    except ValueError:
        logging.getLogger("plusone.test").exception("scoring failed for sitting 42")
    text = log.getvalue()
    assert "Bob Brown" not in text and "wants to die" not in text
    assert "ValueError" in text
    assert "test_it_keeps_the_type_and_the_frames_but_not_the_message" in text
    assert "scoring failed for sitting 42" in text


def test_it_withholds_a_unique_violations_values(log):
    p = make_personas()
    # The value is computed, as stored data is: the traceback's source lines are code.
    ref = f"RV-{4400 + 71}"
    Client.objects.filter(pk=p.bob.pk).update(practice_ref=ref)
    try:
        with transaction.atomic():
            Client.objects.filter(pk=p.dave.pk).update(practice_ref=ref)
    except IntegrityError:
        logging.getLogger("plusone.test").exception("contact update failed")
    else:  # pragma: no cover - the constraint is the point
        pytest.fail("the duplicate practice id was stored")
    text = log.getvalue()
    assert "RV-4471" not in text
    assert "IntegrityError" in text


def test_it_keeps_an_operational_errors_message(log):
    try:
        raise OperationalError("database table is locked")
    except OperationalError:
        logging.getLogger("plusone.test").exception("submit failed")
    assert "database table is locked" in log.getvalue()


@override_settings(ROOT_URLCONF=__name__)
def test_a_500_logs_no_message_of_the_chain(log):
    response = HttpClient(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    text = log.getvalue()
    assert "Bob Brown" not in text and "wants to die" not in text
    assert "ValueError" in text and "KeyError" in text


def test_the_json_line_stays_one_parseable_object():
    out, undo = _capture(JsonFormatter(), "plusone.test")
    try:
        try:
            raise ValueError(PHI)
        except ValueError:
            logging.getLogger("plusone.test").exception("failed")
    finally:
        undo()
    (line,) = [json.loads(x) for x in out.getvalue().splitlines()]
    assert "ValueError" in line["exception"] and "Bob" not in line["exception"]
