"""Background tasks that send messages. No health information in any message."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from plusone.clinical.models import Flag
from plusone.notify.models import Delivery
from plusone.web.logging import withheld_failures

NEW_FLAG = "new_flag"


SUBJECT = "PlusOne: a client needs your attention"


def send_attention_email(recipient_email: str) -> None:
    """The neutral message: no client, score, grade or answer; only a sign-in link."""
    sign_in = settings.SITE_URL + reverse("account_login")
    send_mail(
        subject=SUBJECT,
        message=(
            "A client's check-in needs your attention.\n\n"
            f"Sign in to PlusOne to see it: {sign_in}\n\n"
            "This message contains no client information on purpose."
        ),
        from_email=None,
        recipient_list=[recipient_email],
    )


@task()
@withheld_failures
def notify_new_flag(flag_id: str, slot: str = "first") -> str:
    """Email the person the flag's promise names first (the therapist, or their cover or
    the clinical contact while they are away) that a client needs attention, at most
    once per ``slot`` ("first", or "reopened" when a higher answer reopens it).

    The message names no client and carries no score, grade or answer: only
    a sign-in link. Returns "sent", "already" (claimed before), "handled"
    (acknowledged before the worker got to it) or "gone".
    """

    flag = (
        Flag.objects.select_related("client__therapist", "first_told", "practice")
        .filter(pk=flag_id)
        .first()
    )
    if flag is None:
        return "gone"
    # A clinician already acted on it: an email now would only alarm.
    if flag.acknowledged_at is not None:
        return "handled"
    recipient = flag.first_told or flag.client.therapist
    try:
        # Claim before sending: a retry finds the claim and sends nothing.
        with transaction.atomic():
            delivery = Delivery.objects.create(
                practice_id=flag.practice_id,
                kind=NEW_FLAG,
                target=str(flag.pk),
                slot=slot,
                recipient=recipient,
            )
    except IntegrityError:
        return "already"
    send_attention_email(recipient.email)
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.SENT, sent_at=timezone.now()
    )
    return "sent"
