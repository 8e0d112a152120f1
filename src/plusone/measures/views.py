"""Check-in pages: open a link, answer one group at a time, skip, acknowledge; kiosk mode.

Views parse, call an action or selector, and render. The token never stays in
a URL: ``/c/<token>`` moves it into the session and redirects to ``/checkin/``.

One module on purpose, though long: the check-in's pages share one session
protocol (which token, which kiosk, which flag's response is due) and one
flow from link to done; each view is short.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import logout
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from plusone import audit
from plusone.clinical import queries, risk, safety
from plusone.clinical.models import Flag, SafetyPlan
from plusone.measures import actions, checkin, forms, link_qr
from plusone.measures import consent as consent_service
from plusone.measures.actions.followups import offers_check_in
from plusone.measures.models import CheckinDraft, Context, Sitting, SittingKind, SittingStatus
from plusone.measures.risk_answers import risk_answers, sitting_flag
from plusone.tokens import TokenError
from plusone.tokens import service as tokens
from plusone.tokens.models import AccessToken, Purpose
from plusone.web import language
from plusone.web.routes import Policy, route

# Session keys. The token's id (never the raw token) is what the session holds.
TOKEN_KEY = "checkin_token"  # noqa: S105 - a session key's name, not a secret
KIOSK_KEY = "checkin_kiosk"
DONE_KEY = "checkin_done"
# The flag whose graded response the client sees before the next group.
RISK_KEY = "checkin_risk"
# "<flag id>:<grade>" of the graded response last shown, so it is shown once per grade.
RISK_SHOWN_KEY = "checkin_risk_shown"

# Worded for any link: a check-in link and a Session Reflection link meet the same pages.
PROBLEMS = {
    "unknown": {
        "title": _("This link doesn't work"),
        "body": _(
            "We couldn't find the questions this link should open. It may have been copied "
            "only in part."
        ),
        "next": _(
            "Check that you opened the whole link. If it still doesn't work, "
            "ask your therapist for a new link."
        ),
        "status": 404,
    },
    "expired": {
        "title": _("This link has expired"),
        "body": _(
            "The links your therapist sends work for a limited time, to keep your answers private."
        ),
        "next": _("Ask your therapist for a new link. Nothing is lost."),
        "status": 410,
    },
    "used": {
        "title": _("This link has already been used"),
        "body": _(
            "Each link works once. The answers for this link have already been sent, "
            "or were skipped."
        ),
        "next": _(
            "There's nothing more to do. If you want to add something, "
            "tell your therapist or ask for a new link."
        ),
        "status": 410,
    },
    "revoked": {
        "title": _("This link has been replaced"),
        "body": _("Your therapist sent a newer link, or cancelled this one."),
        "next": _("Use the most recent link you received, or ask your therapist for a new link."),
        "status": 410,
    },
    "none": {
        "title": _("There's nothing open to fill in"),
        "body": _(
            "This page shows your questions after you open the link your therapist sent you."
        ),
        "next": _("Open the link from your therapist again, or ask your therapist for a new link."),
        "status": 400,
    },
}


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _problem(request: HttpRequest, code: str) -> HttpResponse:
    problem = PROBLEMS[code]
    return render(
        request, "measures/link_problem.html", {"problem": problem}, status=problem["status"]
    )


def _live_problem(token: AccessToken) -> str | None:
    """Why a token in the session can no longer be used, or None."""
    if token.revoked_at is not None:
        return "revoked"
    if token.used_at is not None:
        return "used"
    if token.expires_at <= timezone.now():
        return "expired"
    return None


def _session_token(request: HttpRequest) -> AccessToken | None:
    token_id = request.session.get(TOKEN_KEY)
    if not token_id:
        return None
    return (
        AccessToken.objects.select_related("practice", "client", "episode", "session")
        .filter(pk=token_id, purpose=Purpose.CHECKIN)
        .first()
    )


def _kiosk(request: HttpRequest) -> bool:
    return bool(request.session.get(KIOSK_KEY))


def _finish(request: HttpRequest, sitting: Sitting) -> HttpResponse:
    request.session.pop(TOKEN_KEY, None)
    request.session[DONE_KEY] = str(sitting.pk)
    return redirect("measures:done")


@route(Policy.PUBLIC, examples={"token": "token"})
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET /c/<token>: move a live token into the session and redirect. Never consumes."""
    try:
        found = tokens.resolve(token, Purpose.CHECKIN)
    except TokenError as exc:
        return _problem(request, exc.code)
    if not _kiosk(request):
        # A fresh session id, so a pre-set session cookie cannot ride along.
        request.session.cycle_key()
    request.session[TOKEN_KEY] = str(found.pk)
    request.session.pop(DONE_KEY, None)
    # The check-in speaks the client's language (switchable on every page).
    language.choose(request, found.client.language)
    return redirect("measures:checkin")


