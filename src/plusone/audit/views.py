"""View events: every page that shows health information records who looked."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.http import HttpRequest

from plusone.audit.chain import record, view_target


def record_view(request: HttpRequest, target: models.Model, *, action: str = "view") -> Any:
    """Record that ``request.user`` viewed ``target`` (a row with a ``practice``).

    Runs in its own atomic block (joining the caller's if there is one).
    """
    target_type, target_id = view_target(target)
    practice = target.practice if hasattr(target, "practice") else target
    with transaction.atomic():
        return record(
            practice=practice,
            actor=request.user,
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail={"path_name": _url_name(request)},
        )


def _url_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match else ""
