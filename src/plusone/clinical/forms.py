"""Parsing and validating the therapist's forms.

One module, a little over 400 lines, on purpose: the record's forms share its field
helpers and its wording of refusals, and each form is short.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plusone.accounts.labels import check_neutral
from plusone.clinical.actions import IntakeData, refuse_minor
from plusone.clinical.models import RuptureEvent
from plusone.web.fields import TextField

PRIMARY_CHOICES = [("phq9", "PHQ-9 (low mood)"), ("gad7", "GAD-7 (worry)"), ("core10", "CORE-10")]
SECONDARY_CHOICES = [("", "None"), *PRIMARY_CHOICES]
YES_NO = [("yes", "Yes"), ("no", "No")]
# The largest version a form may carry (a 32-bit column), so a forged one is an error, not a 500.
MAX_VERSION = 2**31 - 1
STALE_FORM = "This page is out of date. Reload it, make your changes again, and save."


def version_field() -> forms.IntegerField:
    """The hidden version an edit form was loaded at (optimistic concurrency)."""
    message = dict.fromkeys(("required", "invalid", "min_value", "max_value"), STALE_FORM)
    return forms.IntegerField(
        widget=forms.HiddenInput, min_value=0, max_value=MAX_VERSION, error_messages=message
    )


# Asked of the client in these words (DESIGN.md, Burden: own words first).
GOAL_WORDS_QUESTION = _(
    "Show your goals in your own words on check-in links? "
    "Anyone who opens the link could read them."
)
GOAL_WORDS_CHOICES = [
    ("yes", _("Yes, show my goals in my own words")),
    ("no", _('No, show them as "Goal 1", "Goal 2"')),
]
GOAL_WORDS_MISSING = (
    "Ask the client whether links may show their goals in their own words, and choose their answer."
)
AUDITC_SEX_CHOICES = [
    ("", "Not recorded: positive from 3"),
    ("female", "Female: positive from 3"),
    ("male", "Male: positive from 4"),
]


class CheckinChoicesForm(forms.Form):
    """The client's choices about check-ins: asked at intake, changeable with the client."""

    goal_words_on_links = forms.ChoiceField(
        choices=GOAL_WORDS_CHOICES,
        widget=forms.RadioSelect,
        label="Goals on check-in links",
        # The question itself, read to the client as it is.
        help_text=GOAL_WORDS_QUESTION,
        error_messages={
            "required": GOAL_WORDS_MISSING,
            "invalid_choice": "Choose yes or no for the goals on check-in links.",
        },
    )
    auditc_sex = forms.ChoiceField(
        choices=AUDITC_SEX_CHOICES,
        widget=forms.RadioSelect,
        required=False,
        initial="",
        label="AUDIT-C cutoff (optional)",
        help_text="The client's sex for AUDIT-C scoring, used only to choose its cutoff "
        "(Bradley et al. 2007): 3 or more for women, 4 or more for men. Leave it not "
        "recorded if the client prefers.",
        error_messages={"invalid_choice": "Choose female, male or not recorded."},
    )

    @staticmethod
    def initial_for(person: Any) -> dict[str, str]:
        return {
            "goal_words_on_links": "yes" if person.goal_words_on_links else "no",
            "auditc_sex": person.auditc_sex,
        }

    def choices(self) -> tuple[bool, str]:
        """(goal words on links, sex for AUDIT-C scoring)."""
        d = self.cleaned_data
        return d["goal_words_on_links"] == "yes", d.get("auditc_sex") or ""


# The practice's own id for a client: what booking systems and EMRs use, and safe in a CSV.
PRACTICE_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}")


