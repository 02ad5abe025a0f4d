from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("patients/<int:patient_id>/assessments/", views.patient_assessments_page, name="patient"),
    path("patients/<int:patient_id>/assessments/start/<slug:slug>/", views.start, name="start"),
    path("patients/<int:patient_id>/assessments/history/<slug:slug>/", views.history, name="history"),
    path("patients/<int:patient_id>/risk-scores/", views.compute_risk, name="compute_risk"),
    path("assessments/<int:assessment_id>/", views.detail, name="detail"),
    path("assessments/<int:assessment_id>/section/<int:number>/", views.section, name="section"),
]
