"""The template library offered for a plan, and applying one."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from careconductor.chart.summary import chart_summary
from careconductor.core.forms import post_form
from careconductor.core.requests import StaffRequest
from careconductor.privacy.guards import staff_view

from .. import library
from ..actions.templates import do_apply_template
from ..forms import TemplateGoalsForm
from ..queries import access_plan, visible_problems
from .plan import form_page, plan_url, require_change


@staff_view()
@require_http_methods(["GET"])
def template_list(request: StaffRequest, plan_id: int) -> HttpResponse:
    user = request.user
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
def template_apply(request: StaffRequest, plan_id: int, template_id: str) -> HttpResponse:
    user = request.user
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

    def page(status: int) -> HttpResponse:
        return form_page(
            request,
            "template_apply.html",
            plan,
            form,
            status,
            heading=f"Template: {found.title}",
            submit="Add the chosen goals",
            template=found,
            language=plan.patient.preferred_language,
        )

    if request.method != "POST":
        return page(200)
    return post_form(
        request,
        form,
        lambda d: do_apply_template(
            user,
            plan,
            template_id,
            goal_keys=d["goals"],
            problem=visible_problems(user, plan).filter(pk=d["problem"]).first() if d["problem"] else None,
        ),
        success=lambda added: (
            f"{len(added)} goal{'s' if len(added) != 1 else ''} added from “{found.title}”. "
            "Now put each one in the patient's own words."
        ),
        done_url=lambda added: plan_url(plan, f"goal-{added[0].pk}"),
        redisplay=lambda: page(400),
    )
