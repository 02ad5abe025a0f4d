"""Applying a library template: its goals, steps and interventions, in the patient's language."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q

from careconductor.accounts.choices import Discipline
from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.actions import do_add_health_concern

from .. import library
from ..choices import (
    GoalAgreement,
    InterventionKind,
    OwnerType,
    ProblemSource,
    Proposer,
)
from ..measures import measure
from ..models import (
    CarePlan,
    Goal,
    Problem,
)
from .goals import do_add_goal, do_add_step
from .interventions import do_add_intervention
from .plans import _editing
from .problems import _add_problem

OWNER_DISCIPLINES = {
    "physician": Discipline.PHYSICIAN,
    "pharmacist": Discipline.PHARMACIST,
    "social-worker": Discipline.SOCIAL_WORK,
}


def _template_owner(plan: CarePlan, user: User, owner: str) -> tuple[OwnerType, User | None]:
    if owner == "patient":
        return OwnerType.PATIENT, None
    if owner == "caregiver":
        return OwnerType.CAREGIVER, None
    if owner in OWNER_DISCIPLINES:
        member = (
            plan.patient.care_team.filter(
                Q(end_date__isnull=True) | Q(end_date__gte=clock.today()),
                user__profile__discipline=OWNER_DISCIPLINES[owner],
                user__is_active=True,
                start_date__lte=clock.today(),
            )
            .select_related("user")
            .first()
        )
        if member is not None:
            return OwnerType.STAFF, member.user
    return OwnerType.STAFF, plan.case.primary_case_manager or user


def _in_days(today: dt.date, days: int | None) -> dt.date | None:
    return today + dt.timedelta(days=days) if days else None


def do_apply_template(
    user: User,
    plan: CarePlan,
    template_id: str,
    *,
    goal_keys: list[str],
    problem: Problem | None = None,
) -> list[Goal]:
    """Add the chosen goals of a library template, with their steps and interventions, to be edited into the
    patient's own words. Patient-facing text is taken in the patient's language where the template has it.
    Without a problem given, the template's own problem is added (as a health concern) or reused."""
    found = library.template(template_id)
    if found is None:
        raise ActionRefused({"template": "Choose a template from the library."})
    chosen = [g for g in found.goals if g.key in goal_keys]
    if not chosen:
        raise ActionRefused({"goals": "Choose at least one of the template's goals."})
    language = plan.patient.preferred_language
    today = clock.today()
    goals: list[Goal] = []
    with transaction.atomic():
        _editing(user, plan)
        if problem is None:
            title = library.localized(found.problem, "title", "en")
            existing = plan.problems.filter(title=title).first()
            if existing is None:
                concern = do_add_health_concern(
                    user,
                    plan.patient,
                    display=title,
                    concern_code=f"template:{found.id}",
                    icd10_code=found.problem.icd10,
                )
                existing = plan.problems.filter(condition=concern).first() or _add_problem(
                    user, plan, concern, ProblemSource.HAND, title, None
                )
            problem = existing
        for item in chosen:
            m = measure(item.measure)
            goal = do_add_goal(
                user,
                plan,
                problem_ids=[problem.pk],
                template=found.id,
                patient_words=library.localized(item, "patient_words", language),
                statement=item.statement,
                proposed_by=Proposer.TEAM,
                agreement=GoalAgreement.NOT_ASKED,
                measure=item.measure,
                # A template's "other" measure is described by its target.
                measure_text=item.target_text[:200] if item.measure == "other" else "",
                target_value=item.target_value if m.numeric else None,
                target_text=library.localized(item, "target_text", language),
                due_on=_in_days(today, item.due_in_days),
            )
            for step in item.steps:
                do_add_step(
                    user,
                    goal,
                    text=library.localized(step, "text", language),
                    due_on=_in_days(today, step.due_in_days),
                )
            for action in item.interventions:
                owner_type, owner = _template_owner(plan, user, action.owner)
                do_add_intervention(
                    user,
                    plan,
                    goal=goal,
                    kind=InterventionKind(action.kind),
                    title=library.localized(action, "title", language),
                    owner_type=owner_type,
                    owner=owner,
                    due_on=_in_days(today, action.due_in_days),
                )
            goals.append(goal)
    return goals
