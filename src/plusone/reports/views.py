"""The report downloads: parse, call, render (to PDF).

Each reads through ``access_*`` ("not yours" is a 404) and audits the generation. The
progress reports are GETs whose one side effect is the view record; the referral summary
is disclosed by a POST that logs the disclosure; the access-request PDF is a POST, as the
JSON export of the same request is.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation

from plusone import audit
from plusone.clinical import queries
from plusone.clinical.models import Episode
from plusone.lockbox.queries import withheld_from
from plusone.reports import actions, content, forms
from plusone.reports.pdf import Rendered, render_pdf
from plusone.rights import export
from plusone.rights import queries as rights_queries
from plusone.web.language import DJANGO_CODES
from plusone.web.routes import Policy, route


def _pdf(rendered: Rendered, name: str) -> HttpResponse:
    response = HttpResponse(rendered.pdf, content_type="application/pdf")
    # A UUID or a kind names the file: never the client's name (no PHI in headers).
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


def clinical_pdf(episode: Episode, *, user: Any) -> Rendered:
    """The clinical progress report of ``episode`` as ``user`` may see it."""
    today = timezone.localdate()
    report = content.clinical_report(
        episode, withheld=withheld_from(user, episode.client), today=today
    )
    return render_pdf(
        "reports/progress_clinical.html",
        {"report": report, "today": today},
        svg=report.chart.svg,
    )


def client_pdf(episode: Episode) -> Rendered:
    """The client's progress report, in the client's language."""
    today = timezone.localdate()
    with translation.override(DJANGO_CODES.get(episode.client.language, "en-ca")):
        report = content.client_report(episode, today=today)
        return render_pdf(
            "reports/progress_client.html",
            {"report": report, "today": today},
            svg=report.chart.svg,
        )


@route(Policy.STAFF_ANY, examples={"episode_id": "episode"})
def progress_clinical(request: HttpRequest, episode_id: str) -> HttpResponse:
    """Download the clinical progress report of an episode (audited as a view)."""
    episode = queries.access_episode(request.user, episode_id)
    rendered = clinical_pdf(episode, user=request.user)
    audit.record_view(request, episode, action="report.progress_clinical")
    return _pdf(rendered, f"progress-clinical-{episode.pk}")


@route(Policy.STAFF_ANY, examples={"episode_id": "episode"})
def progress_client(request: HttpRequest, episode_id: str) -> HttpResponse:
    """Download the client's own progress report, in their language (audited as a view)."""
    episode = queries.access_episode(request.user, episode_id)
    if withheld_from(request.user, episode.client).record:
        # The client withheld the whole record from this reader: nothing to print.
        return render(request, "reports/withheld.html", {"episode": episode}, status=403)
    rendered = client_pdf(episode)
    audit.record_view(request, episode, action="report.progress_client")
    return _pdf(rendered, f"progress-{episode.pk}")


@route(Policy.THERAPIST, examples={"episode_id": "episode"}, methods=("GET", "POST"))
def referral(request: HttpRequest, episode_id: str) -> HttpResponse:
    """The referral summary: a form naming the recipient, then the PDF, logged as a
    disclosure. Refused, naming what is missing, without a referral consent."""
    episode = queries.access_episode(request.user, episode_id, write=True)
    consent = content.referral_consent(episode.client)
    form = forms.ReferralForm(request.POST or None)
    if request.method == "POST" and consent is not None and form.is_valid():
        today = timezone.localdate()
        data = form.cleaned_data
        summary = content.referral_summary(
            episode,
            consent=consent,
            recipient=data["recipient"],
            organisation=data["organisation"],
            today=today,
        )
        rendered = render_pdf("reports/referral.html", {"summary": summary, "today": today})
        actions.disclose_referral(
            user=request.user,
            episode=episode,
            recipient=data["recipient"],
            organisation=data["organisation"],
            today=today,
        )
        return _pdf(rendered, f"referral-{episode.pk}")
    status = 400 if request.method == "POST" else 200
    context = {"episode": episode, "form": form, "consent": consent}
    return render(request, "reports/referral_form.html", context, status=status)


@route(Policy.PRIVACY_OFFICER, examples={"request_id": "access_request"}, methods=("POST",))
def access_pdf(request: HttpRequest, request_id: str) -> HttpResponse:
    """The readable companion of the access-request export, withheld parts left out and
    the refusal notice in their place; the download is audited."""
    found = rights_queries.access_request(request.user, request_id)
    body = export.build_export(found, generated_at=timezone.now())
    # The client reads it: in the client's language, as their other pages are.
    with translation.override(DJANGO_CODES.get(found.client.language, "en-ca")):
        context = {
            "export": body,
            "sections": content.access_sections(body, export.PARTS),
            "refusals": content.refusals(body, export.PARTS),
            "refusal_notice": content.REFUSAL_NOTICE,
            "today": timezone.localdate(),
            "language": found.client.language,
        }
        rendered = render_pdf("reports/access_request.html", context)
    actions.record_access_pdf(user=request.user, request=found, withheld=len(body["withheld"]))
    return _pdf(rendered, f"access-{found.pk}")
