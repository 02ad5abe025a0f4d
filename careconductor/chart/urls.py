from django.urls import path

from . import allergy_views, details_views, views

app_name = "patients"
urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_new, name="new"),
    path("emergency-access/", views.emergency_access, name="emergency_access"),
    path("<int:patient_id>/", views.patient_chart, name="chart"),
    path("<int:patient_id>/conditions/", views.add_condition, name="add_condition"),
    path("<int:patient_id>/disclosures/", views.record_disclosure, name="record_disclosure"),
    path("<int:patient_id>/notes/", views.add_note, name="add_note"),
    path("<int:patient_id>/allergies/", allergy_views.allergies, name="allergies"),
    path("<int:patient_id>/details/", details_views.details, name="details"),
    path("<int:patient_id>/refer/", details_views.refer, name="refer"),
    path("<int:patient_id>/consents/", views.record_consent, name="record_consent"),
    path("<int:patient_id>/consents/<int:consent_id>/revoke/", views.revoke_consent, name="revoke_consent"),
]
