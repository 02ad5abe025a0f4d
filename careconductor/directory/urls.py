from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("resources/", views.search, name="search"),
    path("patients/<int:patient_id>/resources/", views.patient_search, name="patient_search"),
]
