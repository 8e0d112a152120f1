from django.urls import URLPattern, URLResolver, path

from plusone.measures import choice_views, practice_views, views

app_name = "measures"
urlpatterns: list[URLPattern | URLResolver] = [
    path("c/<str:token>", views.open_link, name="open_link"),
    path("checkin/", views.checkin_page, name="checkin"),
    path("checkin/answer/", views.save_answer, name="save_answer"),
    path("checkin/consent/", views.consent_page, name="consent"),
    path("checkin/skip/", views.skip, name="skip"),
    path("checkin/safety/", views.risk_response, name="risk_response"),
    path("checkin/done/", views.done, name="done"),
    path("checkin/exit/", views.kiosk_exit, name="kiosk_exit"),
    path(
        "practice/clients/<uuid:client_id>/consent/",
        views.consent_withdrawal,
        name="consent_withdrawal",
    ),
    path("practice/checkin/link/", views.issue_link, name="issue_link"),
    path("practice/checkin/kiosk/", views.start_kiosk, name="start_kiosk"),
    path("practice/reflection/link/", views.issue_reflection_link, name="issue_reflection_link"),
    path("practice/reflection/kiosk/", views.start_reflection_kiosk, name="start_reflection_kiosk"),
    path(
        "practice/episodes/<uuid:episode_id>/plan/",
        practice_views.plan_editor,
        name="plan_editor",
    ),
    path(
        "practice/episodes/<uuid:episode_id>/plan/review-screens/",
        choice_views.review_screens,
        name="review_screens",
    ),
    path(
        "practice/clients/<uuid:client_id>/checkin-choices/",
        choice_views.checkin_choices,
        name="checkin_choices",
    ),
    path(
        "practice/sessions/<uuid:session_id>/relationship/",
        practice_views.session_relationship,
        name="session_relationship",
    ),
]
