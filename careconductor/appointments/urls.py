from __future__ import annotations

from django.urls import path

from . import views

app_name = "appointments"
urlpatterns = [
    path("patients/<int:patient_id>/appointments/", views.appointment_list, name="list"),
    path("appointments/<int:appointment_id>/", views.appointment_detail, name="detail"),
    path("appointments/<int:appointment_id>/outcome/", views.outcome, name="outcome"),
    path("appointments/<int:appointment_id>/follow-up/", views.follow_up, name="follow_up"),
    path("calendar/", views.calendar, name="calendar"),
    path("setup/reminders/", views.reminder_settings, name="reminder_settings"),
]