def normalise_phone(raw: str) -> str:
    """A mobile number in E.164 (+ and 8 to 15 digits); a 10-digit number is North American.
    Spaces, dots, dashes and brackets are dropped; "" stays ""."""
    text = raw.strip()
    if not text:
        return ""
    digits = re.sub(r"[\s().-]", "", text)
    plus = digits.startswith("+")
    digits = digits.removeprefix("+")
    if not digits.isdigit():
        raise ValidationError("Write the mobile number with its digits, e.g. +1 416 555 0142.")
    if not plus and len(digits) == 10:
        digits = "1" + digits
    if not 8 <= len(digits) <= 15:
        raise ValidationError("Write the mobile number with its digits, e.g. +1 416 555 0142.")
    return "+" + digits


class ContactForm(forms.Form):
    """The practice's own id for the client and their mobile number: at intake and after."""

    phone = forms.CharField(
        required=False, max_length=30, label="Mobile number (for check-ins by text message)"
    )
    practice_ref = forms.CharField(
        required=False,
        max_length=64,
        label="The practice's own id for the client (optional)",
        help_text="The id your booking system or EMR uses; imports match on it, never on a name.",
    )

    def clean_practice_ref(self) -> str:
        ref: str = self.cleaned_data["practice_ref"].strip()
        # A leading = + - @ would run as a formula when an export opens in a spreadsheet.
        if ref and not PRACTICE_REF.fullmatch(ref):
            raise ValidationError(
                "Use letters, digits and . _ - / only, starting with a letter or a digit."
            )
        return ref

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])


class IntakeForm(CheckinChoicesForm, ContactForm):
    given_name = TextField(max_length=100, label="Given name")
    family_name = TextField(max_length=100, label="Family name")
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="PlusOne v1 serves adults (18 and over).",
    )
    email = forms.EmailField(required=False, label="Email (for check-in links)")
    primary = forms.ChoiceField(choices=PRIMARY_CHOICES, label="Primary measure", initial="phq9")
    secondary = forms.ChoiceField(
        choices=SECONDARY_CHOICES, required=False, label="Secondary measure", initial="gad7"
    )
    prior_therapy = forms.ChoiceField(
        choices=YES_NO, widget=forms.RadioSelect, label="Has the client had therapy before?"
    )
    # The therapy-history reflection, for a client who has had therapy before.
    prior_helped = TextField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="What helped?",
    )
    prior_unhelpful = TextField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="What didn't?",
    )
    prior_wished = TextField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="What do you wish had happened?",
    )
    s2_intention = TextField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What the client wants to be different, in their words",
        max_length=2000,
    )
    goal_1 = TextField(required=False, max_length=300, label="Goal 1, in their words")
    goal_2 = TextField(required=False, max_length=300, label="Goal 2, in their words")
    goal_3 = TextField(required=False, max_length=300, label="Goal 3, in their words")
    safety_plan = TextField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        label="The client's safety plan (written together)",
        max_length=5000,
    )
    consent_email = forms.BooleanField(required=False, label="Consents to check-ins by email link")
    consent_sms = forms.BooleanField(
        required=False, label="Consents to check-ins by text message link"
    )
    consent_in_session = forms.BooleanField(
        required=False, label="Consents to check-ins in session"
    )

    def clean_date_of_birth(self) -> Any:
        born = self.cleaned_data["date_of_birth"]
        refuse_minor(born, timezone.localdate())
        return born

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("secondary") and data.get("secondary") == data.get("primary"):
            self.add_error("secondary", "Choose a different measure from the primary, or none.")
        if data.get("consent_email") and not data.get("email"):
            self.add_error("email", "An email address is needed for check-ins by email.")
        if data.get("consent_sms") and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", "A mobile number is needed for check-ins by text message.")
        if data.get("prior_therapy") == "no":
            for name in ("prior_helped", "prior_unhelpful", "prior_wished"):
                if (data.get(name) or "").strip():
                    self.add_error(name, "Only for a client who has had therapy before.")
        if not any(data.get(f"goal_{i}", "").strip() for i in (1, 2, 3)):
            raise ValidationError("Write at least one goal in the client's words.")
        return data

    def intake_data(self) -> IntakeData:
        d = self.cleaned_data
        channels = [
            c
            for c, on in (
                ("email", d["consent_email"]),
                ("sms", d["consent_sms"]),
                ("in_session", d["consent_in_session"]),
            )
            if on
        ]
        return IntakeData(
            given_name=d["given_name"].strip(),
            family_name=d["family_name"].strip(),
            date_of_birth=d["date_of_birth"],
            email=d["email"],
            phone=d["phone"],
            practice_ref=d["practice_ref"],
            primary=d["primary"],
            secondary=d["secondary"],
            prior_therapy=d["prior_therapy"] == "yes",
            prior_helped=d.get("prior_helped") or "",
            prior_unhelpful=d.get("prior_unhelpful") or "",
            prior_wished=d.get("prior_wished") or "",
            s2_intention=d["s2_intention"].strip(),
            goals=[d["goal_1"], d["goal_2"], d["goal_3"]],
            safety_plan=d["safety_plan"].strip(),
            consent_channels=channels,
            goal_words_on_links=self.choices()[0],
            auditc_sex=self.choices()[1],
        )


