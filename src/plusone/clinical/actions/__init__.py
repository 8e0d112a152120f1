"""Writes to clinical records. Each action runs in one transaction and records
its audit event (ids and action names only) as its last statement.

The writes live by what they do: ``intake``, ``flags``, ``plans`` (the measurement
and safety plans), ``relationship`` (ruptures and repairs), ``sessions`` (the session
list) and ``summary``; this package names them in one place for their callers.
"""

# ruff: noqa: F401 - the package names its modules' writes for their callers
from plusone.clinical.actions.flags import (
    FlagAlreadyAcknowledged,
    acknowledge_flag,
    open_flag,
    update_flag_answer,
)
from plusone.clinical.actions.intake import (
    CONSENT_VERSION,
    MAX_GOALS,
    UNDER_18_MESSAGE,
    IntakeData,
    intake_client,
    refuse_minor,
)
from plusone.clinical.actions.plans import (
    EditConflict,
    update_plan,
    update_safety_plan,
)
from plusone.clinical.actions.preferences import (
    set_contact,
    set_language,
)
from plusone.clinical.actions.relationship import (
    log_rupture_event,
)
from plusone.clinical.actions.sessions import (
    SessionConflict,
    add_session,
    cancel_session,
    mark_attendance,
    move_session,
)
from plusone.clinical.actions.summary import (
    SUMMARY_FIELDS,
    update_summary,
)
