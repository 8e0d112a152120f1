"""Writes for check-ins: issue a link, save a draft, submit, skip, and kiosk mode.

Each write runs in one ``transaction.atomic`` and records its audit events in
it. ``submit_checkin`` is the one door for a client's answers: it consumes the
token, stores the administrations with their scores, opens a flag on a risk
answer, refreshes the episode summary, audits, and enqueues the therapist's
notification, all before commit. The Session Reflection goes through the same door:
``issue_reflection_link`` and ``start_reflection_kiosk`` fix its draft as a one-group
sitting of kind "reflection" (docs/checkin.md, Session Reflection).

The writes live in ``links``, ``drafts`` and ``submit``; this package names them
in one place for their callers.
"""

# ruff: noqa: F401 - the package names its modules' writes for their callers
from plusone.measures.actions.drafts import (
    draft_answers,
    mark_shown,
    note_language,
    open_draft,
    save_answer,
    save_group,
    seconds_on,
)
from plusone.measures.actions.links import (
    CHECKIN_TTL,
    EMAIL_SUBJECT,
    KIOSK_TTL,
    LINK_DELIVERY,
    REFLECTION_KEY,
    REFLECTION_LINK_TTL,
    IssuedLink,
    NoOpenEpisode,
    issue_checkin_link,
    issue_reflection_link,
    link_url,
    open_episode,
    start_kiosk,
    start_reflection_kiosk,
)
from plusone.measures.actions.submit import (
    RISK_ITEM_ONLY_REASON,
    CheckinResult,
    skip_checkin,
    submit_checkin,
)
from plusone.measures.summary import (
    REFLECTION_ITEMS,
    THERAPIST_RATING_ITEMS,
    declined_proposal,
    history_for,
    refresh_summary,
)
