from django.urls import URLPattern, URLResolver, path

from plusone.reports import views

app_name = "reports"
urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "episodes/<uuid:episode_id>/progress-clinical.pdf",
        views.progress_clinical,
        name="progress_clinical",
    ),
    path(
        "episodes/<uuid:episode_id>/progress-client.pdf",
        views.progress_client,
        name="progress_client",
    ),
    path("episodes/<uuid:episode_id>/referral/", views.referral, name="referral"),
    path("access/<uuid:request_id>/record.pdf", views.access_pdf, name="access_pdf"),
]
