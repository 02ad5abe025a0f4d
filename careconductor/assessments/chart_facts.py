"""The inputs of the risk scores, read from the chart: the latest inpatient stay, the problem list, ED visits
and earlier admissions, and the last haemoglobin and sodium of the stay (labs are readings, kept by care plans,
which builds on this app: it registers where they come from, `lab_source`). The discharging service and
procedures are not kept in CareConductor yet, so HOSPITAL reports them as missing rather than guessing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from careconductor.core import clock
from careconductor.patients.choices import ClinicalStatus, ConditionCategory, EncounterClass
from careconductor.patients.models import Encounter, Patient
from careconductor.privacy.choices import Sensitivity

from . import risk

ACTIVE = (ClinicalStatus.ACTIVE, ClinicalStatus.RECURRENCE, ClinicalStatus.RELAPSE)
# An ED visit that starts within this long before the admission is the visit that led to it (LACE's E
# excludes it).
LEADING_ED_VISIT = dt.timedelta(hours=24)


# Labs of a stay: (patient, from, until) -> {"haemoglobin": g/dL, "sodium": mmol/L}, the last of each taken in the
# stay. Registered by the app that keeps labs (careplans.coordination), so this app does not import it.
LabSource = Callable[[Patient, dt.datetime, dt.datetime], dict[str, float]]
_lab_sources: list[LabSource] = []


def lab_source(source: LabSource) -> LabSource:
    _lab_sources.append(source)
    return source


def labs_of_stay(patient: Patient, stay: Encounter) -> dict[str, float]:
    """The last haemoglobin and sodium taken during the stay (to its discharge; to now while it goes on)."""
    found: dict[str, float] = {}
    for source in _lab_sources:
        found |= source(patient, stay.start, stay.end or clock.now())
    return found


def latest_stay(patient: Patient) -> Encounter | None:
    return (
        patient.encounters.filter(encounter_class=EncounterClass.INPATIENT, start__lte=clock.now())
        .order_by("-start")
        .first()
    )


def risk_results(patient: Patient) -> tuple[list[tuple[risk.RiskResult, Sensitivity]], Encounter | None]:
    """Each score with the label of the sensitive records it counted (42 CFR Part 2, psychotherapy; NORMAL when
    none): a score whose result changes without a label's conditions names them or depends on them. Part 2 is
    the stricter of the two and wins when both counted."""
    problem_list = patient.conditions.filter(
        clinical_status__in=ACTIVE, category=ConditionCategory.PROBLEM_LIST
    )
    conditions = list(problem_list.values_list("icd10_code", "sensitivity"))
    scores, encounter = _scorer(patient)
    results = scores([code for code, _ in conditions])
    labels: list[Sensitivity] = [Sensitivity.NORMAL] * len(results)
    for label in (Sensitivity.PSYCHOTHERAPY, Sensitivity.PART2):
        if any(sensitivity == label for _, sensitivity in conditions):
            without = scores([code for code, sensitivity in conditions if sensitivity != label])
            labels = [label if r != w else old for r, w, old in zip(results, without, labels, strict=True)]
    return list(zip(results, labels, strict=True)), encounter


def _scorer(patient: Patient) -> tuple[Callable[[list[str]], list[risk.RiskResult]], Encounter | None]:
    """The scores as a function of the problem list's codes (the rest of the chart read once), and the stay."""
    age = patient.age_on(clock.today())
    encounter = latest_stay(patient)
    stay = None
    ed_visits = admissions = None
    labs: dict[str, float] = {}
    if encounter is not None:
        labs = labs_of_stay(patient, encounter)
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
    hospital = risk.hospital(
        stay,
        haemoglobin_g_dl=labs.get("haemoglobin"),
        sodium_mmol_l=labs.get("sodium"),
        oncology_discharge=None,
        procedure_during_stay=None,
        admissions_12_months=admissions,
    )

    def scores(codes: list[str]) -> list[risk.RiskResult]:
        return [risk.lace(stay, codes, ed_visits), hospital, risk.charlson(codes, age=age)]

    return scores, encounter
