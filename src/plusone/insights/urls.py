from django.urls import include, path

from plusone.insights import journey_views, note_views, views, week_views

app_name = "insights"
# Beside clinical's pages under /practice/, as they were before they moved here.
practice = [
    path("caseload/", views.caseload, name="caseload"),
    path("week/", week_views.week, name="week"),
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
    path("episodes/<uuid:episode_id>/journey/", journey_views.journey_page, name="journey"),
    path(
        "episodes/<uuid:episode_id>/journey/together/",
        journey_views.review_together,
        name="review_together",
    ),
    path("episodes/<uuid:episode_id>/card/", journey_views.session_card, name="session_card"),
    path(
        "episodes/<uuid:episode_id>/journey/moments/",
        journey_views.moment_with_client,
        name="moment_with_client",
    ),
    path(
        "episodes/<uuid:episode_id>/journey/looked-at/",
        journey_views.looked_at_together,
        name="looked_at_together",
    ),
    path(
        "episodes/<uuid:episode_id>/follow-ups/consent/",
        journey_views.follow_up_consent,
        name="follow_up_consent",
    ),
    # The session note with its corrections (plusone.notes and plusone.rights).
    path("sessions/<uuid:session_id>/note/", note_views.note, name="note"),
    path(
        "sessions/<uuid:session_id>/note/addendum/",
        note_views.addendum,
        name="note_addendum",
    ),
]
urlpatterns = [
    path("", views.home, name="home"),
    path("signed-in/", views.signed_in, name="signed_in"),
    path("practice/", include(practice)),
]
