"""Load the demo practice into the current database, once.

:func:`load_demo` builds the practice "Riverside Psychotherapy (demo)" with the
staff personas of STYLE.md (alice and charlie, therapists; erin, admin and
privacy officer; sam, supervisor) and about 25 synthetic clients from
``plusone.analytics.synth`` (fixed seed), mapped into real rows: intake
(client, episode, goals, safety plan, plan, consents), attended weekly
sessions ending near today, administrations scored by ``plusone.core.scoring``,
the generator's phase decisions, supervision consents, and the episode
summaries refreshed by the check-in app's ``refresh_summary``.

Writes go through the apps' actions where they exist (``intake_client``,
``record_decision``, ``log_rupture_event``, ``open_flag``,
``acknowledge_flag``, ``issue_checkin_link``, ``submit_checkin``,
``refresh_summary``, ``update_summary``). Sessions, supervision consents,
sittings and historical administrations have no action yet: they are bulk-inserted for
speed, and each insert records an audit event naming every row it wrote. The
one open risk flag is opened by a real check-in through ``submit_checkin``,
the door a client's answers use.

Running it again finds the practice by its fixed id and changes nothing.

One module on purpose, though long: it is one story told in order (practice,
staff, clients, sessions, check-ins, decisions, the one flag), and each step
hands the next the rows it made; split, the steps would pass a context object
between files for no reader's gain.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import unicodedata
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from plusone import audit
from plusone.accounts.models import Membership, Practice, User
from plusone.analytics import synth
from plusone.clinical import actions as clinical
from plusone.clinical.actions import CONSENT_VERSION
from plusone.clinical.models import Client, Consent, Session
from plusone.core.instruments import load_instrument
from plusone.core.scoring import score
from plusone.custodian import actions as custodian
from plusone.custodian.models import LegalBasis
from plusone.demo import words
from plusone.demo.logins import (
    PERSONAS,
    logins_path,
    new_password,
    read_passwords,
    write_logins,
)
from plusone.insights.decisions import DecisionData, record_decision
from plusone.measures.actions import issue_checkin_link, refresh_summary, submit_checkin
from plusone.measures.administrations import scored_administration
from plusone.measures.models import Administration, Context, Sitting, SittingKind, SittingStatus
from plusone.rights import actions as rights
from plusone.rights.models import HowReceived

DEMO_PRACTICE_ID = uuid.UUID("5e1f0d3a-0de0-4c1e-9a11-000000000001")
DEMO_PRACTICE_NAME = "Riverside Psychotherapy (demo)"
SEED = 3
N_CLIENTS = 25
TORONTO = ZoneInfo("America/Toronto")
SESSION_MINUTES = 50
# Every 8th session is a review (DESIGN.md: review_every = 8).
REVIEW_EVERY = 8
# Instruments answered at the end of the session, in their own sitting.
END_OF_SESSION = frozenset({"session_reflection"})
# Therapist clients: charlie gets a few, so his caseload is his own and Alice's stays full.
CHARLIE_SHARE = 4


@dataclass
class Visit:
    """One session of a synthetic client: its date, number, agreed phase and answers."""

    day: dt.date
    session: int
    phase: str | None
    # instrument key -> item id -> answer
    answers: dict[str, dict[str, int | str | None]] = field(default_factory=dict)


@dataclass
class DemoClient:
    """One synthetic client from the generator, before it becomes rows."""

    key: str
    trajectory: str
    primary: str
    prior_therapy: bool
    visits: list[Visit]
    # The generator's truth: (expected proposal or alert, from session).
    truth: list[tuple[str, int]] = field(default_factory=list)
    # "door", "new", "threshold" or "" (see _special_stages).
    stage: str = ""

    def truth_session(self, expect: str) -> int | None:
        found = [s for e, s in self.truth if e == expect]
        return found[0] if found else None


@dataclass(frozen=True)
class LoadResult:
    """What :func:`load_demo` did. ``created`` is False when the demo was there already."""

    practice: Any
    created: bool
    passwords: dict[str, str]
    logins_file: Path
    clients: int
    seconds: float
    passwords_reset: bool = False


def demo_practice() -> Any:
    """The demo practice, or None when this database has none."""

    return Practice.objects.filter(pk=DEMO_PRACTICE_ID).first()


def load_demo(*, data_dir: Path, today: dt.date | None = None) -> LoadResult:
    """Load the demo practice unless it exists; return its logins either way.

    Passwords are read from ``data_dir``/demo-logins.txt, or generated and
    written there (mode 0600) first, so a failed load can be retried with the
    same passwords. The load is one transaction: it lands whole or not at all.
    """
    started = time.monotonic()
    existing = demo_practice()
    passwords = read_passwords(data_dir)
    missing = [p.username for p in PERSONAS if p.username not in passwords]
    if existing is not None:
        reset = False
        if missing:
            # The logins file was lost: set new passwords so the printed logins work.
            passwords = _reset_passwords(existing, passwords, missing)
            reset = True
        path = write_logins(data_dir, passwords) if reset else logins_path(data_dir)
        count = _client_count(existing)
        return LoadResult(existing, False, passwords, path, count, 0.0, passwords_reset=reset)

    for username in missing:
        passwords[username] = new_password()
    path = write_logins(data_dir, passwords)
    today = today or timezone.localdate()
    clients = synth_clients(today=today)
    with transaction.atomic():
        practice = _load(clients, passwords=passwords, today=today)
    return LoadResult(practice, True, passwords, path, len(clients), time.monotonic() - started)


def _client_count(practice: Any) -> int:

    return Client.objects.filter(practice=practice).count()


def _reset_passwords(
    practice: Any, passwords: dict[str, str], missing: Sequence[str]
) -> dict[str, str]:

    out = dict(passwords)
    with transaction.atomic():
        for persona in PERSONAS:
            if persona.username not in missing:
                continue
            user = User.objects.filter(email=persona.email, memberships__practice=practice).first()
            if user is None:
                continue
            out[persona.username] = new_password()
            user.set_password(out[persona.username])
            user.save(update_fields=["password"])
            audit.record(
                practice=practice,
                actor=None,
                action="demo.password_reset",
                target_type="accounts.user",
                target_id=user.pk,
            )
    return out


# The generator --------------------------------------------------------------------------


def synth_clients(*, today: dt.date) -> list[DemoClient]:
    """The generator's caseload (fixed seed), each client seen at a stage of their therapy.

    A real caseload has clients at every stage, so each client's series is cut
    after the session where the generator's story shows (see :func:`_cut`);
    the cut keeps the generator's own scores and decisions up to then. Each
    client's calendar keeps its own spacing and is shifted as a whole so its
    last session falls in the week before ``today``.
    """
    clients = _from_generator(N_CLIENTS, SEED)
    rng = _rng()
    special = _special_stages(clients)
    for demo in clients:
        demo.stage = special.get(demo.key, "")
        cut = _cut(demo, rng)
        demo.visits = demo.visits[:cut]
        lag = 1 if demo.stage == "door" else rng.randint(1, 6)
        shift = (today - dt.timedelta(days=lag)) - demo.visits[-1].day
        for visit in demo.visits:
            visit.day = visit.day + shift
    return clients


def _rng() -> random.Random:
    # Reproducible synthetic data, never a secret: the passwords use secrets.
    return random.Random(SEED)  # noqa: S311


# (trajectory, stage): the generator's later clients of a trajectory shown at a chosen moment.
STAGES = (
    ("plateau", "new"),
    ("deepens", "threshold"),
    ("deepens", "consolidating_due"),
    ("good_enough", "ending_due"),
    ("spike", "spike_due"),
)
# A "due" stage shows the client one session after the generator says the proposal is due,
# before the generator's own decision answers it.
DUE = {
    "consolidating_due": "consolidating",
    "ending_due": "good_enough_ending",
    "spike_due": "spike_exit",
}


def _special_stages(clients: Sequence[DemoClient]) -> dict[str, str]:
    """Pick the clients shown at a particular moment, so every phase and proposal appears.

    - "door": the "risk" client whose risk answer comes latest; its series ends
      with that check-in, which goes through ``submit_checkin`` and opens the flag;
    - "new": a "plateau" client seen after intake only (no phase agreed yet);
    - "threshold": a "deepens" client seen when the +1 threshold was agreed;
    - "…_due": a client seen while a proposal is due and not yet answered.

    Stages go to the last clients of a trajectory and always leave its first one as it is.
    """
    out: dict[str, str] = {}
    risky = [(c.truth_session("risk"), c.key) for c in clients if c.trajectory == "risk"]
    risky = [(s, k) for s, k in risky if s is not None]
    if risky:
        out[max(risky)[1]] = "door"
    for trajectory, stage in STAGES:
        same = [c.key for c in clients if c.trajectory == trajectory]
        free = [k for k in same[1:] if k not in out]
        if free:
            out[free[-1]] = stage
    return out


def _cut(demo: DemoClient, rng: random.Random) -> int:
    """How many of the generator's sessions to show for this client."""
    n = len(demo.visits)
    decided = [
        i + 1
        for i, v in enumerate(demo.visits)
        if v.phase and (i == 0 or v.phase != demo.visits[i - 1].phase)
    ]
    if demo.stage == "door":
        return demo.truth_session("risk") or n
    if demo.stage == "new":
        return 1
    if demo.stage == "threshold":
        agreed = [i + 1 for i, v in enumerate(demo.visits) if v.phase == "plus_one"]
        return agreed[0] if agreed else n
    due = demo.truth_session(DUE.get(demo.stage, ""))
    if due is not None:
        answered = [s for s in decided if s > due]
        return min(due + 1, answered[0] - 1 if answered else n, n)
    if demo.trajectory == "rupture":
        # The rupture rule reads the latest Session Reflection: show the client right after it.
        return demo.truth_session("possible_rupture") or n
    story = max([*decided, *(s for _, s in demo.truth)], default=n)
    lo = min(max(story, 2), n)
    return rng.randint(lo, min(n, lo + 4))


