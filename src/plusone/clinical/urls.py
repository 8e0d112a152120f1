from django.urls import path

from plusone.clinical import risk_views, views

app_name = "clinical"
urlpatterns = [
    path("clients/new/", views.intake, name="intake"),
    path("clients/<uuid:client_id>/contact/", views.client_contact, name="client_contact"),
    path("flags/<uuid:flag_id>/acknowledge/", views.acknowledge_flag, name="acknowledge_flag"),
    path("flags/covering/", risk_views.covering, name="covering"),
    path("away/", risk_views.absences, name="absences"),
    path("settings/risk/", risk_views.risk_settings, name="risk_settings"),
    path("settings/risk/closures/", risk_views.closure_days, name="closure_days"),
    path("clients/<uuid:client_id>/safety-plan/", views.safety_plan, name="safety_plan"),
    path("clients/<uuid:client_id>/sessions/", views.sessions, name="sessions"),
    path(
        "clients/<uuid:client_id>/sessions/<uuid:session_id>/move/",
        views.session_move,
        name="session_move",
    ),
    path(
        "clients/<uuid:client_id>/sessions/<uuid:session_id>/mark/",
        views.session_mark,
        name="session_mark",
    ),
]
