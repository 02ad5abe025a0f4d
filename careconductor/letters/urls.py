from __future__ import annotations

from django.urls import URLPattern, path

from . import views

app_name = "letters"
urlpatterns: list[URLPattern] = [
    path("patients/<int:patient_id>/letters/", views.letter_list, name="list"),
    path("patients/<int:patient_id>/letters/new/", views.letter_new, name="new"),
    path("letters/<int:letter_id>/", views.letter_view, name="letter"),
    path("letters/<int:letter_id>/pdf/", views.letter_pdf, name="pdf"),
]
