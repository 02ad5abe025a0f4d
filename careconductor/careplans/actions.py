"""The only code that changes care plans. Every change checks the policy, writes an audit event and, on a plan
already in force, marks the plan as having changes that a new version will carry (see models.CarePlan)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from careconductor.accounts.choices import Discipline, Role
from careconductor.accounts.models import User
from careconductor.assessments.choices import FindingStatus
from careconductor.assessments.models import Finding
from careconductor.cases.models import Case
from careconductor.cases.programs import program_rules
from careconductor.coordination.actions import do_create_task, do_move_task
from careconductor.coordination.choices import TaskKind, TaskStatus
from careconductor.coordination.rules import TERMINAL as TASK_TERMINAL
from careconductor.coordination.rules import can_move as can_move_task
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.actions import do_add_health_concern
from careconductor.patients.choices import ConditionCategory
from careconductor.patients.models import Condition, Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction, Sensitivity

from . import library, rules, snapshot
from .choices import (
    Achievement,
    AgreedBy,
    AgreementMethod,
    BarrierKind,
    GoalAgreement,
    GoalLifecycle,
    InterventionKind,
    InterventionStatus,
    OwnerType,
    PlanStatus,
    ProblemSource,
    Proposer,
    ReadingSource,
    VersionStatus,
)
from .concerns import concern_for
from .measures import MEASURES, measure
from .models import (
    Barrier,
    CarePlan,
    Goal,
    GoalProgress,
    GoalStep,
    Intervention,
    PlanAgreement,
    PlanReview,
    PlanVersion,
    Problem,
    Reading,
    SharedDecision,
)

OPEN_STATUSES = (PlanStatus.DRAFT, PlanStatus.ACTIVE)


# --- the plan ---------------------------------------------------------------------------------------------------
def do_create_plan(user: User, case: Case, *, title: str = "") -> CarePlan:
    """A draft plan for an open case; one plan is worked on per case at a time."""
    policy.require(user, policy.Action.CHANGE, case.patient)
    if not case.is_open:
        raise ActionRefused("Plans are made for open cases.")
    try:
        with transaction.atomic():
            plan = CarePlan.objects.create(
                organization_id=case.organization_id,
                patient=case.patient,
                case=case,
                title=(title.strip() or f"Care plan: {case.get_program_display()}")[:200],
                created_by=user,
                requires_approval=program_rules(case.organization_id, case.program).plan_approval,
            )
            audit.record(user, AuditAction.CREATE, patient=case.patient, obj=plan)
    except IntegrityError as exc:
        raise ActionRefused("This case already has a plan being worked on; open it instead.") from exc
    return plan


def _lock(plan: CarePlan) -> CarePlan:
    return CarePlan.objects.select_for_update(of=("self",)).select_related("patient", "case").get(pk=plan.pk)


def _pending(plan: CarePlan) -> PlanVersion | None:
    return plan.versions.filter(status=VersionStatus.PENDING).order_by("-number").first()


def _editing(user: User, plan: CarePlan) -> None:
    """Check that the plan may be edited now and mark it changed (inside the caller's transaction)."""
    policy.require(user, policy.Action.CHANGE, plan.patient)
    if plan.status not in OPEN_STATUSES:
        raise ActionRefused(f"This plan is {plan.get_status_display().lower()}; it can no longer change.")
    if _pending(plan) is not None:
        raise ActionRefused(
            "A version of this plan is awaiting approval; it cannot change until it is decided."
        )
    # Read the flags afresh: the plan object handed in may predate a version that has since come into force.
    current, changed = CarePlan.objects.filter(pk=plan.pk).values_list("current_version", "has_changes").get()
    plan.current_version, plan.has_changes = current, changed
    if current and not changed:
        CarePlan.objects.filter(pk=plan.pk).update(has_changes=True)
        plan.has_changes = True


def _changed(
    user: User, plan: CarePlan, obj: Any, action: AuditAction = AuditAction.UPDATE, detail: str = ""
) -> None:
    audit.record(user, action, patient=plan.patient, obj=obj, detail=detail)


def do_rename_plan(user: User, plan: CarePlan, *, title: str) -> CarePlan:
    if not title.strip():
        raise ActionRefused({"title": "Give the plan a title."})
    with transaction.atomic():
        _editing(user, plan)
        plan.title = title.strip()[:200]
        plan.save(update_fields=["title", "updated_at"])
        _changed(user, plan, plan, detail="title")
    return plan


# --- problems ---------------------------------------------------------------------------------------------------
def _add_problem(
    user: User,
    plan: CarePlan,
    condition: Condition,
    source: ProblemSource,
    title: str,
    finding: Finding | None,
) -> Problem:
    if plan.problems.filter(condition=condition).exists():
        raise ActionRefused("That problem is already on the plan.")
    problem = Problem.objects.create(
        plan=plan,
        condition=condition,
        source=source,
        finding=finding,
        title=title[:200],
        position=plan.problems.count(),
    )
    _changed(user, plan, problem, AuditAction.CREATE, detail=source)
    return problem


def do_add_problem_from_finding(user: User, plan: CarePlan, finding: Finding) -> Problem:
    """A need an assessment found becomes a health concern (FHIR Condition) and a problem on the plan."""
    if finding.patient_id != plan.patient_id or finding.status != FindingStatus.ACTIVE:
        raise ActionRefused("Choose an active finding of this patient.")
    concern = concern_for(finding.domain)
    # A finding with detail (one red item of the complexity grid) is a concern of its own.
    title = f"{concern.title}: {finding.detail}" if finding.detail else concern.title
    code = f"{finding.domain}:{slugify(finding.detail)}" if finding.detail else finding.domain
    with transaction.atomic():
        _editing(user, plan)
        condition = do_add_health_concern(
            user, plan.patient, display=title, concern_code=code[:40], icd10_code=concern.icd10
        )
        return _add_problem(user, plan, condition, ProblemSource.FINDING, title, finding)


def do_add_problems(
    user: User,
    plan: CarePlan,
    *,
    findings: list[Finding],
    conditions: list[Condition],
    by_hand: dict[str, Any] | None = None,
) -> list[Problem]:
    """Several problems at once (the plan page's one form): all of them, or none when one is refused."""
    with transaction.atomic():
        added = [do_add_problem_from_finding(user, plan, f) for f in findings]
        added += [do_add_problem_from_condition(user, plan, c) for c in conditions]
        if by_hand is not None:
            added.append(do_add_problem_by_hand(user, plan, **by_hand))
    return added


def do_add_problem_from_condition(user: User, plan: CarePlan, condition: Condition) -> Problem:
    if (
        condition.patient_id != plan.patient_id
        or condition.category != ConditionCategory.PROBLEM_LIST
        # Not a record the user may see (same words: a hidden record is not hinted at).
        or condition.sensitivity not in policy.record_sensitivities(user, plan.patient)
    ):
        raise ActionRefused("Choose a condition from this patient's problem list.")
    with transaction.atomic():
        _editing(user, plan)
        return _add_problem(user, plan, condition, ProblemSource.PROBLEM_LIST, condition.display, None)


def do_add_problem_by_hand(user: User, plan: CarePlan, *, title: str, icd10_code: str = "") -> Problem:
    if not title.strip():
        raise ActionRefused({"title": "Describe the problem."})
    with transaction.atomic():
        _editing(user, plan)
        try:
            condition = do_add_health_concern(user, plan.patient, display=title, icd10_code=icd10_code)
        except ActionRefused as exc:
            raise ActionRefused(
                {("title" if k == "display" else k): v for k, v in exc.errors.items()}
            ) from exc
        return _add_problem(user, plan, condition, ProblemSource.HAND, title.strip(), None)


def do_update_problem(user: User, problem: Problem, *, title: str, patient_priority: bool) -> Problem:
    if not title.strip():
        raise ActionRefused({"title": "Describe the problem."})
    with transaction.atomic():
        _editing(user, problem.plan)
        problem.title = title.strip()[:200]
        problem.patient_priority = patient_priority
        problem.save(update_fields=["title", "patient_priority", "updated_at"])
        _changed(user, problem.plan, problem)
    return problem


def do_remove_problem(user: User, problem: Problem) -> None:
    """Take a problem off the plan. Its Condition stays on the patient's record."""
    with transaction.atomic():
        _editing(user, problem.plan)
        _changed(user, problem.plan, problem, AuditAction.DELETE)
        problem.delete()


# --- goals ------------------------------------------------------------------------------------------------------
GOAL_FIELDS = (
    "patient_words",
    "statement",
    "proposed_by",
    "agreement",
    "patient_rank",
    "measure",
    "measure_text",
    "baseline_value",
    "baseline_text",
    "baseline_on",
    "target_value",
    "target_text",
    "due_on",
)


def _check_goal(fields: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if not str(fields.get("patient_words") or "").strip():
        errors["patient_words"] = "Write the goal as the patient says it."
    key = fields.get("measure") or "other"
    if key not in MEASURES:
        errors["measure"] = "Choose a measure from the list."
    else:
        m = measure(key)
        if key == "other" and not str(fields.get("measure_text") or "").strip():
            errors["measure_text"] = "Say how progress will be measured."
        if not m.numeric and fields.get("target_value") is not None:
            errors["target_value"] = f"{m.label} has no number; describe the target in words."
        if (
            m.numeric
            and fields.get("target_value") is None
            and not str(fields.get("target_text") or "").strip()
        ):
            errors["target_value"] = "Give the target value (or describe it)."
        if not m.numeric and not str(fields.get("target_text") or "").strip():
            errors["target_text"] = "Describe what reaching the goal looks like."
    due = fields.get("due_on")
    if due is not None and due < clock.today():
        errors["due_on"] = "The due date has passed; choose a later one."
    rank = fields.get("patient_rank")
    if rank is not None and not 1 <= rank <= 20:
        errors["patient_rank"] = "Rank from 1 (first) to 20."
    if errors:
        raise ActionRefused(errors)


def latest_value(
    patient: Patient, key: str, before: dt.datetime | None = None
) -> tuple[dt.date, Decimal] | None:
    """The most recent value for a measure (a typed reading or an assessment total), for a goal's baseline."""
    from .progress import readings_for

    values = readings_for(patient, key, since=None, until=before)
    return values[-1] if values else None


def do_add_goal(
    user: User, plan: CarePlan, *, problem_ids: list[int] | None = None, template: str = "", **fields: Any
) -> Goal:
    """A goal in the patient's words. A numeric measure with no baseline typed takes the latest value on
    record (an assessment total, a lab) as its baseline, so nothing is typed twice."""
    fields = {k: v for k, v in fields.items() if k in GOAL_FIELDS}
    _check_goal(fields)
    with transaction.atomic():
        _editing(user, plan)
        if (
            fields.get("baseline_value") is None
            and not fields.get("baseline_text")
            and measure(fields.get("measure") or "other").numeric
        ):
            found = latest_value(plan.patient, fields["measure"])
            if found is not None:
                fields["baseline_on"], fields["baseline_value"] = found
        goal = Goal.objects.create(
            plan=plan, patient=plan.patient, created_by=user, template=template[:60], **fields
        )
        if problem_ids:
            # Only problems the writer sees: a goal is not hung on a sensitive record they may not read.
            goal.problems.set(
                policy.restrict_sensitive(
                    plan.problems.filter(pk__in=problem_ids), user, plan.patient, "condition__sensitivity"
                )
            )
        _changed(user, plan, goal, AuditAction.CREATE)
    return goal


def do_update_goal(user: User, goal: Goal, *, problem_ids: list[int] | None = None, **fields: Any) -> Goal:
    merged = {f: getattr(goal, f) for f in GOAL_FIELDS}
    merged.update({k: v for k, v in fields.items() if k in GOAL_FIELDS})
    if merged.get("due_on") == goal.due_on:
        merged["due_on"] = None  # an unchanged date that has since passed is not the user's mistake
    _check_goal(merged)
    merged["due_on"] = fields.get("due_on", goal.due_on)
    with transaction.atomic():
        _editing(user, goal.plan)
        for name, value in merged.items():
            setattr(goal, name, value)
        goal.save()
        if problem_ids is not None:
            goal.problems.set(goal.plan.problems.filter(pk__in=problem_ids))
        _changed(user, goal.plan, goal)
    return goal


def do_move_goal(user: User, goal: Goal, target: GoalLifecycle, *, note: str = "") -> Goal:
    """Move a goal along its lifecycle (rules.GOAL_TRANSITIONS); the reason is kept as a progress note."""
    problem = rules.goal_move_problem(
        GoalLifecycle(goal.lifecycle), target, Achievement(goal.achievement) if goal.achievement else None
    )
    if problem:
        raise ActionRefused({"lifecycle": problem})
    with transaction.atomic():
        _editing(user, goal.plan)
        goal.lifecycle = target
        goal.save(update_fields=["lifecycle", "updated_at"])
        GoalProgress.objects.create(
            goal=goal,
            written_at=clock.now(),
            author=user,
            note=f"Goal {target.label.lower()}. {note.strip()}".strip(),
        )
        _changed(user, goal.plan, goal, detail=f"lifecycle {target}")
    return goal


def do_record_progress(
    user: User, goal: Goal, *, note: str = "", achievement: Achievement | None = None, suggested: str = ""
) -> GoalProgress:
    """A progress note and, when given, the achievement status the case manager confirms (perhaps the one the
    readings suggested). Progress is not a change of plan: it makes no new version."""
    policy.require(user, policy.Action.CHANGE, goal.patient)
    if not note.strip() and achievement is None:
        raise ActionRefused({"note": "Write a note or choose how the goal is going."})
    if achievement is not None:
        problem = rules.achievement_problem(GoalLifecycle(goal.lifecycle), achievement)
        if problem:
            raise ActionRefused({"achievement": problem})
    with transaction.atomic():
        entry = GoalProgress.objects.create(
            goal=goal,
            written_at=clock.now(),
            author=user,
            note=note.strip(),
            achievement=achievement or "",
            suggested=suggested if suggested in Achievement.values else "",
        )
        if achievement is not None:
            goal.achievement = achievement
            goal.achievement_set_at = entry.written_at
            goal.save(update_fields=["achievement", "achievement_set_at", "updated_at"])
        audit.record(user, AuditAction.CREATE, patient=goal.patient, obj=entry, detail=achievement or "note")
    return entry


def do_add_step(user: User, goal: Goal, *, text: str, due_on: dt.date | None = None) -> GoalStep:
    if not text.strip():
        raise ActionRefused({"text": "Describe the step."})
    with transaction.atomic():
        _editing(user, goal.plan)
        step = GoalStep.objects.create(
            goal=goal, text=text.strip()[:300], due_on=due_on, position=goal.steps.count()
        )
        _changed(user, goal.plan, step, AuditAction.CREATE)
    return step


def do_mark_step(user: User, step: GoalStep, *, done: bool) -> GoalStep:
    """Ticking a step off is progress, not a change of plan."""
    policy.require(user, policy.Action.CHANGE, step.goal.patient)
    with transaction.atomic():
        step.done_on = clock.today() if done else None
        step.save(update_fields=["done_on", "updated_at"])
        audit.record(
            user, AuditAction.UPDATE, patient=step.goal.patient, obj=step, detail="done" if done else "undone"
        )
    return step


def do_remove_step(user: User, step: GoalStep) -> None:
    with transaction.atomic():
        _editing(user, step.goal.plan)
        _changed(user, step.goal.plan, step, AuditAction.DELETE)
        step.delete()


def do_add_barrier(
    user: User, goal: Goal, *, kind: BarrierKind, description: str, response: str = ""
) -> Barrier:
    if not description.strip():
        raise ActionRefused({"description": "Say what stands in the way."})
    with transaction.atomic():
        _editing(user, goal.plan)
        barrier = Barrier.objects.create(
            goal=goal, kind=kind, description=description.strip()[:300], response=response.strip()
        )
        _changed(user, goal.plan, barrier, AuditAction.CREATE)
    return barrier


def do_update_barrier(user: User, barrier: Barrier, *, response: str, resolved: bool) -> Barrier:
    with transaction.atomic():
        _editing(user, barrier.goal.plan)
        barrier.response = response.strip()
        barrier.resolved = resolved
        barrier.save(update_fields=["response", "resolved", "updated_at"])
        _changed(user, barrier.goal.plan, barrier)
    return barrier


# --- interventions ----------------------------------------------------------------------------------------------
def _check_owner(plan: CarePlan, owner_type: OwnerType, owner: User | None) -> None:
    if owner_type == OwnerType.STAFF:
        if owner is None:
            raise ActionRefused({"owner": "Choose the member of staff who will do it."})
        if owner.organization_id != plan.organization_id or not owner.is_active or owner.role == Role.PATIENT:
            raise ActionRefused({"owner": "Interventions go to active staff of the patient's organisation."})
    elif owner is not None:
        raise ActionRefused({"owner": "Only staff-owned interventions name a member of staff."})


def do_add_intervention(
    user: User,
    plan: CarePlan,
    *,
    kind: InterventionKind,
    title: str,
    owner_type: OwnerType,
    owner: User | None = None,
    owner_name: str = "",
    due_on: dt.date | None = None,
    goal: Goal | None = None,
    detail: str = "",
) -> Intervention:
    if not title.strip():
        raise ActionRefused({"title": "Say what will be done."})
    if goal is not None and goal.plan_id != plan.pk:
        raise ActionRefused({"goal": "Choose a goal of this plan."})
    _check_owner(plan, owner_type, owner)
    with transaction.atomic():
        _editing(user, plan)
        intervention = Intervention.objects.create(
            plan=plan,
            patient=plan.patient,
            goal=goal,
            kind=kind,
            title=title.strip()[:200],
            detail=detail.strip(),
            owner_type=owner_type,
            owner=owner,
            owner_name=owner_name.strip()[:200],
            due_on=due_on,
        )
        # Its task is made when the version carrying it comes into force (_bring_into_force).
        _changed(user, plan, intervention, AuditAction.CREATE)
    return intervention


def do_set_intervention_status(
    user: User, intervention: Intervention, status: InterventionStatus
) -> Intervention:
    """Progress on an intervention the patient or a caregiver owns. A staff intervention moves with its Task."""
    policy.require(user, policy.Action.CHANGE, intervention.patient)
    if intervention.task_id is not None:
        raise ActionRefused("This intervention follows its task; update the task instead.")
    with transaction.atomic():
        intervention.status = status
        intervention.save(update_fields=["status", "updated_at"])
        audit.record(user, AuditAction.UPDATE, patient=intervention.patient, obj=intervention, detail=status)
    return intervention


def do_remove_intervention(user: User, intervention: Intervention) -> None:
    """Take an intervention off the plan; its open task is cancelled with it."""
    with transaction.atomic():
        _editing(user, intervention.plan)
        task = intervention.task
        if task is not None and task.status not in TASK_TERMINAL:
            do_move_task(user, task, TaskStatus.CANCELLED, note="Intervention taken off the care plan.")
        _changed(user, intervention.plan, intervention, AuditAction.DELETE)
        intervention.delete()


# --- shared decisions -------------------------------------------------------------------------------------------
def do_record_decision(
    user: User,
    plan: CarePlan,
    *,
    question: str,
    options: list[dict[str, str]],
    what_matters: str,
    decision: str,
    participants: str,
    decided_on: dt.date,
) -> SharedDecision:
    errors: dict[str, str] = {}
    if not question.strip():
        errors["question"] = "Say what had to be decided."
    if len([o for o in options if o.get("option", "").strip()]) < 2:
        errors["options"] = "Record at least two options that were weighed (doing nothing can be one)."
    if not what_matters.strip():
        errors["what_matters"] = "Write what matters most to the patient, in their words."
    if not decision.strip():
        errors["decision"] = "Record the decision (or that it was deferred, and why)."
    if not participants.strip():
        errors["participants"] = "Say who took part."
    if decided_on > clock.today():
        errors["decided_on"] = "The decision cannot be dated in the future."
    if errors:
        raise ActionRefused(errors)
    kept = [
        {k: str(o.get(k, "")).strip()[:1000] for k in ("option", "benefits", "burdens")}
        for o in options
        if str(o.get("option", "")).strip()
    ]
    with transaction.atomic():
        _editing(user, plan)
        record = SharedDecision.objects.create(
            plan=plan,
            question=question.strip()[:300],
            options=kept,
            what_matters=what_matters.strip(),
            decision=decision.strip(),
            participants=participants.strip()[:300],
            decided_on=decided_on,
            recorded_by=user,
        )
        _changed(user, plan, record, AuditAction.CREATE)
    return record


# --- templates --------------------------------------------------------------------------------------------------
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


# --- versions, approval, agreement ------------------------------------------------------------------------------
def _new_version(user: User, plan: CarePlan, status: VersionStatus, reason: str) -> PlanVersion:
    number = (plan.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    return PlanVersion.objects.create(
        plan=plan,
        number=number,
        status=status,
        content=snapshot.build(plan),
        reason=reason,
        made_by=user,
        made_at=clock.now(),
    )


def _bring_into_force(user: User, plan: CarePlan, version: PlanVersion) -> None:
    """The version becomes the plan in force: goals start, staff get tasks for their interventions, the
    review clock restarts."""
    now = clock.now()
    plan.versions.filter(status=VersionStatus.IN_FORCE).update(status=VersionStatus.SUPERSEDED)
    version.status = VersionStatus.IN_FORCE
    version.save(update_fields=["status"])
    for goal in plan.goals.filter(lifecycle__in=[GoalLifecycle.PROPOSED, GoalLifecycle.PLANNED]):
        target = rules.lifecycle_on_publish(
            GoalLifecycle(goal.lifecycle), GoalAgreement(goal.agreement), Proposer(goal.proposed_by)
        )
        if target != goal.lifecycle:
            goal.lifecycle = target
            goal.save(update_fields=["lifecycle", "updated_at"])
    closed = [InterventionStatus.CANCELLED, InterventionStatus.COMPLETED, InterventionStatus.STOPPED]
    for intervention in (
        plan.interventions.filter(owner_type=OwnerType.STAFF, task__isnull=True, owner__isnull=False)
        .exclude(status__in=closed)
        .select_related("goal")
    ):
        assert intervention.owner is not None
        due = intervention.due_on or rules.next_review(clock.today(), 14)
        intervention.task = do_create_task(
            user,
            plan.patient,
            owner=intervention.owner,
            # The task is the staff member's: in English even where the plan keeps the patient's words.
            title=library.staff_title(
                intervention.goal.template if intervention.goal else "", intervention.title
            ),
            description=f"Care plan intervention ({intervention.get_kind_display().lower()}).",
            kind=TaskKind.CARE_PLAN,
            due_at=timezone.make_aware(dt.datetime.combine(due, dt.time(17, 0))),
            case_id=plan.case_id,
            focus=f"CarePlan/{plan.pk}",
            # Work for a goal only for sensitive problems names them: it carries their label.
            sensitivity=Sensitivity(
                rules.goal_sensitivity(
                    intervention.goal.problems.values_list("condition__sensitivity", flat=True)
                    if intervention.goal
                    else []
                )
            ),
        )
        intervention.save(update_fields=["task", "updated_at"])
    # The version records the plan as it came into force: goals started, tasks made (nothing else can have
    # changed since the version was made: a plan awaiting approval is locked).
    version.content = snapshot.build(plan)
    version.save(update_fields=["content"])
    plan.status = PlanStatus.ACTIVE
    plan.current_version = version.number
    plan.has_changes = False
    plan.activated_at = plan.activated_at or now
    plan.last_reviewed_at = now
    plan.review_due = rules.next_review(clock.today())
    plan.save(
        update_fields=[
            "status",
            "current_version",
            "has_changes",
            "activated_at",
            "last_reviewed_at",
            "review_due",
            "updated_at",
        ]
    )


def do_publish(user: User, plan: CarePlan, *, reason: str) -> PlanVersion:
    """Make the working plan a new version. Where the programme requires it the version waits for a
    supervisor's approval (and the supervisor gets a task); otherwise it comes into force at once."""
    policy.require(user, policy.Action.CHANGE, plan.patient)
    with transaction.atomic():
        plan = _lock(plan)
        if plan.status not in OPEN_STATUSES:
            raise ActionRefused(f"This plan is {plan.get_status_display().lower()}.")
        if _pending(plan) is not None:
            raise ActionRefused("A version is already awaiting approval.")
        if plan.current_version and not plan.has_changes:
            raise ActionRefused("Nothing has changed since the version in force.")
        if not plan.goals.exclude(lifecycle__in=rules.GOAL_TERMINAL).exists():
            raise ActionRefused("Add at least one goal before the plan comes into force.")
        reason = reason.strip() or ("First version of the plan" if not plan.current_version else "")
        if not reason:
            raise ActionRefused({"reason": "Say why the plan changed."})
        if plan.requires_approval:
            version = _new_version(user, plan, VersionStatus.PENDING, reason)
            approver = plan.case.team.supervisor if plan.case.team_id else None
            if approver is not None and approver.pk != user.pk and approver.is_active:
                do_create_task(
                    user,
                    plan.patient,
                    owner=approver,
                    title=f"Approve care plan version {version.number} for {plan.patient.full_name}",
                    kind=TaskKind.PLAN_APPROVAL,
                    due_at=clock.now() + dt.timedelta(days=2),
                    case_id=plan.case_id,
                    focus=f"CarePlan/{plan.pk}",
                )
        else:
            version = _new_version(user, plan, VersionStatus.IN_FORCE, reason)
            _bring_into_force(user, plan, version)
        audit.record(
            user, AuditAction.UPDATE, patient=plan.patient, obj=plan, detail=f"version {version.number}"
        )
    return version


def may_decide(user: User, plan: CarePlan, version: PlanVersion) -> bool:
    """A supervisor of the case's team (or an administrator), who did not make the version themselves."""
    if user.role not in (Role.SUPERVISOR, Role.ADMIN) or version.made_by_id == user.pk:
        return False
    if user.role == Role.SUPERVISOR and plan.case.team.supervisor_id != user.pk:
        return False
    return policy.can(user, policy.Action.VIEW, plan.patient)


def do_decide_version(user: User, version: PlanVersion, *, approve: bool, comment: str = "") -> PlanVersion:
    plan = version.plan
    policy.require(user, policy.Action.VIEW, plan.patient)
    if not may_decide(user, plan, version):
        raise ActionRefused(
            "Plans are approved by the supervisor of the case's team, and not by the person who wrote them."
        )
    if not approve and not comment.strip():
        raise ActionRefused({"comment": "Say what should change before the plan is approved."})
    with transaction.atomic():
        plan = _lock(plan)
        version = PlanVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != VersionStatus.PENDING:
            raise ActionRefused("This version has already been decided.")
        version.decided_by = user
        version.decided_at = clock.now()
        version.decision_comment = comment.strip()
        if approve:
            version.save(update_fields=["decided_by", "decided_at", "decision_comment"])
            _bring_into_force(user, plan, version)
        else:
            version.status = VersionStatus.RETURNED
            version.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
            if plan.current_version:
                CarePlan.objects.filter(pk=plan.pk).update(has_changes=True)
        for task in plan.patient.tasks.filter(
            kind=TaskKind.PLAN_APPROVAL, focus=f"CarePlan/{plan.pk}"
        ).exclude(status__in=TASK_TERMINAL):
            # Completed where the task table allows it from where the task stands; otherwise it is moot.
            done = TaskStatus.COMPLETED
            target = done if can_move_task(TaskStatus(task.status), done) else TaskStatus.CANCELLED
            do_move_task(user, task, target, note="Approved." if approve else "Returned for changes.")
        audit.record(
            user,
            AuditAction.UPDATE,
            patient=plan.patient,
            obj=plan,
            detail=f"version {version.number} {'approved' if approve else 'returned'}",
        )
    return version


def do_record_agreement(
    user: User,
    plan: CarePlan,
    *,
    agreed_on: dt.date,
    method: AgreementMethod,
    agreed_by: AgreedBy,
    proxy_name: str = "",
    proxy_relationship: str = "",
    note: str = "",
) -> PlanAgreement:
    """The patient (or a proxy) reviewed the plan and agreed to it: to the version awaiting approval if there
    is one, else to the version in force. A later version needs its own agreement."""
    policy.require(user, policy.Action.CHANGE, plan.patient)
    if plan.status not in OPEN_STATUSES:
        raise ActionRefused(
            f"This plan is {plan.get_status_display().lower()}; agreement is to a plan in use."
        )
    version = _pending(plan) or plan.versions.filter(status=VersionStatus.IN_FORCE).first()
    if version is None:
        raise ActionRefused(
            "Finish the plan (make its first version) before recording the patient's agreement."
        )
    problems = rules.agreement_problems(
        agreed_on=agreed_on,
        today=clock.today(),
        version_made_on=timezone.localdate(version.made_at),
        agreed_by=agreed_by,
        proxy_name=proxy_name,
        proxy_relationship=proxy_relationship,
    )
    if problems:
        raise ActionRefused(problems)
    with transaction.atomic():
        agreement = PlanAgreement.objects.create(
            plan=plan,
            version=version,
            agreed_on=agreed_on,
            method=method,
            agreed_by=agreed_by,
            proxy_name=proxy_name.strip()[:200] if agreed_by == AgreedBy.PROXY else "",
            proxy_relationship=proxy_relationship.strip()[:100] if agreed_by == AgreedBy.PROXY else "",
            note=note.strip(),
            recorded_by=user,
            recorded_at=clock.now(),
        )
        audit.record(
            user, AuditAction.CREATE, patient=plan.patient, obj=agreement, detail=f"version {version.number}"
        )
    return agreement


def do_review_plan(user: User, plan: CarePlan, *, note: str) -> PlanReview:
    """The plan was reviewed with the patient and stays as it is; the next review is due in 90 days."""
    policy.require(user, policy.Action.CHANGE, plan.patient)
    if not note.strip():
        raise ActionRefused({"note": "Say what the review found."})
    with transaction.atomic():
        plan = _lock(plan)
        if plan.status != PlanStatus.ACTIVE:
            raise ActionRefused("Only a plan in force is reviewed.")
        review = PlanReview.objects.create(
            plan=plan,
            reviewed_at=clock.now(),
            reviewed_by=user,
            note=note.strip(),
            version_number=plan.current_version,
        )
        plan.last_reviewed_at = review.reviewed_at
        plan.review_due = rules.next_review(clock.today())
        plan.save(update_fields=["last_reviewed_at", "review_due", "updated_at"])
        audit.record(user, AuditAction.UPDATE, patient=plan.patient, obj=plan, detail="reviewed")
    return review


def do_end_plan(user: User, plan: CarePlan, target: PlanStatus, *, reason: str) -> CarePlan:
    """Complete or revoke a plan; the ending is kept as a last version with its reason."""
    policy.require(user, policy.Action.CHANGE, plan.patient)
    if target not in (PlanStatus.COMPLETED, PlanStatus.REVOKED):
        raise ActionRefused("A plan ends as completed or revoked.")
    if not reason.strip():
        raise ActionRefused({"reason": "Say why the plan ends."})
    with transaction.atomic():
        plan = _lock(plan)
        if not rules.can_move_plan(PlanStatus(plan.status), target):
            raise ActionRefused(
                f"A {plan.get_status_display().lower()} plan cannot become {target.label.lower()}."
            )
        plan.versions.filter(status=VersionStatus.PENDING).update(
            status=VersionStatus.RETURNED, decision_comment="The plan ended before a decision."
        )
        for intervention in plan.interventions.filter(task__isnull=False).select_related("task"):
            task = intervention.task
            if task is not None and task.status not in TASK_TERMINAL:
                do_move_task(user, task, TaskStatus.CANCELLED, note=f"Care plan {target.label.lower()}.")
        plan.status = target
        plan.ended_at = clock.now()
        plan.end_reason = reason.strip()
        plan.save(update_fields=["status", "ended_at", "end_reason", "updated_at"])
        if plan.current_version:
            version = _new_version(
                user, plan, VersionStatus.IN_FORCE, f"Plan {target.label.lower()}: {reason.strip()}"
            )
            plan.versions.exclude(pk=version.pk).filter(status=VersionStatus.IN_FORCE).update(
                status=VersionStatus.SUPERSEDED
            )
            plan.current_version = version.number
            plan.has_changes = False
            plan.save(update_fields=["current_version", "has_changes", "updated_at"])
        audit.record(user, AuditAction.UPDATE, patient=plan.patient, obj=plan, detail=f"status {target}")
    return plan


# --- readings ---------------------------------------------------------------------------------------------------
def do_record_reading(
    user: User,
    patient: Patient,
    *,
    measure_key: str,
    value: Decimal,
    taken_at: dt.datetime,
    source: ReadingSource,
    note: str = "",
) -> Reading:
    """A value for a goal's measure that did not arrive by itself (a lab result read out, a reading the patient
    gives by phone). Goals measured by it show the new value at once. A patient's own report (the portal)
    needs only the right to report on the record."""
    right = policy.Action.REPORT if source == ReadingSource.SELF_REPORT else policy.Action.CHANGE
    policy.require(user, right, patient)
    m = MEASURES.get(measure_key)
    errors: dict[str, str] = {}
    if m is None or not m.numeric or m.instrument:
        errors["measure"] = "Choose a measured value (assessment scores come from the assessments)."
    if taken_at > clock.now():
        errors["taken_at"] = "The reading cannot be in the future."
    if not Decimal("-100000") < value < Decimal("1000000"):
        errors["value"] = "That value is out of range."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        reading = Reading.objects.create(
            patient=patient,
            measure=measure_key,
            value=value,
            taken_at=taken_at,
            source=source,
            recorded_by=user,
            note=note.strip()[:200],
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=reading, detail=measure_key)
    return reading
