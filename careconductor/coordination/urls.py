from django.urls import path

from . import inbox_views
from .views import care_team, closing, contacts, follow_up_settings, tasks, time_report, worklist

app_name = "coordination"
urlpatterns = [
    path("worklist/", worklist.worklist_view, name="worklist"),
    path("worklist/team/", worklist.team_view, name="team"),
    path("notifications/badge/", inbox_views.notification_badge, name="notification_badge"),
    path("inbox/", inbox_views.inbox, name="inbox"),
    path("inbox/<int:notification_id>/read/", inbox_views.mark_read, name="inbox_mark_read"),
    path("inbox/read-all/", inbox_views.mark_all_read, name="inbox_mark_all_read"),
    path("tasks/<int:task_id>/", tasks.task_detail, name="task"),
    path("tasks/<int:task_id>/status/", tasks.move_task, name="move_task"),
    path("tasks/<int:task_id>/note/", tasks.task_note, name="task_note"),
    path("tasks/<int:task_id>/reassign/", tasks.task_reassign, name="task_reassign"),
    path("tasks/<int:task_id>/claim/", tasks.task_claim, name="task_claim"),
    path("flags/<int:flag_id>/acknowledge/", tasks.acknowledge_flag, name="acknowledge_flag"),
    path("patients/<int:patient_id>/contacts/", contacts.contacts_view, name="contacts"),
    path("patients/<int:patient_id>/time/", contacts.time_view, name="time"),
    path("patients/<int:patient_id>/tasks/new/", tasks.new_task, name="new_task"),
    path("patients/<int:patient_id>/care-team/", care_team.care_team_view, name="care_team"),
    path("care-team/<int:member_id>/end/", care_team.end_member, name="end_member"),
    path("care-team/<int:member_id>/lead/", care_team.lead_member, name="lead_member"),
    path("cases/<int:case_id>/close/", closing.close_case, name="close_case"),
    path("cases/<int:case_id>/close/decide/", closing.decide_closure, name="decide_closure"),
    path("cases/<int:case_id>/outreach/", closing.record_outreach, name="outreach"),
    path("settings/follow-up/", follow_up_settings.follow_up_settings, name="follow_up_settings"),
    path("reports/time/", time_report.time_report, name="time_report"),
    path("reports/time.csv", time_report.time_report_csv, name="time_report_csv"),
]
