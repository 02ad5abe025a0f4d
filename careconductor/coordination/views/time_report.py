"""The monthly time report (billing.py), on the page and as CSV."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from careconductor.accounts.rules import Page, roles_for
from careconductor.cases.choices import Program
from careconductor.core import clock
from careconductor.core.requests import StaffRequest
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.guards import staff_view

from .. import billing, forms


def _month(request: HttpRequest) -> tuple[forms.MonthForm, dt.date]:
    today = clock.today()
    default = (
        (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        if today.day < 8
        else today.replace(day=1)
    )
    form = forms.MonthForm(request.GET or {"month": f"{default:%Y-%m}"})
    if form.is_valid():
        year, month = form.cleaned_data["month"].split("-")
        return form, dt.date(int(year), int(month), 1)
    return form, default


@staff_view(roles=roles_for(Page.TIME_REPORT))
@require_http_methods(["GET"])
def time_report(request: StaffRequest) -> HttpResponse:
    user = request.user
    form, month = _month(request)
    report = billing.monthly_report(user, month)
    return render(
        request,
        "coordination/time_report.html",
        {"form": form, "month": month, "report": report, "nav": "reports", "programs": Program},
    )


@staff_view(roles=roles_for(Page.TIME_REPORT))
@require_http_methods(["GET"])
def time_report_csv(request: StaffRequest) -> HttpResponse:
    user = request.user
    form, month = _month(request)
    if request.GET and not form.is_valid():
        return HttpResponse("Give a month as YYYY-MM.", status=400, content_type="text/plain")
    report = billing.monthly_report(user, month)
    audit.record(user, AuditAction.EXPORT, object_type="TimeReport", detail=f"{month:%Y-%m} csv")
    response = HttpResponse(billing.report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="care-management-time-{month:%Y-%m}.csv"'
    return response
