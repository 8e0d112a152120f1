from django.urls import path

from plusone.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("signed-in/", views.signed_in, name="signed_in"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("readyz", views.readyz, name="readyz"),
]
