from django.urls import URLPattern, path

from plusone.portal import observer_views

urlpatterns: list[URLPattern] = [
    path("observers/", observer_views.observers, name="observers"),
    path("observers/invite/", observer_views.invite, name="observer_invite"),
    path("observers/choice/", observer_views.text_choice, name="observer_text_choice"),
    path(
        "observers/<uuid:observer_id>/send-again/",
        observer_views.send_again,
        name="observer_send_again",
    ),
    path(
        "observers/<uuid:observer_id>/revoke/",
        observer_views.revoke,
        name="observer_revoke",
    ),
]
