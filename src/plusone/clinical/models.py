"""Clinical records.

Every row has a UUID primary key and a practice foreign key. Free text in the
client's or clinician's words is an EncryptedTextField. Statuses are
TextChoices and invariants are database constraints. Writes go through
``plusone.clinical.actions``; reads that need permission through
``plusone.clinical.queries``.

One module on purpose, though long: these rows are one record, joined by
foreign keys and database constraints that name each other; split, every file
would import every other, and the migrations would still be one.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from plusone.accounts.models import Practice
from plusone.crypto.fields import EncryptedTextField

ADULT_AGE = 18
PRIMARY_INSTRUMENTS = ("phq9", "gad7", "core10")


def age_on(born: dt.date, today: dt.date) -> int:
    """Whole years between ``born`` and ``today``."""
    before_birthday = (today.month, today.day) < (born.month, born.day)
    return today.year - born.year - int(before_birthday)


class AuditcSex(models.TextChoices):
    """The client's sex, recorded only to choose AUDIT-C's cutoff (Bradley et al. 2007:
    3 or more for women, 4 or more for men; 3 when not recorded)."""

    NOT_RECORDED = "", "Not recorded"
    FEMALE = "female", "Female"
    MALE = "male", "Male"


# Issue 13 (the client's journey); the rest of its block is at the end of this module.
class ReleaseTiming(models.TextChoices):
    """When the client sees their scores in the portal (the client's choice).

    The default is "after we look together": a result that has worsened is first read
    with the therapist, not alone at night; the client changes it in one step.
    """

    AT_ONCE = "at_once", gettext_lazy("As soon as I send them")
    AFTER_REVIEW = "after_review", gettext_lazy("After we look at them together")


class ObserverTextChoice(models.TextChoices):
    """What the therapist sees of an observer's free text (the client chooses)."""

    VERBATIM = "verbatim", gettext_lazy("Their words, as they wrote them")
    RATINGS_ONLY = "ratings", gettext_lazy("Only their ratings")


class Language(models.TextChoices):
    """The languages of every client- and observer-facing text (DESIGN.md, Languages)."""

    ENGLISH = "en", "English"
    FRENCH = "fr", "Français"


class Client(models.Model):
    """A therapy client (an adult, 18+). Never name a variable ``client`` in tests."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="clients")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="caseload"
    )
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    # issue 14: a mobile number for SMS reminders (E.164), used only on a consented channel.
    phone = models.CharField(max_length=20, blank=True)
    # issue 14: the practice's own id for the client (e.g. its EMR's), which imports match on;
    # never a name.
    practice_ref = models.CharField(max_length=64, blank=True)
    portal_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="client_record",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A check-in link opens by link alone and an email can be read by someone else: links
    # show the goals in the client's own words only when the client chose it (asked at intake).
    goal_words_on_links = models.BooleanField(default=False)
    # Optional, for AUDIT-C's cutoff only; blank when not recorded.
    auditc_sex = models.CharField(
        max_length=10, choices=AuditcSex.choices, blank=True, default=AuditcSex.NOT_RECORDED
    )
    # Issue 13, the client's journey: when the client sees their scores in the portal.
    release_timing = models.CharField(
        max_length=16,
        choices=ReleaseTiming.choices,
        default=ReleaseTiming.AFTER_REVIEW,
    )
    # Observers are off until the therapist turns them on after discussing it in session.
    observers_enabled = models.BooleanField(default=False)
    # What the therapist sees of an observer's free text: the client's choice.
    observer_text_to_therapist = models.CharField(
        max_length=8,
        choices=ObserverTextChoice.choices,
        default=ObserverTextChoice.RATINGS_ONLY,
    )
    # The language of every page, email and PDF the client sees; switchable on every page.
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(auditc_sex__in=AuditcSex.values), name="client_auditc_sex_valid"
            ),
            models.CheckConstraint(
                condition=Q(language__in=Language.values), name="client_language_valid"
            ),
            models.UniqueConstraint(
                fields=["practice", "practice_ref"],
                condition=~Q(practice_ref=""),
                name="client_practice_ref_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.preferred_name or self.given_name} {self.family_name}"


class Episode(models.Model):
    """A course of therapy for one client."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="episodes")
    primary_instrument = models.CharField(max_length=40)
    secondary_instrument = models.CharField(max_length=40, blank=True)
    prior_therapy = models.BooleanField()
    # "What I want to be different, in my words."
    s2_intention = EncryptedTextField(blank=True)
    # The therapy-history reflection at intake, for a client who has had therapy before,
    # in the client's words (each optional): what helped, what didn't, what they wish
    # had happened.
    prior_helped = EncryptedTextField(blank=True, default="")
    prior_unhelpful = EncryptedTextField(blank=True, default="")
    prior_wished = EncryptedTextField(blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    # Screens (PCL-5, AUDIT-C, K10) the therapist asked for at the next review: instrument
    # key -> when it was asked (ISO). A request stands until the screen is given after it.
    review_screen_requests = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(primary_instrument__in=PRIMARY_INSTRUMENTS),
                name="episode_primary_allowed",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_on__isnull=True)
                | Q(status="closed", closed_on__isnull=False),
                name="episode_closed_has_date",
            ),
            # One open episode per client at a time.
            models.UniqueConstraint(
                fields=["client"], condition=Q(status="open"), name="episode_one_open_per_client"
            ),
        ]

    def __str__(self) -> str:
        return f"episode {self.pk} ({self.primary_instrument}, {self.status})"


