from django.urls import URLPattern, URLResolver, path

from plusone.outcomes import views

app_name = "outcomes"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.practice, name="practice"),
    path("mine/", views.mine, name="mine"),
    path("therapist/<uuid:therapist_id>/", views.therapist, name="therapist"),
]
