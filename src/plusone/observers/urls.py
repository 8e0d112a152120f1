from django.urls import URLPattern, URLResolver, path

from plusone.observers import staff_views, views

app_name = "observers"
urlpatterns: list[URLPattern | URLResolver] = [
    path("o/<str:token>", views.open_link, name="open_link"),
    path("observer/", views.form, name="form"),
    path("observer/done/", views.done, name="done"),
    path(
        "practice/clients/<uuid:client_id>/observers/",
        staff_views.client_observers,
        name="client_observers",
    ),
]