@route(Policy.CHECKIN_SESSION, methods=("GET", "POST"))
def checkin_page(request: HttpRequest) -> HttpResponse:
    """One group of the check-in at a time; the last group's POST submits it."""
    token = _session_token(request)
    if token is None:
        if request.session.get(DONE_KEY):
            return redirect("measures:done")
        return _problem(request, "none")
    stored = Sitting.objects.filter(idempotency_key=str(token.pk)).first()
    if stored is not None:
        # A double tap or a retry after the first submit committed: show what was stored.
        return _finish(request, stored)
    problem = _live_problem(token)
    if problem:
        return _problem(request, problem)
    # Before the first group: the client agrees to this consent wording, once per version.
    if not consent_service.has_current_consent(token.client):
        return redirect("measures:consent")
    draft = actions.open_draft(token)
    if not draft.instruments:
        return _nothing_due(request, token)
    index = min(draft.current_group, len(draft.instruments) - 1)
    key = draft.instruments[index]
    if request.method == "POST":
        return _post_group(request, token, draft, index, key)
    request.session.pop(RISK_KEY, None)
    actions.mark_shown(draft, key)
    values = actions.draft_answers(draft).get(key, {})
    return _render_group(request, token, draft, index, key, values, {})


@route(Policy.CHECKIN_SESSION, methods=("POST",))
def save_answer(request: HttpRequest) -> HttpResponse:
    """One answer, saved as it is tapped (htmx, on change); the page stays where it is.

    A risk answer opens the sitting's flag in this save, but the reply only says
    "saved": the graded response comes at the group's Next, on a page of its own.
    A dead link gets the same polite refusal as the check-in, and htmx goes there.
    """
    token = _session_token(request)
    problem = "none" if token is None else _live_problem(token)
    if token is not None and problem is None:
        if Sitting.objects.filter(idempotency_key=str(token.pk)).exists():
            problem = "used"
        elif not consent_service.has_current_consent(token.client):
            problem = "none"
    if problem:
        return _refuse_tap(request, problem)
    # The page that posts this made the draft; a tap never makes one.
    draft = CheckinDraft.objects.filter(token_id=str(token.pk)).first()
    key = request.POST.get("group", "")
    items = (
        checkin.group_items(key, token.episode_id, token.practice_id)
        if draft is not None and key in draft.instruments
        else None
    )
    answer = (
        forms.parse_answer(items, request.POST)
        if items is not None
        else forms.OneAnswer("", None, str(forms.ONE_ANSWER))
    )
    if answer.error:
        return render(request, "measures/_answer_saved.html", {"error": answer.error}, status=400)
    try:
        actions.save_answer(
            draft, key, answer.item_id, answer.value, token=token, is_text=answer.is_text
        )
    except TokenError as exc:
        return _refuse_tap(request, exc.code)
    number = 1 + [i.id for i in items.items].index(answer.item_id)
    return render(request, "measures/_answer_saved.html", {"number": number})


def _refuse_tap(request: HttpRequest, code: str) -> HttpResponse:
    """The check-in's own refusal; htmx follows HX-Redirect to it, as "Next" would."""
    refusal = _problem(request, code)
    refusal["HX-Redirect"] = reverse("measures:checkin")
    return refusal


