"""Coverage: a patient's insurance or other payment source (patients.Coverage)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from careconductor.core import clock
from careconductor.patients.actions import do_add_coverage, do_update_coverage
from careconductor.patients.choices import CoverageKind
from careconductor.patients.models import Coverage

from .. import params
from ..auth import Caller
from ..registry import READ_WRITE, Mapper, SearchParam, register
from .common import code_in, compact, concept, parse_day, period, ref, reference_id, refused, visible_patient

KIND_SYSTEM = "urn:careconductor:coverage-kind"
CLASS_SYSTEM = "http://terminology.hl7.org/CodeSystem/coverage-class"
STATUS_SYSTEM = "http://hl7.org/fhir/fm-status"
ACTIVE, CANCELLED = "active", "cancelled"


def _status(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|")
    if system not in ("", STATUS_SYSTEM):
        return Q(pk__in=[])
    today = clock.today()
    ended = Q(end_date__lt=today)
    match code:
        case "active":
            return ~ended
        case "cancelled":
            return ended
    return Q(pk__in=[])


@register
class CoverageMapper(Mapper):
    resource_type = "Coverage"
    model = Coverage
    interactions = READ_WRITE
    patient_field = "patient"
    description = (
        "Insurance and other payment sources of the patients the caller may see. status is active until "
        f"period.end has passed, then cancelled; type is coded in {KIND_SYSTEM} "
        f"({', '.join(CoverageKind.values)}); the payer is named in payor.display and the plan in "
        "class (type plan)."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient covered"),
        "beneficiary": params.reference("patient_id", "Patient", "The patient covered"),
        "status": SearchParam("token", "active, or cancelled once period.end has passed", _status),
        "type": params.token(
            "kind",
            f"The kind of coverage ({KIND_SYSTEM})",
            system=KIND_SYSTEM,
            codes={k: k for k in CoverageKind.values},
        ),
    }
    sorts = {"type": "kind", "patient": "patient_id", "beneficiary": "patient_id"}
    error_paths = {
        "kind": "Coverage.type",
        "payer": "Coverage.payor",
        "start_date": "Coverage.period.start",
        "end_date": "Coverage.period.end",
    }

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient")

    def to_fhir(self, row: Coverage) -> dict[str, Any]:
        ended = row.end_date is not None and row.end_date < clock.today()
        patient = ref("Patient", row.patient_id, row.patient.full_name)
        plan = (
            [{"type": concept(CLASS_SYSTEM, "plan", "Plan"), "value": row.plan_name, "name": row.plan_name}]
            if row.plan_name
            else []
        )
        return compact(
            {
                "status": CANCELLED if ended else ACTIVE,
                "type": concept(KIND_SYSTEM, row.kind, row.get_kind_display(), text=row.get_kind_display()),
                "subscriberId": row.member_id,
                "beneficiary": patient,
                "period": period(row.start_date, row.end_date),
                "payor": [{"display": row.payer}],
                "class": plan,
            }
        )

    # --- writing ---------------------------------------------------------------------------------------------
    def _fields(self, resource: dict[str, Any]) -> dict[str, object]:
        kind = code_in(resource, "Coverage.type", KIND_SYSTEM, {k: k for k in CoverageKind.values})
        payors = resource.get("payor") or []
        payer = (payors[0].get("display") or "").strip() if payors else ""
        if not payer:
            raise refused("Coverage.payor", "Coverage.payor needs the payer's name in display.")
        span = resource.get("period") or {}
        start = parse_day(span.get("start"), "Coverage.period.start")
        end = parse_day(span.get("end"), "Coverage.period.end")
        if start is None:
            raise refused(
                "Coverage.period.start", "Coverage.period.start is required: when the coverage began."
            )
        if end is not None and end < start:
            raise refused("Coverage.period", "Coverage.period ends before it starts.")
        ended = end is not None and end < clock.today()
        wanted = CANCELLED if ended else ACTIVE
        if resource.get("status") != wanted:
            raise refused(
                "Coverage.status",
                f"Coverage.status must be {wanted}: coverage is active until period.end has passed, then cancelled.",
            )
        plan = ""
        for item in resource.get("class") or []:
            codes = (item.get("type") or {}).get("coding") or []
            if any(c.get("system") == CLASS_SYSTEM and c.get("code") == "plan" for c in codes):
                plan = item.get("name") or item.get("value") or ""
                break
        return {
            "kind": kind,
            "payer": payer[:200],
            "plan_name": plan[:200],
            "member_id": (resource.get("subscriberId") or "")[:60],
            "start_date": start,
            "end_date": end,
        }

    def create(self, caller: Caller, resource: dict[str, Any]) -> Coverage:
        fields = self._fields(resource)
        patient = visible_patient(caller, resource.get("beneficiary"), "Coverage.beneficiary")
        return do_add_coverage(caller.user, patient, **fields)

    def update(self, caller: Caller, row: Coverage, resource: dict[str, Any]) -> Coverage:
        fields = self._fields(resource)
        if reference_id(resource.get("beneficiary"), "Patient", "Coverage.beneficiary") != row.patient_id:
            raise refused("Coverage.beneficiary", "A coverage cannot move to another patient.")
        return do_update_coverage(caller.user, row, **fields)
