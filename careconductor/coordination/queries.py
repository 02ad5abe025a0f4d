"""Permission-checked reads of tasks and flags."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case as SqlCase
from django.db.models import IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from careconductor.accounts.models import User
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.core.errors import NotVisible
from careconductor.patients.models import CareTeamMember, Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import rules
from .choices import ClosureStatus, FlagStatus
from .models import ClosureRequest, Contact, Flag, Task, TaskReassignment, TimeEntry
from .reach import reach_state_for
from .rules import PRIORITY_RANK
from .worklist import cadence_of, cadence_table


def priority_rank() -> SqlCase:
    return SqlCase(
        *[When(priority=p, then=Value(rank)) for p, rank in PRIORITY_RANK.items()],
        default=Value(9),
        output_field=IntegerField(),
    )


def ranked(qs: QuerySet[Task]) -> QuerySet[Task]:
    """Most urgent first, then soonest due."""
    return qs.annotate(rank=priority_rank()).order_by("rank", "due_at", "pk")


def my_open_tasks(user: User) -> QuerySet[Task]:
    """The user's open tasks on patients they may still see, about records they may still read."""
    qs = (
        Task.objects.open()
        .filter(owner=user)
        .filter(policy.patient_q(user))
        .filter(policy.sensitivity_q(user))
    )
    return ranked(qs).select_related("patient")


def patient_open_tasks(user: User, patient: Patient, allowed: set[str] | None = None) -> QuerySet[Task]:
    """Open tasks on a patient whose chart the caller has already opened through access_patient, without work
    about records the caller may not read (`allowed`: the page's record_sensitivities, decided once)."""
    tasks = policy.restrict_sensitive(
        Task.objects.open().filter(patient=patient), user, patient, allowed=allowed
    )
    return ranked(tasks).select_related("owner", "team")


def active_flags(patient: Patient) -> QuerySet[Flag]:
    return Flag.objects.filter(patient=patient, status=FlagStatus.ACTIVE).order_by("-raised_at")


def access_task(user: User, task_id: int) -> Task:
    task = (
        Task.objects.filter(policy.patient_q(user))
        .filter(policy.sensitivity_q(user))
        .select_related("patient", "owner", "team", "requester", "escalated_to")
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=task.patient, obj=task)
    return task


def access_flag(user: User, flag_id: int) -> Flag:
    flag = Flag.objects.filter(policy.patient_q(user)).select_related("patient").filter(pk=flag_id).first()
    if flag is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=flag.patient, obj=flag)
    return flag


def access_membership(user: User, member_id: int) -> CareTeamMember:
    member = (
        CareTeamMember.objects.filter(policy.patient_q(user))
        .select_related("patient", "user")
        .filter(pk=member_id)
        .first()
    )
    if member is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=member.patient, obj=member)
    return member


def care_team(patient: Patient) -> list[CareTeamMember]:
    """The team of a patient whose chart the caller has opened: the lead first, then current, then past."""
    today = clock.today()
    members = list(patient.care_team.select_related("user", "user__profile"))
    members.sort(key=lambda m: (not m.is_current(today), not m.is_lead, m.display_name.lower()))
    return members


def patient_contacts(
    user: User, patient: Patient, limit: int = 50, allowed: set[str] | None = None
) -> list[Contact]:
    """The contact log of a patient the caller has opened, without contacts about records they may not read."""
    rows = policy.restrict_sensitive(patient.contact_log.all(), user, patient, allowed=allowed)
    return list(rows.select_related("staff", "case").order_by("-contact_at", "-pk")[:limit])


def patient_time(patient: Patient, since: dt.date) -> list[TimeEntry]:
    return list(
        patient.time_entries.filter(on__gte=since).select_related("staff", "case").order_by("-on", "-pk")
    )


def task_history(task: Task) -> list[TaskReassignment]:
    return list(task.reassignments.select_related("from_owner", "from_team", "to_owner", "to_team", "by"))


def linked_tasks(task: Task) -> list[Task]:
    """The same work given to others (Task.copy_of): done by one, done for all."""
    first = task.copy_of_id or task.pk
    return list(
        Task.objects.filter(Q(pk=first) | Q(copy_of_id=first))
        .exclude(pk=task.pk)
        .select_related("owner", "team")
    )


def pending_closure(case: Case) -> ClosureRequest | None:
    return (
        ClosureRequest.objects.filter(case=case, status=ClosureStatus.PENDING)
        .select_related("requested_by")
        .first()
    )


def last_closure_decision(case: Case) -> ClosureRequest | None:
    return (
        ClosureRequest.objects.filter(case=case)
        .exclude(status=ClosureStatus.PENDING)
        .select_related("requested_by", "decided_by")
        .first()
    )


@dataclass(frozen=True)
class CaseFollowUp:
    next_contact: rules.FollowUp | None  # None unless the case is active
    reach: rules.ReachState
    last_contact: Contact | None
    cadence: rules.Cadence


def case_follow_up(case: Case) -> CaseFollowUp:
    """Where a case (already opened by the caller) stands with regular contact."""
    last = (
        Contact.objects.filter(patient_id=case.patient_id)
        .select_related("staff")
        .order_by("-contact_at")
        .first()
    )
    last_success = (
        last
        if last is not None and last.reached
        else Contact.objects.filter(patient_id=case.patient_id, reached=True).order_by("-contact_at").first()
    )
    cadence = cadence_of(case, cadence_table(case.organization_id))
    follow = None
    if case.status == "active":
        follow = rules.next_contact(
            timezone.localdate(last_success.contact_at) if last_success else None,
            timezone.localdate(case.enrolled_at or case.referred_at),
            cadence,
            clock.today(),
        )
    return CaseFollowUp(follow, reach_state_for(case), last, cadence)
