"""What cases tells the access policy (privacy/sources.py), registered from CasesConfig.ready(): the patients
of the cases a user manages or whose team they supervise (open, or closed within the policy's grace period),
whom a delegate covers for and the absent colleague's open cases while they do, and who is case staff for
sensitive records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.patients.models import Patient
from careconductor.privacy import policy, sources

from .models import Case, Cover


def current_cases() -> QuerySet[Case]:
    """Cases that carry a relationship: open, or closed within RELATIONSHIP_GRACE_DAYS."""
    cutoff = clock.now() - dt.timedelta(days=policy.RELATIONSHIP_GRACE_DAYS)
    return Case.objects.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=cutoff))


def case_staff(user: User) -> list[QuerySet[Any]]:
    """The patients whose case the user manages, or (supervisors and administrators only: leaving the branch out
    for everyone else matters on PostgreSQL, whose planner guessed ~20,000 rows for it even when empty and
    scanned every patient, bench/) whose case their team holds."""
    current = current_cases()
    parts = [current.filter(primary_case_manager=user).values("patient_id")]
    if user.role in policy.SUPERVISING_ROLES:
        parts.append(current.filter(team__supervisor=user).values("patient_id"))
    return parts


def is_case_staff(user: User, patient: Patient) -> bool:
    """`case_staff` for one patient, in one query."""
    staff = Q(primary_case_manager=user)
    if user.role in policy.SUPERVISING_ROLES:
        staff |= Q(team__supervisor=user)
    return current_cases().filter(staff, patient_id=patient.pk).exists()


def covers(user: User) -> QuerySet[Any] | None:
    """The case managers the user covers for today (a cover in force, both dates inclusive). Only case staff
    cover (COVERING_ROLES): other roles pay nothing for it."""
    if user.role not in policy.COVERING_ROLES:
        return None
    return Cover.objects.in_force(clock.today()).filter(delegate=user).values("absent_id")


def open_cases_of(covered: QuerySet[Any]) -> list[QuerySet[Any]]:
    """The delegate reaches the covered case managers' patients of their open cases until the cover ends."""
    return [
        Case.objects.filter(closed_at__isnull=True, primary_case_manager__in=covered).values("patient_id")
    ]


def register() -> None:
    sources.relationship_source(case_staff)
    sources.cover_source(covers)
    sources.covered_source(open_cases_of)
    sources.case_staff(sources.CaseStaff(patient_ids=case_staff, of_patient=is_case_staff))
    sources.relationship_models(Case, Cover)
