"""A small check-in driver for the drills (scripts/replica-drill, scripts/migration-safety).

Kept apart on purpose: the shared load test (bench/load/, issue 15) owns the real mix of
dashboards, journeys, check-ins and observer forms. When it lands, ``run`` here can be
replaced by a call to its check-in mix; the drills need only ``prepare`` (links to submit)
and ``run`` (submit them, recording which were acknowledged and when writes were refused).

Two halves:

- ``prepare``: runs inside Django (DATABASE_URL and the PLUSONE_* settings in the
  environment): one practice, one therapist, ``--clients`` clients through the real intake
  action, and ``--links`` check-in links through the real ``issue_checkin_link``; writes their
  paths and token ids as JSON (a private temp file: the links are live tokens).
- ``run``: a real HTTP client (requests) on loopback, no Django: each thread takes a link and
  walks the check-in as a phone would (open link, consent, each group, submit), with CSRF,
  behind a pretend TLS proxy (``X-Forwarded-Proto: https``) so the prod profile serves it.
  A check-in is *acknowledged* when the final POST redirects to ``/checkin/done/``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


# Prepare (inside Django) ------------------------------------------------------------------


def prepare(links: int, clients: int, out: Path) -> None:
    """Make the practice, clients and links; write ``[{"path", "token"}]`` to ``out``."""
    import datetime as dt

    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "plusone.settings")
    import django

    django.setup()
    from django.utils import timezone

    from plusone.accounts.models import Membership, Practice, Role, User
    from plusone.clinical import actions as clinical
    from plusone.measures import actions as measures

    practice = Practice.objects.create(name="Drill practice")
    therapist = User.objects.create_user(f"drill-{time.time_ns()}@example.org", None)
    Membership.objects.create(practice=practice, user=therapist, role=Role.THERAPIST)
    people = []
    for i in range(clients):
        data = clinical.IntakeData(
            given_name="Drill",
            family_name=f"Client {i}",
            date_of_birth=dt.date(1985, 1, 1),
            email="",
            primary="phq9",
            secondary="gad7",
            prior_therapy=True,
            s2_intention="feel settled",
            goals=["first goal"],
            safety_plan="call a friend",
            consent_channels=[],
        )
        people.append(
            clinical.intake_client(
                therapist=therapist, practice=practice, data=data, today=timezone.localdate()
            )
        )
    issued = []
    for i in range(links):
        link = measures.issue_checkin_link(
            acting_user=therapist, client=people[i % clients], send_email=False
        )
        issued.append({"path": "/c/" + link.url.rsplit("/c/", 1)[1], "token": str(link.token.pk)})
    out.write_text(json.dumps(issued), encoding="utf-8")
    out.chmod(0o600)


# Run (plain HTTP) -------------------------------------------------------------------------


@dataclass
class Outcome:
    """One check-in: its token id, when it started and ended, and whether it was acked."""

    token: str
    started: float
    ended: float
    acked: bool
    submit_ms: float | None = None


@dataclass
class Run:
    """Everything a run saw. ``refusals`` are the times a request failed (connection refused,
    5xx) before its retry succeeded; a drill turns them into seconds of refused writes."""

    outcomes: list[Outcome] = field(default_factory=list)
    refusals: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acked(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.acked]

    def figures(self, since: float | None = None, until: float = float("inf")) -> dict[str, Any]:
        if since is None:
            since = min((o.started for o in self.outcomes), default=0.0)
        done = [o for o in self.acked() if since <= o.ended < until]
        submits = sorted(o.submit_ms for o in done if o.submit_ms is not None)
        span = (min(until, max((o.ended for o in done), default=since)) - since) or 1.0
        return {
            "acked": len(done),
            "per_second": round(len(done) / span, 1) if done else 0.0,
            "submit_p50_ms": round(_pct(submits, 0.50), 1) if submits else None,
            "submit_p95_ms": round(_pct(submits, 0.95), 1) if submits else None,
            "submit_p99_ms": round(_pct(submits, 0.99), 1) if submits else None,
            "submit_mean_ms": round(statistics.fmean(submits), 1) if submits else None,
        }


def _pct(values: list[float], q: float) -> float:
    k = max(0, min(len(values) - 1, round(q * (len(values) - 1))))
    return values[k]


class _Browser:
    """A phone's browser behind a TLS proxy: cookies kept by hand, since the prod profile marks
    them Secure and the loopback hop is plain HTTP."""

    def __init__(self, base: Callable[[], str]) -> None:
        import requests

        self.http = requests.Session()
        self.base = base
        self.cookies: dict[str, str] = {}

    def _headers(self) -> dict[str, str]:
        host = self.base().split("://", 1)[1]
        return {
            "X-Forwarded-Proto": "https",
            "Origin": f"https://{host}",
            "Referer": f"https://{host}/checkin/",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
        }

    def request(self, method: str, path: str, data: dict[str, str] | None = None) -> Any:
        response = self.http.request(
            method,
            self.base() + path,
            data=data,
            headers=self._headers(),
            allow_redirects=False,
            timeout=30,
        )
        for name, value in response.cookies.items():
            self.cookies[name] = value
        return response


def _group(html: str) -> str:
    found = re.search(r'name="group" value="([^"]+)"', html)
    if found is None:
        raise RuntimeError("no check-in group on the page")
    return found.group(1)


def _answers(html: str) -> dict[str, str]:
    """Each radio group's second option, except the PHQ-9 risk item (0): routine check-ins."""
    chosen: dict[str, str] = {}
    seen: dict[str, int] = {}
    for name, value in re.findall(r'type="radio" id="[^"]+" name="([^"]+)" value="([^"]+)"', html):
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == (1 if name.endswith("phq9_9") else 2):
            chosen[name] = value
    return chosen


