"""Recording a shared decision."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from careconductor.chart.summary import chart_summary
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.privacy.guards import staff_view

from .. import actions
from ..forms import (
    DecisionForm,
)
from ..queries import (
    access_plan,
)
from .plan import _user, plan_url, require_change


@staff_view()
@require_http_methods(["GET", "POST"])
def decision_new(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_plan(user, plan_id)
    require_change(user, plan)
    form = DecisionForm(request.POST or None, initial={"decided_on": clock.today()})
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_record_decision(user, plan, **form.action_fields())
        except ActionRefused as exc:
            if "options" in exc.errors:
                form.add_error("option_1", exc.errors.pop("options"))
            show_refusal(form, ActionRefused(exc.errors)) if exc.errors else None
        else:
            messages.success(request, "Decision recorded.")
            return redirect(plan_url(plan, "decisions"))
    return render(
        request,
        "careplans/decision_form.html",
        {
            "heading": "Record a shared decision",
            "submit": "Record decision",
            "plan": plan,
            "patient": plan.patient,
            "summary": chart_summary(plan.patient),
            "form": form,
            "nav": "cases",
        },
        status=400 if request.method == "POST" else 200,
    )