@route(Policy.CHECKIN_SESSION, methods=("GET", "POST"))
def consent_page(request: HttpRequest) -> HttpResponse:
    """The consent step before a client's first check-in: agree, or decline kindly."""
    token = _session_token(request)
    if token is None:
        return _problem(request, "none")
    problem = _live_problem(token)
    if problem:
        return _problem(request, problem)
    if request.method == "POST":
        choice = request.POST.get("choice")
        if choice in ("agree", "decline"):
            consent_service.record_checkin_consent(
                token=token, agreed=choice == "agree", language=safety.current_language()
            )
            if choice == "agree":
                return redirect("measures:checkin")
            # Declining ends the sitting; the link stays usable if they change their mind.
            request.session.pop(TOKEN_KEY, None)
            context = {"kiosk": _kiosk(request), "exit_url": reverse("measures:kiosk_exit")}
            return render(request, "measures/consent_declined.html", context)
    version = consent_service.CONSENT_VERSION
    context = {
        "version": version,
        "wording": consent_service.wording_template(version, safety.current_language()),
        "resources": safety.RESOURCES,
    }
    return render(request, "measures/consent.html", context)


def _post_group(
    request: HttpRequest, token: AccessToken, draft: Any, index: int, key: str
) -> HttpResponse:
    if request.POST.get("group") != key:
        # A stale tab posted an earlier group: show the current one instead.
        return redirect("measures:checkin")
    parsed = forms.parse_group(
        checkin.group_items(key, token.episode_id, token.practice_id), request.POST
    )
    action = request.POST.get("action", "next")
    if action == "back":
        kept = {k: v for k, v in parsed.answers.items() if k not in parsed.errors}
        flag = actions.save_group(draft, key, kept, move_to=index - 1, token=token)
        return _after_save(request, token, key, kept, flag)
    if not parsed.ok:
        return _render_group(request, token, draft, index, key, parsed.answers, parsed.errors)
    if index < len(draft.instruments) - 1:
        flag = actions.save_group(draft, key, parsed.answers, move_to=index + 1, token=token)
        return _after_save(request, token, key, parsed.answers, flag)
    # The last group goes straight into the submit: one transaction, not two.
    answers = {**actions.draft_answers(draft), key: parsed.answers}
    durations = {**draft.seconds, key: draft.seconds.get(key, 0) + actions.seconds_on(draft, key)}
    try:
        result = actions.submit_checkin(
            link=token,
            answers=answers,
            context=Context.KIOSK if _kiosk(request) else Context.CHECKIN,
            durations=durations,
            started_at=draft.started_at,
            carried_over=list(draft.rolled_on),
        )
    except TokenError as exc:
        return _problem(request, exc.code)
    return _finish(request, result.sitting)


def _after_save(
    request: HttpRequest, token: AccessToken, key: str, answers: Any, flag: Flag | None
) -> HttpResponse:
    """On to the next group; first the graded response when this save opened or raised
    the sitting's flag (DESIGN.md, Risk: right after that group, before the next).

    A tap saved earlier may have opened the flag already: the group's risk item then
    still brings the response, once per grade this session has not yet been shown.
    """
    if flag is None and risk_answers({key: answers}):
        flag = sitting_flag(token.pk)
        if flag is not None and request.session.get(RISK_SHOWN_KEY) == _shown_mark(flag):
            flag = None
    if flag is None:
        return redirect("measures:checkin")
    request.session[RISK_KEY] = str(flag.pk)
    return redirect("measures:risk_response")


@route(Policy.CHECKIN_SESSION)
def risk_response(request: HttpRequest) -> HttpResponse:
    """The graded response to a risk answer, shown before the next group: the client's
    safety plan or the crisis text, each with the time their therapist reads it; on a
    tablet in session, "please hand the tablet back"."""
    token = _session_token(request)
    flag_id = request.session.get(RISK_KEY)
    flag = sitting_flag(token.pk) if token is not None and flag_id else None
    if flag is None or str(flag.pk) != flag_id:
        return redirect("measures:checkin")
    context = _response_context(
        request, flag=flag, grade=flag.grade, actor=f"token:{token.pk}", detail={"flag": flag.pk}
    )
    context["continue_url"] = reverse("measures:checkin")
    request.session[RISK_SHOWN_KEY] = _shown_mark(flag)
    return render(request, "measures/checkin_risk.html", context)


def _shown_mark(flag: Flag) -> str:
    return f"{flag.pk}:{flag.grade}"


