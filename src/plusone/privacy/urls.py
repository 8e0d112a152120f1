from django.urls import path

from plusone.privacy import views

app_name = "privacy"
urlpatterns = [
    path("break-glass/", views.break_glass, name="break_glass"),
    path("break-glass/log/", views.break_glass_log, name="break_glass_log"),
    path("audit/search/", views.audit_search, name="audit_search"),
    path("audit/opened/", views.opened, name="opened"),
    path("audit/export/", views.export, name="export"),
]
