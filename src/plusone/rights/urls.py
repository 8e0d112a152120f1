from django.urls import path

from plusone.rights import views

app_name = "rights"
urlpatterns = [
    path("", views.requests, name="requests"),
    path("access/<uuid:request_id>/", views.access, name="access"),
    path("access/<uuid:request_id>/export/", views.access_export, name="access_export"),
    path("clients/<uuid:client_id>/new/", views.client_request, name="client_request"),
    path("corrections/new/", views.correction_new, name="correction_new"),
    path("corrections/<uuid:correction_id>/", views.correction, name="correction"),
]
