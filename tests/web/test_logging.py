"""Logs never carry tokens or query strings."""

import logging

from plusone.web.logging import RedactFilter, redact


def test_it_redacts_checkin_and_observer_tokens_from_paths():
    assert redact('"GET /c/abcDEF_123-x HTTP/1.1" 302') == '"GET /c/[redacted] HTTP/1.1" 302'
    assert redact("Not Found: /o/tok3n/") == "Not Found: /o/[redacted]/"


def test_it_drops_query_strings():
    assert redact("GET /checkin/?name=Bob HTTP/1.1") == "GET /checkin/?[redacted] HTTP/1.1"


def test_it_leaves_other_paths_alone():
    assert redact("GET /practice/caseload/ HTTP/1.1") == "GET /practice/caseload/ HTTP/1.1"


def test_it_redacts_a_formatted_log_record():
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s', ("GET /c/secret HTTP/1.1", 200), None
    )
    assert RedactFilter().filter(record)
    assert record.getMessage() == '"GET /c/[redacted] HTTP/1.1" 200'


def test_it_attaches_the_redaction_filter_to_djangos_request_loggers():
    for name in ("django.server", "django.request", "django"):
        # Only the handlers settings.LOGGING configures (pytest adds its own capture handlers).
        ours = [h for h in logging.getLogger(name).handlers if type(h) is logging.StreamHandler]
        assert ours, name
        assert all(any(isinstance(f, RedactFilter) for f in h.filters) for h in ours), name
