"""Appointments through their actions: who may book and change them, what is refused (beside its field, with
nothing written), outcomes after the time, the ride and the patient's answer, one audit event per change; and an
attended visit with the care team counting as transitional care's follow-up visit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Role
from careconductor.appointments import actions
from careconductor.appointments.choices import AppointmentStatus, Mode, PatientAnswer, WithKind
from careconductor.appointments.models import Appointment
from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.coordination.worklist import build_worklist
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.patients.actions import PatientDetails, do_add_encounter, do_link_portal_user
from careconductor.patients.choices import EncounterClass, Sex
from careconductor.patients.models import Encounter
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.models import AuditEvent

from ..coordination.test_followup_actions import enrol, log
from ..personas import PASSWORD, World, make_staff
from .conftest import NOW, TODAY, at
from .helpers import book, referral

pytestmark = pytest.mark.django_db

TOMORROW = TODAY + dt.timedelta(days=1)


def _state() -> tuple[Any, ...]:
    return (
        sorted(Appointment.objects.values_list("pk", "status", "starts_at", "version")),
        AuditEvent.objects.exclude(action=AuditAction.READ).count(),
    )


def test_alice_books_an_appointment_with_her_patients_physician(world: World) -> None:
    appointment = book(world)
    assert (appointment.with_kind, appointment.with_whom) == (WithKind.CARE_TEAM, "Dana Tester")
    assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=30)
    # Paula needs a Spanish interpreter (her record): the appointment says so, not yet booked.
    assert (appointment.interpreter_needed, appointment.interpreter_language) == (True, "es")
    assert not appointment.interpreter_booked and not appointment.transport_booked
    assert (
        appointment.status == AppointmentStatus.BOOKED and appointment.organization_id == world.riverside.pk
    )
    event = AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="Appointment").get()
    assert (event.user, event.patient_id, event.object_id) == (
        world.alice,
        world.paula.pk,
        str(appointment.pk),
    )


def test_an_appointment_with_an_outside_provider_by_phone_needs_no_address(world: World) -> None:
    appointment = book(world, staff=None, provider_name="Dr Lee, cardiology", mode=Mode.PHONE, location="")
    assert (appointment.with_kind, appointment.with_whom) == (WithKind.OUTSIDE, "Dr Lee, cardiology")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"purpose": " "}, "purpose"),
        ({"starts_at": NOW - dt.timedelta(hours=1)}, "starts_at"),
        ({"duration": dt.timedelta(0)}, "ends_at"),
        ({"duration": dt.timedelta(hours=13)}, "ends_at"),
        ({"location": ""}, "location"),
        ({"staff": None}, "provider_name"),
        ({"staff": None, "with_kind": WithKind.CARE_TEAM}, "staff"),
        ({"staff": None, "with_kind": WithKind.SERVICE}, "referral"),
        ({"mode": "carrier pigeon"}, "mode"),
    ],
)
def test_booking_refuses_beside_the_field_and_writes_nothing(
    world: World, changes: dict[str, Any], field: str
) -> None:
    before = _state()
    with pytest.raises(ActionRefused) as refused:
        book(world, **changes)
    assert field in refused.value.errors
    assert _state() == before


def test_booking_with_another_organisations_staff_or_another_patients_referral_is_refused(
    world: World,
) -> None:
    with pytest.raises(ActionRefused) as refused:
        book(world, staff=world.charlie)
    assert "staff" in refused.value.errors
    with pytest.raises(ActionRefused) as refused:
        book(world, staff=None, referral=_someone_elses_referral(world))
    assert "referral" in refused.value.errors


def _someone_elses_referral(world: World) -> Any:
    pedro = do_register_and_refer(
        world.alice,
        PatientDetails(given_name="Pedro", family_name="Ruiz", birth_date=dt.date(1950, 1, 2), sex=Sex.MALE),
        program=Program.CCM,
        referral_source=ReferralSource.SELF,
        referral_reason="Diabetes",
    )
    return referral(world, patient=pedro)


def test_only_staff_who_may_change_the_record_book(world: World) -> None:
    with pytest.raises(NotVisible):
        book(world, who=world.bob)  # same team, no relationship
    with pytest.raises(NotVisible):
        book(world, who=world.charlie)
    with pytest.raises(ActionRefused):
        book(world, who=world.dana)  # on the care team: reads the record, does not book


def test_what_happened_is_recorded_after_the_time_only(
    world: World, traveller: time_machine.Traveller
) -> None:
    appointment = book(world)
    with pytest.raises(ActionRefused) as refused:
        actions.do_record_outcome(world.alice, appointment, status=AppointmentStatus.FULFILLED)
    assert "not started yet" in refused.value.errors["status"]
    traveller.move_to(at(TOMORROW, 10, 40))
    attended = actions.do_record_outcome(world.alice, appointment, status=AppointmentStatus.FULFILLED)
    assert (attended.status, attended.outcome_by, attended.outcome_at) == (
        "fulfilled",
        world.alice,
        at(TOMORROW, 10, 40),
    )
    # A visit with Dana in person is an ambulatory encounter (the chart's visits, transitional care's visit).
    encounter = Encounter.objects.get(pk=attended.encounter_id)
    assert (encounter.encounter_class, encounter.start, encounter.source) == (
        EncounterClass.AMBULATORY,
        appointment.starts_at,
        "appointment",
    )
    with pytest.raises(ActionRefused):
        actions.do_record_outcome(world.alice, attended, status=AppointmentStatus.NO_SHOW)


def test_a_phone_call_or_an_outside_visit_is_no_encounter(
    world: World, traveller: time_machine.Traveller
) -> None:
    by_phone = book(world, mode=Mode.PHONE)
    outside = book(world, staff=None, provider_name="Dr Lee")
    traveller.move_to(at(TOMORROW, 11))
    for appointment in (by_phone, outside):
        done = actions.do_record_outcome(world.alice, appointment, status=AppointmentStatus.FULFILLED)
        assert done.encounter_id is None


def test_a_cancellation_needs_a_reason_and_is_final(world: World, traveller: time_machine.Traveller) -> None:
    appointment = book(world)
    with pytest.raises(ActionRefused) as refused:
        actions.do_record_outcome(world.alice, appointment, status=AppointmentStatus.CANCELLED)
    assert "reason" in refused.value.errors
    cancelled = actions.do_record_outcome(
        world.alice, appointment, status=AppointmentStatus.CANCELLED, reason="The clinic closed"
    )
    assert cancelled.cancel_reason == "The clinic closed"
    traveller.move_to(at(TOMORROW, 11))
    with pytest.raises(ActionRefused):
        actions.do_record_outcome(world.alice, cancelled, status=AppointmentStatus.FULFILLED)
    with pytest.raises(ActionRefused):
        actions.do_change_appointment(world.alice, cancelled, starts_at=at(TOMORROW, 15))


def test_a_missed_appointment_is_followed_up_once(world: World, traveller: time_machine.Traveller) -> None:
    appointment = book(world)
    with pytest.raises(ActionRefused):
        actions.do_follow_up_missed(world.alice, appointment)
    traveller.move_to(at(TOMORROW, 11))
    missed = actions.do_record_outcome(world.alice, appointment, status=AppointmentStatus.NO_SHOW)
    assert missed.encounter_id is None
    done = actions.do_follow_up_missed(world.alice, missed)
    assert done.followed_up_at == at(TOMORROW, 11)
    traveller.move_to(at(TOMORROW, 12))
    assert actions.do_follow_up_missed(world.alice, done).followed_up_at == at(TOMORROW, 11)
    # She came after all: a missed appointment may be corrected to attended.
    assert actions.do_record_outcome(world.alice, done, status=AppointmentStatus.FULFILLED).encounter_id


def test_moving_an_appointment_asks_the_patient_again(world: World) -> None:
    appointment = book(world)
    login = _portal_login(world)
    actions.do_answer(login, appointment, answer=PatientAnswer.CONFIRMED)
    same_time = actions.do_change_appointment(
        world.alice, appointment, starts_at=appointment.starts_at, interpreter_booked=True
    )
    assert same_time.interpreter_booked and same_time.patient_answer == PatientAnswer.CONFIRMED
    moved = actions.do_change_appointment(world.alice, same_time, starts_at=at(TOMORROW, 14))
    assert (moved.starts_at, moved.ends_at) == (at(TOMORROW, 14), at(TOMORROW, 14, 30))
    assert moved.patient_answer == PatientAnswer.NONE and moved.interpreter_booked
    with pytest.raises(ActionRefused) as refused:
        actions.do_change_appointment(world.alice, moved, starts_at=NOW - dt.timedelta(days=1))
    assert "starts_at" in refused.value.errors


def _portal_login(world: World) -> Any:
    login = do_create_user("paula.reyes", Role.PATIENT, world.riverside, PASSWORD)
    do_link_portal_user(world.adam, world.paula, login)
    world.paula.refresh_from_db()
    return login


def test_the_patient_confirms_or_asks_to_change(world: World) -> None:
    appointment = book(world)
    login = _portal_login(world)
    with pytest.raises(ActionRefused) as refused:
        actions.do_answer(login, appointment, answer=PatientAnswer.CHANGE, note="")
    assert "note" in refused.value.errors
    changed = actions.do_answer(login, appointment, answer=PatientAnswer.CHANGE, note="Mornings are hard")
    assert (changed.patient_answer, changed.patient_note, changed.patient_answer_at) == (
        "change",
        "Mornings are hard",
        NOW,
    )
    confirmed = actions.do_answer(login, changed, answer=PatientAnswer.CONFIRMED, note="ignored")
    assert (confirmed.patient_answer, confirmed.patient_note) == ("confirmed", "")
    stranger = do_create_user("someone", Role.PATIENT, world.riverside, PASSWORD)
    with pytest.raises(NotVisible):
        actions.do_answer(stranger, appointment, answer=PatientAnswer.CONFIRMED)


def test_a_ride_is_a_referral_linked_to_the_appointment(world: World) -> None:
    appointment = book(world)
    ride = referral(world)
    linked = actions.do_link_ride(world.alice, appointment, ride)
    assert linked.transport_needed and linked.transport_booked and linked.ride_referral == ride
    with pytest.raises(ActionRefused):
        actions.do_link_ride(world.alice, appointment, _someone_elses_referral(world))


def test_an_appointment_with_a_referrals_service(world: World) -> None:
    food = referral(world, need="food")
    appointment = book(world, staff=None, referral=food, location="Riverside Food Bank")
    assert (appointment.with_kind, appointment.with_whom) == (WithKind.SERVICE, "Riverside Rides")


def test_reminder_times_are_the_administrators_to_set(world: World) -> None:
    assert [o.code for o in actions.reminder_offsets(world.riverside.pk)] == ["2d@10:00", "2h"]
    with pytest.raises(ActionRefused):
        actions.do_set_reminder_offsets(world.alice, ["1d@18:00"])
    with pytest.raises(ActionRefused) as refused:
        actions.do_set_reminder_offsets(world.adam, ["1d@18:00", "soon"])
    assert "soon" in refused.value.errors["offsets"]
    actions.do_set_reminder_offsets(world.adam, ["3h", "1d@18:00"])
    assert [o.code for o in actions.reminder_offsets(world.riverside.pk)] == ["1d@18:00", "3h"]
    assert [o.code for o in actions.reminder_offsets(world.lakeside.pk)] == ["2d@10:00", "2h"]


def test_an_attended_visit_with_the_care_team_is_transitional_cares_follow_up_visit(
    world: World, traveller: time_machine.Traveller
) -> None:
    # Discharged home yesterday; Alice called today (the 2-business-day contact): the visit is what is left.
    enrol(world, world.paula_case)
    do_add_encounter(
        world.alice,
        world.paula,
        encounter_class=EncounterClass.INPATIENT,
        facility="St Mary's",
        start=at(TODAY - dt.timedelta(days=4), 8),
        end=at(TODAY - dt.timedelta(days=1), 12),
        discharge_disposition="home",
    )
    log(world.alice, world.paula, at(TODAY, 9))

    def transition() -> str:
        rows = [i for i in build_worklist(world.alice).items if i.patient_id == world.paula.pk]
        return next(i.reason for i in rows if i.kind in ("transition", "reconcile"))

    assert "follow-up visit due by" in transition()
    appointment = book(world)
    traveller.move_to(at(TOMORROW, 11))
    assert "follow-up visit due by" in transition()  # booked is not attended
    actions.do_record_outcome(world.alice, appointment, status=AppointmentStatus.FULFILLED)
    assert "visit done, medicines not reconciled" in transition()


def test_a_video_visit_with_a_new_colleague_counts_too(
    world: World, traveller: time_machine.Traveller
) -> None:
    nurse = make_staff("nina", Role.CASE_MANAGER, world.riverside)
    appointment = book(world, staff=nurse, mode=Mode.VIDEO, location="https://video.example/room")
    traveller.move_to(at(TOMORROW, 11))
    assert actions.do_record_outcome(
        world.alice, appointment, status=AppointmentStatus.FULFILLED
    ).encounter_id


def test_a_ride_referral_made_from_the_appointment_page_books_its_ride(world: World) -> None:
    from careconductor.appointments.rides import link_ride_of_new_referral
    from careconductor.referrals.hooks import AFTER_CREATE

    assert link_ride_of_new_referral in AFTER_CREATE  # registered from AppointmentsConfig.ready()
    appointment = book(world)
    ride = referral(world)
    link_ride_of_new_referral(world.alice, ride, {})  # a referral made elsewhere: nothing to link
    assert Appointment.objects.get(pk=appointment.pk).ride_referral is None
    for wrong in ("abc", "99999999", str(book(world, patient=_someone_elses_referral(world).patient).pk)):
        with pytest.raises(ActionRefused) as refused:
            link_ride_of_new_referral(world.alice, ride, {"appointment": wrong})
        assert "appointment" in refused.value.errors
    link_ride_of_new_referral(world.alice, ride, {"need": "transport", "appointment": str(appointment.pk)})
    assert Appointment.objects.get(pk=appointment.pk).ride_referral == ride
