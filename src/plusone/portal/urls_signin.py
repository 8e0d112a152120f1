"""The sign-in helper's portal URLs (included into the ``portal`` namespace)."""

from django.urls import URLPattern, URLResolver, path

from plusone.portal import home, signin_views

urlpatterns: list[URLPattern | URLResolver] = [
    path("checkins/start/", home.start_checkin, name="start_checkin"),
    path("checkins/skip/", home.skip_checkin, name="skip_checkin"),
    path("signin/", signin_views.signin_page, name="signin"),
    path("in/", signin_views.pin, name="signin_pin"),
    path("in/<str:token>", signin_views.open_link, name="signin_link"),
    path(
        "staff/clients/<uuid:client_id>/access/",
        signin_views.invite,
        name="signin_invite",
    ),
]
