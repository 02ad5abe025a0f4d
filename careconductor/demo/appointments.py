"""A week of appointments for the demo (issue 20): `casemanager`'s patients from three days ago to four days ahead,
on weekdays, with her, with the care team's physician, with an outside specialist, by phone or video, and with the
services of the demo's scheduled referrals. Patients who need an interpreter have one (booked or not yet); some
need a ride, and the social-needs patient's ride is her transport referral. The past days' appointments were
attended or missed (a missed one waits on the worklist); some coming ones are confirmed, one asks to change, and
those in the next two days have had their reminder. Bulk inserts, like the rest of the demo (the run's one audit
event covers them)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Protocol
from zoneinfo import ZoneInfo

from django.conf import settings

from careconductor.accounts.models import Organization, User
from careconductor.appointments.choices import (
    AppointmentStatus,
    Channel,
    Mode,
    PatientAnswer,
    ReminderOutcome,
    WithKind,
)
from careconductor.appointments.models import Appointment, Reminder
from careconductor.appointments.rules import channel_for
from careconductor.cases.choices import CaseStatus
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.referrals.choices import ReferralStatus
from careconductor.referrals.models import Referral

CLINIC = "Riverbend Community Clinic, 200 Main Street, Suite 3"
SPECIALISTS = (
    ("Dr. Amelia Ortiz, cardiology", "Lakeview Heart Center, 45 Lake Road"),
    ("Dr. Samuel Price, endocrinology", "Northside Diabetes Clinic, 12 Elm Avenue"),
    ("Dr. Hannah Lowe, pulmonology", "Mercy Lung Clinic, 9 Hospital Drive"),
)
# (purpose, whom with: "manager", "physician", "outside" or "referral", how)
VISITS = (
    ("Follow-up after the hospital", "physician", Mode.IN_PERSON),
    ("Care plan review", "manager", Mode.IN_PERSON),
    ("Specialist visit", "outside", Mode.IN_PERSON),
    ("Check-in call", "manager", Mode.PHONE),
    ("Medication review", "physician", Mode.VIDEO),
    ("First visit", "referral", Mode.IN_PERSON),
)
BRING = "Your medicines (or a list of them), your insurance card and any questions written down."
PATIENTS = 14


class Out(Protocol):
    def write(self, text: str, /) -> object: ...


def _week(today: dt.date) -> list[dt.date]:
    """Weekdays from three days ago to four days ahead."""
    days = [today + dt.timedelta(days=n) for n in range(-3, 5)]
    return [d for d in days if d.weekday() < 5]


def add_appointments(org: Organization, out: Out) -> int:
    manager = User.objects.filter(organization=org, username="casemanager").first()
    if manager is None or Appointment.objects.filter(organization=org).exists():
        return 0
    physician = (
        User.objects.filter(
            organization=org, role="care_team", is_active=True, profile__discipline="physician"
        )
        .order_by("pk")
        .first()
    )
    cases = list(
        Case.objects.filter(primary_case_manager=manager, status=CaseStatus.ACTIVE)
        .select_related("patient", "patient__portal_user")
        .order_by("pk")[:PATIENTS]
    )
    if not cases:
        return 0
    patients = [c.patient for c in cases]
    # The scheduled referrals' services, and the rides (transport referrals), by patient.
    referrals = {
        r.patient_id: r
        for r in Referral.objects.filter(patient__in=patients, service__isnull=False)
        .exclude(need="transport")
        .filter(status__in=[ReferralStatus.SCHEDULED, ReferralStatus.ACCEPTED])
        .select_related("service__provider")
    }
    rides = {r.patient_id: r for r in Referral.objects.filter(patient__in=patients, need="transport")}
    patients.sort(key=lambda p: (p.pk not in referrals, p.pk not in rides, p.pk))
    zone = ZoneInfo(org.time_zone or settings.TIME_ZONE)
    now = clock.now()
    days = _week(now.astimezone(zone).date())
    pick = random.Random(f"appointments:{org.pk}")
    made: list[Appointment] = []
    for n, patient in enumerate(patients):
        purpose, whom, mode = VISITS[n % len(VISITS)]
        referral = referrals.get(patient.pk)
        if referral is not None:
            purpose, whom, mode = "First visit", "referral", Mode.IN_PERSON
        elif whom == "referral" or (whom == "physician" and physician is None):
            purpose, whom, mode = "Care plan review", "manager", Mode.IN_PERSON
        day = days[n % len(days)]
        local = dt.datetime.combine(day, dt.time(9 + (n * 3) % 8, 30 if n % 2 else 0), tzinfo=zone)
        starts = local.astimezone(dt.UTC)
        minutes = 20 if mode == Mode.PHONE else (60 if whom == "referral" else 30)
        specialist, address = SPECIALISTS[n % len(SPECIALISTS)]
        if whom == "referral" and referral is not None:
            location = referral.service.provider.name if referral.service else CLINIC
        elif whom == "outside":
            location = address
        elif mode == Mode.IN_PERSON:
            location = CLINIC
        else:
            location = "We call you" if mode == Mode.PHONE else "The link comes by text message"
        ride = rides.get(patient.pk)
        past = starts + dt.timedelta(minutes=minutes) < now
        status = AppointmentStatus.BOOKED
        if past:
            status = AppointmentStatus.NO_SHOW if n % 4 == 3 else AppointmentStatus.FULFILLED
        answer = ""
        if not past:
            answer = pick.choice([PatientAnswer.CONFIRMED, PatientAnswer.CONFIRMED, ""])
            if n == len(patients) - 1:
                answer = PatientAnswer.CHANGE
        made.append(
            Appointment(
                organization=org,
                patient=patient,
                status=status,
                starts_at=starts,
                ends_at=starts + dt.timedelta(minutes=minutes),
                purpose=purpose,
                with_kind={
                    "manager": WithKind.CARE_TEAM,
                    "physician": WithKind.CARE_TEAM,
                    "outside": WithKind.OUTSIDE,
                    "referral": WithKind.SERVICE,
                }[whom],
                staff={"manager": manager, "physician": physician}.get(whom),
                referral=referral if whom == "referral" else None,
                provider_name=specialist if whom == "outside" else "",
                mode=mode,
                location=location,
                interpreter_needed=patient.interpreter_needed,
                interpreter_language=patient.preferred_language,
                interpreter_booked=patient.interpreter_needed and (past or n % 3 != 0),
                transport_needed=ride is not None or (mode == Mode.IN_PERSON and n % 5 == 2),
                ride_referral=ride,
                what_to_bring=BRING if mode == Mode.IN_PERSON else "",
                booked_by=manager,
                patient_answer=answer,
                patient_answer_at=now - dt.timedelta(hours=n + 1) if answer else None,
                patient_note="Could we make it an afternoon? I work mornings."
                if answer == PatientAnswer.CHANGE
                else "",
                outcome_at=starts + dt.timedelta(hours=2) if past else None,
                outcome_by=manager if past else None,
            )
        )
    Appointment.objects.bulk_create(made)
    reminders = []
    for a in made:
        if a.status == AppointmentStatus.BOOKED and a.starts_at - now < dt.timedelta(days=2):
            patient = a.patient
            channel = channel_for(
                patient.preferred_contact_method,
                phone=bool(patient.phone),
                email=bool(patient.email),
                portal=patient.portal_user_id is not None,
            )
            reminders.append(
                Reminder(
                    appointment=a,
                    offset="2d@10:00",
                    for_start=a.starts_at,
                    due_at=a.starts_at - dt.timedelta(days=2),
                    made_at=a.starts_at - dt.timedelta(days=2),
                    channel=channel,
                    language=patient.preferred_language,
                    outcome=ReminderOutcome.SENT if channel != Channel.NONE else ReminderOutcome.FAILED,
                )
            )
    Reminder.objects.bulk_create(reminders)
    missed = sum(1 for a in made if a.status == AppointmentStatus.NO_SHOW)
    out.write(
        f"Appointments: {len(made)} over a week for casemanager's patients (with her, the physician, specialists "
        f"and referral services; interpreters and rides), {missed} missed on the worklist, "
        f"{len(reminders)} reminders sent.\n"
    )
    return len(made)