def _response_context(
    request: HttpRequest, *, flag: Flag | None, grade: int, actor: str, detail: dict[str, Any]
) -> dict[str, Any]:
    """What the graded response shows, in the page's language: the kind, the client's own
    safety plan (grade 1; its view is audited), the crisis text and the promised time."""
    kiosk = _kiosk(request)
    response = safety.response_kind(grade)
    client = flag.client if flag is not None else None
    practice = flag.practice if flag is not None else None
    plan_text = ""
    if response == "safety_plan" and not kiosk and client is not None:
        plan = SafetyPlan.objects.filter(client=client).first()
        plan_text = plan.text if plan is not None else ""
        with transaction.atomic():
            audit.record(
                practice=practice,  # type: ignore[arg-type]
                actor=actor,
                action="view.safety_plan",
                target_type="clinical.safetyplan",
                target_id=plan.pk if plan is not None else "",
                detail=detail,
            )
    language = safety.current_language()
    read_by = flag.promised_read_by if flag is not None else None
    if flag is not None and read_by is None:
        # A flag from before promises were stored: the one function answers now.
        read_by = risk.promise_for(
            practice=flag.practice, therapist=flag.client.therapist, now=flag.opened_at
        ).read_by
    return {
        "response": response,
        "hand_back": kiosk and response != "none",
        "kiosk": kiosk,
        "safety_plan": plan_text,
        "read_by": risk.format_read_by(practice, read_by, language) if read_by else "",
        "therapist_back": flag is not None and flag.promise == Flag.Promise.THERAPIST_BACK,
        "crisis_text": risk.crisis_text(practice, read_by, language) if read_by else "",
        "resources": safety.RESOURCES,
        "exit_url": reverse("measures:kiosk_exit"),
    }


def _render_group(
    request: HttpRequest,
    token: AccessToken,
    draft: Any,
    index: int,
    key: str,
    values: dict[str, Any],
    errors: dict[str, str],
) -> HttpResponse:
    group = checkin.build_group(
        key,
        episode_id=token.episode_id,
        practice_id=token.practice_id,
        values=values,
        errors=errors,
    )
    actions.note_language(draft, key, group.language)
    context = {
        "group": group,
        "reflection": draft.kind == SittingKind.REFLECTION,
        "errors": errors,
        "position": index + 1,
        "total": len(draft.instruments),
        "form_action": reverse("measures:checkin"),
        "save_action": reverse("measures:save_answer"),
        "skip_action": reverse("measures:skip"),
        "kiosk": _kiosk(request),
    }
    return render(request, "measures/checkin_group.html", context)


def _nothing_due(request: HttpRequest, token: AccessToken) -> HttpResponse:
    """No instrument can be asked today: record the sitting as not completed."""
    context = Context.KIOSK if _kiosk(request) else Context.CHECKIN
    result = actions.skip_checkin(link=token, context=context)
    return _finish(request, result.sitting)


@route(Policy.CHECKIN_SESSION, methods=("POST",))
def skip(request: HttpRequest) -> HttpResponse:
    """ "Skip today", in one tap: a not-completed sitting; the instruments roll on."""
    token = _session_token(request)
    if token is None:
        return (
            redirect("measures:done")
            if request.session.get(DONE_KEY)
            else _problem(request, "none")
        )
    try:
        result = actions.skip_checkin(
            link=token, context=Context.KIOSK if _kiosk(request) else Context.CHECKIN
        )
    except TokenError as exc:
        return _problem(request, exc.code)
    return _finish(request, result.sitting)


@route(Policy.CHECKIN_SESSION)
def done(request: HttpRequest) -> HttpResponse:
    """The acknowledgement, shown only after commit; on risk, the graded response."""
    sitting_id = request.session.get(DONE_KEY)
    sitting = (
        Sitting.objects.select_related("practice", "client").filter(pk=sitting_id).first()
        if sitting_id
        else None
    )
    if sitting is None:
        return _problem(request, "none")
    flag = sitting_flag(sitting.idempotency_key) if sitting.risk_grade else None
    context = _response_context(
        request,
        flag=flag,
        grade=sitting.risk_grade,
        actor=f"token:{sitting.idempotency_key}",
        detail={"sitting": sitting.pk},
    )
    # The reflection's thanks never shows a score, like every acknowledgement.
    context["reflection"] = sitting.kind == SittingKind.REFLECTION
    context["skipped"] = sitting.status == SittingStatus.SKIPPED
    # A follow-up after an Ending that did not hold: an offer of a session, never an alarm.
    context["follow_up_offer"] = sitting.kind == SittingKind.FOLLOW_UP and offers_check_in(
        sitting.episode_id
    )
    return render(request, "measures/checkin_done.html", context)


