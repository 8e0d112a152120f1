"""Root URLconf. No Django admin: it would bypass access_* and the audit trail."""

from django.urls import include, path

from plusone.portal import views as portal

urlpatterns = [
    path("", include("plusone.web.urls")),
    # The client's own place, and the two pages every client and observer page reaches.
    path("me/", include("plusone.portal.urls")),
    path("language/", portal.switch_language, name="language"),
    path("n/", portal.neutral, name="neutral"),
    # The staff home at the root, the caseload, decisions and journey under practice/.
    path("", include("plusone.insights.urls")),
    path("accounts/", include("allauth.urls")),
    path("practice/", include("plusone.clinical.urls")),
    # The check-in app (engineer E) owns /c/<token>, /checkin/ and /o/<token>.
    path("", include("plusone.measures.urls")),
    # The observer's form at /o/<token>, and the therapist's observers page.
    path("", include("plusone.observers.urls")),
    path("privacy/", include("plusone.privacy.urls")),
    path("lockbox/", include("plusone.lockbox.urls")),
    path("rights/", include("plusone.rights.urls")),
    path("custodian/", include("plusone.custodian.urls")),
    path("practice/reports/", include("plusone.reports.urls")),
    path("practice/exports/", include("plusone.interop.urls")),
    path("practice/imports/", include("plusone.imports.urls")),
    path("practice/outcomes/", include("plusone.outcomes.urls")),
]

# The error page shows the request id that the log line carries (plusone.web.requestid).
handler500 = "plusone.web.views.server_error"
