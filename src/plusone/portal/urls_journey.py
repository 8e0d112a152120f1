from django.urls import URLPattern, path

from plusone.portal import journey_views

urlpatterns: list[URLPattern] = [
    path("journey/", journey_views.journey_page, name="journey"),
    path("journey/release/", journey_views.release_timing, name="journey_release"),
    path("journey/moments/", journey_views.moment_add, name="moment_add"),
    path("journey/moments/remove/", journey_views.moment_remove, name="moment_remove"),
    path("journey/follow-ups/", journey_views.follow_up_consent, name="follow_up_consent"),
    path("bring/", journey_views.bring, name="bring"),
]