# Therapist side ------------------------------------------------------------------------


@route(Policy.THERAPIST, methods=("POST",))
def issue_link(request: HttpRequest) -> HttpResponse:
    """Issue a check-in link for one of the therapist's clients: shown to copy, or emailed."""
    found = queries.access_client(request.user, request.POST.get("client_id"), write=True)
    replaces = None
    if request.POST.get("replaces"):
        replaces = AccessToken.objects.filter(
            pk=_uuid_or_none(request.POST["replaces"]), client=found, purpose=Purpose.CHECKIN
        ).first()
    try:
        issued = actions.issue_checkin_link(
            acting_user=request.user,
            client=found,
            send_email=request.POST.get("email") == "1",
            replaces=replaces,
        )
    except actions.NoOpenEpisode:
        return render(request, "measures/link_issued.html", {"no_episode": True, "client": found})
    return _link_page(request, found, issued, reflection=False)


def _link_page(
    request: HttpRequest, found: Any, issued: actions.IssuedLink, *, reflection: bool
) -> HttpResponse:
    context = {
        "reflection": reflection,
        "session": issued.token.session,
        "client": found,
        "link_url": issued.url,
        "link_qr": link_qr.qr_svg(
            issued.url,
            label=f"QR code of the {'Session Reflection' if reflection else 'check-in'} link",
        ),
        "token_id": issued.token.pk,
        "expires_at": issued.token.expires_at,
        "emailed": issued.emailed,
        "email_withdrawn": issued.email_withdrawn,
        "has_email": bool(found.email),
    }
    # The page holds a live bearer link: never cached (web.nostore marks every response).
    return render(request, "measures/link_issued.html", context)


@route(Policy.THERAPIST, methods=("POST",))
def start_kiosk(request: HttpRequest) -> HttpResponse:
    """Start an in-session check-in on this device, then sign the therapist out of it.

    The client holds only the check-in; to leave, the therapist signs in again
    (password and TOTP code, through the normal, rate-limited sign-in).
    """
    found = queries.access_client(request.user, request.POST.get("client_id"), write=True)
    replaced = request.POST.get("replaces")
    if replaced:
        old = AccessToken.objects.filter(
            pk=_uuid_or_none(replaced), client=found, purpose=Purpose.CHECKIN
        ).first()
        if old is not None:
            tokens.revoke(old)
    token = actions.start_kiosk(acting_user=request.user, client=found)
    therapist_id = str(request.user.pk)
    # Signed out on this device: nothing but the check-in is reachable until she signs in.
    logout(request)
    request.session[TOKEN_KEY] = str(token.pk)
    request.session[KIOSK_KEY] = therapist_id
    return redirect("measures:checkin")


def _reflection_target(request: HttpRequest) -> tuple[Any, Any]:
    """The client (and the session, if one is named) a reflection is started for; 404 if
    either is not the therapist's to change, or the session is another client's."""
    found = queries.access_client(request.user, request.POST.get("client_id"), write=True)
    session = None
    if request.POST.get("session_id"):
        session = queries.access_session(request.user, request.POST["session_id"], write=True)
        if session.episode.client_id != found.pk:
            raise Http404
    return found, session


@route(Policy.THERAPIST, methods=("POST",))
def issue_reflection_link(request: HttpRequest) -> HttpResponse:
    """Issue a Session Reflection link, the fallback to the in-session reflection: shown to
    copy, or emailed."""
    found, session = _reflection_target(request)
    replaces = None
    if request.POST.get("replaces"):
        replaces = AccessToken.objects.filter(
            pk=_uuid_or_none(request.POST["replaces"]), client=found, purpose=Purpose.CHECKIN
        ).first()
        # A resend keeps the replaced link's session.
        session = session or (replaces.session if replaces is not None else None)
    try:
        issued = actions.issue_reflection_link(
            acting_user=request.user,
            client=found,
            session=session,
            send_email=request.POST.get("email") == "1",
            replaces=replaces,
        )
    except actions.NoOpenEpisode:
        return render(
            request,
            "measures/link_issued.html",
            {"no_episode": True, "client": found, "reflection": True},
        )
    return _link_page(request, found, issued, reflection=True)