class Goal(models.Model):
    """One version of a personal goal. Rewording creates a new version with the same goal_id."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="goals")
    goal_id = models.UUIDField(default=uuid.uuid4)
    version = models.PositiveSmallIntegerField(default=1)
    position = models.PositiveSmallIntegerField()
    text = EncryptedTextField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "version"]
        constraints = [
            models.UniqueConstraint(fields=["goal_id", "version"], name="goal_version_unique"),
            models.CheckConstraint(
                condition=Q(position__gte=1, position__lte=3), name="goal_position_1_to_3"
            ),
        ]

    def __str__(self) -> str:
        return f"goal {self.position} v{self.version}"


class Session(models.Model):
    """A therapy session. ``starts_at`` is aware; it displays in America/Toronto."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        ATTENDED = "attended", "Attended"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"
        # Cancelled too late to fill the hour: recorded, like a no-show, as not attended.
        LATE_CANCEL = "late_cancel", "Late cancel"

    class Kind(models.TextChoices):
        INTAKE = "intake", "Intake"
        ROUTINE = "routine", "Routine"
        REVIEW = "review", "Review"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="sessions")
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=50)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ROUTINE)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    # Optimistic concurrency: raised by one on every change; a stale editor gets a conflict.
    version = models.PositiveIntegerField(default=1)
    # Issue 14: where an imported appointment came from and its id there (a Jane App or Owl
    # Practice appointment id, an iCalendar UID), so importing the same export again updates
    # the session instead of adding a second one. Blank for sessions made in PlusOne.
    source_system = models.CharField(max_length=16, blank=True, default="")
    source_appointment_id = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=600),
                name="session_duration_sane",
            ),
            # One session per appointment of a source: a re-import matches, never duplicates.
            models.UniqueConstraint(
                fields=["practice", "source_system", "source_appointment_id"],
                condition=~Q(source_appointment_id=""),
                name="session_one_per_source_appointment",
            ),
        ]

    def __str__(self) -> str:
        return f"session {self.starts_at:%Y-%m-%d %H:%M} ({self.status})"


