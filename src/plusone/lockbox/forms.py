"""The consent-directive form: what the client withholds, from whom, and when they said so."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.utils import formats, timezone

from plusone.accounts.models import User
from plusone.clinical.models import Goal, Session
from plusone.core.measure_info import instrument_infos
from plusone.lockbox.actions import TREATING_THERAPIST_MESSAGE
from plusone.lockbox.models import ItemKind, Scope
from plusone.measures.models import Administration, Respondent
from plusone.web.fields import TextField


def item_choices(client: Any) -> list[tuple[str, str]]:
    """``"kind:uuid"`` choices for each item of ``client``'s record a directive can name.

    Labels carry dates and kinds only, never the content.
    """

    choices: list[tuple[str, str]] = []
    sessions = Session.objects.filter(episode__client=client).order_by("starts_at")
    for s in sessions:
        when = formats.date_format(timezone.localtime(s.starts_at), "DATETIME_FORMAT")
        choices.append((f"{ItemKind.NOTE}:{s.pk}", f"Session note, {when}"))
    seen: set[uuid.UUID] = set()
    for goal in Goal.objects.filter(episode__client=client).order_by("position", "-version"):
        if goal.goal_id not in seen:
            seen.add(goal.goal_id)
            choices.append((f"{ItemKind.GOAL}:{goal.goal_id}", f"Goal {goal.position}"))
    infos = instrument_infos()
    rows = Administration.objects.filter(client=client).order_by("completed_at")
    for a in rows.only("pk", "instrument_key", "respondent", "completed_at"):
        when = formats.date_format(timezone.localtime(a.completed_at))
        if a.respondent == Respondent.OBSERVER:
            choices.append((f"{ItemKind.OBSERVER_ANSWER}:{a.pk}", f"Observer answers, {when}"))
        else:
            info = infos.get(a.instrument_key)
            title = info.title if info else a.instrument_key
            label = f"{title}, the {a.get_respondent_display()}'s answers, {when}"
            choices.append((f"{ItemKind.ADMINISTRATION}:{a.pk}", label))
    return choices


class _ClinicianChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.email)


class DirectiveForm(forms.Form):
    scope = forms.ChoiceField(
        label="The client withholds",
        choices=Scope.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the client withholds."},
    )
    item = forms.ChoiceField(
        label="Item (when one item is withheld)",
        required=False,
        error_messages={"invalid_choice": "Choose an item of this client's record."},
    )
    clinician = _ClinicianChoice(
        label="Clinician (when access by a named clinician is withheld)",
        queryset=User.objects.none(),
        required=False,
        error_messages={"invalid_choice": "Choose a member of this practice."},
    )
    instructed_on = forms.DateField(
        label="Date of the client's instruction",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Give the date of the client's instruction.",
            "invalid": "Give the date as YYYY-MM-DD.",
        },
    )
    note = TextField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Stored encrypted; never in the audit log.",
    )

    def __init__(self, *args: Any, client: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        self.fields["item"].choices = [("", "—"), *item_choices(client)]  # type: ignore[attr-defined]
        # Every member of the practice; the treating therapist is refused with a reason.
        self.fields["clinician"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(memberships__practice_id=client.practice_id)
            .distinct()
            .order_by("email")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scope = data.get("scope")
        if scope == Scope.ITEM and not data.get("item"):
            self.add_error("item", "Choose the item the client withholds.")
        if scope == Scope.CLINICIAN:
            clinician = data.get("clinician")
            if clinician is None and "clinician" not in self.errors:
                self.add_error("clinician", "Choose the clinician the client withholds from.")
            elif clinician is not None and clinician.pk == self.client.therapist_id:
                self.add_error("clinician", TREATING_THERAPIST_MESSAGE)
        when = data.get("instructed_on")
        if when is not None and when > timezone.localdate():
            self.add_error("instructed_on", "The date of the instruction cannot be in the future.")
        return data

    def directive_data(self) -> dict[str, Any]:
        """Keyword arguments for ``actions.record_directive``."""
        data = self.cleaned_data
        kind, _, item_id = str(data.get("item") or "").partition(":")
        return {
            "scope": data["scope"],
            "item_kind": kind,
            "item_id": uuid.UUID(item_id) if item_id else None,
            "clinician": data.get("clinician"),
            "instructed_on": data["instructed_on"],
            "note": data.get("note") or "",
        }
