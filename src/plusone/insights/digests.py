"""The daily digests: the therapist's new flags (and messages about their clients that could
not be sent), and the privacy officer's office.

Queued by ``plusone daily`` (through ``measures.signals.daily_ran``: measures is a floor
below, and these read rights and custodian), one task per person and day, each claiming
its ``Delivery`` (kind, the user, the day) before sending. Counts only: no client, no
grade, no answer, no health information; a sign-in link. Staff email, in English.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from plusone.accounts.models import Membership, Practice, Role, User
from plusone.clinical.models import Flag
from plusone.insights.failed_sends import failed_count
from plusone.insights.reminders import office_reminders
from plusone.notify.models import Delivery
from plusone.web.logging import withheld_failures

FLAG_DIGEST = "flag_digest"
PRIVACY_DIGEST = "privacy_digest"
# The anchor's MAC in the digest: enough to compare with the anchor file, not the whole MAC.
MAC_PREFIX = 16


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())
    return start, start + dt.timedelta(days=1)


def _new_flags(user: Any, day: dt.date) -> int:
    start, end = _day_bounds(day)
    return Flag.objects.filter(
        client__therapist=user, opened_at__gte=start, opened_at__lt=end
    ).count()


def _failed_since(user: Any, today: dt.date) -> int:
    """Messages about ``user``'s clients that failed since their last digest (or, with none
    yet, since the start of yesterday)."""
    last = (
        Delivery.objects.filter(kind=FLAG_DIGEST, target=str(user.pk))
        .order_by("-claimed_at")
        .values_list("claimed_at", flat=True)
        .first()
    )
    return failed_count(user, since=last or _day_bounds(today - dt.timedelta(days=1))[0])


def _sign_in() -> str:
    return settings.SITE_URL + reverse("account_login")


def enqueue_digests(sender: Any, *, today: dt.date, anchors: list[dict[str, Any]], **_: Any) -> int:
    """Queue today's digests: one for each therapist whose clients had new flags yesterday or
    a message that could not be sent since their last digest, one for each privacy officer.
    Returns how many were queued."""
    queued = 0
    yesterday = today - dt.timedelta(days=1)
    therapists = User.objects.filter(
        pk__in=Membership.objects.filter(role=Role.THERAPIST).values("user")
    )
    for user in therapists:
        if _new_flags(user, yesterday) or _failed_since(user, today):
            send_flag_digest.enqueue(str(user.pk), today.isoformat())
            queued += 1
    officers = Membership.objects.filter(role=Role.PRIVACY_OFFICER).values_list(
        "user_id", "practice_id"
    )
    by_officer: dict[str, list[dict[str, Any]]] = {}
    for user_id, practice_id in officers:
        mine = by_officer.setdefault(str(user_id), [])
        mine += [_anchor(a) for a in anchors if a["practice"] == str(practice_id)]
    for user_id, mine in by_officer.items():
        send_privacy_digest.enqueue(user_id, today.isoformat(), mine)
        queued += 1
    return queued


def _anchor(line: dict[str, Any]) -> dict[str, Any]:
    return {
        "practice": line["practice"],
        "seq": line["seq"],
        "mac": str(line["mac"])[:MAC_PREFIX],
        "at": line["at"],
    }


def _claim(user: User, kind: str, day: str) -> Delivery | None:
    """Claim (kind, user, day), or None when it was claimed before."""
    practice = Membership.objects.filter(user=user).order_by("practice__name").first()
    if practice is None:
        return None
    try:
        with transaction.atomic():
            return Delivery.objects.create(
                practice_id=practice.practice_id,
                kind=kind,
                target=str(user.pk),
                slot=day,
                recipient=user,
            )
    except IntegrityError:
        return None


def _sent(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT, sent_at=timezone.now()
    )


def flag_digest_text(user: Any, day: dt.date, failed: int = 0) -> str:
    """The therapist's digest: two counts, the failed messages' count when there are any,
    and a sign-in link."""
    still_open = Flag.objects.filter(client__therapist=user, status=Flag.Status.OPEN).count()
    unsent = (
        f"{failed} message{'' if failed == 1 else 's'} about your clients could not be sent; "
        "see your week.\n\n"
        if failed
        else ""
    )
    return (
        f"New flags on {day:%A %d %B %Y}: {_new_flags(user, day)}\n"
        f"Flags still open: {still_open}\n\n"
        f"{unsent}"
        f"Sign in to PlusOne to see them: {_sign_in()}\n\n"
        "This message contains no client information on purpose.\n"
    )


@task()
@withheld_failures
def send_flag_digest(user_id: str, day: str) -> str:
    """The therapist's daily digest of the day before's new flags and of the messages about
    their clients that failed since the last digest, at most once per day.
    Returns "sent", "already" or "gone"."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return "gone"
    today = dt.date.fromisoformat(day)
    body = flag_digest_text(user, today - dt.timedelta(days=1), failed=_failed_since(user, today))
    claim = _claim(user, FLAG_DIGEST, day)
    if claim is None:
        return "already"
    send_mail("PlusOne: your daily summary of flags", body, None, [user.email])
    _sent(claim)
    return "sent"


def privacy_digest_text(user: Any, today: dt.date, anchors: list[dict[str, Any]]) -> str:
    """The privacy officer's digest: the anchors just written, the rights clocks and the
    incident and retention counts; no client, no health information."""
    names = dict(Practice.objects.values_list("pk", "name"))
    lines = []
    for anchor in anchors:
        name = next((n for pk, n in names.items() if str(pk) == anchor["practice"]), "")
        lines.append(
            f"Audit anchor, {name}: sequence {anchor['seq']}, MAC {anchor['mac']}…, "
            f"written {anchor['at']}"
        )
    if not anchors:
        lines.append("Audit anchor: none written today (check `plusone daily`'s output).")
    office = office_reminders(user, today=today)
    lines += [
        "",
        f"Access and correction requests overdue: {office.requests_overdue}",
        f"Access and correction requests due within the week: {office.requests_due_soon}",
        f"Incidents whose clients are not yet notified: {office.incidents_unnotified}",
        f"Records past their retention end: {office.retention_ended}",
        "",
        f"Sign in to PlusOne to act on them: {_sign_in()}",
        "",
        "This message contains no client information on purpose.",
    ]
    return "\n".join(lines) + "\n"


@task()
@withheld_failures
def send_privacy_digest(user_id: str, day: str, anchors: list[dict[str, Any]]) -> str:
    """The privacy officer's daily digest, at most once per day. Returns "sent", "already"
    or "gone"."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return "gone"
    body = privacy_digest_text(user, dt.date.fromisoformat(day), anchors)
    claim = _claim(user, PRIVACY_DIGEST, day)
    if claim is None:
        return "already"
    send_mail("PlusOne: the privacy office's daily summary", body, None, [user.email])
    _sent(claim)
    return "sent"
