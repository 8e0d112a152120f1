from django.urls import path

from plusone.portal import signin

urlpatterns = [
    path("signin/", signin.signin, name="signin"),
]
