"""Tasks (FHIR Task): creating, noting, handing over, claiming and moving them through the one transition
table (rules.allowed_targets). A task made by a rule elsewhere (a safety answer, an alert) is created inside
that rule's transaction, so it exists exactly when its cause does."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from careconductor.accounts.models import StaffProfile, Team, User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction, Sensitivity

from .. import rules
from ..choices import (
    NotificationKind,
    TaskKind,
    TaskPriority,
    TaskStatus,
)
from ..inbox import tell_about_handover
from ..models import (
    Task,
    TaskReassignment,
)
from ..notify import do_notify


def do_create_task(
    requester: User,
    patient: Patient,
    *,
    owner: User | None = None,
    team: Team | None = None,
    title: str,
    due_at: dt.datetime,
    kind: TaskKind = TaskKind.OTHER,
    priority: TaskPriority = TaskPriority.ROUTINE,
    description: str = "",
    case_id: int | None = None,
    rule: str = "",
    focus: str = "",
    copy_of: Task | None = None,
    sensitivity: Sensitivity = Sensitivity.NORMAL,
) -> Task:
    """A task for `owner`, or for `team`'s queue until someone claims it, about `patient`. The requester must be
    able to see the patient; the owner or team must belong to the patient's organisation. `copy_of`: the same
    work given to someone else too (completing one completes both, do_move_task). `sensitivity`: the label of
    the record the work is about; requester and owner must both be able to read it."""
    policy.require(requester, policy.Action.VIEW, patient)
    if not policy.may_read_label(requester, patient, sensitivity):
        raise ActionRefused(
            {"sensitivity": "You may not see records with this label, so you cannot give such work."}
        )
    if owner is not None and not policy.may_read_label(owner, patient, sensitivity):
        raise ActionRefused(
            {"owner": f"{owner.display_name()} may not read this patient's {_label_words(sensitivity)}."}
        )
    if owner is None and team is None:
        raise ActionRefused({"owner": "Give the task to a person or to a team's queue."})
    if owner is not None and (owner.organization_id != patient.organization_id or not owner.is_active):
        raise ActionRefused({"owner": "Tasks go to active staff of the patient's organisation."})
    if team is not None and team.organization_id != patient.organization_id:
        raise ActionRefused({"team": "Tasks go to teams of the patient's organisation."})
    if priority not in TaskPriority.values:
        raise ActionRefused({"priority": "Choose a priority."})
    if not title.strip():
        raise ActionRefused({"title": "Say what needs doing."})
    if copy_of is not None and copy_of.patient_id != patient.pk:
        raise ActionRefused("A copy of a task is about the same patient.")
    with transaction.atomic():
        task = Task.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            case_id=case_id,
            kind=kind,
            title=title.strip()[:200],
            description=description.strip(),
            priority=priority,
            owner=owner,
            team=team if owner is None else None,
            requester=requester,
            rule=rule,
            focus=focus,
            due_at=due_at,
            grants_access=policy.has_standing_relationship(requester, patient),
            copy_of_id=(copy_of.copy_of_id or copy_of.pk) if copy_of is not None else None,
            sensitivity=sensitivity,
        )
        audit.record(requester, AuditAction.CREATE, patient=patient, obj=task, detail=rule or kind)
        _tell_about_task(requester, task)
    return task


def _label_words(label: str) -> str:
    return {"part2": "Part 2 records", "psychotherapy": "psychotherapy notes"}.get(label, "records")


def _tell_about_task(actor: User, task: Task) -> None:
    """The new owner hears of the task (not when they gave it to themselves); a queue's members all do."""
    if task.owner_id is not None:
        recipients = [task.owner] if task.owner_id != actor.pk and task.owner else []
    else:
        recipients = [
            p.user for p in StaffProfile.objects.filter(team_id=task.team_id or 0).select_related("user")
        ]
        # Only members who may already see the patient: a queue does not open a chart to the whole team.
        recipients = [
            u
            for u in recipients
            if u.pk != actor.pk
            and policy.can(u, policy.Action.VIEW, task.patient)
            and policy.may_read_label(u, task.patient, task.sensitivity)
        ]
    if recipients:
        do_notify(
            recipients,
            NotificationKind.TASK_ASSIGNED,
            f"New {task.get_priority_display().lower()} task: {task.title}",
            body=f"Due {timezone.localtime(task.due_at):%Y-%m-%d %H:%M}.",
            url=f"/tasks/{task.pk}/",
            patient=task.patient,
        )


