from django.urls import path

from plusone.clinical import views

app_name = "clinical"
urlpatterns = [
    path("caseload/", views.caseload, name="caseload"),
    path("clients/new/", views.intake, name="intake"),
    path("flags/<uuid:flag_id>/acknowledge/", views.acknowledge_flag, name="acknowledge_flag"),
]
