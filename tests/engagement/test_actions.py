"""Portal actions end to end on real rows: invitations, proxies, self-reports and the alerts they raise,
messages with attachments. Refusals change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from careconductor.accounts.models import User
from careconductor.careplans.models import Reading
from careconductor.coordination.choices import TaskKind, TaskPriority
from careconductor.coordination.models import Flag, Notification, Task
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.engagement import actions
from careconductor.engagement.choices import ProxyRelationship
from careconductor.engagement.models import Message, PortalInvitation, ProxyGrant, Threshold
from careconductor.engagement.queries import choose_portal_patient, portal_patients, unread_from_patients
from careconductor.patients.actions import do_add_condition
from careconductor.patients.models import CareTeamMember
from careconductor.privacy import policy
from careconductor.privacy.models import AuditEvent
from tests.personas import PASSWORD, World
from tests.pictures import png

from .conftest import Portal

pytestmark = pytest.mark.django_db
D = Decimal


# --- invitations ------------------------------------------------------------------------------------------------
def test_an_invitation_makes_the_patients_own_login_once(world: World) -> None:
    made = actions.do_invite_patient(world.alice, world.paula, email="paula@example.org")
    assert made.path.startswith("/portal/join/")
    stored = PortalInvitation.objects.get()
    assert stored.secret_hash != made.secret and made.secret not in stored.secret_hash  # only a hash is kept
    login = actions.do_accept_invitation(
        made.secret, username="paula", password=PASSWORD, birth_date=world.paula.birth_date
    )
    world.paula.refresh_from_db()
    assert world.paula.portal_user == login and login.role == "patient"
    with pytest.raises(ActionRefused):
        actions.do_accept_invitation(
            made.secret, username="paula2", password=PASSWORD, birth_date=world.paula.birth_date
        )
    assert User.objects.filter(username="paula2").count() == 0


def test_a_wrong_birth_date_changes_nothing(world: World) -> None:
    made = actions.do_invite_patient(world.alice, world.paula)
    with pytest.raises(ActionRefused) as refused:
        actions.do_accept_invitation(
            made.secret, username="paula", password=PASSWORD, birth_date=dt.date(1960, 1, 1)
        )
    assert "birth_date" in refused.value.errors
    assert not User.objects.filter(username="paula").exists()
    assert PortalInvitation.objects.get().accepted_at is None


def test_a_weak_password_changes_nothing(world: World) -> None:
    made = actions.do_invite_patient(world.alice, world.paula)
    with pytest.raises(ActionRefused) as refused:
        actions.do_accept_invitation(
            made.secret, username="paula", password="123", birth_date=world.paula.birth_date
        )
    assert "password" in refused.value.errors
    assert actions.open_invitation(made.secret) is not None  # still usable


def test_an_invitation_expires_after_7_days(world: World) -> None:
    made = actions.do_invite_patient(world.alice, world.paula)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=7, minutes=1)):
        assert actions.open_invitation(made.secret) is None
        with pytest.raises(ActionRefused):
            actions.do_accept_invitation(
                made.secret, username="p", password=PASSWORD, birth_date=world.paula.birth_date
            )


def test_a_new_invitation_withdraws_the_old_one(world: World) -> None:
    first = actions.do_invite_patient(world.alice, world.paula)
    second = actions.do_invite_patient(world.alice, world.paula)
    assert actions.open_invitation(first.secret) is None
    assert actions.open_invitation(second.secret) is not None


def test_only_staff_who_may_change_the_record_invite(world: World) -> None:
    with pytest.raises(NotVisible):
        actions.do_invite_patient(world.bob, world.paula)
    with pytest.raises(ActionRefused):
        actions.do_invite_patient(world.dana, world.paula)  # care team: reads only
    assert not PortalInvitation.objects.exists()


# --- proxies ------------------------------------------------------------------------------------------------------
def test_the_patient_grants_and_revokes_a_proxy_and_it_is_audited(portal: Portal) -> None:
    paula = portal.world.paula
    assert paula in portal_patients(portal.daughter)
    assert policy.can(portal.daughter, "view", paula)
    grant = ProxyGrant.objects.get(proxy=portal.daughter)
    actions.do_revoke_proxy(portal.paula_login, grant)
    assert not policy.can(portal.daughter, "view", paula)
    assert portal_patients(portal.daughter) == []
    details = set(
        AuditEvent.objects.filter(patient=paula, object_type="ProxyGrant").values_list("detail", flat=True)
    )
    assert {"proxy granted", "proxy accepted", "proxy revoked"} <= details


def test_a_proxy_cannot_grant_another_proxy(portal: Portal) -> None:
    with pytest.raises(ActionRefused):
        actions.do_grant_proxy(
            portal.daughter, portal.world.paula, name="Someone", relationship=ProxyRelationship.FRIEND
        )
    assert ProxyGrant.objects.count() == 1


def test_staff_cannot_grant_a_proxy_for_the_patient(portal: Portal) -> None:
    with pytest.raises(ActionRefused):
        actions.do_grant_proxy(portal.world.alice, portal.world.paula, name="X", relationship="friend")


def test_a_patient_never_sees_another_patient(portal: Portal) -> None:
    world = portal.world
    assert not policy.can(portal.paula_login, "view", portal.other)
    assert not policy.can(portal.other_login, "view", world.paula)
    assert (
        choose_portal_patient(portal.other_login, world.paula.pk)[0] == portal.other
    )  # asks for Paula, gets self
    with pytest.raises(NotVisible):
        actions.do_report_blood_pressure(portal.paula_login, portal.other, systolic=D(120), diastolic=D(80))


def test_a_patient_cannot_change_their_record_only_report(portal: Portal) -> None:
    assert policy.may(portal.paula_login, "report", portal.world.paula)
    assert not policy.may(portal.paula_login, "change", portal.world.paula)
    assert policy.may(portal.daughter, "report", portal.world.paula)


# --- readings and alerts ----------------------------------------------------------------------------------------
def test_a_normal_blood_pressure_is_saved_for_the_goal_measures_and_raises_nothing(portal: Portal) -> None:
    outcome = actions.do_report_blood_pressure(
        portal.paula_login, portal.world.paula, systolic=D(128), diastolic=D(82)
    )
    assert outcome.breach is None
    assert {(r.measure, r.value, r.source) for r in outcome.readings} == {
        ("bp-systolic", D(128), "self-report"),
        ("bp-diastolic", D(82), "self-report"),
    }
    assert not Flag.objects.exists() and not Task.objects.filter(kind=TaskKind.SELF_REPORT).exists()


def test_a_high_blood_pressure_raises_an_alert_an_urgent_task_and_tells_the_patient(portal: Portal) -> None:
    world = portal.world
    outcome = actions.do_report_blood_pressure(
        portal.paula_login, world.paula, systolic=D(186), diastolic=D(100)
    )
    assert outcome.breach is not None and "911" in outcome.breach.instruction
    flag = Flag.objects.get(patient=world.paula)
    assert flag.rule == "self-report:bp-high" and "186/100" in flag.text
    task = Task.objects.get(kind=TaskKind.SELF_REPORT)
    assert task.owner == world.alice and task.priority == TaskPriority.URGENT
    assert "186/100" in task.title
    assert Notification.objects.filter(user=world.alice, url=f"/tasks/{task.pk}/").exists()
    # A second high reading while the first is open adds to the same task, not a second one.
    actions.do_report_blood_pressure(portal.daughter, world.paula, systolic=D(190), diastolic=D(100))
    assert Task.objects.filter(kind=TaskKind.SELF_REPORT).count() == 1
    assert "190/100" in Task.objects.get(kind=TaskKind.SELF_REPORT).note


def test_an_impossible_reading_is_refused_and_changes_nothing(portal: Portal) -> None:
    with pytest.raises(ActionRefused) as refused:
        actions.do_report_blood_pressure(
            portal.paula_login, portal.world.paula, systolic=D(1200), diastolic=D(80)
        )
    assert "bp-systolic" in refused.value.errors
    with pytest.raises(ActionRefused):
        actions.do_report_blood_pressure(
            portal.paula_login, portal.world.paula, systolic=D(80), diastolic=D(120)
        )
    with pytest.raises(ActionRefused):
        actions.do_report_reading(portal.paula_login, portal.world.paula, measure="steps", value=D(5))
    assert not Reading.objects.exists()


def test_low_sugar_alerts(portal: Portal) -> None:
    outcome = actions.do_report_reading(
        portal.paula_login, portal.world.paula, measure="glucose", value=D(58)
    )
    assert outcome.breach is not None and outcome.breach.rule == "self-report:glucose-low"
    assert Flag.objects.filter(rule="self-report:glucose-low").exists()


def test_heart_failure_weight_gain_over_3_days_alerts(portal: Portal) -> None:
    world = portal.world
    do_add_condition(world.alice, portal.other, icd10_code="I50.22", display="Chronic systolic heart failure")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    actions.do_report_reading(
        portal.other_login, portal.other, measure="weight", value=D("90.0"), taken_at=start
    )
    quiet = actions.do_report_reading(portal.other_login, portal.other, measure="weight", value=D("91.0"))
    assert quiet.breach is None
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)):
        gain = actions.do_report_reading(portal.other_login, portal.other, measure="weight", value=D("92.2"))
    assert gain.breach is not None and "2.2" in gain.breach.staff_text
    assert Task.objects.get(kind=TaskKind.SELF_REPORT, patient=portal.other).owner == world.alice
    # Paula has no heart failure: the same gain says nothing.
    actions.do_report_reading(
        portal.paula_login, world.paula, measure="weight", value=D("70.0"), taken_at=start
    )
    assert (
        actions.do_report_reading(portal.paula_login, world.paula, measure="weight", value=D("73.0")).breach
        is None
    )


def test_the_patients_own_limit_is_used(portal: Portal) -> None:
    world = portal.world
    actions.do_set_threshold(
        world.alice, world.paula, measure="glucose", low=D(80), high=D(250), reason="Insulin"
    )
    outcome = actions.do_report_reading(portal.paula_login, world.paula, measure="glucose", value=D(260))
    assert outcome.breach is not None
    with pytest.raises(ActionRefused):
        actions.do_set_threshold(world.alice, world.paula, measure="glucose", low=D(300), high=D(250))
    assert Threshold.objects.get().high == 250
    with pytest.raises(ActionRefused):
        actions.do_set_threshold(portal.paula_login, world.paula, measure="glucose", low=D(50), high=None)


def test_chest_pain_is_an_emergency(portal: Portal) -> None:
    outcome = actions.do_report_wellbeing(
        portal.paula_login, portal.world.paula, mood=3, symptoms=["chest-pain"]
    )
    assert outcome.breach is not None and outcome.breach.emergency
    assert Task.objects.get(kind=TaskKind.SELF_REPORT).priority == TaskPriority.ASAP


def test_an_empty_wellbeing_report_is_refused(portal: Portal) -> None:
    with pytest.raises(ActionRefused):
        actions.do_report_wellbeing(portal.paula_login, portal.world.paula, mood=None, symptoms=[])
    with pytest.raises(ActionRefused):
        actions.do_report_wellbeing(portal.paula_login, portal.world.paula, mood=9, symptoms=[])


# --- messages -----------------------------------------------------------------------------------------------------
PNG = png()
PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n"


def test_a_message_with_a_photo_and_a_pdf_reaches_the_case_manager(portal: Portal) -> None:
    world = portal.world
    files = [
        SimpleUploadedFile("../../etc/foot.png", PNG, content_type="image/png"),
        SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf"),
    ]
    message = actions.do_send_message(
        portal.paula_login, world.paula, subject="My foot", body="See the photo", files=files
    )
    names = sorted(message.attachments.values_list("name", "content_type"))
    assert names == [("foot.png", "image/png"), ("letter.pdf", "application/pdf")]
    assert message.from_patient
    assert unread_from_patients([world.paula.pk]) == {world.paula.pk: 1}
    assert Notification.objects.filter(user=world.alice, kind="portal_message").exists()
    reply = actions.do_send_message(
        world.alice, world.paula, subject="", body="I will call you", reply_to=message
    )
    assert reply.subject == "Re: My foot" and not reply.from_patient
    actions.do_mark_patient_messages_read(world.alice, world.paula)
    assert unread_from_patients([world.paula.pk]) == {}


@pytest.mark.parametrize(
    ("name", "content", "claimed"),
    [
        ("page.html", b"<html><script>alert(1)</script>", "image/png"),  # the claimed type is not believed
        ("tool.exe", b"MZ\x90\x00\x03", "application/pdf"),
        ("empty.png", b"", "image/png"),
        ("huge.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), "application/pdf"),
    ],
)
def test_bad_attachments_are_refused_and_nothing_is_sent(
    portal: Portal, name: str, content: bytes, claimed: str
) -> None:
    with pytest.raises(ActionRefused) as refused:
        actions.do_send_message(
            portal.paula_login,
            portal.world.paula,
            subject="Hello",
            body="Text",
            files=[SimpleUploadedFile(name, content, content_type=claimed)],
        )
    assert "attachments" in refused.value.errors
    assert not Message.objects.exists()


def test_more_than_three_files_are_refused(portal: Portal) -> None:
    files = [SimpleUploadedFile(f"p{i}.png", PNG) for i in range(4)]
    with pytest.raises(ActionRefused):
        actions.do_send_message(portal.paula_login, portal.world.paula, subject="x", body="y", files=files)
    assert not Message.objects.exists()


def test_a_care_team_physician_messages_the_patient_only_while_on_the_care_team(portal: Portal) -> None:
    world = portal.world
    sent = actions.do_send_message(world.dana, world.paula, subject="Your new inhaler", body="Two puffs.")
    assert (sent.sender, sent.from_patient) == (world.dana, False)
    CareTeamMember.objects.filter(user=world.dana).update(
        start_date=clock.today() - dt.timedelta(days=30), end_date=clock.today() - dt.timedelta(days=1)
    )
    with pytest.raises(NotVisible):
        actions.do_send_message(world.dana, world.paula, subject="x", body="y")


# --- programme limits ---------------------------------------------------------------------------------------------
def test_an_administrator_sets_a_programme_limit_that_a_patients_own_limit_beats(portal: Portal) -> None:
    world = portal.world
    actions.do_set_programme_threshold(
        world.adam, program="complex_cm", measure="glucose", low=D(80), high=D(250)
    )
    assert actions.do_report_reading(portal.paula_login, world.paula, measure="glucose", value=D(260)).breach
    actions.do_set_threshold(world.alice, world.paula, measure="glucose", low=D(60), high=D(350))
    assert (
        actions.do_report_reading(portal.paula_login, world.paula, measure="glucose", value=D(300)).breach
        is None
    )


def test_only_an_administrator_sets_programme_limits(portal: Portal) -> None:
    with pytest.raises(ActionRefused):
        actions.do_set_programme_threshold(
            portal.world.alice, program="", measure="glucose", low=D(80), high=None
        )
    with pytest.raises(ActionRefused) as refused:
        actions.do_set_programme_threshold(
            portal.world.adam, program="nope", measure="glucose", low=D(80), high=None
        )
    assert "program" in refused.value.errors
    assert not Threshold.objects.exists()


def test_the_patients_own_login_carries_their_name(portal: Portal) -> None:
    assert portal.paula_login.get_full_name() == "Paula Reyes"
    assert portal.daughter.get_full_name() == "Rosa Reyes"


def test_the_invitation_e_mail_states_the_configured_days(
    world: World, settings, django_capture_on_commit_callbacks
) -> None:
    """It said "7 days" whatever CARECONDUCTOR_PORTAL_INVITATION_DAYS was (issue 17 §5)."""
    settings.PORTAL_INVITATION_DAYS = 3
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_invite_patient(world.alice, world.paula, email="paula@example.org")
    (message,) = mail.outbox
    assert "for 3 days" in message.body and "7 days" not in message.body
    left = PortalInvitation.objects.get().expires_at - clock.now()
    assert dt.timedelta(days=3) - dt.timedelta(minutes=1) < left <= dt.timedelta(days=3)
