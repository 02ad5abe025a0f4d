from __future__ import annotations

from django.urls import path

from careconductor.appointments import portal_views as appointments
from careconductor.education import portal_views as learning
from careconductor.referrals import portal_views as referrals

from .views import check_ins, home, join, messages, people, self_assessments

app_name = "portal"

urlpatterns = [
    path("", home.home, name="home"),
    path("plan/", home.plan, name="plan"),
    path("check-in/", check_ins.check_in, name="check_in"),
    path("check-in/blood-pressure/", check_ins.blood_pressure, name="blood_pressure"),
    path("check-in/reading/<slug:measure>/", check_ins.reading, name="reading"),
    path("check-in/feeling/", check_ins.feeling, name="feeling"),
    path("check-in/goal/<int:goal_id>/", check_ins.goal_check_in, name="goal_check_in"),
    path("check-in/doses/", check_ins.doses, name="doses"),
    path("check-in/done/", check_ins.done, name="done"),
    path("readings/", home.trends, name="trends"),
    path("questionnaires/", self_assessments.assessments, name="assessments"),
    path("questionnaires/<slug:slug>/start/", self_assessments.start_assessment, name="start_assessment"),
    path(
        "questionnaires/answers/<int:assessment_id>/<int:number>/",
        self_assessments.assessment_section,
        name="assessment_section",
    ),
    path(
        "questionnaires/answers/<int:assessment_id>/done/",
        self_assessments.assessment_done,
        name="assessment_done",
    ),
    path("messages/", messages.message_list, name="messages"),
    path("messages/new/", messages.message_new, name="message_new"),
    path("messages/<int:message_id>/", messages.message_detail, name="message"),
    path("attachments/<int:attachment_id>/", messages.attachment, name="attachment"),
    path("people/", people.people, name="people"),
    path("people/<int:proxy_id>/revoke/", people.revoke, name="revoke"),
    path("people/apps/<int:app_id>/disconnect/", people.disconnect, name="disconnect_app"),
    path("whose/", people.switch, name="switch"),
    path("language/", people.language, name="language"),
    path("join/<str:secret>/", join.join, name="join"),
    path("learn/", learning.learn, name="learn"),
    path("appointments/", appointments.appointments, name="appointments"),
    path("appointments/<int:appointment_id>/", appointments.appointment, name="appointment"),
    path("referrals/", referrals.referrals, name="referrals"),
    path("learn/<int:assignment_id>/", learning.material, name="learn_material"),
]
