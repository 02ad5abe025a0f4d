"""The inputs of the risk scores, read from the chart: the latest inpatient stay, the problem list, ED visits
and earlier admissions. Labs (haemoglobin, sodium), the discharging service and procedures are not kept in
CareConductor yet, so HOSPITAL reports them as missing rather than guessing."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from careconductor.core import clock
from careconductor.patients.choices import ClinicalStatus, ConditionCategory, EncounterClass
from careconductor.patients.models import Encounter, Patient

from . import risk

ACTIVE = (ClinicalStatus.ACTIVE, ClinicalStatus.RECURRENCE, ClinicalStatus.RELAPSE)
# An ED visit that starts within this long before the admission is the visit that led to it (LACE's E
# excludes it).
LEADING_ED_VISIT = dt.timedelta(hours=24)


def latest_stay(patient: Patient) -> Encounter | None:
    return (
        patient.encounters.filter(encounter_class=EncounterClass.INPATIENT, start__lte=clock.now())
        .order_by("-start")
        .first()
    )


def risk_results(patient: Patient) -> tuple[list[risk.RiskResult], Encounter | None]:
    codes = list(
        patient.conditions.filter(
            clinical_status__in=ACTIVE, category=ConditionCategory.PROBLEM_LIST
        ).values_list("icd10_code", flat=True)
    )
    age = patient.age_on(clock.today())
    encounter = latest_stay(patient)
    stay = None
    ed_visits = admissions = None
    if encounter is not None:
        stay = risk.Stay(
            admitted=timezone.localdate(encounter.start),
            discharged=timezone.localdate(encounter.end) if encounter.end else None,
            admission_type=encounter.admission_type,
        )
        ed_visits = patient.encounters.filter(
            encounter_class=EncounterClass.EMERGENCY,
            start__gte=encounter.start - dt.timedelta(days=183),
            start__lt=encounter.start - LEADING_ED_VISIT,
        ).count()
        admissions = patient.encounters.filter(
            encounter_class=EncounterClass.INPATIENT,
            start__gte=encounter.start - dt.timedelta(days=365),
            start__lt=encounter.start,
        ).count()
    results = [
        risk.lace(stay, codes, ed_visits),
        risk.hospital(
            stay,
            haemoglobin_g_dl=None,
            sodium_mmol_l=None,
            oncology_discharge=None,
            procedure_during_stay=None,
            admissions_12_months=admissions,
        ),
        risk.charlson(codes, age=age),
    ]
    return results, encounter
