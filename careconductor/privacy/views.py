"""The privacy officer's pages: audit trail search, emergency-access review, accounting of disclosures."""

from __future__ import annotations

import csv
import datetime as dt
from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.models import User
from careconductor.accounts.rules import Page, roles_for
from careconductor.core.errors import ActionRefused
from careconductor.core.requests import StaffRequest

from . import audit, sources
from .actions import do_review_emergency_access
from .choices import AuditAction, ReviewOutcome
from .forms import AccountingForm, AuditSearchForm, ReviewForm
from .guards import staff_view
from .models import AuditEvent, Disclosure, EmergencyAccess

if TYPE_CHECKING:
    from careconductor.patients.models import Patient

OFFICER = roles_for(Page.PRIVACY)
PAGE_SIZE = 100


def _day_bounds(day: dt.date, end: bool = False) -> dt.datetime:
    moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    return timezone.make_aware(moment)


def _audit_events(user: User, data: dict[str, object]) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.filter(organization_id_value=user.org_id).select_related("patient")
    if data.get("patient"):
        qs = qs.filter(patient__identifiers__value=data["patient"], patient__organization_id=user.org_id)
    if data.get("user"):
        qs = qs.filter(username=data["user"])
    if data.get("action"):
        qs = qs.filter(action=data["action"])
    if data.get("date_from"):
        qs = qs.filter(recorded_at__gte=_day_bounds(data["date_from"]))  # type: ignore[arg-type]
    if data.get("date_to"):
        qs = qs.filter(recorded_at__lte=_day_bounds(data["date_to"], end=True))  # type: ignore[arg-type]
    return qs.order_by("-seq")


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_response(filename: str, header: list[str], rows: object) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    body = (writer.writerow(row) for row in [header, *rows])  # type: ignore[misc]
    response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@staff_view(OFFICER)
@require_http_methods(["GET"])
def audit_search(request: StaffRequest) -> HttpResponseBase:
    user = request.user
    form = AuditSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    events = _audit_events(user, data)
    if request.GET.get("format") == "csv" and form.is_valid():
        audit.record(user, AuditAction.EXPORT, object_type="AuditTrail", detail="audit search CSV")
        rows = (
            [
                e.seq,
                e.recorded_at.isoformat(),
                e.username,
                e.role,
                e.patient_id or "",
                e.action,
                e.object_type,
                e.object_id,
                e.purpose,
                e.client_address or "",
                e.user_agent,
                e.get_outcome_display(),
                e.detail,
            ]
            for e in events.iterator(chunk_size=2000)
        )
        header = [
            "seq",
            "time",
            "user",
            "role",
            "patient_id",
            "action",
            "object_type",
            "object_id",
            "purpose",
            "client_address",
            "user_agent",
            "outcome",
            "detail",
        ]
        return _csv_response("audit-trail.csv", header, rows)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "privacy/audit_search.html",
        {"form": form, "page": page, "nav": "privacy", "querystring": params.urlencode()},
    )


@staff_view(OFFICER)
@require_http_methods(["GET"])
def emergency_queue(request: StaffRequest) -> HttpResponse:
    user = request.user
    grants = EmergencyAccess.objects.filter(patient__organization_id=user.org_id).select_related(
        "user", "patient", "reviewed_by"
    )
    pending = list(grants.filter(reviewed_at__isnull=True).order_by("started_at"))
    reviewed = list(grants.filter(reviewed_at__isnull=False).order_by("-reviewed_at")[:50])
    for grant in pending:
        grant.events = AuditEvent.objects.filter(  # type: ignore[attr-defined]
            user=grant.user,
            patient=grant.patient,
            recorded_at__gte=grant.started_at,
            recorded_at__lte=grant.expires_at,
        ).count()
    return render(
        request,
        "privacy/emergency_queue.html",
        {"pending": pending, "reviewed": reviewed, "form": ReviewForm(), "nav": "privacy"},
    )


@staff_view(OFFICER)
@require_POST
def emergency_review(request: StaffRequest, grant_id: int) -> HttpResponse:
    user = request.user
    grant = get_object_or_404(EmergencyAccess, pk=grant_id, patient__organization_id=user.org_id)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            do_review_emergency_access(
                user,
                grant,
                outcome=ReviewOutcome(form.cleaned_data["outcome"]),
                note=form.cleaned_data["note"],
            )
        except ActionRefused as exc:
            for message in exc.errors.values():
                messages.error(request, message)
        else:
            messages.success(request, "Review recorded.")
    else:
        messages.error(request, "Choose an outcome.")
    return redirect("privacy:emergency_queue")


def _patient_by_mrn(user: User, mrn: str) -> Patient | None:
    # The model patients registered (sources.py): privacy sits below patients in the import graph.
    found: Patient | None = (
        sources.patients()
        .objects.filter(organization_id=user.org_id, identifiers__value=mrn.strip())
        .distinct()
        .first()
    )
    return found


@staff_view(OFFICER)
@require_http_methods(["GET"])
def accounting(request: StaffRequest) -> HttpResponseBase:
    """A patient's accounting of disclosures for a period of up to six years (45 CFR 164.528)."""
    user = request.user
    form = AccountingForm(request.GET or None)
    disclosures: list[Disclosure] = []
    patient = None
    if form.is_valid():
        patient = _patient_by_mrn(user, form.cleaned_data["patient"])
        if patient is None:
            form.add_error("patient", "No patient with that MRN in your organisation.")
        else:
            disclosures = list(
                Disclosure.objects.filter(
                    patient=patient,
                    disclosed_on__gte=form.cleaned_data["date_from"],
                    disclosed_on__lte=form.cleaned_data["date_to"],
                ).order_by("disclosed_on", "pk")
            )
            action = AuditAction.EXPORT if request.GET.get("format") == "csv" else AuditAction.READ
            audit.record(user, action, patient=patient, object_type="AccountingOfDisclosures")
            if request.GET.get("format") == "csv":
                rows = (
                    [
                        d.disclosed_on.isoformat(),
                        d.recipient_name,
                        d.recipient_address,
                        d.description,
                        d.purpose,
                    ]
                    for d in disclosures
                )
                return _csv_response(
                    "accounting-of-disclosures.csv", ["date", "recipient", "address", "what", "purpose"], rows
                )
    return render(
        request,
        "privacy/accounting.html",
        {
            "form": form,
            "patient": patient,
            "disclosures": disclosures,
            "nav": "privacy",
            "querystring": request.GET.urlencode(),
        },
    )
