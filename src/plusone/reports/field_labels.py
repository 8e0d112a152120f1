"""Plain words for the fields of the access-request PDF (PHIPA s.52 copy of a record).

The PDF prints each stored field of the export's sections (:data:`plusone.rights.export.
PARTS`) with a label. A model's ``verbose_name`` is a code in disguise ("s2 intention",
"risk item only") and is never translated, so the copy a client reads uses these words
instead, in sentence case, for the client reading their own record.

One label per field name: where a name means different things in different models
(``status``, ``kind``, ``text``, ``note``, ``reason``...), the words are true of all of
them. Left out, because the PDF never prints them: ``id``, ``practice`` and
``idempotency_key`` (``content.INTERNAL_FIELDS``) and fields that hold only a UUID
(``goal_id``, ``source_id``, ``target_id``, ``token_id``...). A test fails when a field
of an exported model has no label here.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

FIELD_LABELS: dict[str, Any] = {
    # Links to other parts of the client's record (shown by name, or left out).
    "client": gettext_lazy("Client"),
    "episode": gettext_lazy("Course of therapy"),
    "session": gettext_lazy("Session"),
    "sitting": gettext_lazy("Set of questionnaires"),
    "administration": gettext_lazy("Questionnaire answered"),
    "decision": gettext_lazy("Decision"),
    "note": gettext_lazy("Note"),
    "observer": gettext_lazy("Person you invited"),
    "request": gettext_lazy("Correction request"),
    "link": gettext_lazy("Link"),
    "incident": gettext_lazy("Privacy breach"),
    "reverses": gettext_lazy("Decision it undoes"),
    "repairs": gettext_lazy("Strain it repairs"),
    "corrects": gettext_lazy("Disclosure it corrects"),
    # Words shared by many records.
    "status": gettext_lazy("Status"),
    "kind": gettext_lazy("Type"),
    "text": gettext_lazy("Text"),
    "reason": gettext_lazy("Reason"),
    "version": gettext_lazy("Version"),
    "language": gettext_lazy("Language"),
    "created_at": gettext_lazy("Created"),
    "updated_at": gettext_lazy("Last changed"),
    "updated_by": gettext_lazy("Changed by"),
    "recorded_by": gettext_lazy("Recorded by"),
    "recorded_at": gettext_lazy("Recorded"),
    "author": gettext_lazy("Written by"),
    "opened_at": gettext_lazy("Opened"),
    "closed_on": gettext_lazy("Closed"),
    "closed_by": gettext_lazy("Closed by"),
    "withdrawn_at": gettext_lazy("Withdrawn"),
    "withdrawn_by": gettext_lazy("Withdrawn by"),
    "started_at": gettext_lazy("Started"),
    "completed_at": gettext_lazy("Finished"),
    "duration_seconds": gettext_lazy("Time taken (seconds)"),
    "due_on": gettext_lazy("Due"),
    "channel": gettext_lazy("Contact method"),
    "context": gettext_lazy("How it was answered"),
    # Course of therapy (episode).
    "primary_instrument": gettext_lazy("Main questionnaire"),
    "secondary_instrument": gettext_lazy("Second questionnaire"),
    "prior_therapy": gettext_lazy("Therapy before this"),
    "s2_intention": gettext_lazy("What you want to be different"),
    "prior_helped": gettext_lazy("What helped before"),
    "prior_unhelpful": gettext_lazy("What did not help before"),
    "prior_wished": gettext_lazy("What you wish had happened before"),
    "opened_on": gettext_lazy("Began"),
    "review_screen_requests": gettext_lazy("Questionnaires asked for at the next review"),
    # Goals.
    "position": gettext_lazy("Order"),
    "active": gettext_lazy("Current"),
    # Sessions.
    "starts_at": gettext_lazy("Date and time"),
    "duration_minutes": gettext_lazy("Length (minutes)"),
    "source_system": gettext_lazy("Imported from"),
    "source_appointment_id": gettext_lazy("Appointment reference"),
    # Measurement plan.
    "schedule": gettext_lazy("Questionnaire schedule"),
    "budget_seconds": gettext_lazy("Time limit for questionnaires (seconds)"),
    "min_interval_days": gettext_lazy("Minimum days before a questionnaire is asked again"),
    # Risk flags.
    "grade": gettext_lazy("Level of concern"),
    "source_kind": gettext_lazy("Where it came from"),
    "instrument_key": gettext_lazy("Questionnaire"),
    "item_id": gettext_lazy("Question"),
    "answer": gettext_lazy("Answer"),
    "promised_read_by": gettext_lazy("Promised to be read by"),
    "promise": gettext_lazy("What we promised"),
    "escalate_at": gettext_lazy("Passed on if still unread by"),
    "first_told": gettext_lazy("Person told first"),
    "acknowledged_at": gettext_lazy("Taken care of"),
    "acknowledged_by": gettext_lazy("Taken care of by"),
    "action_note": gettext_lazy("What was done"),
    "historical": gettext_lazy("From earlier answers brought in"),
    "escalated_at": gettext_lazy("Passed on"),
    "escalated_to": gettext_lazy("Passed on to"),
    # Decisions.
    "phase": gettext_lazy("Stage of the work"),
    "decided_on": gettext_lazy("Decided"),
    "review_date": gettext_lazy("Date to look at it again"),
    "options_discussed": gettext_lazy("Options talked about"),
    "discomfort_acknowledged": gettext_lazy("Discomfort talked about"),
    "symptom_rise_acknowledged": gettext_lazy("Possible rise in symptoms talked about"),
    "discomfort_note": gettext_lazy("What was said about discomfort"),
    "focus": gettext_lazy("Focus of the work"),
    "present": gettext_lazy("Who was there"),
    "proposal_kind": gettext_lazy("Proposal it answers"),
    "reversal_reason": gettext_lazy("Why it was undone"),
    "confirmation": gettext_lazy("Your confirmation"),
    "confirmation_text": gettext_lazy("Words of the confirmation"),
    "confirmed_on": gettext_lazy("Confirmed"),
    # Consents.
    "instrument": gettext_lazy("Questionnaire"),
    "supervisor": gettext_lazy("Supervisor"),
    "given_at": gettext_lazy("Given"),
    # Your notes and disputes, moments, what you want to bring.
    "target": gettext_lazy("About"),
    "happened_on": gettext_lazy("When it happened"),
    "recorded_by_kind": gettext_lazy("Who wrote it"),
    "removed_at": gettext_lazy("Removed"),
    # Questionnaires: sittings and answers.
    "carried_over": gettext_lazy("Left for next time"),
    "risk_grade": gettext_lazy("Level of safety concern"),
    "looked_at_together_at": gettext_lazy("Looked at together"),
    "looked_at_by": gettext_lazy("Marked as looked at by"),
    "instrument_version": gettext_lazy("Questionnaire version"),
    "respondent": gettext_lazy("Answered by"),
    "answers": gettext_lazy("Answers"),
    "free_text": gettext_lazy("Written answers"),
    "total": gettext_lazy("Total"),
    "subscales": gettext_lazy("Part scores"),
    "band": gettext_lazy("Range"),
    "valid": gettext_lazy("Complete enough to score"),
    "prorated": gettext_lazy("Total estimated from the answers given"),
    "risk_item_only": gettext_lazy("Safety question only"),
    # Follow-ups after an ending.
    "months": gettext_lazy("Months after the ending"),
    "invited_at": gettext_lazy("Invited"),
    "done_at": gettext_lazy("Done"),
    "cancelled_at": gettext_lazy("Cancelled"),
    # People you invited (observers) and their answers.
    "label": gettext_lazy("Your name for them"),
    "email": gettext_lazy("Email"),
    "relationship": gettext_lazy("Relationship to you"),
    "last_invited_at": gettext_lazy("Last invited"),
    "consent_given_at": gettext_lazy("Consent given"),
    "consent_version": gettext_lazy("Consent wording version"),
    "consent_withdrawn_at": gettext_lazy("Consent withdrawn"),
    "adult_attested_at": gettext_lazy("Confirmed being 18 or older"),
    "revoked_at": gettext_lazy("Invitation ended"),
    "safety_held": gettext_lazy("Safety concern held back"),
    # Session notes, drafts, addenda and corrections.
    "risk_assessment": gettext_lazy("Safety and risk"),
    "interventions_and_plan": gettext_lazy("What we did and the plan"),
    "consent_changes": gettext_lazy("Changes to consent"),
    "disclosures": gettext_lazy("Disclosures"),
    "meaning": gettext_lazy("Meaning"),
    "memory": gettext_lazy("Memory"),
    "self_in_relationship": gettext_lazy("Self in relationships"),
    "symptom_message": gettext_lazy("What the symptom may be saying"),
    "signed_by": gettext_lazy("Signed by"),
    "signed_at": gettext_lazy("Signed"),
    "signed_version": gettext_lazy("Version signed"),
    "section": gettext_lazy("Part of the note"),
    "old_text": gettext_lazy("Text before"),
    "new_text": gettext_lazy("Text after"),
    # Emergency access to your record.
    "user": gettext_lazy("Opened by"),
    "purpose": gettext_lazy("Purpose"),
    "expires_at": gettext_lazy("Ends"),
    # Your instructions to withhold information.
    "scope": gettext_lazy("Applies to"),
    "item_kind": gettext_lazy("Kind of item"),
    "clinician": gettext_lazy("Clinician"),
    "instructed_on": gettext_lazy("Instruction given"),
    # Disclosures of your information.
    "recipient_name": gettext_lazy("Given to"),
    "recipient_organisation": gettext_lazy("Their organization"),
    "legal_basis": gettext_lazy("Legal basis"),
    "legal_basis_other": gettext_lazy("Other legal basis"),
    "content": gettext_lazy("What was shared"),
    "disclosed_on": gettext_lazy("Shared on"),
    "disclosed_by": gettext_lazy("Shared by"),
    "lockbox_notice": gettext_lazy("Notice that some information was withheld"),
    # Legal holds.
    "placed_by": gettext_lazy("Placed by"),
    "placed_at": gettext_lazy("Placed"),
    "released_by": gettext_lazy("Lifted by"),
    "released_at": gettext_lazy("Lifted"),
    "release_reason": gettext_lazy("Why it was lifted"),
    # Your requests for access and for correction.
    "received_on": gettext_lazy("Received"),
    "how_received": gettext_lazy("How we received it"),
    "extended_on": gettext_lazy("More time taken on"),
    "extension_reason": gettext_lazy("Why more time was needed"),
    "client_told_on": gettext_lazy("You were told on"),
    "asked_for": gettext_lazy("What you asked for"),
    "refusal_ground": gettext_lazy("Legal ground for refusing"),
    "refusal_reason": gettext_lazy("Why it was refused"),
    "asked": gettext_lazy("What you asked to change"),
    "statement": gettext_lazy("Your statement of disagreement"),
    "statement_received_on": gettext_lazy("Statement received"),
}

# The words for a choice's stored value, by field name: the models' own choice labels
# are English (some lowercase, some codes), so the copy a client reads uses these, in
# their language. One inner dict per field name, merged across the exported models that
# share it (``status``, ``kind``, ``language``, ``channel``, ``context``...): a value that
# several models store has words true for all of them ("follow_up" is a consent's kind
# and a set of questionnaires' kind). A choice never reuses a field label's English that
# reads as a date in French ("Closed" is "Fermé le"): an episode's status is "Ended", a
# cancelled session "Called off". A test fails when a choice of an exported model has no
# words.
CHOICE_WORDS: dict[str, dict[str, Any]] = {
    "status": {
        "open": gettext_lazy("In progress"),
        "closed": gettext_lazy("Ended"),
        "acknowledged": gettext_lazy("Seen by your therapist"),
        "scheduled": gettext_lazy("Planned"),
        "attended": gettext_lazy("Attended"),
        "cancelled": gettext_lazy("Called off"),
        "no_show": gettext_lazy("Missed without notice"),
        "late_cancel": gettext_lazy("Cancelled late"),
        "completed": gettext_lazy("Completed"),
        "skipped": gettext_lazy("Not completed (skipped)"),
        "invited": gettext_lazy("Invitation sent"),
        "done": gettext_lazy("Completed"),
        "extended": gettext_lazy("Extended once"),
        "fulfilled": gettext_lazy("Fulfilled"),
        "refused": gettext_lazy("Refused"),
        "corrected": gettext_lazy("Corrected"),
    },
    "kind": {
        "intake": gettext_lazy("Intake"),
        "routine": gettext_lazy("Routine"),
        "review": gettext_lazy("Review"),
        "reflection": gettext_lazy("Session reflection"),
        "follow_up": gettext_lazy("Follow-up after an ending"),
        "phase_change": gettext_lazy("Phase change"),
        "declined": gettext_lazy("Declined proposal"),
        "measurement": gettext_lazy("Questionnaires to follow progress"),
        "supervision": gettext_lazy("Supervision"),
        "observer": gettext_lazy("Answers from people you invite"),
        "treatment_plan": gettext_lazy("Treatment-plan change"),
        "referral": gettext_lazy("Referral summary"),
        "rupture": gettext_lazy("Strain in our work"),
        "repair": gettext_lazy("Repair"),
        "note": gettext_lazy("A note"),
        "dispute": gettext_lazy("A dispute (correction request)"),
    },
    "language": {
        "en": gettext_lazy("English"),
        "fr": gettext_lazy("French"),
    },
    "channel": {
        "": gettext_lazy("Not applicable"),
        "email": gettext_lazy("Email"),
        "sms": gettext_lazy("Text message"),
        "in_session": gettext_lazy("In session"),
        "portal": gettext_lazy("In the portal"),
    },
    "context": {
        "checkin": gettext_lazy("Check-in link"),
        "kiosk": gettext_lazy("In session, on the therapist's device"),
        "in_session": gettext_lazy("In session"),
        "import": gettext_lazy("Imported"),
    },
    "respondent": {
        "client": gettext_lazy("Client"),
        "therapist": gettext_lazy("Therapist"),
        "observer": gettext_lazy("Person you invited"),
    },
    "promise": {
        "next_business_day": gettext_lazy("By the next business day"),
        "therapist_back": gettext_lazy("When the therapist is back"),
    },
    "phase": {
        "none": gettext_lazy("None yet"),
        "stabilizing": gettext_lazy("Stabilizing"),
        "plus_one": gettext_lazy("Ready for the next step"),
        "deepening": gettext_lazy("Deepening"),
        "consolidating": gettext_lazy("Consolidating"),
        "ending": gettext_lazy("Ending"),
    },
    "confirmation": {
        "pending": gettext_lazy("Waiting for the client's confirmation"),
        "in_session": gettext_lazy("Confirmed by the client in session"),
        "spoken": gettext_lazy("Client's spoken confirmation, recorded by the therapist"),
        "portal": gettext_lazy("Confirmed by the client in the portal"),
    },
    "target": {
        "administration": gettext_lazy("A score"),
        "decision": gettext_lazy("A decision"),
    },
    "recorded_by_kind": {
        "client": gettext_lazy("You, in the portal"),
        "therapist_with_client": gettext_lazy("Your therapist, with you"),
    },
    "relationship": {
        "partner": gettext_lazy("Partner or spouse"),
        "family": gettext_lazy("Family member"),
        "friend": gettext_lazy("Friend"),
        "coworker": gettext_lazy("Co-worker"),
        "other": gettext_lazy("Someone else"),
    },
    "purpose": {
        "care": gettext_lazy("Continuity of care (does not override a consent directive)"),
        "risk": gettext_lazy(
            "To eliminate or reduce a significant risk of serious bodily harm (PHIPA s.40(1))"
        ),
        "law": gettext_lazy("Required by law, such as a court order or summons"),
        "other": gettext_lazy("Another reason (does not override a consent directive)"),
    },
    "scope": {
        "item": gettext_lazy("One item of the record"),
        "record": gettext_lazy("The whole record"),
        "clinician": gettext_lazy("Access by a named clinician"),
    },
    "item_kind": {
        "note": gettext_lazy("Session note"),
        "administration": gettext_lazy("Questionnaire answered"),
        "observer_answer": gettext_lazy("An observer's answer"),
        "goal": gettext_lazy("Goal"),
    },
    "legal_basis": {
        "child_protection": gettext_lazy("Child-protection report (CYFSA s.125)"),
        "risk": gettext_lazy("Risk of serious bodily harm (PHIPA s.40(1))"),
        "court": gettext_lazy("Court order or summons (PHIPA s.41(1)(d))"),
        "referral": gettext_lazy("Referral with consent (PHIPA s.18, s.20(2))"),
        "client_export": gettext_lazy("Export directed by the client"),
        "other": gettext_lazy("Other disclosure required by law"),
    },
    "how_received": {
        "in_person": gettext_lazy("In writing, handed in person"),
        "email": gettext_lazy("Email"),
        "mail": gettext_lazy("Mail"),
        "fax": gettext_lazy("Fax"),
        "oral": gettext_lazy("Spoken, written down by staff"),
        "portal": gettext_lazy("Sent by the client from the portal"),
    },
    "refusal_ground": {
        "s52_1_a": gettext_lazy("s.52(1)(a): subject to legal privilege"),
        "s52_1_b": gettext_lazy("s.52(1)(b): another Act or a court order prohibits disclosure"),
        "s52_1_c": gettext_lazy("s.52(1)(c): collected for a proceeding not yet concluded"),
        "s52_1_d": gettext_lazy(
            "s.52(1)(d): collected for an inspection or investigation not concluded"
        ),
        "s52_1_e_i": gettext_lazy(
            "s.52(1)(e)(i): risk of serious harm to treatment or recovery, or of serious "
            "bodily harm"
        ),
        "s52_1_e_ii": gettext_lazy(
            "s.52(1)(e)(ii): would identify a person required by law to provide it"
        ),
        "s52_1_e_iii": gettext_lazy(
            "s.52(1)(e)(iii): would identify a person who provided it in confidence"
        ),
        "s54_6": gettext_lazy("s.54(6): frivolous or vexatious, or made in bad faith"),
        "s55_8": gettext_lazy(
            "s.55(8): not shown to be incomplete or inaccurate for the purposes the record is used"
        ),
        "s55_9_a": gettext_lazy(
            "s.55(9)(a): not created by the practice, which lacks the knowledge, expertise "
            "or authority to correct it"
        ),
        "s55_9_b": gettext_lazy(
            "s.55(9)(b): a professional opinion or observation made in good faith"
        ),
        "s55_6": gettext_lazy("s.55(6): frivolous or vexatious, or made in bad faith"),
    },
}
