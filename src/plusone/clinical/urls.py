from django.urls import include, path

from plusone.clinical import choice_views, risk_views, views

app_name = "clinical"
urlpatterns = [
    path("clients/new/", views.intake, name="intake"),
    path("flags/<uuid:flag_id>/acknowledge/", views.acknowledge_flag, name="acknowledge_flag"),
    path("flags/covering/", risk_views.covering, name="covering"),
    path("away/", risk_views.absences, name="absences"),
    path("settings/risk/", risk_views.risk_settings, name="risk_settings"),
    path("settings/risk/closures/", risk_views.closure_days, name="closure_days"),
    path("episodes/<uuid:episode_id>/plan/", views.plan_editor, name="plan_editor"),
    path(
        "episodes/<uuid:episode_id>/plan/review-screens/",
        choice_views.review_screens,
        name="review_screens",
    ),
    path(
        "clients/<uuid:client_id>/checkin-choices/",
        choice_views.checkin_choices,
        name="checkin_choices",
    ),
    path("clients/<uuid:client_id>/safety-plan/", views.safety_plan, name="safety_plan"),
    path(
        "sessions/<uuid:session_id>/relationship/",
        views.session_relationship,
        name="session_relationship",
    ),
    # Session notes (plusone.notes) live under the practice pages too: /practice/sessions/...
    path("", include("plusone.notes.urls")),
]
