"""The measurement plan and the safety plan: versioned, and an edit over a newer
version is a conflict, never a silent overwrite."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from plusone import audit
from plusone.clinical import licensed
from plusone.clinical.models import (
    Client,
    Episode,
    MeasurementPlan,
    SafetyPlan,
)
from plusone.clinical.plans import DEFAULT_MIN_INTERVAL_DAYS, check_plan

# Measurement plan ------------------------------------------------------------------------


class EditConflict(Exception):
    """Someone saved the record after the editor loaded it: nothing was overwritten.

    ``current`` is the stored row as it is now (their version), for the page to show.
    """

    def __init__(self, current: Any) -> None:
        self.current = current
        who = current.updated_by if current is not None else None
        name = (who.get_full_name() or who.email) if who is not None else "Someone else"
        super().__init__(
            f"{name} changed this while you were editing; here is their version "
            f"(version {current.version if current is not None else 0}). Your changes are "
            "kept in the form below: compare them with theirs, then save again to replace it."
        )


def _swap(model: Any, pk: Any, base_version: int, **values: Any) -> Any:
    """Compare and swap: write ``values`` only if the row is still at ``base_version``.

    One UPDATE ... WHERE version = base_version, which also raises the version, so of
    two editors who loaded the same version exactly one wins; the other gets
    EditConflict with the winner's row. Runs inside the caller's transaction.
    """
    changed = model.objects.filter(pk=pk, version=base_version).update(
        version=F("version") + 1, updated_at=timezone.now(), **values
    )
    current = model.objects.select_related("updated_by").get(pk=pk)
    if changed != 1:
        raise EditConflict(current)
    return current


def update_plan(
    *,
    user: Any,
    episode: Episode,
    schedule: dict[str, list[str]],
    min_interval_days: dict[str, int],
    session_interval_days: int = 7,
    base_version: int | None = None,
) -> MeasurementPlan:
    """Replace the episode's measurement plan after :func:`check_plan` accepts it; audit it.

    The definitions' minimum intervals (e.g. MHC-SF 28 days) are always kept.
    Raises ValidationError with every problem, e.g. a routine check-in over 180 s,
    and LicenceRequired (naming the licence holder) for a licensed pack whose
    text the practice has not supplied. ``base_version`` is the plan version the
    editor loaded (0 when there was no plan): when the plan has moved on since,
    raises EditConflict and changes nothing. None (code, not a person editing)
    saves over whatever version is stored.
    """

    licensed.require_text(episode.practice_id, licensed.schedule_keys(schedule))
    intervals = {**DEFAULT_MIN_INTERVAL_DAYS, **min_interval_days}
    result = check_plan(
        schedule,
        min_interval_days=intervals,
        session_interval_days=session_interval_days,
        primary=episode.primary_instrument,
        secondary=episode.secondary_instrument,
    )
    if not result.ok:
        raise ValidationError(list(result.problems))
    with transaction.atomic():
        plan, created = MeasurementPlan.objects.select_for_update().get_or_create(
            episode=episode,
            defaults={
                "practice_id": episode.practice_id,
                "schedule": schedule,
                "min_interval_days": intervals,
                "updated_by": user,
            },
        )
        if created and base_version not in (None, 0):
            raise EditConflict(None)
        if not created:
            expected = plan.version if base_version is None else base_version
            plan = _swap(
                MeasurementPlan,
                plan.pk,
                expected,
                schedule=schedule,
                min_interval_days=intervals,
                updated_by=user,
            )
        audit.record(
            practice=episode.practice,
            actor=user,
            action="plan.update",
            target_type="clinical.measurementplan",
            target_id=plan.pk,
            detail={
                "episode": episode.pk,
                "routine_seconds": result.routine_seconds,
                "review_seconds": result.review_seconds,
                "warnings": len(result.warnings),
                "version": plan.version,
            },
        )
    return plan


# Safety plan -----------------------------------------------------------------------------


def update_safety_plan(*, user: Any, client: Client, text: str, base_version: int) -> SafetyPlan:
    """Replace the client's safety plan with ``text``; audit it (never the text itself).

    ``base_version`` is the version the editor loaded (0 when the client had none).
    When someone saved in between, raises EditConflict with their version and
    changes nothing: a safety plan is never overwritten unseen.
    """
    with transaction.atomic():
        plan = SafetyPlan.objects.filter(client=client).first()
        if plan is None:
            if base_version != 0:
                raise EditConflict(None)
            try:
                # A savepoint: two first saves at once collide on the one-plan-per-client key.
                with transaction.atomic():
                    plan = SafetyPlan.objects.create(
                        practice_id=client.practice_id, client=client, text=text, updated_by=user
                    )
            except IntegrityError:
                raise EditConflict(
                    SafetyPlan.objects.select_related("updated_by").get(client=client)
                ) from None
        else:
            # The ciphertext binds the row's id: encrypt through the field, then swap.
            plan.text = text
            sealed = SafetyPlan._meta.get_field("text").pre_save(plan, False)
            plan = _swap(SafetyPlan, plan.pk, base_version, text=sealed, updated_by=user)
        audit.record(
            practice=client.practice,
            actor=user,
            action="safety_plan.update",
            target_type="clinical.safetyplan",
            target_id=plan.pk,
            detail={"client": client.pk, "version": plan.version},
        )
    return plan