def _from_generator(n: int, seed: int) -> list[DemoClient]:
    """Run ``plusone.analytics.synth`` and turn its analyze-schema rows into clients.

    Item columns map in order onto the instrument's items; a row with a total
    and no items (SWLS) gets answers that add up to that total, scored like
    any other.
    """

    made = list(synth.generate_rows(n, seed))
    clients: dict[str, DemoClient] = {}
    for row in (dict(zip(synth.TRUTH_HEADER, t, strict=True)) for c in made for t in c.truth):
        demo = clients.setdefault(
            row["client"], DemoClient(row["client"], row["trajectory"], "", False, [])
        )
        if row.get("from_session"):
            demo.truth.append((row["expect"], int(row["from_session"])))
    visits: dict[tuple[str, int], Visit] = {}
    for row in (dict(zip(synth.HEADER, r, strict=True)) for c in made for r in c.rows):
        key = row["client"]
        demo = clients.setdefault(key, DemoClient(key, "", "", False, []))
        demo.primary = row["primary"]
        demo.prior_therapy = row["prior_therapy"].strip().lower() in ("yes", "true", "1")
        number = int(row["session"])
        visit = visits.get((key, number))
        if visit is None:
            visit = Visit(dt.date.fromisoformat(row["date"]), number, row["phase"] or None)
            visits[(key, number)] = visit
            demo.visits.append(visit)
        answers = _answers(row)
        if answers is not None:
            visit.answers[row["instrument"]] = answers
    for demo in clients.values():
        demo.visits.sort(key=lambda v: (v.day, v.session))
    return [c for c in clients.values() if c.visits]