class MeasurementPlan(models.Model):
    """What each session type asks for, within the burden budget.

    ``schedule`` maps a slot ("routine", "alternate", "every_4th", "intake",
    "review", "end_of_session") to a list of instrument keys; see
    :mod:`plusone.clinical.plans`. ``min_interval_days`` maps instrument keys
    to the fewest days between two administrations.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    episode = models.OneToOneField(Episode, on_delete=models.PROTECT, related_name="plan")
    schedule = models.JSONField()
    budget_seconds = models.PositiveSmallIntegerField(default=180)
    min_interval_days = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic concurrency: raised by one on every save; a stale editor gets a conflict.
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(budget_seconds__lte=180), name="plan_budget_at_most_180s"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="plan_version_positive"),
        ]

    def __str__(self) -> str:
        return f"plan for episode {self.episode_id}"


class SafetyPlan(models.Model):
    """The client's own safety plan, written with the therapist."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="safety_plan")
    text = EncryptedTextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic concurrency: raised by one on every save; a stale editor gets a conflict.
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(version__gte=1), name="safety_plan_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"safety plan {self.pk}"


class Flag(models.Model):
    """A risk flag. It closes only when a clinician acknowledges it with an action note.

    One flag per sitting: a check-in's flag is opened by the first store of a
    risk answer (``source_kind`` "checkin", ``source_id`` the sitting's token),
    and a later, higher answer raises its grade. ``source_kind``/``source_id``
    name what opened it without a foreign key, so the measures app migrates
    independently; flags opened before December 2026 name their
    administration. ``instrument_key``, ``item_id`` and ``answer`` hold the
    risk answer itself, so it is never lost with a draft.

    ``promised_read_by`` is the time the client was told the therapist reads
    it; ``escalate_at`` the lead time before it (both from
    :func:`plusone.clinical.risk.promise_for`). ``first_told`` is who the
    notification went to; escalation goes to someone else.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"

    class Promise(models.TextChoices):
        NEXT_BUSINESS_DAY = "next_business_day", "By the next business day"
        THERAPIST_BACK = "therapist_back", "When the therapist is back"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="flags")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="flags")
    grade = models.PositiveSmallIntegerField()
    source_kind = models.CharField(max_length=40, default="administration")
    source_id = models.UUIDField()
    opened_at = models.DateTimeField()
    # The risk answer: instrument, item and the answer's value (blank on old flags).
    instrument_key = models.CharField(max_length=40, blank=True)
    item_id = models.CharField(max_length=40, blank=True)
    answer = models.PositiveSmallIntegerField(null=True, blank=True)
    promised_read_by = models.DateTimeField(null=True, blank=True)
    promise = models.CharField(
        max_length=20, choices=Promise.choices, default=Promise.NEXT_BUSINESS_DAY
    )
    escalate_at = models.DateTimeField(null=True, blank=True, db_index=True)
    first_told = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action_note = EncryptedTextField(blank=True)
    # Issue 14: opened by an imported past answer: "historical, for review". No client is
    # waiting on it, so it makes no promise, sends no email and never escalates.
    historical = models.BooleanField(default=False)
    # Set once, by plusone.notify.escalation, when the flag stayed open too long.
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.CheckConstraint(condition=Q(grade__gte=1, grade__lte=3), name="flag_grade_1_3"),
            models.CheckConstraint(
                condition=Q(
                    status="open",
                    acknowledged_at__isnull=True,
                    acknowledged_by__isnull=True,
                )
                | (
                    Q(
                        status="acknowledged",
                        acknowledged_at__isnull=False,
                        acknowledged_by__isnull=False,
                    )
                    & ~Q(action_note="")
                ),
                name="flag_acknowledged_has_note_and_acknowledger",
            ),
            # A historical flag promised nothing, so nothing can come due.
            models.CheckConstraint(
                condition=Q(historical=False)
                | Q(promised_read_by__isnull=True, escalate_at__isnull=True),
                name="flag_historical_makes_no_promise",
            ),
            # One flag per risk source: one per sitting, and a retry cannot open a second.
            models.UniqueConstraint(
                fields=["source_kind", "source_id"], name="flag_one_per_source"
            ),
        ]

    def __str__(self) -> str:
        return f"flag {self.pk} (grade {self.grade}, {self.status})"


class FlagNote(models.Model):
    """What happened to a flag's risk answer after it opened: raised, or changed.

    Written by the system, never by hand; the flag stays open whatever the
    note says (only a clinician's acknowledgement closes it).
    """

    class Kind(models.TextChoices):
        RAISED = "raised", "A higher answer raised the flag's grade"
        CHANGED = "changed", "The client changed the answer"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    flag = models.ForeignKey(Flag, on_delete=models.PROTECT, related_name="notes")
    at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    instrument_key = models.CharField(max_length=40)
    item_id = models.CharField(max_length=40)
    answer = models.PositiveSmallIntegerField()
    grade = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["at"]
        constraints = [
            models.CheckConstraint(condition=Q(grade__lte=3), name="flag_note_grade_0_3"),
        ]

    def __str__(self) -> str:
        return f"flag note {self.pk} ({self.kind})"


class Phase(models.TextChoices):
    NONE = "none", "None yet"
    STABILIZING = "stabilizing", "Stabilizing"
    PLUS_ONE = "plus_one", "+1 threshold"
    DEEPENING = "deepening", "Deepening"
    CONSOLIDATING = "consolidating", "Consolidating"
    ENDING = "ending", "Ending"


# The names a client sees (DESIGN.md, "Who uses it"). With no decision recorded, nothing is
# agreed yet: never a phase name beside a question asking whether to agree on it.
CLIENT_PHASE_NAMES = {
    Phase.NONE: gettext_lazy("not agreed yet"),
    Phase.STABILIZING: gettext_lazy("Finding steadier ground"),
    Phase.PLUS_ONE: gettext_lazy("Choosing what's next"),
    Phase.DEEPENING: gettext_lazy("Deeper work"),
    Phase.CONSOLIDATING: gettext_lazy("Living it"),
    Phase.ENDING: gettext_lazy("Finishing well"),
}


class DecisionOption(models.TextChoices):
    """The options discussed before a decision (DESIGN.md, "Consent is data")."""

    GO_DEEPER = "go_deeper", "Go deeper"
    CONTINUE = "continue", "Continue as we are"
    PAUSE = "pause", "Pause"
    END_GOOD_ENOUGH = "end_good_enough", "End here, as good enough"
    REFER = "refer", "Refer elsewhere"


class Present(models.TextChoices):
    """Who was present when a decision was made."""

    CLIENT = "client", "The client"
    THERAPIST = "therapist", "The therapist"
    SUPPORT_PERSON = "support_person", "A support person the client chose"
    INTERPRETER = "interpreter", "An interpreter"
    SUPERVISOR = "supervisor", "A supervisor"


class Decision(models.Model):
    """A phase decision agreed by therapist and client, or a declined proposal.

    A decision is never edited: a reversal is a new row whose ``reverses``
    names the decision it undoes. The only later change is the client's
    confirmation, which moves ``confirmation`` from pending exactly once.
    """

    class Kind(models.TextChoices):
        PHASE_CHANGE = "phase_change", "Phase change"
        DECLINED = "declined", "Declined proposal"

    class Confirmation(models.TextChoices):
        PENDING = "pending", "Waiting for the client's confirmation"
        IN_SESSION = "in_session", "Confirmed by the client in session"
        SPOKEN = "spoken", "Client's spoken confirmation, recorded by the therapist"
        # issue 13 (record): the client confirms from their own device.
        PORTAL = "portal", "Confirmed by the client in the portal"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="decisions")
    phase = models.CharField(max_length=15, choices=Phase.choices)
    kind = models.CharField(max_length=15, choices=Kind.choices)
    decided_on = models.DateField()
    review_date = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # DecisionOption values discussed, in the order offered.
    options_discussed = models.JSONField(default=list, blank=True)
    discomfort_acknowledged = models.BooleanField(default=False)
    symptom_rise_acknowledged = models.BooleanField(default=False)
    # What was said about the expected discomfort and a possible rise in symptoms.
    discomfort_note = EncryptedTextField(blank=True, default="")
    # The focus of the work, in the client's own words.
    focus = EncryptedTextField(blank=True, default="")
    # Present values.
    present = models.JSONField(default=list, blank=True)
    # The proposal kind this decision answers (e.g. "plus_one"), if any.
    proposal_kind = models.CharField(max_length=30, blank=True, default="")
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )
    reversal_reason = EncryptedTextField(blank=True, default="")
    # Why, for a move the phase table does not offer (required then; the trace shows it).
    reason = EncryptedTextField(blank=True, default="")
    confirmation = models.CharField(
        max_length=12, choices=Confirmation.choices, default=Confirmation.PENDING
    )
    # The client's initials or annotation (in session), or the therapist's record of
    # what the client said (spoken).
    confirmation_text = EncryptedTextField(blank=True, default="")
    confirmed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["decided_on", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmation="pending", confirmed_on__isnull=True)
                | (~Q(confirmation="pending") & Q(confirmed_on__isnull=False)),
                name="decision_confirmed_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(confirmation="in_session") | ~Q(confirmation_text=""),
                name="decision_in_session_confirmation_has_text",
            ),
            models.CheckConstraint(
                condition=~Q(kind="declined") | Q(review_date__isnull=False),
                name="decision_declined_has_review_date",
            ),
            models.CheckConstraint(
                condition=Q(reverses__isnull=True) | Q(kind="phase_change"),
                name="decision_reversal_is_phase_change",
            ),
            models.CheckConstraint(
                condition=~Q(reverses=models.F("id")), name="decision_not_self_reversing"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.phase} on {self.decided_on}"

    @property
    def options_discussed_labels(self) -> list[str]:
        """The options discussed, in words (a value no longer offered shows as stored)."""
        return [_label(DecisionOption, value) for value in self.options_discussed]

    @property
    def present_labels(self) -> list[str]:
        return [_label(Present, value) for value in self.present]


def _label(choices: type[models.TextChoices], value: str) -> str:
    return str(dict(choices.choices).get(value, value))


class Consent(models.Model):
    """One consent given by a client, versioned; withdrawal sets ``withdrawn_at``.

    Measurement consent is per instrument and per channel. Supervision consent
    names the supervisor. A new wording is a new ``version`` row.
    """

    class Kind(models.TextChoices):
        MEASUREMENT = "measurement", "Measurement"
        SUPERVISION = "supervision", "Supervision"
        OBSERVER = "observer", "Observer"
        # The +1 decision (any phase change) is a treatment-plan change with consent.
        TREATMENT_PLAN = "treatment_plan", "Treatment-plan change"
        # issue 14: a referral summary sent to a named referrer or family doctor.
        REFERRAL = "referral", "Referral summary"
        # issue 14: the check-ins at 3 and 6 months after an Ending.
        FOLLOW_UP = "follow_up", "Follow-ups after an ending"

    class Channel(models.TextChoices):
        NONE = "", "Not applicable"
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        IN_SESSION = "in_session", "In session"
        # issue 13 (record): a decision confirmed by the client in the portal.
        PORTAL = "portal", "In the portal"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    version = models.CharField(max_length=20)
    # The language of the wording the client read (each version is kept in both).
    language = models.CharField(
        max_length=2, choices=[("en", "English"), ("fr", "French")], default="en"
    )
    instrument = models.CharField(max_length=40, blank=True)
    channel = models.CharField(max_length=15, choices=Channel.choices, blank=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    given_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The decision a treatment-plan consent records.
    decision = models.ForeignKey(
        "Decision", on_delete=models.PROTECT, null=True, blank=True, related_name="consents"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="treatment_plan") | Q(decision__isnull=False),
                name="consent_treatment_plan_names_decision",
            ),
            models.CheckConstraint(
                condition=~Q(kind="supervision") | Q(supervisor__isnull=False),
                name="consent_supervision_names_supervisor",
            ),
            models.CheckConstraint(
                condition=~Q(kind="measurement") | ~Q(instrument=""),
                name="consent_measurement_names_instrument",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} consent v{self.version}"


# --- issue 13 (record): the client's annotations and disputes, in their own words -------------


class RecordAnnotation(models.Model):
    """A note the client keeps on a point (an administration's score) or a decision.

    Never edited: a later note is a new row. A dispute is an annotation that also opened a
    correction request (PHIPA s.55) in the rights app; ``correction_request_id`` names it
    (the rights app sits above this one, so no foreign key). The therapist sees every
    annotation beside what it is about.
    """

    class Target(models.TextChoices):
        ADMINISTRATION = "administration", "A score"
        DECISION = "decision", "A decision"

    class Kind(models.TextChoices):
        NOTE = "note", "A note"
        DISPUTE = "dispute", "A dispute (correction request)"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="annotations")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="annotations")
    target = models.CharField(max_length=15, choices=Target.choices)
    # The administration's id (plusone.measures sits above this app) or the decision's.
    target_id = models.UUIDField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NOTE)
    text = EncryptedTextField()
    correction_request_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target__in=["administration", "decision"]),
                name="annotation_target_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind="note", correction_request_id__isnull=True)
                | Q(kind="dispute", correction_request_id__isnull=False),
                name="annotation_dispute_names_request",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="annotation_has_text"),
        ]
        indexes = [models.Index(fields=["target", "target_id"], name="annotation_target_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.target} {self.target_id}"


# --- end issue 13 (record) ---------------------------------------------------------------------


class EpisodeSummary(models.Model):
    """One row per episode, rewritten on every submit; the dashboard reads only these."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    episode = models.OneToOneField(Episode, on_delete=models.CASCADE, related_name="summary")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    primary_instrument = models.CharField(max_length=40)
    latest_total = models.FloatField(null=True, blank=True)
    band_label = models.CharField(max_length=60, blank=True)
    slope_per_week = models.FloatField(null=True, blank=True)
    proposal_kind = models.CharField(max_length=30, blank=True)
    alerts = models.JSONField(default=list)
    open_flag_count = models.PositiveIntegerField(default=0)
    last_session_at = models.DateTimeField(null=True, blank=True)
    next_session_at = models.DateTimeField(null=True, blank=True)
    not_completed_count = models.PositiveIntegerField(default=0)
    phase = models.CharField(max_length=15, choices=Phase.choices, default=Phase.NONE)
    # The last few primary totals, oldest first (None = check-in not completed): the
    # caseload's sparkline, so the dashboard never reads administrations.
    primary_trend = models.JSONField(default=list, blank=True)
    # The latest 0-10 rating of each active goal, by goal position (1-3).
    goal_ratings = models.JSONField(default=list, blank=True)
    # A single spike in Deepening or Consolidating ("spike: review"), as propose gives it.
    spike_review = models.BooleanField(default=False)
    # A phase agreed but awaiting the client's confirmation (a Phase value, or "").
    awaiting = models.CharField(max_length=15, blank=True, default="")
    # A forward proposal held back ("repair first", or while a move awaits the client).
    held = models.CharField(max_length=30, blank=True, default="")
    repair_first = models.BooleanField(default=False)
    # The proposal suggests a medical or psychiatric consult (a spike exit, a step back).
    consult = models.BooleanField(default=False)
    # The day the proposal, phase and alerts were judged for; older than today means stale
    # (DESIGN.md: judged as of today), and the caseload re-judges it.
    judged_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"summary of episode {self.episode_id}"


class RuptureEvent(models.Model):
    """A rupture in the working relationship, or its repair, logged by the therapist.

    A repair may name the logged rupture it repairs (``repairs``), or none when it
    repairs a possible rupture the rule engine signalled; a rupture names none.
    """

    class Kind(models.TextChoices):
        RUPTURE = "rupture", "Rupture"
        REPAIR = "repair", "Repair"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="rupture_events")
    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="rupture_events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    note = EncryptedTextField(blank=True, default="")
    repairs = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="repaired_by"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="rupture", repairs__isnull=True) | Q(kind="repair"),
                name="rupture_event_only_a_repair_names_a_rupture",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} in session {self.session_id}"


