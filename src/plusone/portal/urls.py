"""Portal URLs. STAND-IN for the integrator's shell."""

from django.urls import URLPattern, URLResolver, include, path

from plusone.portal import views

app_name = "portal"
urlpatterns: list[URLPattern | URLResolver] = [
    path("leave/", views.leave, name="leave"),
    path("", include("plusone.portal.urls_signin")),
]
