"""The patient's copy of the plan: the printable page and the PDF, in English or Spanish."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from careconductor.core.ids import whole_number
from careconductor.core.requests import StaffRequest
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.guards import staff_view

from .. import printout, printout_pdf
from ..models import CarePlan, PlanVersion
from ..queries import access_plan, access_version, hidden_problem_ids, standing
from .plan import plan_url


def _printable_for(request: StaffRequest, plan_id: int) -> tuple[CarePlan, PlanVersion | None, str]:
    """The plan, the version asked for (else the one in force) and the language; the export is audited."""
    user = request.user
    plan = access_plan(user, plan_id)
    number = request.GET.get("version", "")
    version = (
        access_version(user, plan, n) if (n := whole_number(number)) is not None else standing(plan).in_force
    )
    language = request.GET.get("lang", "")
    if language not in ("en", "es"):
        language = printout.language_for(plan.patient)
    audit.record(user, AuditAction.EXPORT, patient=plan.patient, obj=plan, detail=f"printout {language}")
    return plan, version, language


@staff_view()
@require_http_methods(["GET"])
def print_view(request: StaffRequest, plan_id: int) -> HttpResponse:
    plan, version, language = _printable_for(request, plan_id)
    query = f"?version={version.number}&" if version else "?"
    base = reverse("careplans:print", args=[plan.pk])
    return render(
        request,
        "careplans/print.html",
        {
            "p": printout.printable(plan, version, language, hidden_problem_ids(request.user, plan)),
            "pdf_url": reverse("careplans:pdf", args=[plan.pk]) + f"{query}lang={language}",
            "language_links": [
                (code, name, f"{base}{query}lang={code}")
                for code, name in (("en", "English"), ("es", "Español"))
            ],
            "back_url": plan_url(plan),
        },
    )


@staff_view()
@require_http_methods(["GET"])
def pdf_view(request: StaffRequest, plan_id: int) -> HttpResponse:
    plan, version, language = _printable_for(request, plan_id)
    hidden = hidden_problem_ids(request.user, plan)
    body = printout_pdf.render_pdf(printout.printable(plan, version, language, hidden))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="care-plan-{plan.pk}-{language}.pdf"'
    return response
