from django.urls import URLPattern, URLResolver, path

from plusone.interop import views

app_name = "interop"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("clients/<uuid:client_id>/", views.client_export, name="client"),
    path("episodes/<uuid:episode_id>/", views.episode_export, name="episode"),
    path("scores/", views.practice_scores, name="practice_scores"),
    path("research/", views.research, name="research"),
]