@route(Policy.THERAPIST, methods=("POST",))
def start_reflection_kiosk(request: HttpRequest) -> HttpResponse:
    """Start the client's end-of-session Session Reflection on this device, then sign the
    therapist out of it, exactly as kiosk check-ins do."""
    found, session = _reflection_target(request)
    replaced = request.POST.get("replaces")
    if replaced:
        old = AccessToken.objects.filter(
            pk=_uuid_or_none(replaced), client=found, purpose=Purpose.CHECKIN
        ).first()
        if old is not None:
            tokens.revoke(old)
            session = session or old.session
    try:
        token = actions.start_reflection_kiosk(
            acting_user=request.user, client=found, session=session
        )
    except actions.NoOpenEpisode:
        return render(
            request,
            "measures/link_issued.html",
            {"no_episode": True, "client": found, "reflection": True},
        )
    therapist_id = str(request.user.pk)
    # Signed out on this device: nothing but the reflection is reachable until she signs in.
    logout(request)
    request.session[TOKEN_KEY] = str(token.pk)
    request.session[KIOSK_KEY] = therapist_id
    return redirect("measures:checkin")


def _after_kiosk(request: HttpRequest) -> str:
    """Where the therapist lands on signing back in: after a Session Reflection sent for a
    session, that session's Therapist Rating, recorded alongside it (DESIGN.md); else the
    caseload. The path names the session by its UUID only."""
    done = request.session.get(DONE_KEY)
    sitting = (
        Sitting.objects.filter(pk=done, kind=SittingKind.REFLECTION, session__isnull=False)
        .only("session_id")
        .first()
        if done
        else None
    )
    if sitting is not None:
        return reverse("measures:session_relationship", kwargs={"session_id": sitting.session_id})
    return reverse("insights:caseload")


@route(Policy.CHECKIN_SESSION)
def kiosk_exit(request: HttpRequest) -> HttpResponse:
    """How the therapist leaves kiosk mode: sign in again (password and authenticator code)."""
    if not _kiosk(request):
        return redirect("insights:home")
    context = {
        "sign_in_url": reverse("account_login") + "?next=" + _after_kiosk(request),
        "back_url": reverse("measures:checkin")
        if request.session.get(TOKEN_KEY)
        else reverse("measures:done"),
    }
    return render(request, "measures/kiosk_exit.html", context)


@route(Policy.THERAPIST, examples={"client_id": "client"}, methods=("GET", "POST"))
def consent_withdrawal(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    """The client's therapist records a withdrawal or re-consent per instrument or channel."""
    found = queries.access_client(request.user, client_id, write=True)
    episode = found.episodes.filter(status="open").first()
    instruments = sorted(checkin.plan_instruments(episode)) if episode is not None else []
    if request.method == "POST":
        instrument = request.POST.get("instrument", "")
        channel = request.POST.get("channel", "")
        withdraw = request.POST.get("action") == "withdraw"
        valid = (instrument in instruments and not channel) or (
            channel in consent_service.CONTACT_CHANNELS and not instrument
        )
        if valid and request.POST.get("action") in ("withdraw", "reconsent"):
            consent_service.record_withdrawal(
                acting_user=request.user,
                client=found,
                instrument=instrument,
                channel=channel,
                withdraw=withdraw,
            )
            return redirect("measures:consent_withdrawal", client_id=found.pk)
        return HttpResponse("Choose one instrument or one channel.", status=400)
    withdrawn = consent_service.withdrawn_instruments(found)
    context = {
        "client": found,
        "instruments": [
            {
                "key": k,
                "name": checkin.instrument(k, found.practice_id).title,
                "off": k in withdrawn,
            }
            for k in instruments
        ],
        "channels": [
            {
                "key": c.value,
                "name": c.label,
                "off": consent_service.channel_withdrawn(found, c.value),
            }
            for c in consent_service.CONTACT_CHANNELS
        ],
    }
    return render(request, "measures/consent_withdrawal.html", context)
