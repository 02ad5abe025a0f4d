"""Versions of a plan: publishing, a supervisor's approval, the patient's agreement, reviews and the end."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from careconductor.accounts.models import User
from careconductor.accounts.rules import may_decide_approval
from careconductor.coordination.actions import do_create_task, do_move_task
from careconductor.coordination.choices import TaskKind, TaskStatus
from careconductor.coordination.rules import TERMINAL as TASK_TERMINAL
from careconductor.coordination.rules import can_move as can_move_task
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction, Sensitivity

from .. import library, rules, snapshot
from ..choices import (
    AgreedBy,
    AgreementMethod,
    GoalAgreement,
    GoalLifecycle,
    InterventionStatus,
    OwnerType,
    PlanStatus,
    Proposer,
    VersionStatus,
)
from ..models import (
    CarePlan,
    PlanAgreement,
    PlanReview,
    PlanVersion,
)
from .plans import OPEN_STATUSES, _lock, _pending


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
    """The supervisor of the case's team (or an administrator), who did not make the version themselves
    (accounts.rules.may_decide_approval, the rule closing a case follows too), and who may see the patient."""
    team = plan.case.team
    return may_decide_approval(
        user.role,
        user.pk,
        team_supervisor_id=team.supervisor_id if team else None,
        requested_by_id=version.made_by_id,
    ) and policy.can(user, policy.Action.VIEW, plan.patient)


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
