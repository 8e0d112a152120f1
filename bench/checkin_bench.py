"""Check-in benchmark: submit server time against a baseline, and the page's transfer size.

Usage (from the repository root)::

    .venv/bin/python bench/checkin_bench.py [--runs 200] [--json]

Runs in-process on a fresh SQLite database in a temporary directory (or the
database in ``DATABASE_URL``), through Django's full middleware stack with
CSRF checks enforced, the audit chain and field encryption on.

- "submit": the final POST of a two-group check-in (PHQ-9 and goals), which
  consumes the token, scores, stores two administrations, refreshes the
  episode summary, writes the audit chain and redirects.
- "baseline": a POST to a view that renders a one-line template, through the
  same middleware and the same CSRF check, with no database write.
- "transfer": the check-in page with its stylesheets and deferred scripts,
  each gzipped (level 6) as a server would send it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

os.environ.setdefault("PLUSONE_PROFILE", "test")
os.environ.setdefault("PLUSONE_DATA_DIR", tempfile.mkdtemp(prefix="plusone-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plusone.settings")

import django  # noqa: E402

django.setup()

from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.urls import include, path  # noqa: E402

BASELINE_TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>Baseline</title><p>Saved {{ n }}.</p>"
    '<form method="post">{% csrf_token %}<button>Save</button></form>'
)


def baseline(request: HttpRequest) -> HttpResponse:
    """The baseline: parse a small POST, render a small template. No database."""
    return HttpResponse(BASELINE_TEMPLATE.render({"n": request.POST.get("n", "")}, request))


# This module is also the URLconf: PlusOne's routes plus the baseline view.
urlpatterns = [
    path("bench/baseline/", baseline),
    path("", include("plusone.urls")),
]


def _setup_database() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _fixtures() -> tuple[Any, Any]:
    import datetime as dt

    from django.utils import timezone

    from plusone.accounts.models import Membership, Practice, Role, User
    from plusone.clinical import actions

    practice = Practice.objects.create(name="Bench practice")
    therapist = User.objects.create_user(
        f"bench-{time.time_ns()}@example.org", "bench passphrase 123"
    )
    Membership.objects.create(practice=practice, user=therapist, role=Role.THERAPIST)
    data = actions.IntakeData(
        given_name="Bench",
        family_name="Client",
        date_of_birth=dt.date(1985, 1, 1),
        email="bench@client.example",
        primary="phq9",
        secondary="gad7",
        prior_therapy=True,
        s2_intention="feel settled",
        goals=["first goal", "second goal"],
        safety_plan="call a friend",
        consent_channels=["email"],
    )
    person = actions.intake_client(
        therapist=therapist, practice=practice, data=data, today=timezone.localdate()
    )
    return therapist, person


def _csrf(web: Any) -> str:
    return str(web.cookies["csrftoken"].value)


def _group(html: str) -> str:
    """The instrument key of the group a check-in page shows."""
    found = re.search(r'name="group" value="([^"]+)"', html)
    if found is None:
        raise SystemExit("no check-in group on the page")
    return found.group(1)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def _answers(html: str) -> dict[str, str]:
    """A plausible answer for every question on a group page: each radio group's second
    option, except the PHQ-9 risk item (0), so the run measures routine check-ins."""
    chosen: dict[str, str] = {}
    seen: dict[str, int] = {}
    for name, value in re.findall(r'type="radio" id="[^"]+" name="([^"]+)" value="([^"]+)"', html):
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == (1 if name.endswith("phq9_9") else 2):
            chosen[name] = value
    return chosen


def measure_submit(runs: int, *, per_client: int = 10) -> list[float]:
    """Server time of the final POST only; each client gets ``per_client`` check-ins,
    so the episode history stays the size of a real course of therapy."""
    from django.test import Client

    from plusone.measures import actions

    times = []
    therapist, person = _fixtures()
    for run in range(runs):
        if run and run % per_client == 0:
            therapist, person = _fixtures()
        issued = actions.issue_checkin_link(acting_user=therapist, client=person, send_email=False)
        web = Client(enforce_csrf_checks=True)
        web.get(urlsplit(issued.url).path)
        # The client agrees on the consent page before the first group, as a client would.
        web.get("/checkin/consent/")
        web.post("/checkin/consent/", {"csrfmiddlewaretoken": _csrf(web), "choice": "agree"})
        while True:
            html = web.get("/checkin/").content.decode()
            position, total = map(int, re.search(r"Part (\d+) of (\d+)", html).groups())  # type: ignore[union-attr]
            data = {"csrfmiddlewaretoken": _csrf(web), "group": _group(html)}
            data |= _answers(html)
            if position < total:
                web.post("/checkin/", data | {"action": "next"})
                continue
            start = time.perf_counter()
            response = web.post("/checkin/", data | {"action": "submit"})
            times.append((time.perf_counter() - start) * 1000)
            break
        if response.status_code != 302 or not response["Location"].endswith("/checkin/done/"):
            raise SystemExit(f"submit failed: {response.status_code} {response.get('Location')}")
    return times


def measure_baseline(runs: int) -> list[float]:
    from django.test import Client

    web = Client(enforce_csrf_checks=True)
    # The baseline's GET renders its form, which sets the CSRF cookie.
    web.get("/bench/baseline/")
    times = []
    for i in range(runs):
        start = time.perf_counter()
        response = web.post("/bench/baseline/", {"csrfmiddlewaretoken": _csrf(web), "n": str(i)})
        times.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"baseline failed: {response.status_code}")
    return times


def measure_transfer() -> dict[str, Any]:
    """Gzipped bytes of the first check-in page and everything it loads; blocking scripts."""
    from django.contrib.staticfiles import finders
    from django.test import Client

    from plusone.measures import actions

    therapist, person = _fixtures()
    issued = actions.issue_checkin_link(acting_user=therapist, client=person, send_email=False)
    web = Client()
    web.get(urlsplit(issued.url).path)
    web.post("/checkin/consent/", {"choice": "agree"})
    html = web.get("/checkin/").content
    parts = {"html": len(gzip.compress(html, 6))}
    text = html.decode()
    for url in re.findall(r'(?:href|src)="(/static/[^"]+)"', text):
        found = finders.find(url.removeprefix("/static/"))
        if found:
            parts[url] = len(gzip.compress(Path(str(found)).read_bytes(), 6))
    scripts = re.findall(r"<script\b[^>]*>", text)
    blocking = [
        s for s in scripts if "defer" not in s and "async" not in s and 'type="module"' not in s
    ]
    return {
        "total_bytes": sum(parts.values()),
        "parts": parts,
        "blocking_scripts": len(blocking),
        "scripts": len(scripts),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    from django.test.utils import override_settings

    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"]):
        _setup_database()
        # Warm-up: first-request imports and template compilation are not what we measure.
        measure_submit(3)
        measure_baseline(20)
        submit = measure_submit(args.runs)
        base = measure_baseline(args.runs)
        transfer = measure_transfer()
    result = {
        "database": django.db.connection.vendor,
        "runs": args.runs,
        "submit_ms": {"median": statistics.median(submit), "p95": _percentile(submit, 0.95)},
        "baseline_ms": {"median": statistics.median(base), "p95": _percentile(base, 0.95)},
        "transfer": transfer,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"database: {result['database']}, runs: {args.runs}")
    print(f"{'':10} {'median ms':>10} {'p95 ms':>10}")
    for name in ("submit", "baseline"):
        row = result[f"{name}_ms"]
        print(f"{name:10} {row['median']:10.1f} {row['p95']:10.1f}")
    kb = transfer["total_bytes"] / 1024
    print(f"check-in page, gzipped with its CSS and JS: {kb:.1f} KB (target < 50 KB)")
    print(f"blocking scripts: {transfer['blocking_scripts']} of {transfer['scripts']}")
    for part, size in transfer["parts"].items():
        print(f"  {part}: {size} B")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
