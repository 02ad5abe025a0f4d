"""A patient's (or proxy's) own reports: readings, goal check-ins, how they feel. A report past its limit raises
or updates an alert (alerts.py: a coordination flag and a task) in the same transaction, and tells the
patient what to do (rules.Breach)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from careconductor.accounts.models import User
from careconductor.careplans.actions import do_record_reading
from careconductor.careplans.choices import ReadingSource
from careconductor.careplans.models import Goal, Reading
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .. import alerts, rules
from ..choices import CheckInKind, GoalRating, Symptom
from ..models import CheckIn
from ..queries import limits_for, team_phone


@dataclass
class ReportOutcome:
    """What a report saved, and what the patient must be told at once (empty when all is well)."""

    readings: list[Reading] = field(default_factory=list)
    check_in: CheckIn | None = None
    breach: rules.Breach | None = None


def _phone(patient: Patient) -> str:
    """The number the patient's instructions give: the team's, or where to find it when none is on file."""
    return team_phone(patient) or _("the number on your care plan")


def _check(patient: Patient, check: Callable[[str], rules.Breach | None]) -> rules.Breach | None:
    """Run a limit check, and look up the team's number only when a breach's instruction names it: most
    reports are within their limits, and the number costs queries."""
    if check("") is None:
        return None
    return check(_phone(patient))


def _taken_at(value: dt.datetime | None) -> dt.datetime:
    now = clock.now()
    if value is None:
        return now
    if value > now + dt.timedelta(minutes=5):
        raise ActionRefused({"taken_at": _("The time cannot be in the future.")})
    if value < now - dt.timedelta(days=7):
        raise ActionRefused({"taken_at": _("Report readings from the last 7 days only.")})
    return min(value, now)


def _check_values(values: dict[str, Decimal]) -> None:
    errors = {k: e for k, v in values.items() if (e := rules.check_reading_value(k, v))}
    if errors:
        raise ActionRefused(errors)


def do_report_blood_pressure(
    user: User,
    patient: Patient,
    *,
    systolic: Decimal,
    diastolic: Decimal,
    taken_at: dt.datetime | None = None,
) -> ReportOutcome:
    policy.require(user, policy.Action.REPORT, patient)
    _check_values({"bp-systolic": systolic, "bp-diastolic": diastolic})
    if diastolic >= systolic:
        raise ActionRefused({"bp-diastolic": _("The bottom number must be smaller than the top number.")})
    when = _taken_at(taken_at)
    # The two readings' events (and an alert's) extend the audit chain once.
    with transaction.atomic(), audit.batched():
        outcome = ReportOutcome(
            readings=[
                do_record_reading(
                    user,
                    patient,
                    measure_key=key,
                    value=value,
                    taken_at=when,
                    source=ReadingSource.SELF_REPORT,
                )
                for key, value in (("bp-systolic", systolic), ("bp-diastolic", diastolic))
            ]
        )
        limits = limits_for(patient, heart_failure=False)  # heart failure changes only the weight limit
        breach = _check(patient, lambda phone: rules.check_blood_pressure(systolic, diastolic, limits, phone))
        if breach is not None:
            alerts.alert(
                user,
                patient,
                breach,
                f"Observation/reading-{outcome.readings[0].pk}",
                readings=outcome.readings,
            )
            outcome.breach = breach
    return outcome


def do_report_reading(
    user: User, patient: Patient, *, measure: str, value: Decimal, taken_at: dt.datetime | None = None
) -> ReportOutcome:
    """Blood sugar (mg/dL), weight (kg) or peak flow (L/min)."""
    policy.require(user, policy.Action.REPORT, patient)
    if measure not in ("glucose", "weight", "peak-flow"):
        raise ActionRefused({"measure": _("Choose what you measured.")})
    _check_values({measure: value})
    when = _taken_at(taken_at)
    # Heart failure changes only the weight limit: other measures need not look it up.
    limits = limits_for(patient, heart_failure=None if measure == "weight" else False)
    with transaction.atomic(), audit.batched():
        earlier = list(
            Reading.objects.filter(
                patient=patient, measure="weight", taken_at__gte=when - rules.WEIGHT_WINDOW, taken_at__lt=when
            ).values_list("taken_at", "value")
        )
        reading = do_record_reading(
            user, patient, measure_key=measure, value=value, taken_at=when, source=ReadingSource.SELF_REPORT
        )
        if measure == "glucose":
            breach = _check(patient, lambda phone: rules.check_glucose(value, limits, phone))
        elif measure == "weight":
            breach = _check(patient, lambda phone: rules.check_weight(value, when, earlier, limits, phone))
        else:
            breach = _check(patient, lambda phone: rules.check_peak_flow(value, limits, phone))
        if breach is not None:
            alerts.alert(user, patient, breach, f"Observation/reading-{reading.pk}", readings=[reading])
    return ReportOutcome(readings=[reading], breach=breach)


def do_check_in_goal(user: User, goal: Goal, *, rating: str, note: str = "") -> CheckIn:
    """'How did it go this week?' for one of the patient's goals."""
    patient = goal.plan.patient
    policy.require(user, policy.Action.REPORT, patient)
    if rating not in GoalRating.values:
        raise ActionRefused({"rating": _("Choose how it went.")})
    with transaction.atomic():
        check_in = CheckIn.objects.create(
            patient=patient,
            kind=CheckInKind.GOAL,
            goal=goal,
            rating=rating,
            note=note.strip()[:2000],
            reported_at=clock.now(),
            reported_by=user,
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=check_in, detail="goal check-in")
    return check_in


def do_report_wellbeing(
    user: User, patient: Patient, *, mood: int | None, symptoms: Sequence[str], note: str = ""
) -> ReportOutcome:
    policy.require(user, policy.Action.REPORT, patient)
    errors: dict[str, str] = {}
    if mood is not None and not 1 <= mood <= 5:
        errors["mood"] = _("Choose how you feel.")
    if any(s not in Symptom.values for s in symptoms):
        errors["symptoms"] = _("Choose from the list.")
    if mood is None and not symptoms and not note.strip():
        errors["mood"] = _("Tell us how you feel, or pick a symptom.")
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic(), audit.batched():
        check_in = CheckIn.objects.create(
            patient=patient,
            kind=CheckInKind.WELLBEING,
            mood=mood,
            symptoms=sorted(set(symptoms)),
            note=note.strip()[:2000],
            reported_at=clock.now(),
            reported_by=user,
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=check_in, detail="wellbeing")
        breach = _check(patient, lambda phone: rules.check_wellbeing(mood, symptoms, phone))
        focus = f"Observation/check-in-{check_in.pk}"
        if breach is not None:
            alerts.alert(user, patient, breach, focus, symptoms=set(check_in.symptoms), report_pk=check_in.pk)
        alerts.add_symptoms_to_open_alerts(user, patient, check_in)
    return ReportOutcome(check_in=check_in, breach=breach)
