"""Permission-checked reads of appointments: one appointment, a patient's appointments (the chart, the portal),
and the staff calendar of a person or a team.

Functions taking a Patient are for a patient the caller has already opened (patients.queries.access_patient, or
the portal's own access): they check nothing and record nothing again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from careconductor.accounts.models import Team, User
from careconductor.core import clock
from careconductor.core.errors import NotVisible
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction
from careconductor.referrals.models import Referral
from careconductor.referrals.queries import visible_referrals

from .choices import AppointmentStatus
from .models import Appointment, Reminder

RELATED = ("patient", "staff", "referral__service__provider", "ride_referral", "booked_by")


def access_appointment(user: User, appointment_id: int) -> Appointment:
    """The appointment if the user may see its patient (the read is audited); NotVisible otherwise."""
    appointment = (
        Appointment.objects.filter(policy.patient_q(user))
        .select_related(*RELATED)
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=appointment.patient, obj=appointment)
    return appointment


def portal_appointment(patient: Patient, appointment_id: int) -> Appointment:
    """One of the patient's own appointments (the portal has opened the record); NotVisible otherwise."""
    appointment = (
        Appointment.objects.filter(patient=patient, pk=appointment_id).select_related(*RELATED).first()
    )
    if appointment is None:
        raise NotVisible
    return appointment


def upcoming(patient: Patient, days: int = 60) -> list[Appointment]:
    """The patient's booked appointments still to come within `days`, soonest first (one query)."""
    now = clock.now()
    return list(
        Appointment.objects.filter(
            patient=patient,
            status=AppointmentStatus.BOOKED,
            ends_at__gte=now,
            starts_at__lte=now + dt.timedelta(days=days),
        ).select_related("staff", "referral__service__provider", "ride_referral")
    )


def patient_appointments(patient: Patient) -> tuple[list[Appointment], list[Appointment]]:
    """(to come, past) for the staff list: booked ones still to come, soonest first; the rest, latest first."""
    now = clock.now()
    rows = list(Appointment.objects.filter(patient=patient).select_related(*RELATED[1:]))
    coming = [a for a in rows if a.status == AppointmentStatus.BOOKED and a.ends_at >= now]
    past = [a for a in rows if a not in coming]
    past.sort(key=lambda a: (a.starts_at, a.pk), reverse=True)
    return coming, past


def reminders_of(appointment: Appointment) -> list[Reminder]:
    return list(appointment.reminders.all())


def reminded_in_portal(patient: Patient) -> set[int]:
    """Appointments still to come whose portal reminder went out and that the patient has not answered."""
    return set(
        Reminder.objects.filter(
            appointment__patient=patient,
            appointment__status=AppointmentStatus.BOOKED,
            appointment__starts_at__gt=clock.now(),
            appointment__patient_answer="",
            channel="portal",
            outcome="sent",
        ).values_list("appointment_id", flat=True)
    )


def patient_referrals(user: User, patient: Patient) -> QuerySet[Referral]:
    """The patient's referrals the user may read (a substance use referral only for those who may read Part 2),
    for choosing the one whose service the appointment is with."""
    return (
        visible_referrals(user)
        .filter(patient=patient)
        .select_related("service__provider")
        .prefetch_related("service__locations")
        .order_by("-created_at")
    )


def bookable_staff(user: User) -> QuerySet[User]:
    """The staff of the user's organisation an appointment may be with."""
    return (
        User.objects.filter(organization_id=user.org_id, is_active=True, is_system=False)
        .exclude(role="patient")
        .order_by("first_name", "last_name", "username")
    )


@dataclass(frozen=True)
class Slot:
    """One appointment on the calendar; `shown` False: the viewer may not see the patient (a busy slot)."""

    appointment: Appointment
    shown: bool


def calendar(
    viewer: User, staff_ids: list[int], start: dt.datetime, end: dt.datetime
) -> dict[int, list[Slot]]:
    """The appointments of these members of staff between `start` and `end`, by person, in time order. Those of
    patients the viewer may not see are busy slots, without the patient or the purpose. Two queries; the
    patients shown are audited as read, one event each."""
    rows = list(
        Appointment.objects.filter(
            organization_id=viewer.org_id,
            staff_id__in=staff_ids,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("patient", "staff")
    )
    visible = set(
        Appointment.objects.filter(pk__in=[a.pk for a in rows])
        .filter(policy.patient_q(viewer))
        .values_list("pk", flat=True)
    )
    out: dict[int, list[Slot]] = {pk: [] for pk in staff_ids}
    for a in rows:
        if a.staff_id is not None:
            out[a.staff_id].append(Slot(a, a.pk in visible))
    shown = {a.patient_id: a.patient for a in rows if a.pk in visible}
    if shown:
        audit.record_reads(viewer, list(shown.values()), object_type="Appointment")
    return out


def team_members(viewer: User, team_id: int) -> tuple[Team, list[User]]:
    """A team of the viewer's organisation and its active members; NotVisible for another organisation's."""
    team = Team.objects.filter(organization_id=viewer.org_id, pk=team_id).first()
    if team is None:
        raise NotVisible
    members = list(
        User.objects.filter(profile__team=team, is_active=True, is_system=False).order_by(
            "first_name", "last_name", "username"
        )
    )
    return team, members
