from django.urls import include, path

from plusone.clinical import journey_views, risk_views, views

app_name = "clinical"
urlpatterns = [
    path("caseload/", views.caseload, name="caseload"),
    path("clients/new/", views.intake, name="intake"),
    path("flags/<uuid:flag_id>/acknowledge/", views.acknowledge_flag, name="acknowledge_flag"),
    path("flags/covering/", risk_views.covering, name="covering"),
    path("away/", risk_views.absences, name="absences"),
    path("settings/risk/", risk_views.risk_settings, name="risk_settings"),
    path("settings/risk/closures/", risk_views.closure_days, name="closure_days"),
    path("episodes/<uuid:episode_id>/decisions/", views.decisions, name="decisions"),
    path("episodes/<uuid:episode_id>/decisions/new/", views.decision_new, name="decision_new"),
    path(
        "episodes/<uuid:episode_id>/decisions/confirm/",
        views.decision_confirm,
        name="decision_confirm",
    ),
    path("device/confirm/", views.confirm_on_device, name="confirm_on_device"),
    path(
        "episodes/<uuid:episode_id>/decisions/reverse/",
        views.decision_reverse,
        name="decision_reverse",
    ),
    path("clients/<uuid:client_id>/safety-plan/", views.safety_plan, name="safety_plan"),
    path("episodes/<uuid:episode_id>/journey/", journey_views.journey_page, name="journey"),
    path(
        "episodes/<uuid:episode_id>/journey/together/",
        journey_views.review_together,
        name="review_together",
    ),
    path("episodes/<uuid:episode_id>/card/", journey_views.session_card, name="session_card"),
    # Session notes (plusone.notes) live under the practice pages too: /practice/sessions/...
    path("", include("plusone.notes.urls")),
]
