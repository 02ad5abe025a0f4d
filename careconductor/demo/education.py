"""Education scenarios for the demo, made through the real actions on `casemanager`'s caseload: a patient
who learns by video or by being shown, handed the low-sugar sheet in print alone after the gentle prompt,
with the picture guide now assigned to go through next; daily weights gone through with teach-back and
understood; the depression sheet where teach-back showed it needs going over again; a pill box filled
together; and the blood pressure sheet waiting, due next week. Spanish speakers get the Spanish texts."""

from __future__ import annotations

import datetime as dt

from careconductor.accounts.models import Organization, User
from careconductor.cases.choices import CaseStatus
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.education import actions
from careconductor.education.choices import TeachBackResult
from careconductor.education.models import Assignment
from careconductor.patients.models import Patient

NOT_PRINT = ("video", "demonstration", "visual", "verbal")


def _patients(manager: User) -> list[Patient]:
    cases = (
        Case.objects.filter(primary_case_manager=manager, status=CaseStatus.ACTIVE)
        .select_related("patient")
        .order_by("pk")
    )
    return [c.patient for c in cases]


def _give(
    manager: User,
    patient: Patient,
    slug: str,
    *,
    reason: str,
    format_used: str = "",
    teach_back: str = TeachBackResult.CONFIRMED,
    note: str = "",
    hours_ago: int = 2,
    after_prompt: bool = False,
) -> bool:
    """Assign the material and, when a format is given, record going through it. False when it was there."""
    if Assignment.objects.filter(patient=patient, material_slug=slug).exists():
        return False  # made by an earlier run
    assignment = actions.do_assign_material(manager, patient, slug=slug, reason=reason)
    if format_used:
        actions.do_record_delivery(
            manager,
            assignment,
            format_used=format_used,
            teach_back=teach_back,
            note=note,
            delivered_at=clock.now() - dt.timedelta(hours=hours_ago),
            acknowledge_print_prompt=after_prompt,
        )
    return True


def add_education_scenarios(org: Organization) -> int:
    """Returns how many materials were assigned (0 when there is no demo case manager with active cases)."""
    manager = User.objects.filter(organization=org, username="casemanager").first()
    if manager is None:
        return 0
    patients = _patients(manager)
    if not patients:
        return 0
    made = 0
    # A video or hands-on learner who does not read for learning: print alone, after the prompt.
    learner = next(
        (
            p
            for p in patients
            if p.learning_preferences
            and "print" not in p.learning_preferences
            and set(p.learning_preferences) & set(NOT_PRINT)
        ),
        patients[0],
    )
    made += _give(
        manager,
        learner,
        "diabetes-low-sugar-rule-of-15",
        reason="Two low sugars this month after the insulin change",
        format_used="print",
        teach_back=TeachBackResult.NOT_DONE,
        note="Handed over at the end of the visit; no time to go through it.",
        hours_ago=20,
        after_prompt=True,
    )
    made += _give(
        manager, learner, "diabetes-low-sugar-picture-guide", reason="Go through it together next visit"
    )
    others = [p for p in patients if p.pk != learner.pk]
    plan = [
        (
            "heart-failure-daily-weights",
            "teach-back",
            TeachBackResult.CONFIRMED,
            "Weighed together on the home scale; said back the 2 kg in 3 days rule.",
        ),
        (
            "depression-you-are-not-alone",
            "print",
            TeachBackResult.NOT_CONFIRMED,
            "Unsure when to call 988; go over it again on the next call.",
        ),
        (
            "medications-pill-box",
            "interactive",
            TeachBackResult.CONFIRMED,
            "Filled the box together with a family member.",
        ),
    ]
    for patient, (slug, used, result, note) in zip(others, plan, strict=False):
        made += _give(
            manager,
            patient,
            slug,
            reason="From the care plan",
            format_used=used,
            teach_back=result,
            note=note,
        )
    if len(others) > len(plan):
        waiting = others[len(plan)]
        if not Assignment.objects.filter(
            patient=waiting, material_slug="hypertension-home-blood-pressure"
        ).exists():
            actions.do_assign_material(
                manager,
                waiting,
                slug="hypertension-home-blood-pressure",
                reason="New home cuff",
                due=clock.today() + dt.timedelta(days=7),
            )
            made += 1
    return made
