"""Note URLs, included by plusone.clinical.urls under /practice/ (names join "clinical:")."""

from django.urls import path

from plusone.notes import views

urlpatterns = [
    path("sessions/<uuid:session_id>/note/", views.note, name="note"),
    path("sessions/<uuid:session_id>/note/addendum/", views.addendum, name="note_addendum"),
]