def do_add_task_note(user: User, task: Task, note: str) -> Task:
    """A note on the task, stamped with who and when; notes are kept, never edited."""
    policy.require(user, policy.Action.VIEW, task.patient)
    if not note.strip():
        raise ActionRefused({"note": "Write the note."})
    with transaction.atomic():
        task = Task.objects.select_for_update(of=("self",)).select_related("patient").get(pk=task.pk)
        append_note(task, user, note)
        task.save(update_fields=["note", "updated_at"])
        audit.record(user, AuditAction.UPDATE, patient=task.patient, obj=task, detail="note")
    return task


def append_note(task: Task, user: User, note: str) -> None:
    stamp = f"{timezone.localtime(clock.now()):%Y-%m-%d %H:%M} {user.display_name()}: {note.strip()}"
    task.note = f"{task.note}\n{stamp}".strip()


def do_reassign_task(
    user: User,
    task: Task,
    *,
    owner: User | None = None,
    team: Team | None = None,
    reason: str,
    tell: bool = True,
) -> Task:
    """Hand a task to another person or to a team's queue, saying why. The owner, a member of the queue's team
    or anyone who may change the patient's record may do it. `tell=False`: the caller tells the new owner
    itself, once for many tasks (a bulk reassignment, cases.reassign)."""
    policy.require(user, policy.Action.VIEW, task.patient)
    if not _may_work_on(user, task):
        raise ActionRefused("Only the task's owner, its team or the patient's case staff may hand it over.")
    errors: dict[str, str] = {}
    if owner is None and team is None:
        errors["owner"] = "Choose a person or a team's queue."
    if owner is not None and (owner.organization_id != task.organization_id or not owner.is_active):
        errors["owner"] = "Tasks go to active staff of the patient's organisation."
    if owner is not None and owner.pk == task.owner_id:
        errors["owner"] = "The task is already theirs."
    if team is not None and team.organization_id != task.organization_id:
        errors["team"] = "Tasks go to teams of the patient's organisation."
    if owner is not None and not policy.may_read_label(owner, task.patient, task.sensitivity):
        errors["owner"] = (
            f"{owner.display_name()} may not read this patient's {_label_words(task.sensitivity)}."
        )
    if not reason.strip():
        errors["reason"] = "Say why the task changes hands."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        task = Task.objects.select_for_update(of=("self",)).select_related("patient").get(pk=task.pk)
        if not task.is_open:
            raise ActionRefused("A finished task cannot be handed over.")
        TaskReassignment.objects.create(
            task=task,
            from_owner_id=task.owner_id,
            from_team_id=task.team_id,
            to_owner=owner,
            to_team=team if owner is None else None,
            by=user,
            at=clock.now(),
            reason=reason.strip()[:300],
        )
        task.owner = owner
        task.team = team if owner is None else None
        task.escalated_at = None  # a new owner gets the full delay before escalation
        task.escalated_to = None
        task.grants_access = policy.has_standing_relationship(user, task.patient)
        task.save(
            update_fields=["owner", "team", "escalated_at", "escalated_to", "grants_access", "updated_at"]
        )
        audit.record(user, AuditAction.UPDATE, patient=task.patient, obj=task, detail="reassigned")
        if tell and owner is not None:
            tell_about_handover(user, task, reason)  # a hand-over in their inbox (issue 17 §4)
        elif tell:
            _tell_about_task(user, task)
    return task


