from django.urls import path

from plusone.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.home, name="home"),
    path("scores/", views.scores_import, name="scores"),
    path("schedule/", views.schedule_import, name="schedule"),
]
