from django.urls import path

from . import views

app_name = "privacy"
urlpatterns = [
    path("audit/", views.audit_search, name="audit"),
    path("emergency-access/", views.emergency_queue, name="emergency_queue"),
    path("emergency-access/<int:grant_id>/review/", views.emergency_review, name="emergency_review"),
    path("disclosures/", views.accounting, name="accounting"),
]
