"""Recording a shared decision."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.views.decorators.http import require_http_methods

from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import post_form
from careconductor.core.requests import StaffRequest
from careconductor.privacy.guards import staff_view

from ..actions.decisions import do_record_decision
from ..forms import DecisionForm
from ..models import CarePlan, SharedDecision
from ..queries import access_plan
from .plan import form_page, plan_url, require_change


@staff_view()
@require_http_methods(["GET", "POST"])
def decision_new(request: StaffRequest, plan_id: int) -> HttpResponse:
    user = request.user
    plan = access_plan(user, plan_id)
    require_change(user, plan)
    form = DecisionForm(request.POST or None, initial={"decided_on": clock.today()})
    if request.method != "POST":
        return _page(request, plan, form, 200)

    def act(_: dict[str, Any]) -> SharedDecision:
        try:
            return do_record_decision(user, plan, **form.action_fields())
        except ActionRefused as exc:
            # The options weighed are several fields: their refusal goes beside the first.
            raise ActionRefused(
                {("option_1" if k == "options" else k): v for k, v in exc.errors.items()}
            ) from exc

    return post_form(
        request,
        form,
        act,
        success="Decision recorded.",
        done_url=plan_url(plan, "decisions"),
        redisplay=lambda: _page(request, plan, form, 400),
    )


def _page(request: StaffRequest, plan: CarePlan, form: DecisionForm, status: int) -> HttpResponse:
    return form_page(
        request,
        "decision_form.html",
        plan,
        form,
        status,
        heading="Record a shared decision",
        submit="Record decision",
    )
