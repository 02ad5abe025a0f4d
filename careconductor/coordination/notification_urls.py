from __future__ import annotations

from django.urls import URLPattern, path

from . import notification_views as views

app_name = "notifications"
urlpatterns: list[URLPattern] = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/<int:notification_id>/read/", views.mark_read, name="mark_read"),
    path("notifications/read-all/", views.mark_all_read, name="mark_all_read"),
    path("settings/notifications/", views.notification_settings, name="settings"),
]
