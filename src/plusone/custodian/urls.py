from django.urls import path

from plusone.custodian import views

app_name = "custodian"
urlpatterns = [
    path("", views.home, name="home"),
    path(
        "clients/<uuid:client_id>/disclosures/", views.client_disclosures, name="client_disclosures"
    ),
    path("disclosures/", views.disclosures, name="disclosures"),
    path("disclosures/new/", views.disclosure_new, name="disclosure_new"),
    path("incidents/", views.incidents, name="incidents"),
    path("incidents/new/", views.incident_new, name="incident_new"),
    path("incidents/counts/", views.incident_counts, name="incident_counts"),
    path("incidents/<uuid:incident_id>/", views.incident, name="incident"),
    path("retention/", views.retention_due, name="retention_due"),
    path("retention/college/", views.retention_settings, name="retention_settings"),
    path("retention/clients/<uuid:client_id>/", views.retention_client, name="retention_client"),
    path("retention/clients/<uuid:client_id>/hold/", views.hold_place, name="hold_place"),
    path("retention/holds/<uuid:hold_id>/release/", views.hold_release, name="hold_release"),
    path("retention/clients/<uuid:client_id>/destroy/", views.destroy, name="destroy"),
    path("certificates/", views.certificates, name="certificates"),
    path("certificates/<uuid:certificate_id>/", views.certificate, name="certificate"),
]
