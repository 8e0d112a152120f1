"""The crash test's tools: a gunicorn server in its own process group, a check-in client
that walks the real pages over HTTP, and the subprocesses that seed and check a database.

Everything here talks to a database of its own through subprocesses (the environment
``env`` names it), never through the pytest process's Django connection.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent

# The acknowledgement page's words (measures/checkin_done.html), shown only after commit.
# Not just "Your answers are saved": each group's page says "... saved as you go".
ACK_MARKER = "Your answers are saved and your therapist will see them."
# The answer to a used link (measures.views.PROBLEMS["used"]): "already received".
USED_MARKER = "This link has already been used"
PHQ9_ITEM_9 = "phq9__phq9_9"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a command in the repository with the crash database's environment."""
    return subprocess.run(
        list(args), env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


def migrate(env: dict[str, str]) -> None:
    done = run(env, str(BIN / "plusone"), "migrate", "--no-input", "-v", "0")
    assert done.returncode == 0, done.stderr[-3000:]


def seed(env: dict[str, str], count: int, tokens_file: Path) -> list[str]:
    done = run(env, str(BIN / "python"), str(HERE / "seed.py"), str(count), str(tokens_file))
    assert done.returncode == 0, done.stderr[-3000:]
    return tokens_file.read_text(encoding="utf-8").split()


def check(env: dict[str, str], expected_file: Path) -> dict[str, Any]:
    """Run tests/crash/check.py against the crash database; return its JSON report."""
    done = run(env, str(BIN / "python"), str(HERE / "check.py"), str(expected_file))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def audit_verify(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run(env, str(BIN / "plusone"), "audit", "verify", "--format", "json")


class Server:
    """gunicorn serving plusone.wsgi on a free port, in a process group of its own."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = ""

    def start(self) -> None:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "plusone.wsgi",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--threads",
                    "8",
                    "--worker-class",
                    "gthread",
                    "--timeout",
                    "120",
                    "--backlog",
                    "256",
                ],
                env=self.env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"gunicorn exited {self.proc.returncode}; see {self.log}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"gunicorn never answered /healthz; see {self.log}")

    def kill(self) -> None:
        """SIGKILL the whole process group: the arbiter and every worker, mid-write."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc = None

    def stop(self) -> None:
        """Stop politely (SIGTERM to the group), then for certain."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            self.kill()
        self.proc = None


class _Form(HTMLParser):
    """The first POST form on a page that a client answers: its action, hidden fields,
    radio options and button. The language switch in the client layout's header is a
    POST form too, and comes first; a client finishing a check-in never presses it."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.hidden: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}
        self.buttons: list[tuple[str, str]] = []
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if self._done:
            return
        if tag == "form" and "language-switch" in a.get("class", "").split():
            return
        if tag == "form" and a.get("method", "").lower() == "post":
            self._in_form = True
            self.action = a.get("action", "")
        elif self._in_form and tag == "input":
            if a.get("type") == "hidden":
                self.hidden[a["name"]] = a.get("value", "")
            elif a.get("type") == "radio":
                self.radios.setdefault(a["name"], []).append(a.get("value", ""))
        elif self._in_form and tag == "button" and a.get("name"):
            self.buttons.append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form = False
            self._done = True


@dataclass
class Outcome:
    """What one client saw: "acked", "used" (already received), or an error text."""

    token: str
    risk: int
    state: str = "not started"
    groups: list[str] = field(default_factory=list)
    requests: int = 0


class CheckinClient:
    """One client's browser: its own cookies, following redirects like a browser does."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def fetch(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body)
        try:
            with self.opener.open(request, timeout=90) as response:
                return response.status, response.geturl(), response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.geturl(), exc.read().decode("utf-8", "replace")


def complete_checkin(base: str, outcome: Outcome, stop: Any = None) -> Outcome:
    """Walk the real check-in: /c/<token> → consent (if asked) → every group → thanks.

    Each group's choice items get their first option; PHQ-9 item 9 gets ``outcome.risk``.
    ``stop`` (a threading.Event) ends the walk between requests once the server is dead.
    """
    web = CheckinClient(base)
    outcome.state = "in flight"
    outcome.groups = []
    status, url, page = web.fetch(f"/c/{outcome.token}")
    outcome.requests += 1
    for _ in range(20):
        if USED_MARKER in page:
            outcome.state = "used"
            return outcome
        if status == 200 and ACK_MARKER in page:
            outcome.state = "acked"
            return outcome
        if status != 200:
            outcome.state = f"HTTP {status} at {urllib.parse.urlsplit(url).path}"
            return outcome
        if stop is not None and stop.is_set():
            outcome.state = "stopped"
            return outcome
        form = _Form()
        form.feed(page)
        if form.action is None:
            outcome.state = f"no form at {urllib.parse.urlsplit(url).path}"
            return outcome
        data = dict(form.hidden)
        if url.endswith("/checkin/consent/"):
            data["choice"] = "agree"
        else:
            for name, values in form.radios.items():
                wanted = str(outcome.risk) if name == PHQ9_ITEM_9 else values[0]
                data[name] = wanted if wanted in values else values[0]
            if form.buttons:
                data[form.buttons[0][0]] = form.buttons[0][1]
            if data.get("group") and data["group"] not in outcome.groups:
                outcome.groups.append(data["group"])
        status, url, page = web.fetch(form.action, data)
        outcome.requests += 1
    outcome.state = "never ended"
    return outcome


_SAFE = re.compile(r"[^a-z0-9_]")


def pg_fresh_name(url: str) -> str:
    """The crash test's own database name, next to the one DATABASE_URL names."""
    name = urllib.parse.urlsplit(url).path.lstrip("/") or "plusone"
    return _SAFE.sub("_", f"{name}_crash".lower())[:63]