def _answers(row: Mapping[str, str]) -> dict[str, int | str | None] | None:
    """The row's answers keyed by item id, or None when it cannot be turned into answers."""

    instrument = load_instrument(row["instrument"])
    ids = [item.id for item in instrument.items if item.kind != "text"]
    values = [row.get(f"item{i}", "") for i in range(1, len(ids) + 1)]
    answers: dict[str, int | str | None] = {
        item_id: int(float(v)) for item_id, v in zip(ids, values, strict=True) if v.strip()
    }
    if answers:
        return answers
    if row.get("total", "").strip():
        return _answers_for_total(instrument, float(row["total"]))
    return None


def _answers_for_total(instrument: Any, total: float) -> dict[str, int | str | None] | None:
    """Whole-number answers, spread as evenly as the options allow, that score to ``total``.

    Returns None when scoring them does not give ``total`` back (e.g. reverse keys).
    """

    items = [item for item in instrument.items if item.kind != "text" and item.options]
    lows = [min(o.value for o in item.options) for item in items]
    highs = [max(o.value for o in item.options) for item in items]
    rest = round(total) - sum(lows)
    values = list(lows)
    i = 0
    while rest > 0 and any(v < h for v, h in zip(values, highs, strict=True)):
        if values[i % len(items)] < highs[i % len(items)]:
            values[i % len(items)] += 1
            rest -= 1
        i += 1
    answers: dict[str, int | str | None] = {
        item.id: v for item, v in zip(items, values, strict=True)
    }
    result = score(instrument, answers)
    return answers if result.total == total else None


