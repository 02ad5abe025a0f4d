from django.urls import path

from . import inbox_views, views

app_name = "coordination"
urlpatterns = [
    path("worklist/", views.worklist_view, name="worklist"),
    path("worklist/team/", views.team_view, name="team"),
    path("notifications/badge/", inbox_views.notification_badge, name="notification_badge"),
    path("inbox/", inbox_views.inbox, name="inbox"),
    path("inbox/<int:notification_id>/read/", inbox_views.mark_read, name="inbox_mark_read"),
    path("inbox/read-all/", inbox_views.mark_all_read, name="inbox_mark_all_read"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path("tasks/<int:task_id>/status/", views.move_task, name="move_task"),
    path("tasks/<int:task_id>/note/", views.task_note, name="task_note"),
    path("tasks/<int:task_id>/reassign/", views.task_reassign, name="task_reassign"),
    path("tasks/<int:task_id>/claim/", views.task_claim, name="task_claim"),
    path("flags/<int:flag_id>/acknowledge/", views.acknowledge_flag, name="acknowledge_flag"),
    path("patients/<int:patient_id>/contacts/", views.contacts_view, name="contacts"),
    path("patients/<int:patient_id>/time/", views.time_view, name="time"),
    path("patients/<int:patient_id>/tasks/new/", views.new_task, name="new_task"),
    path("patients/<int:patient_id>/care-team/", views.care_team_view, name="care_team"),
    path("care-team/<int:member_id>/end/", views.end_member, name="end_member"),
    path("care-team/<int:member_id>/lead/", views.lead_member, name="lead_member"),
    path("cases/<int:case_id>/close/", views.close_case, name="close_case"),
    path("cases/<int:case_id>/close/decide/", views.decide_closure, name="decide_closure"),
    path("cases/<int:case_id>/outreach/", views.record_outreach, name="outreach"),
    path("settings/follow-up/", views.follow_up_settings, name="follow_up_settings"),
    path("reports/time/", views.time_report, name="time_report"),
    path("reports/time.csv", views.time_report_csv, name="time_report_csv"),
]
