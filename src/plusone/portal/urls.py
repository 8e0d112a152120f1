"""The portal at /me/: the shell's own pages, then each part's URL module."""

from django.urls import path

from plusone.portal import home, urls_journey, urls_observers, urls_record, urls_signin, views

app_name = "portal"
urlpatterns = [
    path("", home.home, name="home"),
    path("leave/", views.leave, name="leave"),
    *urls_signin.urlpatterns,
    *urls_journey.urlpatterns,
    *urls_record.urlpatterns,
    *urls_observers.urlpatterns,
]
