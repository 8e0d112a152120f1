"""The record pages of the portal (issue 13), included into the ``portal`` namespace."""

from django.urls import URLPattern, path

from plusone.portal import access, decisions, goals, record_views

urlpatterns: list[URLPattern] = [
    path("goals/", goals.goals, name="goals"),
    path("decisions/", decisions.decisions, name="decisions"),
    path("decisions/<uuid:decision_id>/", decisions.decision, name="decision"),
    path("record/", record_views.record_home, name="record"),
    path("record/points/<uuid:administration_id>/", record_views.point, name="record_point"),
    path("record/requests/<uuid:request_id>/", record_views.correction, name="record_request"),
    path("access/", access.access, name="access"),
    path(
        "access/supervision/<uuid:consent_id>/withdraw/",
        access.withdraw_supervision,
        name="access_withdraw_supervision",
    ),
]
