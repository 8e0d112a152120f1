"""Writes of the reports app: the referral's disclosure, with its audit rows.

Generating a progress report or an access-request PDF writes only an audit row
(``audit.record_view`` in the view, or :func:`record_access_pdf`); a referral summary
leaves the practice, so it enters the disclosure log in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from plusone import audit
from plusone.clinical.models import Episode
from plusone.custodian.actions import DisclosureData, Refused, record_disclosure
from plusone.custodian.models import Disclosure, LegalBasis
from plusone.reports.content import referral_consent
from plusone.rights.models import AccessRequest

# What the log says was disclosed: the summary's parts, never their content.
REFERRAL_CONTENT = (
    "Referral summary (PDF): agreed phase, the client's goals, first and latest "
    "primary-measure scores with band and change since intake; withheld parts marked."
)


class NoReferralConsent(Refused):
    """The client has no referral consent in force."""


def disclose_referral(
    *, user: Any, episode: Episode, recipient: str, organisation: str, today: dt.date
) -> Disclosure:
    """Log the referral summary sent to ``recipient``, only under a referral consent in
    force; the disclosure row and both audit rows commit together."""
    client = episode.client
    consent = referral_consent(client)
    if consent is None:
        raise NoReferralConsent(
            "No referral consent is on record for this client. Record the client's consent "
            "to a referral summary first (kind: referral summary), then send it."
        )
    with transaction.atomic():
        row = record_disclosure(
            user=user,
            client=client,
            data=DisclosureData(
                recipient_name=recipient,
                recipient_organisation=organisation,
                legal_basis=LegalBasis.REFERRAL,
                legal_basis_other="",
                content=REFERRAL_CONTENT,
                disclosed_on=today,
            ),
        )
        audit.record(
            practice=client.practice,
            actor=user,
            action="report.referral",
            target_type="clinical.episode",
            target_id=episode.pk,
            detail={"disclosure_id": row.pk, "consent_id": consent.pk},
        )
    return row


def record_access_pdf(*, user: Any, request: AccessRequest, withheld: int) -> None:
    """Audit the download of the access-request PDF (ids and counts only), as the JSON
    export's download is audited."""
    with transaction.atomic():
        audit.record(
            practice=request.practice,
            actor=user,
            action="report.access_pdf",
            target_type="rights.accessrequest",
            target_id=request.pk,
            detail={"client_id": request.client_id, "withheld": withheld},
        )
