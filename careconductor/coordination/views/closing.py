"""Closing a case: the request with its summary, the supervisor's decision and the unable-to-reach protocol."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.models import User
from careconductor.accounts.rules import SUPERVISING
from careconductor.cases.models import Case
from careconductor.cases.queries import access_case
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.core.requests import StaffRequest
from careconductor.privacy import policy
from careconductor.privacy.guards import staff_view

from .. import forms
from ..actions.closing import (
    closing_summary_draft,
    closure_needs_approval,
    do_decide_closure,
    do_request_closure,
    may_decide_closure,
)
from ..actions.contacts import do_record_outreach
from ..models import ClosureRequest
from ..queries import (
    last_closure_decision,
    pending_closure,
)
from ..reach import reach_state_for
from .base import require_change

CLOSURE_FIELDS = {
    "closure_reason": "reason",
    "closure_reason_other": "reason_other",
    "closing_summary": "summary",
}


def _closure_context(user: User, case: Case, **extra: Any) -> dict[str, Any]:
    pending = pending_closure(case)
    return {
        "case": case,
        "patient": case.patient,
        "pending": pending,
        "last_decision": last_closure_decision(case),
        "needs_approval": closure_needs_approval(user, case),
        "may_decide": pending is not None and may_decide_closure(user, case, pending.requested_by_id),
        "reach": reach_state_for(case) if case.is_open else None,
        "outreach_form": forms.OutreachForm(),
        "decision_form": forms.ClosureDecisionForm(),
        "can_change": policy.may(user, policy.Action.CHANGE, case.patient),
        "nav": "cases",
        **extra,
    }


@staff_view()
@require_http_methods(["GET", "POST"])
def close_case(request: StaffRequest, case_id: int) -> HttpResponse:
    user = request.user
    case = access_case(user, case_id)
    takes_over = request.POST.get("takes_over", "")
    form = forms.ClosureForm(
        request.POST or None,
        initial={
            "summary": closing_summary_draft(case) if case.is_open else "",
            "reason": request.GET.get("reason", ""),
        },
    )
    if request.method == "POST":
        require_change(user, case.patient)
        if form.is_valid():
            d = form.cleaned_data
            try:
                result = do_request_closure(
                    user,
                    case,
                    reason=d["reason"],
                    reason_other=d["reason_other"],
                    summary=d["summary"],
                    takes_over=takes_over,
                )
            except ActionRefused as exc:
                # The case's rules name the fields as the case page does; this form's names are shorter.
                for theirs, ours in CLOSURE_FIELDS.items():
                    if theirs in exc.errors:
                        exc.errors[ours] = exc.errors.pop(theirs)
                show_refusal(form, exc)
            else:
                if isinstance(result, ClosureRequest):
                    messages.success(request, "Sent to the supervisor for approval.")
                    return redirect("coordination:close_case", case_id=case.pk)
                messages.success(request, "Case closed; the closing summary went to the care team.")
                return redirect("cases:detail", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "coordination/close.html", _closure_context(user, case, form=form), status=status)


@staff_view(roles=SUPERVISING)
@require_POST
def decide_closure(request: StaffRequest, case_id: int) -> HttpResponse:
    user = request.user
    case = access_case(user, case_id)
    pending = pending_closure(case)
    if pending is None:
        raise Http404("No request to close this case is waiting.")
    form = forms.ClosureDecisionForm(request.POST)
    if form.is_valid():
        try:
            do_decide_closure(
                user,
                pending,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            approved = form.cleaned_data["decision"] == "approve"
            messages.success(request, "Case closed." if approved else "Returned to the case manager.")
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request,
        "coordination/close.html",
        _closure_context(user, case, form=forms.ClosureForm(), decision_form=form),
        status=400,
    )


@staff_view()
@require_POST
def record_outreach(request: StaffRequest, case_id: int) -> HttpResponse:
    user = request.user
    case = access_case(user, case_id)
    require_change(user, case.patient)
    form = forms.OutreachForm(request.POST)
    if form.is_valid():
        try:
            do_record_outreach(user, case, step=form.cleaned_data["step"], note=form.cleaned_data["note"])
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, "Protocol step recorded.")
            return redirect("coordination:close_case", case_id=case.pk)
    context = _closure_context(user, case, outreach_form=form, form=forms.ClosureForm())
    return render(request, "coordination/close.html", context, status=400)
