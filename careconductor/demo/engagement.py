"""Portal scenarios for the demo, made through the real actions: the patient of the "Food, rides and
diabetes" plan has a portal log-in (`patient`) and a daughter as proxy (`caregiver`); a month of home
readings, doses and check-ins; a blood pressure logged this morning past the alert limit (an alert and an
urgent task on casemanager's worklist); unread messages, one with a photo; a patient-specific sugar limit.
A second patient of casemanager's has heart failure and a weight gain that raised its own alert."""

from __future__ import annotations

import datetime as dt
import random
import zlib
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from careconductor.accounts.models import Organization, User
from careconductor.careplans.actions import do_record_reading
from careconductor.careplans.choices import PlanStatus, ReadingSource
from careconductor.careplans.models import CarePlan
from careconductor.cases.choices import CaseStatus
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.engagement import actions
from careconductor.engagement.choices import GoalRating
from careconductor.engagement.models import CheckIn, PortalUse
from careconductor.medications.actions import do_add_medication, do_report_doses
from careconductor.patients.actions import do_add_condition
from careconductor.patients.models import Patient

from .staff import PASSWORD


def _png(width: int = 8, height: int = 8) -> bytes:
    """A small valid PNG (a plain square), standing in for the photo a patient sends."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    rows = b"".join(b"\x00" + bytes([200, 120, 110]) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _login(manager: User, patient: Patient, username: str) -> User:
    made = actions.do_invite_patient(manager, patient, email="")
    login = actions.do_accept_invitation(
        made.secret, username=username, password=PASSWORD, birth_date=patient.birth_date
    )
    patient.refresh_from_db()
    return login


def _at(days_ago: int, hour: int) -> dt.datetime:
    """`hour` o'clock local time, `days_ago` days back (never later than half an hour ago)."""
    now = clock.now()
    day = timezone.localtime(now - dt.timedelta(days=days_ago))
    moment = day.replace(hour=hour, minute=10, second=0, microsecond=0)
    return min(moment, now - dt.timedelta(minutes=30))


