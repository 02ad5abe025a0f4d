from django.urls import path

from . import views

app_name = "medications"
urlpatterns = [
    path("patients/<int:patient_id>/medications/", views.medication_list, name="list"),
    path("medications/<int:medication_id>/stop/", views.stop, name="stop"),
]
