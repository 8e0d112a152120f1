"""Parsing and validating the decision forms: record, confirm on the device, reverse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from plusone.clinical.models import Decision, DecisionOption, Phase, Present
from plusone.insights.decisions import DecisionData
from plusone.insights.journey import PROPOSAL_WORDS
from plusone.web.fields import TextField

DECISION_PHASE_CHOICES = [
    (Phase.STABILIZING, "Stabilizing (client sees: Finding steadier ground)"),
    (Phase.PLUS_ONE, "+1 threshold (client sees: Choosing what's next)"),
    (Phase.DEEPENING, "Deepening (client sees: Deeper work)"),
    (Phase.CONSOLIDATING, "Consolidating (client sees: Living it)"),
    (Phase.ENDING, "Ending (client sees: Finishing well)"),
]
# The rule engine's proposal kinds (plusone.core.propose), in the therapist's words. Older
# rows may hold "good_enough", "stalled" or "spike"; clinical.phase_now still reads them.
PROPOSAL_CHOICES = [("", "No proposal"), *PROPOSAL_WORDS.items()]
# The phase each proposal proposes, to fill in the form it links to. Absent: it proposes
# no phase ("stalled: review together", "check in together"), or two (TWO_WAY).
PROPOSED_PHASE = {
    "stabilizing": Phase.STABILIZING,
    "plus_one": Phase.PLUS_ONE,
    "good_enough_ending": Phase.ENDING,
    "consolidating": Phase.CONSOLIDATING,
    "ending": Phase.ENDING,
    "spike_exit": Phase.STABILIZING,
    "step_back_to_stabilizing": Phase.STABILIZING,
    "step_back_to_deepening": Phase.DEEPENING,
}
# A proposal offering two phases leaves the choice blank and says so.
TWO_WAY = {"deepening_or_ending": "Deepening or Ending: choose one"}
CONFIRMATION_CHOICES = [
    ("pending", "The client confirms now, on this device (next step)"),
    ("spoken", "I record the client's spoken confirmation"),
]


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(
        choices=Decision.Kind.choices,
        widget=forms.RadioSelect,
        label="What did you decide together?",
        initial=Decision.Kind.PHASE_CHANGE,
    )
    phase = forms.ChoiceField(
        choices=[("", "(no change)"), *DECISION_PHASE_CHOICES],
        required=False,
        label="The agreed phase (for a phase change)",
    )
    proposal_kind = forms.ChoiceField(
        choices=PROPOSAL_CHOICES, required=False, label="The proposal this answers"
    )
    decided_on = forms.DateField(label="Decided on", widget=forms.DateInput(attrs={"type": "date"}))
    options_discussed = forms.MultipleChoiceField(
        choices=DecisionOption.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Options discussed",
    )
    discomfort_acknowledged = forms.BooleanField(
        required=False, label="We talked about the discomfort this work may bring"
    )
    symptom_rise_acknowledged = forms.BooleanField(
        required=False, label="We talked about a possible rise in symptoms for a while"
    )
    discomfort_note = TextField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=4000,
        label="What was said about discomfort and a possible rise in symptoms",
    )
    focus = TextField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        label="The focus, in the client's own words",
    )
    review_date = forms.DateField(
        required=False,
        label="Review date",
        help_text="Leave blank for 6 weeks after the decision.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    present = forms.MultipleChoiceField(
        choices=Present.choices, widget=forms.CheckboxSelectMultiple, label="Who was present"
    )
    reason = TextField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        label="Why (needed for a move the phase table does not offer)",
        help_text="For example, straight from Stabilizing to Deepening. It shows in the rule "
        "trace.",
    )
    confirmation = forms.ChoiceField(
        choices=CONFIRMATION_CHOICES,
        widget=forms.RadioSelect,
        label="The client's confirmation",
        initial="pending",
    )
    confirmed_on = forms.DateField(
        required=False,
        label="Date the client confirmed (spoken)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    confirmation_text = TextField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="What the client said (spoken confirmation)",
    )

    def __init__(self, *args: Any, proposal: str = "", **kwargs: Any) -> None:
        """``proposal``: the proposal kind the therapist came from; it fills in the
        proposal and the phase it proposes (an unknown kind fills in nothing)."""
        if proposal in PROPOSAL_WORDS:
            initial = kwargs.setdefault("initial", {})
            initial.setdefault("proposal_kind", proposal)
            if proposal in PROPOSED_PHASE:
                initial.setdefault("phase", PROPOSED_PHASE[proposal])
        super().__init__(*args, **kwargs)
        if proposal in TWO_WAY:
            self.fields["phase"].choices = [("", TWO_WAY[proposal]), *DECISION_PHASE_CHOICES]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, phase = data.get("kind"), data.get("phase")
        if kind == Decision.Kind.PHASE_CHANGE and not phase:
            self.add_error("phase", "Choose the phase you agreed on.")
        if kind == Decision.Kind.PHASE_CHANGE and phase == Phase.DEEPENING:
            for name in ("discomfort_acknowledged", "symptom_rise_acknowledged"):
                if not data.get(name):
                    self.add_error(name, "Going deeper needs this acknowledgement.")
            if not (data.get("focus") or "").strip():
                self.add_error("focus", "Write the focus in the client's own words.")
        if data.get("confirmation") == "spoken" and not data.get("confirmed_on"):
            self.add_error("confirmed_on", "Give the date the client confirmed.")
        return data

    def decision_data(self) -> DecisionData:
        d = self.cleaned_data
        return DecisionData(
            kind=d["kind"],
            phase=d["phase"] or "",
            decided_on=d["decided_on"],
            options_discussed=d["options_discussed"],
            discomfort_acknowledged=d["discomfort_acknowledged"],
            symptom_rise_acknowledged=d["symptom_rise_acknowledged"],
            discomfort_note=d["discomfort_note"],
            focus=d["focus"],
            present=d["present"],
            confirmation=d["confirmation"],
            review_date=d["review_date"],
            proposal_kind=d["proposal_kind"],
            confirmed_on=d["confirmed_on"],
            confirmation_text=d["confirmation_text"],
            reason=d["reason"],
        )


class ConfirmDecisionForm(forms.Form):
    decision_id = forms.UUIDField(widget=forms.HiddenInput)
    text = TextField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=_("Your initials, or a note in your own words"),
    )


class ReverseDecisionForm(forms.Form):
    decision_id = forms.UUIDField(widget=forms.HiddenInput)
    reason = TextField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Why reverse it"
    )
    confirmed_on = forms.DateField(
        required=False,
        label="Date the client confirmed (leave blank to confirm in session)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
