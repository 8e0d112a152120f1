from django.urls import path

from plusone.lockbox import views

app_name = "lockbox"
urlpatterns = [
    path("clients/<uuid:client_id>/", views.directives, name="directives"),
    path("directives/<uuid:directive_id>/withdraw/", views.withdraw, name="withdraw"),
    path("officer/", views.officer_index, name="officer_index"),
    path("officer/clients/<uuid:client_id>/", views.officer_directives, name="officer_directives"),
    path(
        "officer/directives/<uuid:directive_id>/withdraw/",
        views.officer_withdraw,
        name="officer_withdraw",
    ),
]
