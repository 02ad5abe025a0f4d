"""Bulk reassignment: a supervisor moves several of one person's open cases to a colleague at once, with the
open tasks the old case manager held on them, all or nothing. Deactivating a person (administration.staff)
hands their cases over through the same action.

It sits beside cases.actions rather than in it because it moves tasks through coordination, which builds on
cases: importing coordination from cases.actions would make a cycle."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from careconductor.accounts.choices import ExperienceLevel, Role
from careconductor.accounts.models import Team, User
from careconductor.coordination.actions import do_reassign_task
from careconductor.coordination.choices import NotificationKind
from careconductor.coordination.models import Task
from careconductor.coordination.notify import do_notify
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import rules
from .models import Case, CaseAssignment
from .queries import _profiles, points_used_by, visible_cases

MAX_REASON = 2000


def case_label(case: Case) -> str:
    """How a refusal names a case: the patient, the programme and the tier."""
    return f"{case.patient} ({case.get_program_display()}, tier {case.acuity_tier})"


def reassignment_candidates(cases: Sequence[Case]) -> list[rules.RankedCandidate]:
    """The ranked suggestion for the whole selection (rules.rank_for_selection): two queries, whatever the
    number of cases. The cases come with their patients."""
    if not cases:
        return []
    profiles = list(_profiles(cases[0].organization_id))
    used = points_used_by([p.user_id for p in profiles])
    candidates = [
        rules.Candidate(
            staff_id=p.user_id,
            name=p.user.display_name(),
            experience=ExperienceLevel(p.experience_level),
            languages=p.languages,
            capacity=p.caseload_capacity,
            points_used=used.get(p.user_id, 0),
            team_id=p.team_id,
        )
        for p in profiles
    ]
    return rules.rank_for_selection(
        _selection(cases), candidates, team_ids=frozenset(c.team_id for c in cases)
    )


def reassigning_staff(user: User, staff_id: int) -> User:
    """A person whose caseload the user may reassign: a member of a team they supervise (anyone of the
    organisation for an administrator). Anyone else is not found."""
    staff = User.objects.filter(
        pk=staff_id,
        organization_id=user.organization_id or 0,
        role__in=[Role.CASE_MANAGER, Role.SUPERVISOR],
    )
    if user.role != Role.ADMIN:
        staff = staff.filter(Q(profile__team__supervisor=user) | Q(pk=user.pk))
    found = staff.select_related("profile").first()
    if found is None or user.role not in policy.ASSIGNING_ROLES:
        raise NotVisible
    return found


def open_cases_of(user: User, staff: User) -> list[Case]:
    """The staff member's open cases the user sees, oldest referral first, with patients."""
    return list(
        visible_cases(user)
        .open()
        .filter(primary_case_manager=staff)
        .select_related("patient", "team")
        .order_by("-acuity_tier", "referred_at", "pk")
    )


def _moving_tasks(case: Case) -> list[Task]:
    """The old case manager's open tasks on the case: those filed under it, and those about its patient filed
    under no case."""
    if case.primary_case_manager_id is None:
        return []
    return list(
        Task.objects.open()
        .filter(owner_id=case.primary_case_manager_id)
        .filter(Q(case_id=case.pk) | Q(case__isnull=True, patient_id=case.patient_id))
        .select_related("patient")
        .order_by("pk")
    )