class AcknowledgeFlagForm(forms.Form):
    action_note = TextField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Action note: what you did or will do",
        max_length=4000,
    )


# Measurement plan ------------------------------------------------------------------------

PLAN_INSTRUMENTS = [
    ("phq9", "PHQ-9 (low mood)"),
    ("gad7", "GAD-7 (worry)"),
    ("core10", "CORE-10"),
    ("personal_goals", "Personal goals"),
    ("felt_change", "Felt Change"),
    ("swls", "SWLS (life satisfaction)"),
    ("who5", "WHO-5 (wellbeing)"),
    ("mhcsf", "MHC-SF (flourishing, licensed)"),
    ("k10", "K10"),
    ("pcl5", "PCL-5"),
    ("auditc", "AUDIT-C"),
    ("session_reflection", "Session Reflection"),
]
PLAN_SLOTS = [
    ("routine", "Every session"),
    ("alternate", "Alternate sessions"),
    ("every_4th", "Every 4th session (instead of alternate)"),
    ("every_4th_alternating", "Every 4th session, alternating with the row above"),
    ("end_of_session", "End of session (its own sitting)"),
    ("intake", "Intake"),
    (
        "review",
        "Reviews, added to that session's check-in (every 8th session, each phase decision)",
    ),
]


def plan_rows(schedule: dict[str, list[str]]) -> list[tuple[str, str]]:
    """A stored schedule as (slot label, instrument names) rows, for showing it to a person."""
    names = dict(PLAN_INSTRUMENTS)
    slots = [*PLAN_SLOTS, ("risk_item_only", "Risk item alone")]
    return [
        (label, ", ".join(names.get(k, k) for k in schedule.get(slot, ())) or "nothing")
        for slot, label in slots
    ]