# Rows -----------------------------------------------------------------------------------


@dataclass
class _Ctx:
    practice: Any
    staff: dict[str, Any]
    today: dt.date
    rng: random.Random
    instruments: dict[str, Any] = field(default_factory=dict)

    def instrument(self, key: str) -> Any:

        if key not in self.instruments:
            self.instruments[key] = load_instrument(key)
        return self.instruments[key]


def _load(clients: Sequence[DemoClient], *, passwords: Mapping[str, str], today: dt.date) -> Any:

    practice = Practice.objects.create(id=DEMO_PRACTICE_ID, name=DEMO_PRACTICE_NAME)
    audit.record(
        practice=practice,
        actor=None,
        action="demo.load",
        target_type="accounts.practice",
        target_id=practice.pk,
        detail={"seed": SEED, "clients": len(clients)},
    )
    staff = {p.username: _staff_user(practice, p, passwords[p.username]) for p in PERSONAS}
    ctx = _Ctx(practice=practice, staff=staff, today=today, rng=_rng())
    flag_key = _flag_client_key(clients, ctx)
    charlie_keys = _charlie_keys(clients, flag_key)
    names = _names(len(clients), ctx.rng)
    for index, demo in enumerate(clients):
        therapist = staff["charlie"] if demo.key in charlie_keys else staff["alice"]
        _load_client(
            ctx,
            demo,
            index=index,
            name=names[index],
            therapist=therapist,
            door=demo.key == flag_key,
        )
    _privacy_office(ctx)
    return practice


def _privacy_office(ctx: _Ctx) -> None:
    """One open access request near its 30-day clock and one logged referral, through the
    real actions, so Erin's home and Alice's caseload show what the privacy work looks like."""

    alice, erin = ctx.staff["alice"], ctx.staff["erin"]
    first = Client.objects.filter(practice=ctx.practice, therapist=alice).order_by("pk").first()
    if first is None:
        return
    rights.record_access_request(
        user=erin,
        client=first,
        received_on=ctx.today - dt.timedelta(days=25),
        how_received=HowReceived.EMAIL,
        asked_for="A copy of everything you hold about me, including session notes.",
        today=ctx.today,
    )
    custodian.record_disclosure(
        user=alice,
        client=first,
        data=custodian.DisclosureData(
            recipient_name="Dr. Demo Physician",
            recipient_organisation="Family health team (demo)",
            legal_basis=LegalBasis.REFERRAL,
            legal_basis_other="",
            content="Referral letter: reason for referral and current measures.",
            disclosed_on=ctx.today - dt.timedelta(days=10),
        ),
    )