class Absence(models.Model):
    """A therapist's away dates, with the colleague who covers their risk flags.

    From ``starts_on`` to ``ends_on`` inclusive (practice dates), new flag
    notifications for the therapist's clients go to ``cover``, and the cover may
    read and acknowledge those flags (``plusone.clinical.queries.access_flag``).
    The cover must be a therapist of the same practice: ``plusone.clinical.risk``
    checks that, since a constraint cannot reach Membership.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="absences"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    # None: nobody covers (a solo practice); flags then promise the day back.
    cover = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="covering",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(cover=models.F("therapist")), name="absence_cover_is_someone_else"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="absence_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"absence {self.pk} ({self.starts_on} to {self.ends_on})"


class RiskSettings(models.Model):
    """A practice's risk settings: escalation lead time, business hours, clinical contact.

    The crisis text itself stays on ``Practice`` (English and French). Absent a
    row, the defaults below apply (escalate 4 business hours before the
    promised read-by time; Mon-Fri 09:00-17:00 America/Toronto, closed on
    Ontario's public holidays and the practice's closure days).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.OneToOneField(Practice, on_delete=models.CASCADE, related_name="risk")
    # A therapist of the practice who receives escalations when no cover is set.
    clinical_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # An unacknowledged flag escalates this many business hours before the time the
    # client was told, so that someone can still act by then.
    escalation_lead_hours = models.PositiveSmallIntegerField(default=4)
    opens = models.TimeField(default=dt.time(9, 0))
    closes = models.TimeField(default=dt.time(17, 0))
    # Comma-separated weekday numbers, Monday = 0.
    weekdays = models.CharField(max_length=20, default="0,1,2,3,4")
    time_zone = models.CharField(max_length=60, default="America/Toronto")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=models.F("opens")), name="risk_settings_closes_after_opens"
            ),
            models.CheckConstraint(
                condition=Q(escalation_lead_hours__gte=1, escalation_lead_hours__lte=8),
                name="risk_settings_lead_1_8_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"risk settings {self.pk}"


class CrisisTextVersion(models.Model):
    """Each crisis text a practice has put in force, in English and French together, kept
    as it was (never edited or deleted): which words a client was shown can be read back
    by when they were shown. Blank in both languages: the default text applied."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    text_en = models.TextField(blank=True)
    text_fr = models.TextField(blank=True)
    in_force_from = models.DateTimeField()
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["in_force_from"]
        indexes = [models.Index(fields=["practice", "in_force_from"])]

    def __str__(self) -> str:
        return f"crisis text version {self.pk}"


class ClosureDay(models.Model):
    """A day the practice is closed (beyond the public holidays): no business time passes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    label = models.CharField(max_length=80, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "day"], name="closure_day_once"),
        ]

    def __str__(self) -> str:
        return f"closure day {self.day}"


