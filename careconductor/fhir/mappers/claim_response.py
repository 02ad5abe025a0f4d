"""ClaimResponse: a prior-authorisation request's state (um.AuthRequest) in the Da Vinci PAS shape that
Claim/$submit answers (um/pas.py): one item per service with its review action (X12 306: A4 pended, A1
certified, A6 modified, A3 not certified, C cancelled), the authorisation number and period, the coded reason.
Read and search, for the plan's UM staff (their organisation's requests) and the member's case staff (those of the
patients they see), through policy.um_rows with its sensitivity rules."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from careconductor.privacy import policy
from careconductor.um.models import AuthRequest
from careconductor.um.pas import claim_response

from .. import params
from ..auth import Caller
from ..pas import answered
from ..registry import READ_ONLY, Mapper, SearchParam, register
from .common import compact


def identifier_q(modifier: str, value: str, caller: Caller) -> Q:
    """PA-000123 (the plan's reference) or the partner's Claim identifier (system|value or value)."""
    text = value.split("|")[-1].strip()
    if text.upper().startswith("PA-") and text[3:].isascii() and text[3:].isdigit() and len(text) < 20:
        return Q(pk=int(text[3:]))
    return Q(external_id=value) | Q(external_id__endswith=f"|{text}") if text else Q(pk__in=[])


def request_rows(caller: Caller) -> QuerySet[AuthRequest]:
    """The prior-authorisation requests the caller may read (policy.um_rows); none for a role that reads none."""
    try:
        return policy.um_rows(caller.user)
    except PermissionError:
        return AuthRequest.objects.none()


@register
class ClaimResponseMapper(Mapper):
    resource_type = "ClaimResponse"
    model = AuthRequest
    interactions = READ_ONLY
    patient_field = "patient"
    sensitive = True
    description = (
        "Prior-authorisation requests as PAS ClaimResponses: for UM staff their organisation's requests, for case "
        "staff those of the patients they see; sensitive (Part 2) ones only where the sensitivity rules allow. "
        "item.adjudication's reviewAction extension carries the X12 306 code (A4 pended, A1 approved, A6 partly "
        "approved, A3 denied, C withdrawn), the authorisation number and the coded reason. Take requests in with "
        "POST Claim/$submit."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The member"),
        "created": params.date("received_at", "When the request was received"),
        "identifier": SearchParam("token", "PA-N, or the partner's Claim identifier", identifier_q),
    }

    def visible(self, caller: Caller) -> QuerySet[Any]:
        return self.with_related(request_rows(caller))

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("organization", "coverage").prefetch_related("lines")

    def to_fhir(self, row: Any) -> dict[str, Any]:
        resource = claim_response(answered(row, patient_ref=f"Patient/{row.patient_id}"))
        return compact(
            {**resource, "meta": {"versionId": str(row.version), "lastUpdated": row.updated_at.isoformat()}}
        )
