"""Every version of a plan, and any two side by side with what changed between them."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from careconductor.chart.summary import chart_summary
from careconductor.core.ids import whole_number
from careconductor.core.requests import StaffRequest
from careconductor.privacy.guards import staff_view

from .. import snapshot
from ..queries import access_plan, hidden_problem_ids


@staff_view()
@require_http_methods(["GET"])
def versions(request: StaffRequest, plan_id: int) -> HttpResponse:
    """Every version, and any two side by side with what changed between them."""
    user = request.user
    plan = access_plan(user, plan_id)
    all_versions = list(plan.versions.select_related("made_by", "decided_by").order_by("-number"))
    by_number = {v.number: v for v in all_versions}
    numbers = sorted(by_number, reverse=True)

    def chosen(name: str, default: int) -> int:
        raw = request.GET.get(name, "")
        return n if (n := whole_number(raw)) is not None else default

    working = request.GET.get("b") == "working"
    left = by_number.get(chosen("a", numbers[1] if len(numbers) > 1 else 0))
    right = by_number.get(chosen("b", numbers[0] if numbers else 0))
    compare = None
    hidden = hidden_problem_ids(user, plan)
    if left is not None and working:
        compare = snapshot.compare(
            snapshot.without_problems(left.content, hidden), snapshot.build(plan, hidden)
        )
    elif left is not None and right is not None:
        compare = snapshot.compare(
            snapshot.without_problems(left.content, hidden), snapshot.without_problems(right.content, hidden)
        )
    return render(
        request,
        "careplans/versions.html",
        {
            "plan": plan,
            "patient": plan.patient,
            "summary": chart_summary(plan.patient),
            "versions": all_versions,
            "left": left,
            "right": right,
            "changes": compare,
            "working": working,
            "nav": "cases",
        },
    )
