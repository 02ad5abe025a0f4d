"""The readmission figures page (issue 19 §"Readmission figures"): the table by programme and month, a chart of
the monthly rate, the patients behind each count and the CSV. For supervisors and administrators
(accounts.rules.Page.READMISSIONS); each shows only the discharges of patients the viewer may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from careconductor.accounts.rules import Page, roles_for
from careconductor.assessments.trend import Trend, layout
from careconductor.core import clock
from careconductor.core.periods import PeriodForm, first_of, period_asked
from careconductor.core.requests import StaffRequest
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.guards import staff_view

from .figures import MEASURES, Figures, figures_csv, programme_label, readmission_figures
from .figures_rules import Cell, share


def _period(request: StaffRequest) -> tuple[PeriodForm, dt.date, dt.date]:
    return period_asked(request.GET, clock.today())


@dataclass(frozen=True)
class Row:
    cell: Cell
    label: str
    links: dict[str, str]  # measure: the list of its patients


def _rows(figures: Figures) -> list[Row]:
    period = {"start": f"{figures.start:%Y-%m}", "end": f"{figures.end:%Y-%m}"}
    return [
        Row(
            cell,
            programme_label(cell.programme),
            {
                measure: "?"
                + urlencode(
                    period | {"month": f"{cell.month:%Y-%m}", "programme": cell.programme, "measure": measure}
                )
                for measure in MEASURES
            },
        )
        for cell in figures.rows
    ]


def _chart(figures: Figures) -> Trend | None:
    """The monthly rate of enrolled patients' discharges, with the not-enrolled rate of the whole period as a line
    to compare with."""
    months: dict[dt.date, tuple[int, int]] = {}
    others = [0, 0]
    for cell in figures.rows:
        if cell.enrolled:
            n, r = months.get(cell.month, (0, 0))
            months[cell.month] = (n + len(cell.discharges), r + len(cell.readmissions))
        else:
            others[0] += len(cell.discharges)
            others[1] += len(cell.readmissions)
    if not months:
        return None
    points = []
    for month, (n, r) in sorted(months.items()):
        rate = share(r, n) or 0.0
        stamp = dt.datetime.combine(month, dt.time()).timestamp()
        points.append((stamp, rate, f"{month:%b %Y}", f"{month:%b %Y}: {rate:g} % of {n} discharges"))
    other = share(others[1], others[0])
    bands = [] if other is None else [(other, "not enrolled, whole period")]
    return layout(points, low=0, high=100, bands=bands)


@staff_view(roles=roles_for(Page.READMISSIONS))
@require_http_methods(["GET"])
def figures(request: StaffRequest) -> HttpResponse:
    form, start, end = _period(request)
    found = readmission_figures(request.user, start, end)
    return render(
        request,
        "transitions/figures.html",
        {
            "form": form,
            "figures": found,
            "rows": _rows(found),
            "trend": _chart(found),
            "query": urlencode({"start": f"{start:%Y-%m}", "end": f"{end:%Y-%m}"}),
            "nav": Page.READMISSIONS.value,
        },
        status=400 if form.errors else 200,
    )


@staff_view(roles=roles_for(Page.READMISSIONS))
@require_http_methods(["GET"])
def figures_csv_download(request: StaffRequest) -> HttpResponse:
    form, start, end = _period(request)
    if form.errors:
        return HttpResponse("Give the period as two months, YYYY-MM.", status=400, content_type="text/plain")
    found = readmission_figures(request.user, start, end)
    audit.record(
        request.user,
        AuditAction.EXPORT,
        object_type="ReadmissionFigures",
        detail=f"{start:%Y-%m} to {end:%Y-%m} csv",
    )
    response = HttpResponse(figures_csv(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="readmissions-{start:%Y-%m}-{end:%Y-%m}.csv"'
    return response


@staff_view(roles=roles_for(Page.READMISSIONS))
@require_http_methods(["GET"])
def figures_patients(request: StaffRequest) -> HttpResponse:
    """The patients behind one count of the table, those the viewer may see, each read audited (one insert)."""
    form, start, end = _period(request)
    measure = request.GET.get("measure", "")
    try:
        month = first_of(request.GET.get("month", ""))
    except ValueError:
        raise Http404 from None
    if form.errors or measure not in MEASURES:
        raise Http404
    found = readmission_figures(request.user, start, end)
    cell = found.row(month, request.GET.get("programme", ""))
    ids = set(getattr(cell, measure)) if cell is not None else set()
    patients = list(
        policy.visible_patients(request.user).filter(pk__in=ids).order_by("family_name", "given_name")
    )
    audit.record_reads(request.user, patients)
    return render(
        request,
        "transitions/figures_patients.html",
        {
            "patients": patients,
            "month": month,
            "programme": programme_label(request.GET.get("programme", "")) if cell is not None else "",
            "measure": MEASURES[measure],
            "query": urlencode({"start": f"{start:%Y-%m}", "end": f"{end:%Y-%m}"}),
            "nav": Page.READMISSIONS.value,
        },
    )
