"""The experience rule on a case already held (rules.experience_allows): when the tier rises, or a case
manager takes a case themselves at intake, and the holder is not proficient or expert for a tier 3–4 case,
the team's supervisor gets one open task to reassign it (not one more on each later change)."""

from __future__ import annotations

import datetime as dt

from careconductor.accounts.choices import ExperienceLevel
from careconductor.accounts.models import StaffProfile, User
from careconductor.coordination.actions import do_create_task
from careconductor.coordination.choices import TaskKind
from careconductor.coordination.models import Task
from careconductor.core import clock

from . import rules
from .hooks import holder_check
from .models import Case

RULE = "experience-rule"
RULE_LABEL = "Tier 3–4 cases go to proficient or expert staff"
DUE_IN = dt.timedelta(days=2)


@holder_check
def task_for_supervisor(user: User, case: Case, old_tier: int | None) -> Task | None:
    """The supervisor's task when the case's holder may not carry its tier; None when none is needed."""
    if case.primary_case_manager_id is None:
        return None
    level = (
        StaffProfile.objects.filter(user_id=case.primary_case_manager_id)
        .values_list("experience_level", flat=True)
        .first()
    ) or ExperienceLevel.NOVICE
    if not rules.experience_task_needed(old_tier, case.acuity_tier, level):
        return None
    if Task.objects.open().filter(case_id=case.pk, rule=RULE).exists():
        return None
    supervisor = case.team.supervisor
    on_duty = supervisor is not None and supervisor.is_active
    return do_create_task(
        user,
        case.patient,
        owner=supervisor if on_duty else None,
        team=None if on_duty else case.team,
        title=f"Reassign {case}: tier {case.acuity_tier} held by {rules.experience_words(level)}",
        description=(
            f"Tier {case.acuity_tier} cases go to proficient or expert staff. Choose a case manager on the "
            "case's Assign page, or keep the case where it is and say why there."
        ),
        due_at=clock.now() + DUE_IN,
        kind=TaskKind.OTHER,
        case_id=case.pk,
        rule=RULE,
        focus=f"EpisodeOfCare/{case.pk}",
    )
