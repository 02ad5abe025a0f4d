"""The directory search: for any member of staff, or for a patient (the chart's needs, ZIP code, language and
age filled in). Each search says why each service fits."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from careconductor.accounts.rules import Page, roles_for
from careconductor.chart.summary import chart_summary
from careconductor.core import clock
from careconductor.core.ids import whole_number
from careconductor.core.requests import StaffRequest
from careconductor.patients.models import Patient
from careconductor.patients.queries import access_patient
from careconductor.privacy.guards import staff_view

from . import queries, rules
from .actions import may_edit
from .forms import SearchForm

REFER_FROM = ("barrier", "goal", "intervention", "finding", "appointment")


@staff_view(roles_for(Page.RESOURCES))
@require_GET
def search(request: StaffRequest) -> HttpResponse:
    return _search(request, None)


@staff_view(roles_for(Page.RESOURCES))
@require_GET
def patient_search(request: StaffRequest, patient_id: int) -> HttpResponse:
    return _search(request, access_patient(request.user, patient_id))


def _search(request: StaffRequest, patient: Patient | None) -> HttpResponse:
    # A search the person typed, or the chart's start: the patient's needs, ZIP code, language and age (the need
    # a referral was started for, when it came from one, in place of the chart's needs).
    typed = set(request.GET) - {*REFER_FROM, "needs"}
    if typed or (request.GET and patient is None):
        form = SearchForm(request.GET)
    else:
        start = queries.patient_start(patient) if patient is not None else None
        form = SearchForm(
            {
                "needs": request.GET.getlist("needs") or (start.needs if start else []),
                "postal_code": start.postal_code,
                "language": start.language if start.language != "en" else "",
                "age": start.age,
            }
            if start
            else None
        )
    context: dict[str, Any] = {
        "form": form,
        "patient": patient,
        "nav": "resources" if patient is None else "patients",
        "may_edit": may_edit(request.user),
    }
    if patient is not None:
        context["summary"] = chart_summary(patient)
        # Where a referral made from the results starts: the barrier, goal, intervention or finding the search
        # came from (referrals.queries.referral_start reads them, each through its own access check).
        context["refer_from"] = urlencode(
            {key: request.GET[key] for key in REFER_FROM if whole_number(request.GET.get(key)) is not None}
        )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        near = queries.place_of(data["postal_code"])
        if data["postal_code"] and near is None:
            form.add_error("postal_code", "That ZIP code is not known here: no distances.")
        zone = ZoneInfo(request.user.organization.time_zone or settings.TIME_ZONE)  # type: ignore[union-attr]
        query = rules.Query(
            needs=frozenset(data["needs"]),
            near=near,
            within_km=data["within"] * rules.KM_PER_MILE if data["within"] and near else None,
            language=data["language"],
            open_now=clock.now().astimezone(zone).replace(tzinfo=None) if data["open_now"] else None,
            free_only=data["free_only"],
            age=data["age"],
        )
        context["found"] = queries.search(request.user, query)
        context["searched"] = True
    return render(request, "directory/search.html", context)
