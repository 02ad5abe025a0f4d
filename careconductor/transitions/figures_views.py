"""The readmission figures page (issue 19 §"Readmission figures"): the table by programme and month, a chart of
the monthly rate, the patients behind each count and the CSV. For supervisors and administrators
(accounts.rules.Page.READMISSIONS); each shows only the discharges of patients the viewer may see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from careconductor.accounts.rules import Page, roles_for
from careconductor.assessments.trend import Trend, layout
from careconductor.core import clock
from careconductor.core.requests import StaffRequest
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.guards import staff_view

from .figures import MEASURES, Figures, figures_csv, programme_label, readmission_figures
from .figures_rules import Cell, last_full_months, share

MAX_MONTHS = 36
MONTH = {"invalid": "Give a month as YYYY-MM."}


class PeriodForm(forms.Form):
    start = forms.RegexField(
        label="From (month)",
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        widget=forms.TextInput(attrs={"type": "month"}),
        error_messages=MONTH,
    )
    end = forms.RegexField(
        label="To (month)",
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        widget=forms.TextInput(attrs={"type": "month"}),
        error_messages=MONTH,
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, str) and isinstance(end, str):
            first, last = _month(start), _month(end)
            if last < first:
                self.add_error("end", "The period ends before it starts.")
            elif (last.year - first.year) * 12 + last.month - first.month >= MAX_MONTHS:
                self.add_error("end", f"Choose at most {MAX_MONTHS} months.")
        return data


def _month(text: str) -> dt.date:
    year, month = text.split("-")
    return dt.date(int(year), int(month), 1)


def _month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _period(request: StaffRequest) -> tuple[PeriodForm, dt.date, dt.date]:
    """The period asked for, or the last 12 full months (also when the form has errors, shown beside it)."""
    start, end = last_full_months(clock.today())
    form = PeriodForm(
        request.GET if "start" in request.GET else {"start": f"{start:%Y-%m}", "end": f"{end:%Y-%m}"}
    )
    if form.is_valid():
        return form, _month(form.cleaned_data["start"]), _month_end(_month(form.cleaned_data["end"]))
    return form, start, end


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
        month = _month(request.GET.get("month", ""))
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
