"""Writes for observers: the therapist's switch, the client's invitations, choice and
revocations, and the observer's round. Each runs in one ``transaction.atomic`` with its
audit event; none stores health information in an audit detail or an email.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from plusone import audit
from plusone.clinical.actions import open_flag
from plusone.clinical.models import Client, Episode, ObserverTextChoice
from plusone.core.instruments import load_instrument
from plusone.core.scoring import score
from plusone.measures.administrations import scored_administration
from plusone.measures.models import Context, Respondent
from plusone.observers import policy
from plusone.observers.invitations import send_observer_invitation
from plusone.observers.models import Observer, ObserverLink, ObserverRound, Relationship
from plusone.observers.screen import touches_safety
from plusone.tokens import TokenError
from plusone.tokens import service as tokens
from plusone.tokens.models import AccessToken, Purpose

# The flag an observer's safety text opens: grade 2, named by the round's token.
FLAG_SOURCE = "observer"
FLAG_GRADE = 2

OFF = gettext_lazy("Observers are not turned on for you. Talk about it with your therapist.")
TOO_MANY = gettext_lazy("You can have at most three people answering at once.")
TOO_SOON = gettext_lazy("You can invite the same person at most once every 8 weeks.")


def set_observers_enabled(*, user: Any, client: Client, enabled: bool) -> Client:
    """The therapist turns observers on (after discussing it in session) or off. Turning
    them off revokes every active observer's open link."""
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        locked.observers_enabled = enabled
        locked.save(update_fields=["observers_enabled"])
        if not enabled:
            AccessToken.objects.filter(
                client=locked, purpose=Purpose.OBSERVER, used_at=None, revoked_at=None
            ).update(revoked_at=timezone.now())
        audit.record(
            practice=locked.practice,
            actor=user,
            action="observers.enabled" if enabled else "observers.disabled",
            target_type="clinical.client",
            target_id=locked.pk,
        )
    return locked


def set_text_choice(*, actor: Any, client: Client, choice: str) -> Client:
    """The client's choice of what the therapist sees of observers' text."""
    if choice not in ObserverTextChoice.values:
        raise ValidationError({"choice": gettext("Choose one.")})
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        locked.observer_text_to_therapist = choice
        locked.save(update_fields=["observer_text_to_therapist"])
        audit.record(
            practice=locked.practice,
            actor=actor,
            action="observers.text_choice",
            target_type="clinical.client",
            target_id=locked.pk,
            detail={"choice": choice},
        )
    return locked


def active_observers(client: Client) -> list[Observer]:
    return list(Observer.objects.filter(client=client, revoked_at=None))


def invite(
    *,
    actor: Any,
    client: Client,
    label: str,
    email: str,
    relationship: str,
    now: dt.datetime | None = None,
) -> Observer:
    """The client invites a new observer: only when observers are on, at most three
    active. Sends the first link."""
    now = now or timezone.now()
    if relationship not in Relationship.values:
        raise ValidationError({"relationship": gettext("Choose one.")})
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        if not locked.observers_enabled:
            raise ValidationError(str(OFF))
        if Observer.objects.filter(client=locked, revoked_at=None).count() >= policy.MAX_ACTIVE:
            raise ValidationError(str(TOO_MANY))
        # Revoking and inviting the same address again does not reset the 8 weeks.
        if Observer.objects.filter(
            client=locked,
            email__iexact=email,
            last_invited_at__gt=now - policy.INVITE_EVERY,
        ).exists():
            raise ValidationError(str(TOO_SOON))
        observer = Observer(
            practice_id=locked.practice_id,
            client=locked,
            email=email,
            relationship=relationship,
            created_at=now,
        )
        observer.label = label
        observer.save()
        audit.record(
            practice=locked.practice,
            actor=actor,
            action="observers.invite",
            target_type="observers.observer",
            target_id=observer.pk,
        )
        _issue(observer, locked, now)
    return observer