def _history(login: User, patient: Patient, rng: random.Random) -> int:
    """30 days of home readings, a pill box kept most days, and weekly goal check-ins."""
    made = 0
    for days_ago in range(30, 0, -2):
        drift = Decimal(days_ago // 3)  # pressure coming down over the month
        for key, value in (
            ("bp-systolic", Decimal(138) + drift + rng.randint(-4, 4)),
            ("bp-diastolic", Decimal(86) + drift // 2 + rng.randint(-3, 3)),
            ("glucose", Decimal(rng.randint(118, 190))),
        ):
            do_record_reading(
                login,
                patient,
                measure_key=key,
                value=value,
                taken_at=_at(days_ago, 8),
                source=ReadingSource.SELF_REPORT,
            )
            made += 1
    # Started last week, so every scheduled dose so far falls in the days the portal takes reports for.
    start = clock.today() - dt.timedelta(days=6)
    metformin = do_add_medication(
        _manager(patient),
        patient,
        name="Metformin",
        dose="500 mg tablet",
        instructions="With breakfast and with supper",
        times=["08:00", "18:00"],
        start_date=start,
    )
    lisinopril = do_add_medication(
        _manager(patient),
        patient,
        name="Lisinopril",
        dose="10 mg tablet",
        instructions="Every morning",
        times=["08:00"],
        start_date=start,
    )
    for days_ago in range(6, 0, -1):  # the portal takes the last 7 days
        day = clock.today() - dt.timedelta(days=days_ago)
        answers = {
            (metformin.pk, "08:00"): True,
            (metformin.pk, "18:00"): rng.random() > 0.35,  # the evening dose is the one she forgets
            (lisinopril.pk, "08:00"): True,
        }
        do_report_doses(login, patient, day=day, answers=answers)
        made += 1
    plan = CarePlan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).first()
    goal = plan.goals.first() if plan is not None else None
    if goal is not None:
        for weeks_ago, rating, note in (
            (3, GoalRating.NOT_WELL, "The food bank was closed when I got there."),
            (2, GoalRating.PARTLY, "Got groceries once, my daughter drove me."),
            (1, GoalRating.WELL, "Both Saturdays, and I cooked at home."),
        ):
            check = actions.do_check_in_goal(login, goal, rating=rating, note=note)
            CheckIn.objects.filter(pk=check.pk).update(reported_at=_at(7 * weeks_ago, 19))
            made += 1
    for days_ago in (9, 4, 1, 0):
        PortalUse.objects.get_or_create(
            patient=patient, user=login, day=clock.today() - dt.timedelta(days=days_ago)
        )
    return made


def _manager(patient: Patient) -> User:
    case = (
        Case.objects.filter(patient=patient, primary_case_manager__isnull=False)
        .order_by("-referred_at")
        .first()
    )
    assert case is not None and case.primary_case_manager is not None
    return case.primary_case_manager


def add_engagement_scenarios(org: Organization) -> int:
    manager = User.objects.filter(organization=org, username="casemanager").first()
    if manager is None or User.objects.filter(username="patient").exists():
        return 0
    plan = (
        CarePlan.objects.filter(
            patient__organization=org, status=PlanStatus.ACTIVE, case__primary_case_manager=manager
        )
        .select_related("patient")
        .order_by("pk")
        .first()
    )
    if plan is None:
        return 0
    patient = plan.patient
    rng = random.Random(8)
    login = _login(manager, patient, "patient")
    made = 1 + _history(login, patient, rng)
    _grant, invited = actions.do_grant_proxy(login, patient, name="Daughter", relationship="child")
    daughter = actions.do_accept_invitation(
        invited.secret,
        username="caregiver",
        password=PASSWORD,
        first_name="Lucia",
        last_name=patient.family_name,
    )
    actions.do_set_threshold(
        manager,
        patient,
        measure="glucose",
        low=Decimal(80),
        high=Decimal(250),
        reason="On insulin since October",
    )
    first = actions.do_send_message(
        login,
        patient,
        subject="Food bank hours",
        body="Is the food bank on Elm Street open on Saturdays now?",
    )
    actions.do_send_message(
        manager, patient, subject="", body="Yes, 9 to 12 every Saturday. I checked today.", reply_to=first
    )
    actions.do_mark_read(login, first.replies.get())
    actions.do_mark_patient_messages_read(manager, patient)
    actions.do_send_message(
        daughter,
        patient,
        subject="Swollen ankle",
        body="Mom's left ankle has been swollen since yesterday. Photo attached. Should she come in?",
        files=[SimpleUploadedFile("ankle.png", _png(), content_type="image/png")],
    )
    actions.do_report_wellbeing(login, patient, mood=3, symptoms=["tired", "swelling"], note="Ankle is sore.")
    # This morning's reading, past the limit: the alert, the urgent task and what she was told.
    actions.do_report_blood_pressure(login, patient, systolic=Decimal(184), diastolic=Decimal(102))
    # Then a headache, and a higher reading: the same alert and task say so, and the case manager is told again.
    actions.do_report_wellbeing(
        login, patient, mood=3, symptoms=["headache"], note="Headache since breakfast."
    )
    actions.do_report_blood_pressure(login, patient, systolic=Decimal(185), diastolic=Decimal(110))
    made += 8
    made += _heart_failure(manager, org)
    return made


def _heart_failure(manager: User, org: Organization) -> int:
    """A heart-failure patient of casemanager's whose morning weights went up 2.4 kg in 3 days."""
    cases = (
        Case.objects.filter(
            primary_case_manager=manager, status=CaseStatus.ACTIVE, patient__portal_user__isnull=True
        )
        .exclude(patient__care_plans__status=PlanStatus.ACTIVE)
        .select_related("patient")
        .order_by("-acuity_tier", "pk")
    )
    # A patient who has heart failure on the problem list already, if the caseload has one.
    case = cases.filter(patient__conditions__icd10_code__startswith="I50").first() or cases.first()
    if case is None:
        return 0
    patient = case.patient
    if not patient.conditions.filter(icd10_code__startswith="I50").exists():
        do_add_condition(manager, patient, icd10_code="I50.22", display="Chronic systolic heart failure")
    login = _login(manager, patient, "patient2")
    for days_ago, kg in ((6, "81.2"), (5, "81.0"), (4, "81.3"), (3, "81.2"), (2, "81.1")):
        do_record_reading(
            login,
            patient,
            measure_key="weight",
            value=Decimal(kg),
            taken_at=_at(days_ago, 7),
            source=ReadingSource.SELF_REPORT,
        )
    actions.do_report_reading(login, patient, measure="weight", value=Decimal("82.4"), taken_at=_at(1, 7))
    actions.do_report_reading(login, patient, measure="weight", value=Decimal("83.6"))  # 2.5 kg in 2 days
    actions.do_send_message(
        login, patient, subject="Short of breath", body="I get winded on the stairs since Monday."
    )
    return 7
