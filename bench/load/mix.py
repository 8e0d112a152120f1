"""The load test's HTTP mix, a real client on loopback: therapists load their caseload
dashboard and a client's journey; clients open an issued check-in link and answer it page by
page; observers open their link and send the form. Every request goes over ``http.client``
keep-alive connections with the cookies and the CSRF token a browser would send, behind the
headers a TLS proxy adds (``X-Forwarded-Proto: https``), so the prod profile's secure cookies,
HTTPS redirect and CSRF origin checks all apply.

Importable (the replica drill reuses it)::

    from load.mix import Plan, run_mix
    result = run_mix("http://127.0.0.1:8765", Plan.read(path), seconds=30)
    result.acknowledged_checkins   # token ids whose submit was acknowledged (302 to done)

:func:`prepare_plan` (needs Django set up on the same database) issues the links and signs the
therapists in; the plan is plain JSON so the mix can run in another process.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import resource
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

RADIO = re.compile(r'type="radio"[^>]*?name="([^"]+)"[^>]*?value="([^"]+)"')
GROUP = re.compile(r'name="group" value="([^"]+)"')
PART = re.compile(r"Part (\d+) of (\d+)")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Unexpected(Exception):
    """A response the flow did not expect (counted as an error once: ``counted`` when the
    request itself already counted it)."""

    def __init__(self, message: str, *, counted: bool = False) -> None:
        super().__init__(message)
        self.counted = counted


@dataclass
class Plan:
    """What the mix needs: raw links with their token ids, and signed-in therapists."""

    checkins: list[tuple[str, str]]  # (raw token, token id)
    observers: list[tuple[str, str]]
    therapists: list[dict[str, Any]]  # {"cookie": "name=value", "episodes": [uuid, ...]}

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__))
        path.chmod(0o600)

    @classmethod
    def read(cls, path: Path) -> Plan:
        data = json.loads(path.read_text())
        return cls(
            [tuple(x) for x in data["checkins"]],  # type: ignore[misc]
            [tuple(x) for x in data["observers"]],  # type: ignore[misc]
            data["therapists"],
        )


@dataclass
class Result:
    seconds: float
    requests: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    acknowledged_checkins: list[str] = field(default_factory=list)
    acknowledged_observers: list[str] = field(default_factory=list)
    cpu_seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        routes = {}
        for route, values in sorted(self.timings.items()):
            ordered = sorted(values)
            routes[route] = {
                "n": len(ordered),
                "p50": _pct(ordered, 0.50),
                "p95": _pct(ordered, 0.95),
                "p99": _pct(ordered, 0.99),
            }
        return {
            "seconds": round(self.seconds, 2),
            "requests": self.requests,
            "requests_per_s": round(self.requests / self.seconds, 1) if self.seconds else 0,
            "checkins_acknowledged": len(self.acknowledged_checkins),
            "checkins_per_s": round(len(self.acknowledged_checkins) / self.seconds, 1)
            if self.seconds
            else 0,
            "observers_acknowledged": len(self.acknowledged_observers),
            "errors": self.errors,
            "error_rate": round(self.errors / self.requests, 4) if self.requests else 0,
            "error_samples": self.error_samples[:5],
            "generator_cpu_s": round(self.cpu_seconds, 2),
            "generator_cpu_share": round(self.cpu_seconds / self.seconds, 2) if self.seconds else 0,
            "routes_ms": routes,
        }


def _pct(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return round(ordered[k], 1)


class Browser:
    """One person's browser: a keep-alive connection, a cookie jar, CSRF as a form sends it."""

    def __init__(self, base_url: str, result: Result, lock: threading.Lock) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.origin = f"https://{self.host}:{self.port}"
        self.cookies: dict[str, str] = {}
        self.result, self.lock = result, lock
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def request(
        self, method: str, path: str, route: str, form: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        headers = {
            "Host": f"{self.host}:{self.port}",
            "X-Forwarded-Proto": "https",
            "User-Agent": "plusone-load/1",
            "Accept": "text/html",
        }
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self._count(route, time.perf_counter() - started, f"{route}: {exc!r}")
            raise Unexpected(str(exc), counted=True) from exc
        elapsed = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        status = response.status
        self._count(route, elapsed, None if status < 400 else f"{route}: HTTP {status}")
        if status >= 400:
            raise Unexpected(f"{route}: HTTP {status}", counted=True)
        return status, response.getheader("Location") or "", text

    def _count(self, route: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.result.requests += 1
            self.result.timings[route].append(seconds * 1000)
            if error:
                self.result.errors += 1
                self.result.error_samples.append(error)

    def flow_error(self, message: str) -> None:
        """A flow that went wrong on a page that answered 2xx/3xx."""
        with self.lock:
            self.result.errors += 1
            self.result.error_samples.append(message)

    def csrf(self, html: str) -> str:
        found = CSRF_INPUT.search(html)
        if found is None:
            raise Unexpected("no CSRF token on the page")
        return found.group(1)

    def close(self) -> None:
        self.conn.close()


def answers(html: str, *, rng: random.Random) -> dict[str, str]:
    """A plausible answer for every radio group on a page; the PHQ-9 risk item always 0
    (routine check-ins: a flag would page a therapist)."""
    options: dict[str, list[str]] = defaultdict(list)
    for name, value in RADIO.findall(html):
        options[name].append(value)
    return {
        name: values[0]
        if name.endswith("phq9_9")
        else rng.choice(values[: max(1, len(values) // 2 + 1)])
        for name, values in options.items()
    }


def checkin(browser: Browser, raw: str, rng: random.Random) -> bool:
    """Open the link and answer every part, following redirects as a browser does; True when
    the submit is acknowledged (302 to the done page)."""
    _, location, _ = browser.request("GET", f"/c/{raw}", "GET /c/<token>")
    for _ in range(16):
        path = urlsplit(location).path if location else "/checkin/"
        if path.endswith("/checkin/done/"):
            return True
        if path.endswith("/checkin/consent/"):
            _, _, page = browser.request("GET", path, "GET /checkin/consent/")
            _, location, _ = browser.request(
                "POST",
                path,
                "POST /checkin/consent/",
                {"csrfmiddlewaretoken": browser.csrf(page), "choice": "agree"},
            )
            continue
        status, location, page = browser.request("GET", path, "GET /checkin/")
        if status == 302:
            continue
        part, group = PART.search(page), GROUP.search(page)
        if part is None or group is None:
            raise Unexpected(f"{path}: a page without a check-in part")
        last = int(part.group(1)) >= int(part.group(2))
        form = {"csrfmiddlewaretoken": browser.csrf(page), "group": group.group(1)}
        form |= answers(page, rng=rng)
        form["action"] = "submit" if last else "next"
        route = "POST /checkin/ (submit)" if last else "POST /checkin/ (next)"
        status, location, _ = browser.request("POST", "/checkin/", route, form)
        if last:
            if status == 302 and urlsplit(location).path.endswith("/checkin/done/"):
                return True
            raise Unexpected(f"submit answered {status} {location}")
        if status != 302:
            raise Unexpected(f"next answered {status}")
    raise Unexpected("check-in did not finish in 16 pages")


def observe(browser: Browser, raw: str, rng: random.Random) -> bool:
    """Open an observer link and send the form; True when acknowledged."""
    _, location, _ = browser.request("GET", f"/o/{raw}", "GET /o/<token>")
    _, _, page = browser.request("GET", "/observer/", "GET /observer/")
    form = {"csrfmiddlewaretoken": browser.csrf(page), "adult": "on", "text": ""}
    form |= answers(page, rng=rng)
    status, location, _ = browser.request("POST", "/observer/", "POST /observer/", form)
    if status == 302 and urlsplit(location).path.endswith("/observer/done/"):
        return True
    raise Unexpected(f"observer form answered {status} {location}")


def run_mix(
    base_url: str,
    plan: Plan,
    *,
    seconds: float,
    max_requests: int = 1_000_000,
    checkin_users: int = 12,
    observer_users: int = 2,
    therapist_users: int = 4,
    seed: int = 15,
    stop: threading.Event | None = None,
) -> Result:
    """Run the mix for at most ``seconds`` and ``max_requests``; return what happened.

    Closed loop: each simulated person starts the next flow as soon as the last ends.
    Check-in and observer links are each used once; when they run out those users stop.
    Setting ``stop`` ends the run early (each person finishes the flow in hand).
    """
    result = Result(seconds=0.0)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    checkins, observers = list(plan.checkins), list(plan.observers)

    def more() -> bool:
        if stop is not None and stop.is_set():
            return False
        return time.monotonic() < deadline and result.requests < max_requests

    def take(pool: list[tuple[str, str]]) -> tuple[str, str] | None:
        with lock:
            return pool.pop() if pool else None

    def link_user(i: int, pool: list[tuple[str, str]], flow: Any, acked: list[str]) -> None:
        rng = random.Random(seed * 1000 + i)
        while more():
            link = take(pool)
            if link is None:
                return
            # A new person for every link: fresh cookies, as a client's own phone would be.
            browser = Browser(base_url, result, lock)
            try:
                if flow(browser, link[0], rng):
                    with lock:
                        acked.append(link[1])
            except Unexpected as exc:
                if not exc.counted:
                    browser.flow_error(str(exc))
            finally:
                browser.close()

    def therapist_user(i: int) -> None:
        rng = random.Random(seed * 2000 + i)
        who = plan.therapists[i % len(plan.therapists)]
        browser = Browser(base_url, result, lock)
        name, _, value = who["cookie"].partition("=")
        browser.cookies[name] = value
        try:
            while more():
                try:
                    browser.request("GET", "/practice/caseload/", "GET /caseload/ (dashboard)")
                    episode = rng.choice(who["episodes"])
                    browser.request("GET", f"/practice/episodes/{episode}/journey/", "GET journey")
                except Unexpected:
                    pass
        finally:
            browser.close()

    threads = [
        threading.Thread(
            target=link_user, args=(i, checkins, checkin, result.acknowledged_checkins)
        )
        for i in range(checkin_users)
    ]
    threads += [
        threading.Thread(
            target=link_user, args=(i, observers, observe, result.acknowledged_observers)
        )
        for i in range(observer_users)
    ]
    if plan.therapists:
        threads += [
            threading.Thread(target=therapist_user, args=(i,)) for i in range(therapist_users)
        ]
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = resource.getrusage(resource.RUSAGE_SELF)
    result.seconds = time.monotonic() - started
    result.cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result


def prepare_plan(*, checkins: int, observers: int, therapists: int) -> Plan:
    """Issue ``checkins`` check-in links over the live caseloads (through the real action,
    audited), ``observers`` observer links, and sign in ``therapists`` therapists with
    password and TOTP recorded in their session, as allauth does. Needs Django set up."""
    import datetime as dt

    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    from plusone import tokens
    from plusone.accounts.models import User
    from plusone.clinical.models import Client, Episode
    from plusone.measures.actions import issue_checkin_link
    from plusone.observers.models import Observer, ObserverLink
    from plusone.web.sessions import SEEN_AT, SIGNED_IN_AT

    live = list(User.objects.filter(email__startswith="live").order_by("email"))
    people = list(
        Client.objects.filter(therapist__in=live, observers_enabled=True).select_related(
            "therapist", "practice"
        )
    )
    links = []
    for i in range(checkins):
        person = people[i % len(people)]
        issued = issue_checkin_link(acting_user=person.therapist, client=person, send_email=False)
        links.append(
            (urlsplit(issued.url).path.split("/c/", 1)[1].strip("/"), str(issued.token.pk))
        )
    observed = []
    by_client = {o.client_id: o for o in Observer.objects.filter(client__in=people)}
    for i in range(observers):
        person = people[(i * 7) % len(people)]
        raw, token = tokens.issue(
            "observer",
            practice=person.practice,
            client=person,
            episode=Episode.objects.get(client=person, status=Episode.Status.OPEN),
            ttl=dt.timedelta(days=14),
        )
        ObserverLink.objects.create(token_id=token.pk, observer=by_client[person.pk])
        observed.append((raw, str(token.pk)))
    signed_in = []
    for user in live[:therapists]:
        session = SessionStore()
        request = RequestFactory().get("/")
        request.session = session
        request.user = user
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        record_authentication(request, user, "password", email=user.email)
        record_authentication(request, user, "mfa", id=authenticator.pk, type="totp")
        # What the sign-in signal stamps (plusone.web.sessions): signed in now, seen now.
        session[SIGNED_IN_AT] = session[SEEN_AT] = time.time()
        session.save()
        episodes = [
            str(e)
            for e in Episode.objects.filter(
                client__therapist=user, status=Episode.Status.OPEN
            ).values_list("pk", flat=True)[:80]
        ]
        signed_in.append(
            {
                "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
                "episodes": episodes,
            }
        )
    return Plan(links, observed, signed_in)