def _staff_user(practice: Any, persona: Any, password: str) -> Any:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = User.objects.filter(email=persona.email).first()
    if user is None:
        user = User.objects.create_user(
            persona.email, password, first_name=persona.first_name, last_name=persona.family_name
        )
    else:
        user.set_password(password)
        user.save(update_fields=["password"])
    for role in persona.roles:
        Membership.objects.get_or_create(practice=practice, user=user, role=role)
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        # Generated here, stored only as allauth stores it (through the MFA adapter's encrypt).
        authenticator = TOTP.activate(user, generate_totp_secret()).instance
    audit.record(
        practice=practice,
        actor=None,
        action="user.create",
        target_type="accounts.user",
        target_id=user.pk,
        detail={"roles": list(persona.roles)},
    )
    audit.record(
        practice=practice,
        actor=None,
        action="mfa.totp_activate",
        target_type="mfa.authenticator",
        target_id=authenticator.pk,
        detail={"user": user.pk},
    )
    return user


def _risk_grade(ctx: _Ctx, answers: Mapping[str, Mapping[str, Any]]) -> int:

    grade = 0
    for key, given in answers.items():
        grade = max(grade, score(ctx.instrument(key), given).risk_grade)
    return grade


def _flag_client_key(clients: Sequence[DemoClient], ctx: _Ctx) -> str | None:
    """The "door" client, when its last check-in carries a risk answer: it opens the open flag.

    Other risk answers in the history are opened and acknowledged, so exactly
    one flag stays open.
    """
    for c in clients:
        if c.stage == "door" and _risk_grade(ctx, _pre_session(c.visits[-1].answers)) > 0:
            return c.key
    return None


def _charlie_keys(clients: Sequence[DemoClient], flag_key: str | None) -> set[str]:
    """A few clients for charlie, from trajectories Alice keeps too, so hers covers them all."""
    seen: dict[str, int] = {}
    for c in clients:
        if not c.stage:
            seen[c.trajectory] = seen.get(c.trajectory, 0) + 1
    keys: set[str] = set()
    for c in reversed(clients):
        if len(keys) >= CHARLIE_SHARE:
            break
        if c.key != flag_key and not c.stage and seen[c.trajectory] > 1:
            keys.add(c.key)
            seen[c.trajectory] -= 1
    return keys


def _names(n: int, rng: random.Random) -> list[tuple[str, str]]:
    given = list(words.GIVEN_NAMES)
    family = list(words.FAMILY_NAMES)
    rng.shuffle(given)
    rng.shuffle(family)
    return [(given[i % len(given)], family[i % len(family)]) for i in range(n)]


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _pre_session(answers: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answers.items() if k not in END_OF_SESSION}


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TORONTO)


