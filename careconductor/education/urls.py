from django.urls import path

from . import views

app_name = "education"
urlpatterns = [
    path("patients/<int:patient_id>/education/", views.patient_education, name="patient"),
    path("patients/<int:patient_id>/education/assign/", views.assign, name="assign"),
    path("education/assignments/<int:assignment_id>/deliver/", views.deliver, name="deliver"),
    path("education/assignments/<int:assignment_id>/withdraw/", views.withdraw, name="withdraw"),
    path("education/library/", views.library_list, name="library"),
    path("education/materials/<slug:slug>/", views.material_preview, name="material"),
]
