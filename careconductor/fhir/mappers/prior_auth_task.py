"""Prior authorisation as a Task (issue 21, for partners who do not speak Da Vinci PAS): a Task with `code`
approve whose `focus` is a contained ServiceRequest (um/task_intake.py reads it) is taken in by `POST Task` into
the same intake as the form and `Claim/$submit`; the request is then served under /Task with the id
`prior-auth-<pk>` beside the coordination and referral Tasks (a part of task.TaskMapper, not registered).

- `status`: received; on-hold while pended for information (`statusReason.text` says what was asked and by
  when); in-progress under review or appeal; completed once decided; cancelled when withdrawn. `businessStatus`
  is the request's own state (um-status: approved, partially-approved, denied, appeal-approved, …);
  `statusReason` a denial's coded reason (um-denial-reason).
- `output`: the decision, the authorisation number, its validity period and, for a partial approval, the units
  approved per service.
- `contained`: one ServiceRequest per service asked for (the focus is the first; `input` names them all).

The partner's system (a UM account's token with a Task scope, as for PAS) may update it (PUT) in two ways only:
`status` cancelled withdraws the request (`statusReason.text` says why), and while it is on hold an `input` with
`valueString` or `valueAttachment` answers the request for information, which ends the pend. The plan moves
everything else on the UM screens."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q, QuerySet

from careconductor.core.errors import ActionRefused
from careconductor.privacy import policy
from careconductor.um import actions, fhir_reading, queries, rules, task_intake
from careconductor.um.choices import REASON_LABELS, STATUS_LABELS, Source
from careconductor.um.fhir_reading import PasProblem
from careconductor.um.models import AuthRequest, RequestedService

from .. import params
from ..auth import Caller
from ..errors import FhirError
from ..pas import new_request
from ..registry import READ_ONLY, Mapper, SearchParam, prefixed_id, prefixed_id_param
from .claim_response import identifier_q, request_rows
from .common import compact, concept, day, last_modified, moment, refused
from .condition import labelled

PREFIX = "prior-auth-"
UM_STATUS = "https://careconductor.org/fhir/CodeSystem/um-status"
DENIAL_REASON = "https://careconductor.org/fhir/CodeSystem/um-denial-reason"
TASK_CODE = task_intake.TASK_CODE
PRIORITY = "http://hl7.org/fhir/request-priority"
TASK_STATUS = "http://hl7.org/fhir/task-status"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
MEMBER_ID_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
PLAN_REFERENCE = "https://careconductor.org/fhir/prior-authorization"
S = rules.Status
TASK_STATUSES: dict[rules.Status, str] = {
    S.RECEIVED: "received",
    S.PENDED: "on-hold",
    S.IN_REVIEW: "in-progress",
    S.PHYSICIAN_REVIEW: "in-progress",
    S.APPEALED: "in-progress",
    S.APPROVED: "completed",
    S.PARTIAL: "completed",
    S.DENIED: "completed",
    S.APPEAL_APPROVED: "completed",
    S.APPEAL_DENIED: "completed",
    S.WITHDRAWN: "cancelled",
}
APPROVING = frozenset({S.APPROVED, S.PARTIAL, S.APPEAL_APPROVED})
WITH_REASON = frozenset({S.DENIED, S.PARTIAL, S.APPEAL_DENIED})


def prior_auth_task_id(key: int) -> str:
    return f"{PREFIX}{key}"


def _status(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|")
    ours = [s.value for s, theirs in TASK_STATUSES.items() if theirs == code and system in ("", TASK_STATUS)]
    return Q(status__in=ours) if ours else Q(pk__in=[])


def _business_status(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|")
    matched = Q(status=code) if system in ("", UM_STATUS) and code in STATUS_LABELS else Q(pk__in=[])
    return ~matched if modifier == "not" else matched


def _priority(modifier: str, value: str, caller: Caller) -> Q:
    code = value.rpartition("|")[2]
    urgency = {"stat": rules.Urgency.EXPEDITED, "routine": rules.Urgency.STANDARD}.get(code)
    return Q(urgency=urgency.value) if urgency else Q(pk__in=[])


def _code(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|")
    matched = Q(pk__isnull=False) if system in ("", TASK_CODE) and code == "approve" else Q(pk__in=[])
    return ~matched if modifier == "not" else matched


class PriorAuthTask(Mapper):
    resource_type = "Task"
    model = AuthRequest
    interactions = READ_ONLY
    patient_field = "patient"
    sensitive = True
    error_paths = {
        "member_id": "Task.for",
        "lines": "ServiceRequest.code",
        "files": "Task.input",
        "input": "Task.input",
        "status": "Task.status",
        "note": "Task.statusReason.text",
    }
    params = {
        "_id": prefixed_id_param(PREFIX),
        "patient": params.reference("patient_id", "Patient", "The member"),
        "subject": params.reference("patient_id", "Patient", "The member"),
        "status": SearchParam("token", "The Task status", _status),
        "business-status": SearchParam(
            "token", f"The request's own state ({UM_STATUS})", _business_status, modifiers=frozenset({"not"})
        ),
        "priority": SearchParam("token", "stat (expedited) or routine (standard)", _priority),
        "code": SearchParam("token", f"{TASK_CODE}|approve", _code, modifiers=frozenset({"not"})),
        "authored-on": params.date("received_at", "When the request was received"),
        "modified": params.date("updated_at", "When it last changed"),
        "period": params.date("decided_at", "When it was decided (executionPeriod.end)"),
        "due": params.date("due_at", "When the decision is due (restriction.period.end)"),
        "identifier": SearchParam("token", "PA-N, or the partner's Task identifier", identifier_q),
    }
    sorts = {
        "authored-on": "received_at",
        "modified": "updated_at",
        "status": "status",
        "priority": "urgency",
        "period": "decided_at",
        "due": "due_at",
    }

    def visible(self, caller: Caller) -> QuerySet[Any]:
        return self.with_related(request_rows(caller))

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("organization", "coverage").prefetch_related("lines", "pends")

    def pk_from_id(self, resource_id: str) -> Any:
        return prefixed_id(PREFIX)(resource_id)

    def resource_id(self, row: Any) -> str:
        return prior_auth_task_id(row.pk)

    def render(self, row: Any) -> dict[str, Any]:
        return labelled(super().render(row), row.sensitivity)

    def to_fhir(self, row: AuthRequest) -> dict[str, Any]:
        status = rules.Status(row.status)
        lines = list(row.lines.all())
        services = [_service(row, line, n) for n, line in enumerate(lines, start=1)]
        system, _, value = row.external_id.partition("|")
        return compact(
            {
                "contained": services,
                "identifier": [
                    {"system": PLAN_REFERENCE, "value": row.reference},
                    *([{"system": system, "value": value} if system else {"value": value}] if value else []),
                ],
                "status": TASK_STATUSES[status],
                "statusReason": _status_reason(row, status),
                "businessStatus": concept(UM_STATUS, status.value, STATUS_LABELS[status]),
                "intent": "order",
                "priority": "stat" if row.urgency == rules.Urgency.EXPEDITED else "routine",
                "code": concept(TASK_CODE, "approve", "Activate/approve the focal resource"),
                "description": f"Prior authorisation {row.reference}",
                "focus": {"reference": "#service-1"} if services else None,
                "for": _member(row),
                "authoredOn": moment(row.received_at),
                "lastModified": last_modified(row.received_at, row.updated_at),
                "requester": {"display": row.requesting_provider} if row.requesting_provider else None,
                "owner": {"display": row.organization.name},
                "restriction": {"period": {"end": moment(row.waiting_due_at or row.due_at)}},
                "executionPeriod": {"end": moment(row.decided_at)} if row.decided_at else None,
                "input": [
                    {"type": {"text": "Service requested"}, "valueReference": {"reference": f"#{s['id']}"}}
                    for s in services
                ],
                "output": _outputs(row, status, lines),
            }
        )

    # --- the partner's system asks and answers ---------------------------------------------------------------
    def create(self, caller: Caller, resource: dict[str, Any]) -> AuthRequest:
        if caller.user.role not in policy.UM_ROLES:
            raise FhirError(
                403, "Only the plan's UM accounts take prior-authorisation requests in.", code="forbidden"
            )
        try:
            asked = task_intake.parse_task(resource)
        except PasProblem as exc:
            raise FhirError(400, str(exc), expression=[exc.where]) from None
        if (
            found := policy.um_rows(caller.user).filter(external_id=asked.claim_identifier).first()
        ) is not None:
            raise FhirError(
                409,
                f"A request with this identifier exists: Task/{prior_auth_task_id(found.pk)}. To get it back "
                "instead of an error, send the POST with If-None-Exist: identifier=<system>|<value>.",
                code="duplicate",
            )
        if asked.birth_date is None or not asked.member_id:
            raise refused("member_id", "Give the member's ID (identifier type MB) and birth date.")
        member = queries.find_member(caller.user, asked.member_id, asked.birth_date)
        return actions.do_receive_request(caller.user, member, new_request(asked, Source.FHIR_TASK))

    def update(self, caller: Caller, row: AuthRequest, resource: dict[str, Any]) -> AuthRequest:
        if caller.user.role not in policy.UM_ROLES:
            raise FhirError(
                403,
                "The partner's system updates a prior-authorisation Task; staff work on the UM screens.",
                code="forbidden",
            )
        status = rules.Status(row.status)
        wanted = str(resource.get("status", ""))
        note, files = _information(resource)
        if wanted == "cancelled" and status != S.WITHDRAWN:
            reason = (resource.get("statusReason") or {}).get("text") or ""
            words = str(reason).strip() or f"Withdrawn by {row.requesting_provider or 'the provider'} (FHIR)"
            return actions.do_withdraw(caller.user, row.pk, words[:2000])
        if wanted != TASK_STATUSES[status]:
            raise refused(
                "status",
                "The plan moves the request; a partner may cancel it (status cancelled) or, while it is on hold, "
                "answer the request for information (an input with valueString or valueAttachment).",
            )
        if not note and not files:
            return row  # nothing new: the same PUT again
        if status != S.PENDED:
            raise refused("input", "The request is not waiting for information; nothing was added.")
        return actions.do_resume(caller.user, row.pk, note, files=files)


def _service(row: AuthRequest, line: RequestedService, n: int) -> dict[str, Any]:
    occurrence: dict[str, Any] = {}
    if line.start and line.end and line.end != line.start:
        occurrence["occurrencePeriod"] = {"start": day(line.start), "end": day(line.end)}
    elif line.start:
        occurrence["occurrenceDateTime"] = day(line.start)
    coding = {"system": CPT if line.code[:1].isdigit() else HCPCS, "code": line.code}
    if line.description:
        coding["display"] = line.description
    return compact(
        {
            "resourceType": "ServiceRequest",
            "id": f"service-{n}",
            "status": "active" if row.is_open else "completed",
            "intent": "order",
            "code": {"coding": [coding]},
            "subject": {"reference": f"Patient/{row.patient_id}"},
            "quantityQuantity": {"value": line.units},
            **occurrence,
            "reasonCode": [{"coding": [{"system": ICD10CM, "code": d}]} for d in row.diagnoses],
            "requester": {"display": row.requesting_provider} if row.requesting_provider else None,
            "performer": [{"display": row.servicing_provider}] if row.servicing_provider else [],
            "locationCode": [{"coding": [{"code": row.place_of_service}]}] if row.place_of_service else [],
        }
    )


def _member(row: AuthRequest) -> dict[str, Any]:
    member: dict[str, Any] = {"reference": f"Patient/{row.patient_id}"}
    if row.coverage is not None:
        member["identifier"] = {
            "type": {"coding": [{"system": MEMBER_ID_TYPE, "code": "MB"}]},
            "value": row.coverage.member_id,
        }
    return member


def _status_reason(row: AuthRequest, status: rules.Status) -> dict[str, Any] | None:
    if status == S.PENDED:
        waiting = next((p for p in row.pends.all() if p.ended_at is None), None)
        if waiting is not None:
            return {
                "text": f"Waiting for information, reply by {waiting.reply_due_on:%Y-%m-%d}:\n{waiting.asked}"
            }
    if status in WITH_REASON and row.reason:
        words = REASON_LABELS[rules.DenialReason(row.reason)]
        return concept(DENIAL_REASON, row.reason, words, text=words)
    return None


def _outputs(row: AuthRequest, status: rules.Status, lines: list[RequestedService]) -> list[dict[str, Any]]:
    if TASK_STATUSES[status] != "completed":
        return []
    found: list[dict[str, Any]] = [
        {"type": {"text": "Decision"}, "valueCodeableConcept": concept(UM_STATUS, status.value, STATUS_LABELS[status])}
    ]  # fmt: skip
    if status in APPROVING and row.auth_number:
        found.append({"type": {"text": "Authorization number"}, "valueString": row.auth_number})
        if row.valid_from and row.valid_until:
            found.append(
                {
                    "type": {"text": "Valid"},
                    "valuePeriod": {"start": day(row.valid_from), "end": day(row.valid_until)},
                }
            )
    if status == S.PARTIAL:
        found += [
            {"type": {"text": f"Units approved for #service-{n}"}, "valueInteger": line.approved_units}
            for n, line in enumerate(lines, start=1)
            if line.approved_units is not None
        ]
    return found


def _information(resource: dict[str, Any]) -> tuple[str, list[SimpleUploadedFile]]:
    """What an update's inputs add: text and documents (the services it names by reference are not new)."""
    try:
        texts, documents = fhir_reading.texts_and_documents(resource.get("input"), "Task.input")
    except PasProblem as exc:
        raise ActionRefused({"input": str(exc)}) from None
    files = [SimpleUploadedFile(d.name, d.data) for d in documents]
    return "\n\n".join(t for t in texts if t), files
