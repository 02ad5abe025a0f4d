"""The bulk reassignment page, reached from the caseloads page: pick cases from one person's caseload, ask for
the ranked suggestion for the whole selection, choose the new case manager and say why."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from careconductor.accounts.models import User
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.core.ids import whole_number
from careconductor.core.requests import StaffRequest
from careconductor.privacy import audit
from careconductor.privacy.guards import staff_view

from .forms import ReassignForm
from .reassign import (
    case_label,
    do_reassign_cases,
    open_cases_of,
    reassigning_staff,
    reassignment_candidates,
)
from .views import ASSIGNERS


def _chosen(values: list[str], known: set[int]) -> list[int]:
    """The case ids asked for that are on the page; anything else sent is ignored."""
    return [n for v in values if (n := whole_number(v)) is not None and n in known]


@staff_view(ASSIGNERS)
@require_http_methods(["GET", "POST"])
def reassign_view(request: StaffRequest, staff_id: int) -> HttpResponse:
    user = request.user
    staff = reassigning_staff(user, staff_id)
    cases = open_cases_of(user, staff)
    by_id = {c.pk: c for c in cases}
    data = request.POST if request.method == "POST" else request.GET
    selected = _chosen(data.getlist("cases"), set(by_id))
    selection = [by_id[pk] for pk in selected]
    ranked = reassignment_candidates(selection)
    form = ReassignForm(
        request.POST or None,
        cases=[(c.pk, case_label(c)) for c in cases],
        managers=[(r.candidate.staff_id, r.candidate.name) for r in ranked],
        initial={"case_manager": ranked[0].candidate.staff_id if ranked else None},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            manager = User.objects.filter(
                pk=form.cleaned_data["case_manager"] or 0, organization_id=user.org_id
            ).first()
            try:
                if manager is None:
                    raise ActionRefused({"case_manager": "Choose the new case manager from the list."})
                do_reassign_cases(
                    user,
                    selection,
                    manager,
                    reason=form.cleaned_data["reason"],
                    override_reason=form.cleaned_data["override_reason"],
                )
            except ActionRefused as exc:
                show_refusal(form, exc)
            else:
                n = len(selection)
                messages.success(
                    request,
                    f"{n} case{'s' if n != 1 else ''} moved from {staff.display_name()} to "
                    f"{manager.display_name()}, with their open tasks.",
                )
                return redirect("cases:caseloads")
    audit.record_reads(user, [c.patient for c in cases], object_type="Case")
    return render(
        request,
        "cases/reassign.html",
        {
            "nav": "caseloads",
            "staff": staff,
            "cases": cases,
            "selected": set(selected),
            "selection": selection,
            "points": sum(c.acuity_points for c in selection),
            "ranked": ranked,
            "form": form,
        },
        status=status,
    )