def _load_client(
    ctx: _Ctx,
    demo: DemoClient,
    *,
    index: int,
    name: tuple[str, str],
    therapist: Any,
    door: bool,
) -> None:

    rng = ctx.rng
    given, family = name
    first_day = demo.visits[0].day
    age = rng.randint(24, 66)
    born = dt.date(first_day.year - age, rng.randint(1, 12), rng.randint(1, 28))
    goal_count = _goal_count(demo)
    goal_sets = [g for g in words.GOAL_SETS if len(g) >= goal_count] or list(words.GOAL_SETS)
    goals = rng.choice(goal_sets)[: max(goal_count, 1)]
    secondary = "gad7" if demo.primary != "gad7" else "phq9"
    data = clinical.IntakeData(
        given_name=given,
        family_name=family,
        date_of_birth=born,
        email=f"{_ascii(given)}.{_ascii(family)}@client.example",
        primary=demo.primary,
        secondary=secondary,
        prior_therapy=demo.prior_therapy,
        s2_intention=words.S2_INTENTIONS[index % len(words.S2_INTENTIONS)],
        goals=goals,
        safety_plan=words.SAFETY_PLAN,
        consent_channels=["email"],
        # The practice's own id, as a booking system would give it: what imports match on.
        practice_ref=f"RV-{index + 1:04d}",
    )
    client = clinical.intake_client(
        therapist=therapist, practice=ctx.practice, data=data, today=first_day
    )
    episode = client.episodes.get()
    # A regular weekly slot: one hour between 9:00 and 17:00, the same each week.
    hour = 9 + index % 9
    _supervision_consent(ctx, client, therapist, index=index, at=_local(first_day, hour))
    sessions = _sessions(ctx, episode, demo, hour=hour)
    _decisions(ctx, episode, demo, therapist, index)
    last = len(demo.visits) - 1
    for i, (visit, session) in enumerate(zip(demo.visits, sessions, strict=False)):
        if door and i == last:
            _checkin_through_the_door(ctx, client, session, visit, therapist)
            _store_visit(ctx, episode, session, visit, therapist, only=END_OF_SESSION)
        else:
            _store_visit(ctx, episode, session, visit, therapist)
    if demo.trajectory == "rupture":
        # The therapist noticed it too: logged in the relationship lane, beside the reflection.
        clinical.log_rupture_event(
            user=therapist,
            session=sessions[len(demo.visits) - 1],
            kind="rupture",
            note=words.RUPTURE_NOTE,
        )
    refresh_summary(episode, today=ctx.today)
    attended = [s for s in sessions if s.status == "attended"]
    upcoming = [s for s in sessions if s.status == "scheduled"]
    clinical.update_summary(
        episode,
        last_session_at=attended[-1].starts_at if attended else None,
        next_session_at=upcoming[0].starts_at if upcoming else None,
    )
    audit.record(
        practice=ctx.practice,
        actor=None,
        action="demo.episode_loaded",
        target_type="clinical.episode",
        target_id=episode.pk,
        detail={"sessions": len(attended), "trajectory": demo.trajectory},
    )


def _goal_count(demo: DemoClient) -> int:
    ids: set[str] = set()
    for visit in demo.visits:
        for item, value in visit.answers.get("personal_goals", {}).items():
            if value is not None:
                ids.add(item)
    return min(len(ids), 3)


def _supervision_consent(
    ctx: _Ctx, client: Any, therapist: Any, *, index: int, at: dt.datetime
) -> None:
    """Two of every three of Alice's clients consent to supervision by sam."""

    if therapist != ctx.staff["alice"] or index % 3 == 2:
        return
    consent = Consent.objects.create(
        practice=ctx.practice,
        client=client,
        kind=Consent.Kind.SUPERVISION,
        version=CONSENT_VERSION,
        supervisor=ctx.staff["sam"],
        given_at=at,
        recorded_by=therapist,
    )
    audit.record(
        practice=ctx.practice,
        actor=therapist,
        action="consent.create",
        target_type="clinical.consent",
        target_id=consent.pk,
        detail={"client": client.pk, "kind": "supervision"},
    )


def _sessions(ctx: _Ctx, episode: Any, demo: DemoClient, *, hour: int) -> list[Any]:
    """Attended sessions for every visit, then the next one scheduled a week after the last."""

    rows = []
    for i, visit in enumerate(demo.visits):
        kind = (
            Session.Kind.INTAKE
            if i == 0
            else Session.Kind.REVIEW
            if (i + 1) % REVIEW_EVERY == 0
            else Session.Kind.ROUTINE
        )
        rows.append(
            Session(
                id=uuid.uuid4(),
                practice=ctx.practice,
                episode=episode,
                starts_at=_local(visit.day, hour),
                duration_minutes=SESSION_MINUTES,
                kind=kind,
                status=Session.Status.ATTENDED,
            )
        )
    next_day = demo.visits[-1].day + dt.timedelta(days=7)
    rows.append(
        Session(
            id=uuid.uuid4(),
            practice=ctx.practice,
            episode=episode,
            starts_at=_local(next_day, hour),
            duration_minutes=SESSION_MINUTES,
            kind=Session.Kind.ROUTINE,
            status=Session.Status.SCHEDULED,
        )
    )
    Session.objects.bulk_create(rows)
    # One event for the episode's bulk insert, naming every session it wrote.
    audit.record(
        practice=ctx.practice,
        actor=None,
        action="session.import",
        target_type="clinical.episode",
        target_id=episode.pk,
        detail={"sessions": [row.pk for row in rows], "source": "demo"},
    )
    return rows


