from __future__ import annotations

from django.urls import URLPattern, path

from . import login_views, partner_views, views

app_name = "referrals"
urlpatterns: list[URLPattern] = [
    path("patients/<int:patient_id>/referrals/", views.patient_referrals, name="patient"),
    path("patients/<int:patient_id>/referrals/new/", views.new, name="new"),
    path("referrals/<int:referral_id>/", views.detail, name="detail"),
    path("referrals/<int:referral_id>/send/", views.send, name="send"),
    path("referrals/<int:referral_id>/answer/", views.answer, name="answer"),
    path("referrals/<int:referral_id>/cancel/", views.cancel, name="cancel"),
    path("referrals/<int:referral_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("referrals/<int:referral_id>/link/", views.new_link, name="new_link"),
    path("referrals/<int:referral_id>/attachments/", views.add_attachments, name="add_attachments"),
    path("referrals/<int:referral_id>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    # The receiving organisation: its single-use link, and its own log-in.
    path("partner/referrals/<int:referral_id>/<str:token>/", partner_views.partner_link, name="partner_link"),
    path(
        "partner/referrals/<int:referral_id>/<str:token>/attachments/<int:attachment_id>/",
        partner_views.partner_link_attachment,
        name="partner_link_attachment",
    ),
    path(
        "resources/organisations/<int:provider_id>/partner-logins/",
        login_views.partner_logins,
        name="partner_logins",
    ),
    path(
        "resources/organisations/<int:provider_id>/partner-logins/<int:account_id>/end/",
        login_views.end_partner_login,
        name="end_partner_login",
    ),
    path("partner/", partner_views.partner_home, name="partner_home"),
    path("partner/referrals/<int:referral_id>/", partner_views.partner_detail, name="partner_detail"),
    path(
        "partner/referrals/<int:referral_id>/attachments/<int:attachment_id>/",
        partner_views.partner_attachment,
        name="partner_attachment",
    ),
]