def do_claim_task(user: User, task: Task) -> Task:
    """Take a task from one's team queue. Two people claiming at once: the second is told it is taken."""
    policy.require(user, policy.Action.VIEW, task.patient)
    with transaction.atomic():
        task = Task.objects.select_for_update(of=("self",)).select_related("patient").get(pk=task.pk)
        if task.owner_id is not None:
            who = "you" if task.owner_id == user.pk else "someone else"
            raise ActionRefused(f"This task was already claimed by {who}.")
        if not task.is_open:
            raise ActionRefused("This task is finished.")
        if not _in_team(user, task.team_id):
            raise ActionRefused("Only members of the team can claim from its queue.")
        if not policy.may_read_label(user, task.patient, task.sensitivity):
            raise ActionRefused(f"You may not read this patient's {_label_words(task.sensitivity)}.")
        TaskReassignment.objects.create(
            task=task, from_team_id=task.team_id, to_owner=user, by=user, at=clock.now(), reason="claimed"
        )
        task.owner = user
        task.save(update_fields=["owner", "updated_at"])
        audit.record(user, AuditAction.UPDATE, patient=task.patient, obj=task, detail="claimed")
    return task


def _in_team(user: User, team_id: int | None) -> bool:
    if team_id is None:
        return False
    return (
        StaffProfile.objects.filter(user=user, team_id=team_id).exists()
        or Team.objects.filter(pk=team_id, supervisor=user).exists()
    )


def _may_work_on(user: User, task: Task) -> bool:
    if task.owner_id == user.pk or policy.may(user, policy.Action.CHANGE, task.patient):
        return True
    return task.owner_id is None and _in_team(user, task.team_id)


def do_move_task(user: User, task: Task, target: TaskStatus, *, note: str = "") -> Task:
    """Move a task along the transition table; its owner or anyone who may change the patient's record.
    Completing a task completes its open copies too (the same work given to several people), in the same
    transaction, each with a note saying who did it."""
    policy.require(user, policy.Action.VIEW, task.patient)
    if not _may_work_on(user, task):
        raise ActionRefused("Only the task's owner, its team or the patient's case staff may change it.")
    with transaction.atomic():
        task = Task.objects.select_for_update(of=("self",)).select_related("patient").get(pk=task.pk)
        current = TaskStatus(task.status)
        if not rules.can_move(current, target):
            raise ActionRefused(
                {"status": f"A task that is {current.label.lower()} cannot become {target.label.lower()}."}
            )
        task.status = target
        if target == TaskStatus.COMPLETED:
            task.completed_at = clock.now()
        if note.strip():
            append_note(task, user, note)
        task.save(update_fields=["status", "completed_at", "note", "updated_at"])
        audit.record(user, AuditAction.UPDATE, patient=task.patient, obj=task, detail=f"status {target}")
        if target == TaskStatus.COMPLETED:
            _complete_copies(user, task)
    return task


def _complete_copies(user: User, task: Task) -> None:
    """The work is done whoever did it: the other open copies are completed, whatever open state they are in."""
    first = task.copy_of_id or task.pk
    copies = (
        Task.objects.open()
        .filter(Q(pk=first) | Q(copy_of_id=first))
        .exclude(pk=task.pk)
        .select_for_update(of=("self",))
        .select_related("patient")
    )
    for copy in copies:
        finish_task(
            user,
            copy,
            f"done: completed on the linked task {task.pk} ({task.owner_label()})",
            task.completed_at,
        )
        audit.record(
            user, AuditAction.UPDATE, patient=copy.patient, obj=copy, detail=f"completed with task {task.pk}"
        )


def finish_task(user: User, task: Task, note: str, at: dt.datetime | None = None) -> None:
    task.status = TaskStatus.COMPLETED
    task.completed_at = at or clock.now()
    append_note(task, user, note)
    task.save(update_fields=["status", "completed_at", "note", "updated_at"])
