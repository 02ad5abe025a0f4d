"""The cases app's own pages: assigning a case manager and the caseloads page. The case list and the case page
gather other apps' data (tasks, assessments, care plans, follow-up), so they live at the top of the import
graph, in chart/case_page.py, under the same `cases:` URL names (chart/case_urls.py)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from careconductor.accounts.models import User
from careconductor.accounts.rules import Page, roles_for
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.core.requests import StaffRequest
from careconductor.privacy.guards import staff_view

from .actions import do_assign_case
from .forms import AssignForm
from .queries import access_case, assignment_candidates, caseloads

ASSIGNERS = roles_for(Page.CASELOADS)  # the caseloads page, and assigning and reassigning from it


@staff_view(ASSIGNERS)
@require_http_methods(["GET", "POST"])
def case_assign(request: StaffRequest, case_id: int) -> HttpResponse:
    user = request.user
    case = access_case(user, case_id)
    ranked = assignment_candidates(case)
    choices = [(r.candidate.staff_id, r.candidate.name) for r in ranked]
    form = AssignForm(
        request.POST or None, choices=choices, initial={"case_manager": choices[0][0] if choices else None}
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            manager = User.objects.filter(
                pk=form.cleaned_data["case_manager"], organization_id=user.org_id
            ).first()
            try:
                if manager is None:
                    raise ActionRefused({"case_manager": "Choose a case manager from the list."})
                do_assign_case(user, case, manager, override_reason=form.cleaned_data["override_reason"])
            except ActionRefused as exc:
                show_refusal(form, exc)
            else:
                messages.success(request, f"{manager.display_name()} is now the case manager.")
                return redirect("cases:detail", case_id=case.pk)
    return render(
        request,
        "cases/case_assign.html",
        {
            "case": case,
            "patient": case.patient,
            "ranked": ranked,
            "form": form,
            "nav": "cases",
            "points": case.acuity_points,
        },
        status=status,
    )


@staff_view(ASSIGNERS)
@require_http_methods(["GET"])
def caseload_view(request: StaffRequest) -> HttpResponse:
    rows = caseloads(request.user)
    return render(request, "cases/caseloads.html", {"rows": rows, "nav": "caseloads"})
