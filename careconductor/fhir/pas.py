"""Prior authorisation through the FHIR API (issue 21, Da Vinci PAS, interop.md §3): `POST Claim/$submit` takes a
PAS request Bundle into UM intake and answers the PAS response Bundle; `POST Claim/$inquire` answers the current
state of a request named by its Claim identifier. The caller is the plan's PAS gateway: a token of a UM account
(a UM reviewer's role, often a system account) with a `Claim` scope. The Bundle is read by um.pas (pure); the
member is found by member ID and birth date as on the intake form; the request is taken in by the same action as
the form (checks, pend, audit). A Claim sent again with the same identifier changes nothing and answers the
request's current state."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction
from careconductor.um import actions, pas, queries, rules
from careconductor.um.choices import REASON_LABELS, Source
from careconductor.um.models import AuthRequest

from .auth import Caller
from .errors import FhirError, issue
from .service import Answer


def _gateway(caller: Caller, letter: str) -> None:
    if not caller.allows("Claim", letter):
        raise FhirError(403, f"The token's scopes do not allow Claim ({letter}).", code="forbidden")
    if caller.user.role not in policy.UM_ROLES:
        raise FhirError(
            403, "Only the plan's UM accounts submit prior-authorisation requests.", code="forbidden"
        )


def _parsed(body: Any) -> pas.PasRequest:
    try:
        return pas.parse_request(body)
    except pas.PasProblem as exc:
        raise FhirError(400, str(exc), expression=[exc.where]) from None


def answered(request: AuthRequest, patient_ref: str = "") -> pas.Answered:
    """What a ClaimResponse says of the request (its lines read once: prefetched by the caller, or one query)."""
    lines = tuple(
        (line.sequence or n, line.units, line.approved_units)
        for n, line in enumerate(request.lines.all(), start=1)
    )
    return pas.Answered(
        pk=request.pk,
        claim_identifier=request.external_id,
        status=rules.Status(request.status),
        member_id=request.coverage.member_id if request.coverage else "",
        insurer=request.organization.name,
        created=request.received_at,
        auth_number=request.auth_number,
        valid_from=request.valid_from,
        valid_until=request.valid_until,
        reason=request.reason,
        reason_words=REASON_LABELS[rules.DenialReason(request.reason)] if request.reason else "",
        lines=lines,
        patient_ref=patient_ref,
    )


def _answer(request: AuthRequest, base: str, status: int = 200) -> Answer:
    return Answer(status, pas.response_bundle(answered(request), base, clock.now()))


def _existing(caller: Caller, claim_identifier: str) -> AuthRequest | None:
    return (
        policy.um_rows(caller.user)
        .filter(external_id=claim_identifier)
        .select_related("organization", "coverage", "patient")
        .first()
    )


def submit(caller: Caller, body: Any, base: str) -> Answer:
    _gateway(caller, "c")
    request = _parsed(body)
    if (found := _existing(caller, request.claim_identifier)) is not None:
        audit.record(
            caller.user, AuditAction.READ, patient=found.patient, obj=found, detail="PAS $submit again"
        )
        return _answer(found, base)
    if request.birth_date is None or not request.member_id:
        raise FhirError(
            422, "Give the member's ID (identifier type MB) and birth date.", expression=["Patient"]
        )
    try:
        member = queries.find_member(caller.user, request.member_id, request.birth_date)
        taken = actions.do_receive_request(caller.user, member, new_request(request, Source.FHIR_PAS))
    except ActionRefused as exc:
        raise FhirError(
            422, "; ".join(exc.errors.values()),
            issues=[issue(words, expression=[f"Claim.{field}" if field else "Claim"]) for field, words in exc.errors.items()],
        ) from None  # fmt: skip
    return _answer(AuthRequest.objects.select_related("organization", "coverage").get(pk=taken.pk), base, 201)


def new_request(request: pas.PasRequest, source: Source) -> actions.NewRequest:
    """What intake takes, from a request read off the API (a PAS Claim or a prior-authorisation Task)."""
    places = {i.place for i in request.items if i.place}
    return actions.NewRequest(
        source=source,
        urgency=request.urgency,
        expedited_asked_by="provider" if request.urgency == rules.Urgency.EXPEDITED else "",
        requesting_provider=request.requesting_provider,
        requesting_npi=request.requesting_npi,
        servicing_provider=request.servicing_provider,
        place_of_service=next(iter(sorted(places)), ""),
        lines=tuple(
            actions.Line(i.code, i.units, i.start, i.end, i.description, i.sequence) for i in request.items
        ),
        diagnoses=request.diagnoses,
        clinical_notes=request.notes,
        external_id=request.claim_identifier,
        files=[SimpleUploadedFile(d.name, d.data) for d in request.documents],
    )


def inquire(caller: Caller, body: Any, base: str) -> Answer:
    """The request's current state, found by the Claim identifier of the inquiry (query by example)."""
    _gateway(caller, "r")
    request = _parsed(body)
    found = _existing(caller, request.claim_identifier)
    if found is None:
        raise FhirError(404, "No prior-authorisation request has this Claim identifier.", code="not-found")
    audit.record(caller.user, AuditAction.READ, patient=found.patient, obj=found, detail="PAS $inquire")
    return _answer(found, base)