def _decisions(ctx: _Ctx, episode: Any, demo: DemoClient, therapist: Any, index: int) -> None:
    """Record the generator's phase decisions through ``record_decision``, each where its
    agreed phase changes, with the options discussed and the client's spoken confirmation."""

    current: str | None = None
    for visit in demo.visits:
        if not visit.phase or visit.phase == current:
            continue
        options, proposal = words.DECISION_OPTIONS[visit.phase]
        if visit.phase == "stabilizing" and current == "deepening":
            options, proposal = words.SPIKE_EXIT_OPTIONS
        deeper = visit.phase == "deepening"
        data = DecisionData(
            kind="phase_change",
            phase=visit.phase,
            decided_on=visit.day,
            options_discussed=options,
            discomfort_acknowledged=deeper,
            symptom_rise_acknowledged=deeper,
            discomfort_note=words.DISCOMFORT_NOTE if deeper else "",
            focus=words.DEEPENING_FOCUS[index % len(words.DEEPENING_FOCUS)] if deeper else "",
            present=("client", "therapist"),
            confirmation="spoken",
            proposal_kind=proposal,
            confirmed_on=visit.day,
            confirmation_text=words.SPOKEN_CONFIRMATION,
        )
        record_decision(user=therapist, episode=episode, data=data, today=ctx.today)
        current = visit.phase


def _seconds(ctx: _Ctx, key: str, answers: Mapping[str, Any]) -> int:
    """A plausible real completion time: about 6 s per item, 20 s per free-text answer."""
    base = sum(20 if isinstance(v, str) else 6 for v in answers.values())
    return max(5, int(base * ctx.rng.uniform(0.7, 1.4)))


def _store_visit(
    ctx: _Ctx,
    episode: Any,
    session: Any,
    visit: Visit,
    therapist: Any,
    *,
    only: Iterable[str] | None = None,
) -> None:
    """Store one visit's sittings and administrations (bulk, each audited)."""

    keep = set(only) if only is not None else None
    answers = {k: v for k, v in visit.answers.items() if keep is None or k in keep}
    pre = {k: v for k, v in _pre_session(answers).items() if _respondent(ctx, k) == "client"}
    end = {k: v for k, v in answers.items() if k in END_OF_SESSION}
    others = {k: v for k, v in answers.items() if k not in pre and k not in end}
    starts = session.starts_at
    if pre:
        # The check-in is done at home on the evening before, or an hour before the session.
        done = starts - dt.timedelta(minutes=ctx.rng.choice((60, 75, 90, 14 * 60)))
        _sitting(ctx, episode, session, pre, done, Context.CHECKIN, therapist)
    if end:
        done = starts + dt.timedelta(minutes=SESSION_MINUTES - 3)
        _sitting(ctx, episode, session, end, done, Context.IN_SESSION, therapist, reflection=True)
    if others:
        done = starts + dt.timedelta(minutes=SESSION_MINUTES + 5)
        _administrations(ctx, episode, session, None, others, done, Context.IN_SESSION, therapist)


def _respondent(ctx: _Ctx, key: str) -> str:
    return str(ctx.instrument(key).respondent)