def do_reassign_cases(
    user: User,
    cases: Sequence[Case],
    new_manager: User,
    *,
    reason: str,
    override_reason: str = "",
) -> list[CaseAssignment]:
    """Give every case to `new_manager`, with the old case manager's open tasks on them; one CaseAssignment
    per case keeps the reason, the suggestion's rank and any override reason. The new owner is told once.

    All or nothing: a case closed meanwhile, already theirs, or one the new manager may not take without an
    override reason (the experience rule, capacity) refuses the whole request, naming the case."""
    if user.role not in policy.ASSIGNING_ROLES:
        raise ActionRefused("Only supervisors and administrators reassign cases.")
    ids = sorted({c.pk for c in cases})
    errors: dict[str, str] = {}
    if not ids:
        errors["cases"] = "Choose at least one case."
    if not reason.strip():
        errors["reason"] = "Say why the cases change hands (leave, balancing caseloads, a new team …)."
    elif len(reason.strip()) > MAX_REASON:
        errors["reason"] = f"Keep the reason to {MAX_REASON:,} characters."
    if len(override_reason.strip()) > MAX_REASON:
        errors["override_reason"] = f"Keep the reason to {MAX_REASON:,} characters."
    if new_manager.organization_id != user.organization_id or not new_manager.is_active:
        errors["case_manager"] = "Choose an active case manager of this organisation."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        # Decide on the rows as they are now, and hold them until every change is written.
        locked = list(
            Case.objects.select_for_update(of=("self",))
            .filter(pk__in=ids, organization_id=user.org_id)
            .select_related("patient", "primary_case_manager")
            .order_by("pk")
        )
        seen = set(
            policy.visible_patients(user)
            .filter(pk__in=[c.patient_id for c in locked])
            .values_list("pk", flat=True)
        )
        if len(locked) != len(ids) or any(c.patient_id not in seen for c in locked):
            raise NotVisible
        problems = [f"{case_label(c)} is {c.get_status_display().lower()}" for c in locked if not c.is_open]
        problems += [
            f"{case_label(c)} is already {new_manager.display_name()}'s"
            for c in locked
            if c.primary_case_manager_id == new_manager.pk
        ]
        if problems:
            raise ActionRefused({"cases": "; ".join(problems) + ". Nothing was moved."})
        ranked = reassignment_candidates(locked)
        position = next((i for i, r in enumerate(ranked, 1) if r.candidate.staff_id == new_manager.pk), None)
        if position is None:
            raise ActionRefused(
                {"case_manager": "Choose a case manager with a caseload capacity from this organisation."}
            )
        chosen = ranked[position - 1]
        is_override = position != 1 or not chosen.eligible
        if is_override and not override_reason.strip():
            name = new_manager.display_name()
            why = (
                f"{name} may not take them all: "
                + "; ".join(rules.selection_problems(_selection(locked), chosen.candidate))
                if not chosen.eligible
                else f"{name} is not the top suggestion"
            )
            raise ActionRefused({"override_reason": f"{why}. Give a reason to choose them anyway."})
        now = clock.now()
        team = Team.objects.filter(members__user=new_manager).first()
        moved_tasks = 0
        assignments = []
        for case in locked:
            # Tasks first: the supervisor may stop seeing the patient once the case leaves their team.
            for task in _moving_tasks(case):
                do_reassign_task(user, task, owner=new_manager, reason=reason.strip()[:300], tell=False)
                moved_tasks += 1
            case.primary_case_manager = new_manager
            case.team = team or case.team
            case.save(update_fields=["primary_case_manager", "team", "updated_at"])
            assignments.append(
                CaseAssignment.objects.create(
                    case=case,
                    case_manager=new_manager,
                    assigned_by=user,
                    assigned_at=now,
                    suggested_rank=position,
                    was_eligible=chosen.eligible,
                    override_reason=override_reason.strip() if is_override else "",
                    reason=reason.strip(),
                )
            )
            audit.record(user, AuditAction.UPDATE, patient=case.patient, obj=case, detail="reassigned (bulk)")
        if new_manager.pk != user.pk:
            _tell(user, new_manager, locked, moved_tasks, reason.strip())
    return assignments


def _selection(cases: Sequence[Case]) -> list[rules.SelectedCase]:
    return [
        rules.SelectedCase(
            case_label(c), c.acuity_tier, c.patient.preferred_language, c.primary_case_manager_id
        )
        for c in cases
    ]


def _tell(user: User, new_manager: User, cases: Sequence[Case], tasks: int, reason: str) -> None:
    n = len(cases)
    names = "\n".join(f"- {case_label(c)}" for c in cases)
    with_tasks = f" with {tasks} open task{'s' if tasks != 1 else ''}" if tasks else ""
    do_notify(
        [new_manager],
        NotificationKind.HANDOVER,
        f"{n} case{'s' if n != 1 else ''} handed over to you{with_tasks} by {user.display_name()}",
        body=f"Why: {reason}\n{names}",
        url=f"{reverse('cases:list')}?status=open&case_manager={new_manager.pk}",
        outside_text=f"{n} case{' was' if n == 1 else 's were'} handed over to you",
    )