# Issue 13, the client's journey: release timing, moments that matter, what I want to bring
# today. One block, so that merges with the other issue-13 additions stay easy.


class Moment(models.Model):
    """A moment that matters, in the client's words ("the day I told my sister"). Never scored.

    Marked by the client in the portal, or by the therapist with the client in session
    (``recorded_with_client``). The client may remove their own: ``removed_at`` hides it from
    both journeys.
    """

    class By(models.TextChoices):
        CLIENT = "client", gettext_lazy("you, in the portal")
        THERAPIST_WITH_CLIENT = "therapist_with_client", gettext_lazy("your therapist, with you")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="moments")
    text = EncryptedTextField()
    happened_on = models.DateField()
    recorded_by_kind = models.CharField(max_length=24, choices=By.choices)
    # The therapist who recorded it with the client; None when the client did, in the portal.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["happened_on", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(recorded_by_kind="client", recorded_by__isnull=True)
                | Q(recorded_by_kind="therapist_with_client", recorded_by__isnull=False),
                name="moment_recorder_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"moment {self.pk}"


class BringNote(models.Model):
    """What I want to bring today: the client's optional note before one scheduled session.

    One per session; the therapist reads it on the before-session card. Not a journal, and
    never prompted.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="+")
    session = models.OneToOneField(Session, on_delete=models.PROTECT, related_name="bring_note")
    text = EncryptedTextField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"bring note for session {self.session_id}"
