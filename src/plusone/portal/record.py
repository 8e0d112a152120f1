"""The client's own record in the portal (issue 13): reads and writes behind the record pages
(my goals, my decisions, notes and corrections, who sees my record).

Every read starts from the signed-in portal client: an id that is not theirs is "not there"
(Http404). Every write goes through an action that audits it; the audit trail names the
client as ``portal_actor(client)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plusone.accounts.models import Membership, Role, User
from plusone.audit.models import AuditEvent
from plusone.clinical.actions import record as record_actions
from plusone.clinical.models import (
    Absence,
    Client,
    Consent,
    Decision,
    DecisionOption,
    Episode,
    Phase,
    RecordAnnotation,
    Session,
)
from plusone.core.instruments import load_instrument
from plusone.insights import decisions as decision_actions
from plusone.measures.models import Administration, Respondent
from plusone.rights import actions as rights_actions
from plusone.rights.models import CorrectionRequest, HowReceived

# The phase names a client reads (DESIGN.md, "Who uses it, and who sees what").
CLIENT_PHASES = {
    Phase.NONE: _("not agreed yet"),
    Phase.STABILIZING: _("Finding steadier ground"),
    Phase.PLUS_ONE: _("Choosing what's next"),
    Phase.DEEPENING: _("Deeper work"),
    Phase.CONSOLIDATING: _("Living it"),
    Phase.ENDING: _("Finishing well"),
}
CLIENT_OPTIONS = {
    DecisionOption.GO_DEEPER: _("Go deeper"),
    DecisionOption.CONTINUE: _("Continue as we are"),
    DecisionOption.PAUSE: _("Pause"),
    DecisionOption.END_GOOD_ENOUGH: _("End here, as good enough"),
    DecisionOption.REFER: _("See someone else"),
}
CORRECTION_STATUS = {
    CorrectionRequest.Status.OPEN: _("Waiting for an answer"),
    CorrectionRequest.Status.EXTENDED: _("Waiting for an answer (the practice took more time)"),
    CorrectionRequest.Status.CORRECTED: _("Corrected"),
    CorrectionRequest.Status.REFUSED: _("Not corrected"),
}
ROLE_WORDS = {
    Role.THERAPIST: _("Therapist"),
    Role.ADMIN: _("Practice administrator"),
    Role.PRIVACY_OFFICER: _("Privacy officer"),
    Role.SUPERVISOR: _("Supervisor"),
}
# Measures the client answers, the relationship check included; the therapist's own rating
# is not the client's point to annotate.
CLIENT_RESPONDENTS = (Respondent.CLIENT,)


def portal_actor(client: Client) -> Any:
    """Who the audit trail names for a write the client makes in the portal: their portal
    user when they have one, else the client's id as a token holder's."""
    return client.portal_user if client.portal_user_id else f"token:{client.pk}"


def _recorder(client: Client) -> User:
    """The user a row that needs one records: the client's own portal user, or else their
    therapist (the row's ``how_received``/channel says it came from the portal)."""
    return client.portal_user or client.therapist  # type: ignore[return-value]


def current_episode(client: Client) -> Episode:
    """The client's open episode (else their latest); Http404 when they have none."""
    episodes = Episode.objects.filter(client=client)
    found = (
        episodes.filter(status=Episode.Status.OPEN).order_by("-opened_on").first()
        or episodes.order_by("-opened_on").first()
    )
    if found is None:
        raise Http404
    return found


# --- goals ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalRow:
    position: int
    text: str
    # How many times the goal was reworded (every earlier version is kept).
    rewordings: int


def goal_rows(episode: Episode) -> list[GoalRow]:
    """The current words of each goal, with how many versions it has had."""
    counts: dict[int, int] = {}
    for goal in episode.goals.filter(active=True):
        counts[goal.position] = counts.get(goal.position, 0) + 1
    return [
        GoalRow(position, goal.text, counts[position] - 1)
        for position, goal in sorted(record_actions.current_goals(episode).items())
    ]


def write_goal(client: Client, episode: Episode, position: int, text: str) -> Any:
    return record_actions.write_goal(
        actor=portal_actor(client), episode=episode, position=position, text=text
    )


# --- decisions --------------------------------------------------------------------------------


def client_decisions(client: Client) -> list[Decision]:
    """Every decision recorded with the client (a phase change, or "not now"), newest first."""
    return list(
        Decision.objects.filter(episode__client=client).order_by("-decided_on", "-created_at")
    )


def decision_of(client: Client, decision_id: Any) -> Decision:
    found = (
        Decision.objects.filter(pk=decision_id, episode__client=client)
        .select_related("episode")
        .first()
    )
    if found is None:
        raise Http404
    return found


def confirm_in_portal(client: Client, decision: Decision, text: str) -> Decision:
    """The client confirms the decision from their own device (DESIGN.md: a move into
    Deepening, Consolidating or an Ending takes effect now)."""
    return decision_actions.confirm_decision(
        user=_recorder(client),
        decision=decision,
        text=text,
        today=timezone.localdate(),
        how=Decision.Confirmation.PORTAL,
        actor=portal_actor(client),
    )


# --- points, notes and disputes ---------------------------------------------------------------


def client_points(client: Client) -> list[Administration]:
    """The client's own answered measures, newest first."""
    return list(
        Administration.objects.filter(
            client=client, respondent__in=CLIENT_RESPONDENTS, risk_item_only=False
        )
        .select_related("sitting")
        .order_by("-completed_at")
    )


def point_of(client: Client, administration_id: Any) -> Administration:
    found = (
        Administration.objects.filter(
            pk=administration_id,
            client=client,
            respondent__in=CLIENT_RESPONDENTS,
            risk_item_only=False,
        )
        .select_related("sitting", "episode")
        .first()
    )
    if found is None:
        raise Http404
    return found


def point_title(administration: Administration) -> str:
    """The measure's short title (instrument data: never through gettext)."""
    try:
        return load_instrument(administration.instrument_key).short_title
    except Exception:  # an instrument no longer shipped still has its answers
        return administration.instrument_key.replace("_", " ")


def point_released(client: Client, administration: Administration) -> bool:
    """HOOK (journey helper, release timing): whether the client sees this score yet.

    The client chooses "as soon as I send them" or "after we look together" (the therapist
    marks a sitting as looked at). Until that branch is merged this reads the fields by name
    and shows no score when they are absent.
    """
    timing = getattr(client, "release_timing", None)
    if timing == "at_once":
        return True
    sitting = administration.sitting
    return bool(timing and sitting is not None and getattr(sitting, "looked_at_together_at", None))


def annotations_on(client: Client, target: str, target_ids: Iterable[Any]) -> dict[str, list]:
    """The client's notes on each target, by target id (str)."""
    out: dict[str, list[RecordAnnotation]] = {}
    for note in RecordAnnotation.objects.filter(
        client=client, target=target, target_id__in=list(target_ids)
    ):
        out.setdefault(str(note.target_id), []).append(note)
    return out


def annotate(client: Client, episode: Episode, target: str, target_id: Any, text: str) -> Any:
    return record_actions.annotate(
        actor=portal_actor(client),
        client=client,
        episode=episode,
        target=target,
        target_id=target_id,
        text=text,
    )


def dispute(
    client: Client, episode: Episode, target: str, target_id: Any, text: str
) -> CorrectionRequest:
    """A dispute: the client's words kept on the record and a correction request (PHIPA
    s.55) whose 30-day clock starts today."""
    today = timezone.localdate()
    with transaction.atomic():
        request = rights_actions.record_correction_request(
            user=_recorder(client),
            client=client,
            note=None,
            received_on=today,
            how_received=HowReceived.PORTAL,
            asked=text,
            today=today,
        )
        record_actions.annotate(
            actor=portal_actor(client),
            client=client,
            episode=episode,
            target=target,
            target_id=target_id,
            text=text,
            correction_request_id=request.pk,
        )
    return request


def client_requests(client: Client) -> list[CorrectionRequest]:
    return list(CorrectionRequest.objects.filter(client=client).order_by("-received_on", "-pk"))


def request_of(client: Client, request_id: Any) -> CorrectionRequest:
    found = CorrectionRequest.objects.filter(pk=request_id, client=client).first()
    if found is None:
        raise Http404
    return found


def attach_statement(client: Client, request: CorrectionRequest, text: str) -> CorrectionRequest:
    """The client's statement of disagreement with a refused correction (s.55(11))."""
    today = timezone.localdate()
    return rights_actions.attach_statement(
        user=portal_actor(client),
        request=request,
        statement=text,
        received_on=today,
        today=today,
    )


# --- who sees my record -----------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    name: str
    role: str
    why: str
    consent: Consent | None = None


def observers_with_access(client: Client) -> list[Any]:
    """HOOK (observers helper): the client's observers with access, as ``Person`` rows.

    Returns [] until the observers app (plusone.observers) is merged; its helper fills this
    in, and the page's ``portal/_access_observers.html`` slot shows their revoke button.
    """
    return []


def people_with_access(client: Client, today: dt.date) -> list[Person]:
    """Every person and role with access to the client's record, in words."""
    people = [
        Person(
            client.therapist.get_full_name() or client.therapist.get_username(),
            str(ROLE_WORDS[Role.THERAPIST]),
            str(_("Your therapist")),
        )
    ]
    for absence in Absence.objects.filter(
        practice=client.practice,
        therapist=client.therapist,
        cover__isnull=False,
        starts_on__lte=today,
        ends_on__gte=today,
    ).select_related("cover"):
        cover = absence.cover
        people.append(
            Person(
                cover.get_full_name() or cover.get_username(),  # type: ignore[union-attr]
                str(ROLE_WORDS[Role.THERAPIST]),
                str(_("Covering while your therapist is away, for urgent matters")),
            )
        )
    for consent in supervision_consents(client):
        sup = consent.supervisor
        people.append(
            Person(
                sup.get_full_name() or sup.get_username(),  # type: ignore[union-attr]
                str(ROLE_WORDS[Role.SUPERVISOR]),
                str(_("Supervises your therapist's work with you, because you agreed")),
                consent,
            )
        )
    return people


def supervision_consents(client: Client) -> list[Consent]:
    """The supervision consents in force, one per supervisor."""
    seen: dict[Any, Consent] = {}
    for consent in (
        Consent.objects.filter(
            client=client, kind=Consent.Kind.SUPERVISION, withdrawn_at__isnull=True
        )
        .select_related("supervisor")
        .order_by("-given_at")
    ):
        seen.setdefault(consent.supervisor_id, consent)
    return list(seen.values())


def supervision_consent_of(client: Client, consent_id: Any) -> Consent:
    found = Consent.objects.filter(
        pk=consent_id, client=client, kind=Consent.Kind.SUPERVISION, withdrawn_at__isnull=True
    ).first()
    if found is None:
        raise Http404
    return found


def withdraw_supervision(client: Client, consent: Consent) -> None:
    record_actions.withdraw_supervision(
        actor=portal_actor(client), client=client, consent=consent, now=timezone.now()
    )


@dataclass(frozen=True)
class View:
    name: str
    role: str
    at: dt.datetime


def _record_targets(client: Client) -> list[tuple[str, str]]:
    """Every (target_type, target_id) a view of the client's record is recorded against."""
    episodes = [
        str(pk) for pk in Episode.objects.filter(client=client).values_list("pk", flat=True)
    ]
    sessions = [
        str(pk)
        for pk in Session.objects.filter(episode__client=client).values_list("pk", flat=True)
    ]
    return (
        [("clinical.client", str(client.pk))]
        + [("clinical.episode", pk) for pk in episodes]
        + [("clinical.session", pk) for pk in sessions]
    )


def who_viewed(client: Client, *, limit: int = 100) -> list[View]:
    """Who on the staff viewed the client's record and when (plusone.audit's view events),
    newest first: a name and a role, never an event code."""
    targets = _record_targets(client)
    by_type: dict[str, list[str]] = {}
    for kind, pk in targets:
        by_type.setdefault(kind, []).append(pk)
    where = Q(pk__in=[])
    for kind, ids in by_type.items():
        where |= Q(target_type=kind, target_id__in=ids)
    events = list(
        AuditEvent.objects.filter(
            where, practice=client.practice, actor_kind="user", action__startswith="view."
        )
        .exclude(actor_id=client.portal_user_id)
        .order_by("-at")
        .values_list("actor_id", "at")[:limit]
    )
    actor_ids = {actor for actor, _at in events}
    users = {u.pk: u for u in User.objects.filter(pk__in=actor_ids)}
    roles: dict[Any, list[str]] = {}
    for user_id, role in Membership.objects.filter(
        practice=client.practice, user_id__in=actor_ids
    ).values_list("user_id", "role"):
        roles.setdefault(user_id, []).append(role)
    out = []
    for actor, at in events:
        user = users.get(actor)
        if user is None:
            continue
        words = _role_words(user, client, roles.get(actor, []))
        out.append(View(user.get_full_name() or user.get_username(), words, at))
    return out


def _role_words(user: User, client: Client, roles: list[str]) -> str:
    if user.pk == client.therapist_id:
        return str(_("Your therapist"))
    order = [Role.THERAPIST, Role.SUPERVISOR, Role.PRIVACY_OFFICER, Role.ADMIN]
    for role in order:
        if role in roles:
            return str(ROLE_WORDS[role])
    return str(_("Staff member"))


def roles_with_access() -> list[tuple[str, str]]:
    """The roles that may reach the record, by role (no names), with why."""
    return [
        (
            str(ROLE_WORDS[Role.PRIVACY_OFFICER]),
            str(
                _(
                    "Answers your access and correction requests; reads your record only in "
                    "an emergency, and every such look is recorded and shown here."
                )
            ),
        ),
        (
            str(ROLE_WORDS[Role.ADMIN]),
            str(
                _(
                    "Runs the practice's system; sees counts, not your answers, except in an "
                    "emergency, which is recorded and shown here."
                )
            ),
        ),
    ]
