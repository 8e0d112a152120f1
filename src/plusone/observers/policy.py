"""The observer rules' numbers, in one place (issue 13, Observers)."""

from __future__ import annotations

import datetime as dt

# At most this many observers may be active (invited, not revoked) at once.
MAX_ACTIVE = 3
# At most one invitation per observer in this span.
INVITE_EVERY = dt.timedelta(weeks=8)
# How long an observer link works.
LINK_TTL = dt.timedelta(days=14)
# The wording of the observer's consent, versioned like every consent wording.
CONSENT_VERSION = "2026-12-1"
# The instrument each observer round answers.
INSTRUMENT = "observed_change"