def _sitting(
    ctx: _Ctx,
    episode: Any,
    session: Any,
    answers: Mapping[str, Mapping[str, Any]],
    done: dt.datetime,
    context: str,
    therapist: Any,
    *,
    reflection: bool = False,
) -> None:

    durations = {k: _seconds(ctx, k, v) for k, v in answers.items()}
    total = sum(durations.values())
    sitting = Sitting.objects.create(
        practice=ctx.practice,
        client_id=episode.client_id,
        episode=episode,
        session=session,
        context=context,
        # The end-of-session reflection is its own sitting, never a check-in.
        kind=SittingKind.REFLECTION if reflection else SittingKind.ROUTINE,
        status=SittingStatus.COMPLETED,
        idempotency_key=f"demo:{uuid.uuid4().hex}",
        started_at=done - dt.timedelta(seconds=total),
        completed_at=done,
        duration_seconds=total,
    )
    _administrations(
        ctx, episode, session, sitting, answers, done, context, therapist, durations=durations
    )


def _administrations(
    ctx: _Ctx,
    episode: Any,
    session: Any,
    sitting: Any,
    answers: Mapping[str, Mapping[str, Any]],
    done: dt.datetime,
    context: str,
    therapist: Any,
    *,
    durations: Mapping[str, int] | None = None,
) -> int:
    """Score and store administrations; open (and acknowledge) a flag for any risk answer.

    Returns the highest risk grade stored.
    """

    rows = []
    worst: tuple[int, Any] = (0, None)
    for key, given in answers.items():
        instrument = ctx.instrument(key)
        result = score(instrument, given)
        seconds = (durations or {}).get(key) or _seconds(ctx, key, given)
        row = scored_administration(
            instrument,
            given,
            result,
            completed_at=done,
            seconds=seconds,
            id=uuid.uuid4(),
            practice=ctx.practice,
            client_id=episode.client_id,
            episode=episode,
            session=session,
            sitting=sitting,
            context=context,
            respondent=instrument.respondent,
            idempotency_key=f"demo:{uuid.uuid4().hex}:{key}",
        )
        rows.append(row)
        if result.risk_grade > worst[0]:
            worst = (result.risk_grade, row)
    Administration.objects.bulk_create(rows)
    grade, source = worst
    if sitting is not None and grade:
        sitting.risk_grade = grade
        sitting.save(update_fields=["risk_grade"])
    # One event per bulk insert, naming every administration it wrote (the check-in
    # door records one per administration; this keeps the load fast on two cores).
    audit.record(
        practice=ctx.practice,
        actor=None,
        action="administration.import",
        target_type="measures.sitting" if sitting is not None else "clinical.session",
        target_id=sitting.pk if sitting is not None else session.pk,
        detail={
            "administrations": [row.pk for row in rows],
            "instruments": [row.instrument_key for row in rows],
            "context": context,
            "source": "demo",
        },
    )
    if source is not None:
        # An earlier risk answer: opened as the check-in would have, then acknowledged by
        # the therapist, so that the demo's one open flag is the latest check-in's.
        flag = clinical.open_flag(
            episode=episode,
            grade=min(grade, 3),
            source_kind="administration",
            source_id=source.pk,
            actor=None,
            now=done,
        )
        clinical.acknowledge_flag(user=therapist, flag=flag, note=words.FLAG_ACTION_NOTE)
    return grade


def _checkin_through_the_door(
    ctx: _Ctx, client: Any, session: Any, visit: Visit, therapist: Any
) -> None:
    """The flag client's last check-in, issued by the therapist and submitted as the client would.

    ``submit_checkin`` scores it, opens the flag in the same transaction,
    refreshes the summary, audits and enqueues the therapist's notification.
    """

    answers = {
        k: v for k, v in _pre_session(visit.answers).items() if _respondent(ctx, k) == "client"
    }
    done = session.starts_at - dt.timedelta(minutes=70)
    durations = {k: _seconds(ctx, k, v) for k, v in answers.items()}
    issued = issue_checkin_link(
        acting_user=therapist, client=client, session=session, send_email=False
    )
    submit_checkin(
        link=issued.token,
        answers=answers,
        durations=durations,
        started_at=done - dt.timedelta(seconds=sum(durations.values())),
        now=done,
    )
