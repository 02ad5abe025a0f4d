"""Taking a prior-authorisation request in (issue 21): from the staff form (a phone call or a fax typed in, the fax
kept as an attachment) and from the FHIR API. Checks at intake (intake_rules): a duplicate is refused naming the
request it repeats; the member's coverage on the date of service is looked up (a request with no coverage is kept
and says so, for the reviewer to deny as not eligible); an incomplete request is pended at once for what it lacks,
with the request for information to the provider. The due time follows rules.due_at from the organisation's
plan type and pend rule."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.engagement import attachments as checked_files
from careconductor.patients.models import Coverage, Patient
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction

from .. import intake_rules, rules
from ..choices import AskedBy, Setting, Source
from ..models import AuthRequest, RequestedService
from .base import add_step, keep_files, require_um, um_settings, zone
from .review import pend

# A request typed in later than it came (a fax found in the morning) keeps the time it came; not older than this.
MAX_BACKDATE = dt.timedelta(days=3)


@dataclass(frozen=True)
class Line:
    code: str
    units: int
    start: dt.date | None
    end: dt.date | None = None
    description: str = ""
    sequence: int | None = None  # a PAS Claim's item.sequence


@dataclass(frozen=True)
class NewRequest:
    source: Source
    urgency: rules.Urgency | None
    requesting_provider: str
    servicing_provider: str
    place_of_service: str
    lines: tuple[Line, ...]
    diagnoses: tuple[str, ...]
    clinical_notes: str = ""
    expedited_asked_by: str = ""
    requesting_npi: str = ""
    setting: Setting = Setting.OUTPATIENT
    received_at: dt.datetime | None = None  # None: now
    admitted_on: dt.date | None = None
    expected_stay_days: int | None = None
    external_id: str = ""
    files: Sequence[UploadedFile] = field(default=())


def do_receive_request(user: User, patient: Patient, new: NewRequest) -> AuthRequest:
    """Keep the request (pended at once when incomplete). The caller found the member through
    queries.find_member; ActionRefused names the field for a duplicate, a bad time or a bad file."""
    organization_id = require_um(user)
    if patient.organization_id != organization_id:
        raise ActionRefused({"member_id": "No member of this plan has this ID and birth date."})
    now = clock.now()
    received_at = new.received_at or now
    if received_at > now or received_at < now - MAX_BACKDATE:
        raise ActionRefused(
            {"received_at": "Give when the request came in: in the last 3 days, not later than now."}
        )
    if any(len(line.code.strip()) > 12 or not 0 <= line.units <= 10**6 for line in new.lines):
        raise ActionRefused(
            {"lines": "Give each service as its CPT or HCPCS code (5 characters) with its units."}
        )
    files = checked_files.check_all(list(new.files))
    intake = _intake(patient, new)
    existing = [_existing(r) for r in AuthRequest.objects.filter(patient=patient).prefetch_related("lines")]
    if (repeated := intake_rules.duplicate_of(intake, existing)) is not None:
        raise ActionRefused(
            {
                "lines": f"This repeats request PA-{repeated.pk:06d} ({repeated.status.value}) for the same service and dates."
            }
        )
    problems = {k: v for k, v in intake_rules.completeness_problems(intake).items() if k != "member"}
    problems.pop("urgency", None)  # the form and the API always say; a missing one is standard
    urgency = new.urgency or rules.Urgency.STANDARD
    coverages = list(Coverage.objects.filter(patient=patient))
    periods = [intake_rules.CoveragePeriod(c.start_date, c.end_date) for c in coverages]
    uncovered = intake_rules.uncovered_days(periods, intake.lines)
    first_day = min((line.start for line in intake.lines if line.start), default=received_at.date())
    coverage = next(
        (
            c
            for c in coverages
            if c.start_date <= first_day and (c.end_date is None or first_day <= c.end_date)
        ),
        None,
    )
    plan = um_settings(organization_id)
    with transaction.atomic():
        request = AuthRequest(
            organization_id=organization_id,
            patient=patient,
            coverage=coverage,
            source=new.source,
            setting=new.setting,
            urgency=urgency.value,
            expedited_asked_by=new.expedited_asked_by
            if urgency == rules.Urgency.EXPEDITED
            else AskedBy.NOBODY,
            plan_type=plan.plan_type,
            pend_rule=plan.pend_rule,
            received_at=received_at,
            due_at=rules.due_at(
                received_at, urgency, zone(patient.organization), plan_type=rules.PlanType(plan.plan_type)
            ),
            requesting_provider=new.requesting_provider.strip(),
            requesting_npi=new.requesting_npi.strip(),
            servicing_provider=new.servicing_provider.strip(),
            place_of_service=new.place_of_service.strip(),
            diagnoses=[d.strip().upper() for d in new.diagnoses],
            clinical_notes=new.clinical_notes.strip(),
            sensitivity=intake_rules.sensitivity_of(new.diagnoses),
            received_by=user,
            external_id=new.external_id,
            admitted_on=new.admitted_on,
            expected_stay_days=new.expected_stay_days,
            next_review_on=_first_review(new),
        )
        request.save()
        RequestedService.objects.bulk_create(
            RequestedService(
                request=request,
                code=line.code.strip().upper(),
                description=line.description.strip(),
                units=line.units,
                start=line.start,
                end=line.end,
                sequence=line.sequence,
            )
            for line in new.lines
        )
        keep_files(request, user, files)
        words = f"from {request.get_source_display().lower()}"
        if uncovered:
            words += "; no coverage on " + ", ".join(f"{d:%b %-d, %Y}" for d in uncovered)
        add_step(request, user, "received", words, at=received_at)
        audit.record(
            user, AuditAction.CREATE, patient=patient, obj=request, detail="prior authorisation request"
        )
        if problems:
            pend(user, request, "\n".join(f"- {text}" for text in problems.values()))
    return request


def _first_review(new: NewRequest) -> dt.date | None:
    """An inpatient stay's first concurrent review: the last day of the expected stay."""
    if new.setting != Setting.INPATIENT or new.admitted_on is None or not new.expected_stay_days:
        return None
    return new.admitted_on + dt.timedelta(days=new.expected_stay_days)


def _intake(patient: Patient, new: NewRequest) -> intake_rules.Intake:
    return intake_rules.Intake(
        member_id=patient.pk,
        urgency=new.urgency,
        expedited_asked_by=new.expedited_asked_by,
        requesting_provider=new.requesting_provider,
        servicing_provider=new.servicing_provider,
        place_of_service=new.place_of_service,
        lines=tuple(intake_rules.ServiceLine(x.code, x.units, x.start, x.end) for x in new.lines),
        diagnoses=new.diagnoses,
        clinical_notes=bool(new.clinical_notes.strip() or new.files),
    )


def _existing(request: AuthRequest) -> intake_rules.Existing:
    lines = list(request.lines.all())
    return intake_rules.Existing(
        pk=request.pk,
        member_id=request.patient_id,
        status=rules.Status(request.status),
        codes=frozenset(line.code for line in lines),
        start=min((line.start for line in lines if line.start), default=None),
        end=max((line.end or line.start for line in lines if line.start), default=None),
        valid_until=request.valid_until,
    )
