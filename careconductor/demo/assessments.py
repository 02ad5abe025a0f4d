"""Assessment scenarios for the demo, recorded through the real actions (so they carry scores, findings, safety
flags, tasks and audit events): a PHQ-9 series that improves over three months, a social-needs screen with
food and transport needs, a PHQ-9 whose item 9 raised a same-day safety task, a complex grid that suggests a
higher acuity tier, an assessment left half done, and risk scores from each patient's chart."""

from __future__ import annotations

import datetime as dt

from django.db.models import F

from careconductor.accounts.models import Organization, User
from careconductor.assessments import catalogue
from careconductor.assessments.actions import (
    do_complete_assessment,
    do_compute_risk_scores,
    do_save_answers,
    do_start_assessment,
)
from careconductor.assessments.models import Assessment, AssessmentScore, Finding, Questionnaire
from careconductor.cases.choices import CaseStatus
from careconductor.patients.models import Patient

PHQ9 = [f"phq9-{n}" for n in range(1, 10)]
GRID_HIGH = {  # a patient with many needs: total 27, red on residential stability
    "bio-hist-chronic-illness": 3, "bio-hist-diagnostic-difficulty": 1, "bio-curr-symptom-severity": 2,
    "bio-curr-adherence-ability": 2, "bio-vuln-complications": 2, "psy-hist-coping-barriers": 1,
    "psy-hist-mental-health-history": 1, "psy-curr-treatment-resistance": 1, "psy-curr-mental-health-symptoms": 2,
    "psy-vuln-mental-health-threat": 1, "soc-hist-job-leisure": 1, "soc-hist-relationships": 1,
    "soc-curr-residential-stability": 3, "soc-curr-social-support": 2, "soc-vuln-social-vulnerability": 1,
    "hs-hist-access-to-care": 1, "hs-hist-treatment-experience": 0, "hs-curr-getting-services": 1,
    "hs-curr-care-coordination": 1, "hs-vuln-impediments": 0,
}  # fmt: skip


def _by_ordinal(questionnaire: Questionnaire, ordinals: dict[str, int]) -> dict[str, list[str]]:
    instrument = catalogue.instrument_for(questionnaire)
    found = {}
    for link_id, wanted in ordinals.items():
        (option,) = instrument.questions[link_id].options_with_ordinal(wanted)
        found[link_id] = [option.code]
    return found


def _phq9(total: int, item9: int = 0) -> dict[str, int]:
    ordinals = dict.fromkeys(PHQ9, 0)
    ordinals["phq9-9"] = item9
    left = total - item9
    for link_id in PHQ9[:8]:
        ordinals[link_id] = min(3, left)
        left -= ordinals[link_id]
    return ordinals


def _record(user: User, patient: Patient, slug: str, answers: dict, *, days_ago: int = 0) -> Assessment:
    questionnaire = Questionnaire.objects.get(slug=slug)
    assessment = do_start_assessment(user, patient, questionnaire, language="en")
    assessment = do_save_answers(user, assessment, answers)
    assessment = do_complete_assessment(user, assessment)
    if days_ago:
        # A history for the trend chart: recorded now through the actions, then dated back.
        shift = dt.timedelta(days=days_ago)
        Assessment.objects.filter(pk=assessment.pk).update(
            started_at=F("started_at") - shift, completed_at=F("completed_at") - shift
        )
        AssessmentScore.objects.filter(assessment=assessment).update(effective_at=F("effective_at") - shift)
        Finding.objects.filter(assessment=assessment).update(found_at=F("found_at") - shift)
    return assessment


def add_assessment_scenarios(org: Organization) -> int:
    """Returns how many assessments were recorded (0 when the demo is too small for the scenarios)."""
    manager = User.objects.filter(organization=org, username="casemanager").first()
    if manager is None:
        return 0
    mine = list(
        Patient.objects.filter(cases__primary_case_manager=manager, cases__status=CaseStatus.ACTIVE)
        .distinct()
        .order_by("pk")[4:16]  # the first four carry the privacy scenarios
    )
    if len(mine) < 6:
        return 0
    improving, social, safety, complex_needs, half_done, *others = mine
    q = {
        slug: Questionnaire.objects.get(slug=slug)
        for slug in ("phq-9", "gad-7", "ahc-hrsn", "icm-complexity-grid")
    }
    made = 0

    # Depression improving with treatment: PHQ-9 every four weeks, 19 → 15 → 12 → 8.
    for days_ago, total in ((84, 19), (56, 15), (28, 12), (0, 8)):
        _record(manager, improving, "phq-9", _by_ordinal(q["phq-9"], _phq9(total)), days_ago=days_ago)
        made += 1
    _record(
        manager,
        improving,
        "gad-7",
        _by_ordinal(q["gad-7"], {f"gad7-{n}": 2 if n < 5 else 1 for n in range(1, 8)}),
    )
    made += 1

    # Social needs: food runs out before the month ends, no ride to appointments.
    hrsn = _by_ordinal(q["ahc-hrsn"], {f"ahc-{n}": 1 for n in (7, 8, 9, 10)})
    hrsn.update(
        {
            "ahc-1": ["LA31993-1"],  # a steady place to live
            "ahc-2": ["LA9-3"],  # none of the housing problems
            "ahc-3": ["LA6729-3"],  # sometimes true
            "ahc-4": ["LA28397-0"],  # often true
            "ahc-5": ["LA33-6"],  # yes, lack of transport
            "ahc-6": ["LA32-8"],  # no utility shut-off threat
        }
    )
    _record(manager, social, "ahc-hrsn", hrsn)
    made += 1

    # Thoughts of self-harm on item 9 with a mild total: the flag and same-day tasks are raised at once.
    _record(manager, safety, "phq-9", _by_ordinal(q["phq-9"], _phq9(7, item9=1)))
    made += 1

    # Many needs on the complexity grid (27 > 20: complex) and the chart's risk scores → a higher tier suggested.
    _record(manager, complex_needs, "icm-complexity-grid", _by_ordinal(q["icm-complexity-grid"], GRID_HIGH))
    made += 1

    # A PHQ-9 started on a call that dropped: five of nine answered, waiting to be continued.
    started = do_start_assessment(manager, half_done, q["phq-9"])
    do_save_answers(
        manager, started, {k: v for k, v in _by_ordinal(q["phq-9"], _phq9(6)).items() if k in PHQ9[:5]}
    )
    made += 1

    for patient in [improving, social, safety, complex_needs, *others]:
        do_compute_risk_scores(manager, patient)
    return made
