"""The template library offered for a plan, and applying one."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from careconductor.chart.summary import chart_summary
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.privacy.guards import staff_view

from .. import actions, library
from ..forms import (
    TemplateGoalsForm,
)
from ..queries import (
    access_plan,
    visible_problems,
)
from .plan import _user, plan_url, require_change


@staff_view()
@require_http_methods(["GET"])
def template_list(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_plan(user, plan_id)
    return render(
        request,
        "careplans/templates.html",
        {
            "plan": plan,
            "patient": plan.patient,
            "summary": chart_summary(plan.patient),
            "templates": list(library.all_templates().values()),
            "nav": "cases",
        },
    )


@staff_view()
@require_http_methods(["GET", "POST"])
def template_apply(request: HttpRequest, plan_id: int, template_id: str) -> HttpResponse:
    user = _user(request)
    plan = access_plan(user, plan_id)
    require_change(user, plan)
    found = library.template(template_id)
    if found is None:
        raise Http404
    form = TemplateGoalsForm(
        request.POST or None,
        goals=[(g.key, g.patient_words) for g in found.goals],
        problems=[(p.pk, p.title) for p in visible_problems(user, plan)],
        initial={"goals": [g.key for g in found.goals]},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            added = actions.do_apply_template(
                user,
                plan,
                template_id,
                goal_keys=d["goals"],
                problem=visible_problems(user, plan).filter(pk=d["problem"]).first()
                if d["problem"]
                else None,
            )
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(
                request,
                f"{len(added)} goal{'s' if len(added) != 1 else ''} added from “{found.title}”. "
                "Now put each one in the patient's own words.",
            )
            return redirect(plan_url(plan, f"goal-{added[0].pk}"))
    return render(
        request,
        "careplans/template_apply.html",
        {
            "heading": f"Template: {found.title}",
            "submit": "Add the chosen goals",
            "plan": plan,
            "patient": plan.patient,
            "summary": chart_summary(plan.patient),
            "template": found,
            "form": form,
            "nav": "cases",
            "language": plan.patient.preferred_language,
        },
        status=400 if request.method == "POST" else 200,
    )