def send_again(*, actor: Any, observer: Observer, now: dt.datetime | None = None) -> Observer:
    """A new round for an active observer: at most once every 8 weeks."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Observer.objects.select_for_update().select_related("client").get(pk=observer.pk)
        if locked.revoked_at is not None or not locked.client.observers_enabled:
            raise ValidationError(str(OFF))
        if locked.last_invited_at and now - locked.last_invited_at < policy.INVITE_EVERY:
            raise ValidationError(str(TOO_SOON))
        audit.record(
            practice=locked.client.practice,
            actor=actor,
            action="observers.invite_again",
            target_type="observers.observer",
            target_id=locked.pk,
        )
        _issue(locked, locked.client, now)
    return locked


def _issue(observer: Observer, client: Client, now: dt.datetime) -> None:
    episode = Episode.objects.filter(client=client, status=Episode.Status.OPEN).first()
    # The link's secret is given when its email is sent (invitations.py): this one is dropped.
    _unsent, token = tokens.issue(
        Purpose.OBSERVER,
        practice=client.practice,
        client=client,
        episode=episode,
        ttl=policy.LINK_TTL,
    )
    # The token names its observer through the session key the form sets; the row says
    # which observer each token was for.
    ObserverLink.objects.create(token_id=token.pk, observer=observer)
    observer.last_invited_at = now
    observer.save(update_fields=["last_invited_at"])
    # The email is a task, queued with the link; it gives the link its secret when it sends.
    send_observer_invitation.enqueue(str(token.pk))


def revoke(*, actor: Any, observer: Observer, now: dt.datetime | None = None) -> Observer:
    """The client revokes an observer: consent withdrawn, every open link dead."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Observer.objects.select_for_update().get(pk=observer.pk)
        if locked.revoked_at is None:
            locked.revoked_at = now
            if locked.consent_given_at and not locked.consent_withdrawn_at:
                locked.consent_withdrawn_at = now
            locked.save(update_fields=["revoked_at", "consent_withdrawn_at"])
            open_ids = ObserverLink.objects.filter(observer=locked).values_list(
                "token_id", flat=True
            )
            AccessToken.objects.filter(pk__in=list(open_ids), used_at=None, revoked_at=None).update(
                revoked_at=now
            )
            audit.record(
                practice=locked.practice,
                actor=actor,
                action="observers.revoke",
                target_type="observers.observer",
                target_id=locked.pk,
            )
    return locked


def observer_for(token: AccessToken) -> Observer | None:
    link = ObserverLink.objects.select_related("observer").filter(token_id=token.pk).first()
    return link.observer if link else None


def submit_round(
    *,
    token: AccessToken,
    answers: dict[str, int | None],
    text: str,
    language: str,
    now: dt.datetime | None = None,
) -> ObserverRound:
    """The observer's final POST: consumes the token, records their consent and 18+
    attestation, stores the Observed Change administration and the text, and screens
    the text; safety text opens a grade-2 flag in the same transaction."""
    now = now or timezone.now()
    actor = f"token:{token.pk}"
    instrument = load_instrument(policy.INSTRUMENT)
    result = score(instrument, answers)
    with transaction.atomic():
        live = tokens.consume(token)
        observer = Observer.objects.select_for_update().get(
            pk=ObserverLink.objects.get(token_id=live.pk).observer_id
        )
        if observer.revoked_at is not None:
            raise TokenError("revoked")
        episode = (
            live.episode
            or Episode.objects.filter(client_id=live.client_id, status=Episode.Status.OPEN).first()
        )
        if episode is None:
            raise TokenError("expired")
        observer.consent_given_at = observer.consent_given_at or now
        observer.consent_version = policy.CONSENT_VERSION
        observer.adult_attested_at = now
        observer.save(update_fields=["consent_given_at", "consent_version", "adult_attested_at"])
        administration = scored_administration(
            instrument,
            answers,
            result,
            completed_at=now,
            practice_id=live.practice_id,
            client_id=live.client_id,
            episode=episode,
            context=Context.CHECKIN,
            respondent=Respondent.OBSERVER,
            idempotency_key=f"observer:{live.pk}",
            # The language the items were shown in: both languages form one series.
            language=language,
        )
        administration.save()
        held = touches_safety(text)
        row = ObserverRound(
            practice_id=live.practice_id,
            client_id=live.client_id,
            observer=observer,
            administration=administration,
            token_id=live.pk,
            safety_held=held,
            language=language,
            completed_at=now,
        )
        row.text = text.strip()
        row.save()
        audit.record(
            practice=live.practice,
            actor=actor,
            action="observers.round",
            target_type="observers.observerround",
            target_id=row.pk,
            detail={"safety_held": held},
        )
        if held:
            open_flag(
                episode=Episode.objects.select_related("practice", "client__therapist").get(
                    pk=episode.pk
                ),
                grade=FLAG_GRADE,
                source_kind=FLAG_SOURCE,
                source_id=row.pk,
                actor=actor,
                now=now,
                instrument_key=policy.INSTRUMENT,
            )
    return row