class PlanForm(forms.Form):
    """One multi-select per schedule slot, plus the risk-item slot and intervals."""

    risk_item_only = forms.MultipleChoiceField(
        choices=[("phq9", "PHQ-9 item 9"), ("core10", "CORE-10 item 6")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Risk item alone, every session its instrument is not due",
    )
    mhcsf_min_days = forms.IntegerField(
        min_value=28, max_value=365, initial=28, label="MHC-SF: fewest days between two"
    )
    session_interval_days = forms.TypedChoiceField(
        choices=[(7, "Weekly"), (14, "Fortnightly")],
        coerce=int,
        initial=7,
        label="How often sessions are (for the risk-item check)",
    )
    # The plan version this form was loaded at: a save over a newer one is a conflict.
    version = version_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for slot, label in reversed(PLAN_SLOTS):
            self.fields = {
                slot: forms.MultipleChoiceField(
                    choices=PLAN_INSTRUMENTS,
                    widget=forms.CheckboxSelectMultiple,
                    required=False,
                    label=label,
                ),
                **self.fields,
            }

    @staticmethod
    def initial_for(
        schedule: dict[str, list[str]], min_days: dict[str, int], version: int = 0
    ) -> dict[str, Any]:
        initial: dict[str, Any] = {slot: list(schedule.get(slot, ())) for slot, _ in PLAN_SLOTS}
        initial["risk_item_only"] = list(schedule.get("risk_item_only", ()))
        initial["mhcsf_min_days"] = min_days.get("mhcsf", 28)
        initial["session_interval_days"] = 7
        initial["version"] = version
        return initial

    def slot_fields(self) -> list[Any]:
        return [self[slot] for slot, _ in PLAN_SLOTS]

    def schedule(self) -> dict[str, list[str]]:
        d = self.cleaned_data
        keys = [slot for slot, _ in PLAN_SLOTS] + ["risk_item_only"]
        return {slot: list(d.get(slot) or []) for slot in keys}

    def min_interval_days(self) -> dict[str, int]:
        return {"mhcsf": int(self.cleaned_data["mhcsf_min_days"])}


class ReviewScreensForm(forms.Form):
    """The screens to ask at the next review, whatever they scored at intake."""

    screens = forms.MultipleChoiceField(
        choices=[("pcl5", "PCL-5"), ("auditc", "AUDIT-C"), ("k10", "K10")],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Ask at the next review",
        help_text="Whatever they scored at intake. Otherwise PCL-5, AUDIT-C and K10 come back "
        "at a review only when they were at or above their cutoff at intake. One asked for "
        "joins the next review, in the review slot or not, while the sitting stays within 300 s.",
    )


# Therapist Rating and rupture/repair -----------------------------------------------------

RATING_CHOICES = [(str(i), str(i)) for i in range(11)]


class TherapistRatingForm(forms.Form):
    """The 3-item Therapist Rating, 0 (not at all) to 10 (completely)."""

    therapist_heard = forms.TypedChoiceField(
        choices=RATING_CHOICES, coerce=int, label="My client seemed to feel heard and understood"
    )
    therapist_matters = forms.TypedChoiceField(
        choices=RATING_CHOICES, coerce=int, label="We worked on what matters to my client"
    )
    therapist_fit = forms.TypedChoiceField(
        choices=RATING_CHOICES, coerce=int, label="The way we worked fitted my client"
    )

    def answers(self) -> dict[str, int]:
        return {k: int(v) for k, v in self.cleaned_data.items()}


class RuptureEventForm(forms.Form):
    kind = forms.ChoiceField(
        choices=RuptureEvent.Kind.choices, widget=forms.RadioSelect, label="Log a"
    )
    repairs = forms.ChoiceField(required=False, label="The rupture this repairs")
    note = TextField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What happened",
    )

    def __init__(self, *args: Any, ruptures: list[RuptureEvent], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ruptures = {str(r.pk): r for r in ruptures}
        self.fields["repairs"].choices = [
            ("", "None logged: the possible rupture the reflections show")
        ] + [(str(r.pk), f"Rupture of {r.session.starts_at:%Y-%m-%d}") for r in ruptures]

    def repaired(self) -> RuptureEvent | None:
        return self.ruptures.get(self.cleaned_data.get("repairs") or "")


# Risk cover ------------------------------------------------------------------------------


class AbsenceForm(forms.Form):
    """Away dates and the colleague who covers. ``therapists`` are the practice's therapists."""

    therapist = forms.ModelChoiceField(queryset=None, label="Who is away")
    starts_on = forms.DateField(label="First day away", widget=forms.DateInput({"type": "date"}))
    ends_on = forms.DateField(label="Last day away", widget=forms.DateInput({"type": "date"}))
    cover = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Who covers risk flags",
        empty_label="Nobody: flags wait for my return, and clients are told so",
    )

    def __init__(self, *args: Any, therapists: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["therapist"].queryset = therapists  # type: ignore[attr-defined]
        self.fields["cover"].queryset = therapists  # type: ignore[attr-defined]


class RiskSettingsForm(forms.Form):
    """The practice's crisis text in both languages, clinical contact and escalation lead."""

    crisis_text = TextField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Crisis text shown to clients, in English (blank: the default text)",
        help_text="Write {read_by} where the time your therapist reads it goes; "
        "PlusOne fills it in.",
    )
    crisis_text_fr = TextField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="The same crisis text in French (required with the English one)",
        help_text="Écrivez {read_by} à l'endroit de l'heure de lecture.",
    )
    clinical_contact = forms.ModelChoiceField(
        queryset=None, required=False, label="Designated clinical contact for escalations"
    )
    escalation_lead_hours = forms.IntegerField(
        min_value=1,
        max_value=8,
        label="Escalate an unacknowledged flag this many business hours before the time "
        "the client was told",
    )
    email_label = TextField(
        required=False,
        max_length=60,
        validators=[check_neutral],
        label="Name on link emails (blank: the practice's name, if it is neutral)",
        help_text='Clients see it as the sender and in the subject, e.g. "Riverside: your '
        'check-in link". Never a word that says what kind of care this is.',
    )

    untranslated_instruments = forms.ChoiceField(
        choices=[
            ("english_note", "Give it in English, with a one-line note"),
            ("leave_out", "Leave it out"),
        ],
        label="For a client who reads French, an instrument with no validated French version",
        help_text="PlusOne offers an instrument in French only from a validated translation "
        "(see the instrument docs).",
        required=False,
    )

    def clean_untranslated_instruments(self) -> str | None:
        """Left out of the post: unchanged."""
        return self.cleaned_data.get("untranslated_instruments") or None

    def __init__(self, *args: Any, therapists: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinical_contact"].queryset = therapists  # type: ignore[attr-defined]


class ClosureDayForm(forms.Form):
    """A day the practice is closed, beyond the public holidays."""

    day = forms.DateField(label="Closed on", widget=forms.DateInput({"type": "date"}))
    label = TextField(required=False, max_length=80, label="What it is (optional)")


class SafetyPlanForm(forms.Form):
    """The client's safety plan, and the version the therapist loaded."""

    text = TextField(
        widget=forms.Textarea(attrs={"rows": 10}),
        required=False,
        label="The client's safety plan (written together)",
        max_length=5000,
    )
    version = version_field()


# Sessions --------------------------------------------------------------------------------

DURATION_CHOICES = [(m, f"{m} min") for m in (30, 45, 50, 60, 75, 90, 120)]
SESSION_KIND_CHOICES = [("routine", "Routine"), ("intake", "Intake"), ("review", "Review")]


class _When(forms.Form):
    """A date and a time, read in the practice's time zone (settings.TIME_ZONE)."""

    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="Date")
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), label="Start time")
    duration_minutes = forms.TypedChoiceField(
        choices=DURATION_CHOICES, coerce=int, initial=50, label="Length"
    )

    def starts_at(self) -> Any:
        day, at = self.cleaned_data["date"], self.cleaned_data["time"]
        naive = dt.datetime.combine(day, at.replace(second=0, microsecond=0))
        return timezone.make_aware(naive, timezone.get_current_timezone())


class SessionForm(_When):
    """A new session: a time to come, or one that happened, recorded as attended."""

    kind = forms.ChoiceField(choices=SESSION_KIND_CHOICES, initial="routine", label="Kind")
    attended = forms.BooleanField(
        required=False,
        label="The client attended (recording a session that already happened)",
    )


class MoveSessionForm(_When):
    """A new time for a scheduled session, and the version the therapist loaded."""

    version = version_field()


class SessionMarkForm(forms.Form):
    """Cancel a session, or mark whether the client came."""

    mark = forms.ChoiceField(
        choices=[
            ("cancelled", "Cancel"),
            ("attended", "Attended"),
            ("no_show", "No-show"),
            ("late_cancel", "Late cancel"),
        ]
    )
    version = version_field()
