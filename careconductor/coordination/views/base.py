"""What the coordination screens share: the signed-in user, the way back after a post, the check that a role may
change a record, and the choices of people, team queues and cases their forms offer."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme

from careconductor.accounts.choices import Role
from careconductor.accounts.models import Team, User
from careconductor.accounts.rules import Page, roles_for
from careconductor.cases.models import Case
from careconductor.cases.rules import OPEN_STATUSES
from careconductor.core.ids import whole_number
from careconductor.patients.models import Patient
from careconductor.privacy import policy

# The team page's roles, from the role-to-page matrix (accounts.rules.PAGE_ROLES).
SUPERVISING = roles_for(Page.TEAM)


def back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def require_change(user: User, patient: Patient, action: policy.Action = policy.Action.CHANGE) -> None:
    if not policy.may(user, action, patient):
        raise PermissionDenied("Your role may read this record but not change it.")


def staff_choices(organization_id: int) -> list[tuple[int, str]]:
    staff = User.objects.filter(organization_id=organization_id, is_active=True, is_system=False).exclude(
        role=Role.PATIENT
    )
    return [(u.pk, u.display_name()) for u in staff.order_by("last_name", "first_name")]


def assignees(organization_id: int) -> list[tuple[str, str]]:
    people = [(f"user:{pk}", name) for pk, name in staff_choices(organization_id)]
    teams = [
        (f"team:{t.pk}", f"{t.name} queue") for t in Team.objects.filter(organization_id=organization_id)
    ]
    return [("People", people), ("Team queues", teams)]  # type: ignore[list-item]


def assignee(value: str, organization_id: int) -> tuple[User | None, Team | None]:
    kind, _, text = value.partition(":")
    pk = whole_number(text)
    if pk is None:
        return None, None
    if kind == "user":
        return User.objects.filter(pk=pk, organization_id=organization_id).first(), None
    if kind == "team":
        return None, Team.objects.filter(pk=pk, organization_id=organization_id).first()
    return None, None


def case_choices(patient: Patient) -> list[tuple[int, str]]:
    return [
        (c.pk, f"{c.get_program_display()} ({c.get_status_display().lower()})")
        for c in patient.cases.filter(status__in=OPEN_STATUSES).order_by("-referred_at")
    ]


def patient_case(patient: Patient, case_id: int | None) -> Case | None:
    if case_id is None:
        return None
    return patient.cases.filter(pk=case_id).first()


def own_row(model: Any, organization_id: int, raw: str) -> Any:
    """A row of the administrator's own organisation by the id a form sent; 404 for anything else."""
    row = (
        model.objects.filter(organization_id=organization_id, pk=pk).first()
        if (pk := whole_number(raw)) is not None
        else None
    )
    if row is None:
        raise Http404
    return row