class Refused(Exception):
    """The server did not answer, or answered 5xx: the write was refused."""


def _checked(response: Any, *expected: int) -> Any:
    if response.status_code >= 500 or response.status_code not in expected:
        raise Refused(f"{response.status_code}")
    return response


def _retrying(run: Run, deadline: float, step: Callable[[], Any]) -> Any:
    """Retry one request until it works: a phone retries; the drill counts the refusals."""
    import requests

    while True:
        try:
            return step()
        except (Refused, requests.RequestException):
            with run.lock:
                run.refusals.append(time.monotonic())
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _post(browser: _Browser, data: dict[str, str]) -> Any:
    return _checked(browser.request("POST", "/checkin/", data), 302)


def check_in(browser: _Browser, link: dict[str, str], run: Run, deadline: float) -> Outcome:
    """Walk one check-in; every request is retried on refusal until ``deadline``."""
    started = time.monotonic()
    # The prod profile names it __Host-csrftoken; dev and test, csrftoken.
    csrf = lambda: next((v for k, v in browser.cookies.items() if k.endswith("csrftoken")), "")  # noqa: E731
    _retrying(run, deadline, lambda: _checked(browser.request("GET", link["path"]), 302))
    _retrying(run, deadline, lambda: _checked(browser.request("GET", "/checkin/consent/"), 200))
    _retrying(
        run,
        deadline,
        lambda: _checked(
            browser.request(
                "POST", "/checkin/consent/", {"csrfmiddlewaretoken": csrf(), "choice": "agree"}
            ),
            302,
        ),
    )
    while True:
        page = _retrying(run, deadline, lambda: _checked(browser.request("GET", "/checkin/"), 200))
        html = page.text
        position, total = map(int, re.search(r"Part (\d+) of (\d+)", html).groups())  # type: ignore[union-attr]
        data = {"csrfmiddlewaretoken": csrf(), "group": _group(html)} | _answers(html)
        if position < total:
            _retrying(
                run,
                deadline,
                functools.partial(_post, browser, data | {"action": "next"}),
            )
            continue
        submit_started = time.perf_counter()
        final = _retrying(
            run,
            deadline,
            functools.partial(_post, browser, data | {"action": "submit"}),
        )
        submit_ms = (time.perf_counter() - submit_started) * 1000
        acked = final.headers.get("Location", "").endswith("/checkin/done/")
        return Outcome(link["token"], started, time.monotonic(), acked, submit_ms)


def run(
    links: Iterable[dict[str, str]],
    bases: list[str],
    *,
    seconds: float,
    threads: int,
    run_: Run | None = None,
    stop: threading.Event | None = None,
) -> Run:
    """Submit check-ins from ``threads`` threads, round-robin over ``bases``, for ``seconds``
    or until the links or ``stop`` run out. Pass an iterator to share links between runs: the
    ones a run did not reach are left for the next. Returns the shared :class:`Run`."""
    result = run_ or Run()
    stop = stop or threading.Event()
    pending: Iterator[dict[str, str]] = iter(links)
    take = threading.Lock()
    end = time.monotonic() + seconds

    def worker(n: int) -> None:
        base = bases[n % len(bases)]
        while not stop.is_set() and time.monotonic() < end:
            with take:
                link = next(pending, None)
            if link is None:
                return
            browser = _Browser(lambda: base)
            try:
                outcome = check_in(browser, link, result, deadline=time.monotonic() + 60)
            except Exception:
                outcome = Outcome(link["token"], time.monotonic(), time.monotonic(), False)
            with result.lock:
                result.outcomes.append(outcome)

    pool = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare", help="make clients and links (inside Django)")
    p.add_argument("--links", type=int, default=500)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("run", help="submit the links over HTTP")
    r.add_argument("--links-file", type=Path, required=True)
    r.add_argument("--base", action="append", required=True)
    r.add_argument("--seconds", type=float, default=20)
    r.add_argument("--threads", type=int, default=6)
    args = parser.parse_args(argv)
    if args.cmd == "prepare":
        prepare(args.links, args.clients, args.out)
        return 0
    links = json.loads(args.links_file.read_text(encoding="utf-8"))
    started = time.monotonic()
    result = run(links, args.base, seconds=args.seconds, threads=args.threads)
    print(json.dumps(result.figures(since=started) | {"refusals": len(result.refusals)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
