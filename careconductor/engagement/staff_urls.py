from __future__ import annotations

from django.urls import path

from . import staff_views

app_name = "engagement"

urlpatterns = [
    path("patients/<int:patient_id>/portal/", staff_views.portal_page, name="portal"),
    path("patients/<int:patient_id>/portal/invite/", staff_views.invite, name="invite"),
    path("portal-invitations/<int:invitation_id>/withdraw/", staff_views.withdraw, name="withdraw"),
    path("patients/<int:patient_id>/thresholds/", staff_views.set_threshold, name="set_threshold"),
    path("thresholds/<int:threshold_id>/clear/", staff_views.clear_threshold, name="clear_threshold"),
    path("patients/<int:patient_id>/messages/", staff_views.messages_page, name="messages"),
    path("message-attachments/<int:attachment_id>/", staff_views.attachment, name="attachment"),
    path("settings/alert-limits/", staff_views.alert_limit_settings, name="alert_limits"),
]
