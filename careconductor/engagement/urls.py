from __future__ import annotations

from django.urls import path

from careconductor.education import portal_views as learning

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("plan/", views.plan, name="plan"),
    path("check-in/", views.check_in, name="check_in"),
    path("check-in/blood-pressure/", views.blood_pressure, name="blood_pressure"),
    path("check-in/reading/<slug:measure>/", views.reading, name="reading"),
    path("check-in/feeling/", views.feeling, name="feeling"),
    path("check-in/goal/<int:goal_id>/", views.goal_check_in, name="goal_check_in"),
    path("check-in/doses/", views.doses, name="doses"),
    path("check-in/done/", views.done, name="done"),
    path("readings/", views.trends, name="trends"),
    path("questionnaires/", views.assessments, name="assessments"),
    path("questionnaires/<slug:slug>/start/", views.start_assessment, name="start_assessment"),
    path(
        "questionnaires/answers/<int:assessment_id>/<int:number>/",
        views.assessment_section,
        name="assessment_section",
    ),
    path("questionnaires/answers/<int:assessment_id>/done/", views.assessment_done, name="assessment_done"),
    path("messages/", views.message_list, name="messages"),
    path("messages/new/", views.message_new, name="message_new"),
    path("messages/<int:message_id>/", views.message_detail, name="message"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("people/", views.people, name="people"),
    path("people/<int:proxy_id>/revoke/", views.revoke, name="revoke"),
    path("whose/", views.switch, name="switch"),
    path("language/", views.language, name="language"),
    path("join/<str:secret>/", views.join, name="join"),
    path("learn/", learning.learn, name="learn"),
    path("learn/<int:assignment_id>/", learning.material, name="learn_material"),
]
