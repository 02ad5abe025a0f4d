"""The referral-management Task of a referral (the Gravity SDOH pattern, clinical.md §10.1 step 5), served under
/Task beside the coordination tasks with the id `referral-<pk>` (the referral's ServiceRequest is
ServiceRequest/<pk>): a part of task.TaskMapper, not registered on its own.

- `status` and `businessStatus` from referrals.rules.TASK_STATUS (scheduled and no-show are our business
  statuses of in-progress and failed); `statusReason` the reason a declined referral gives (DeclineReason);
  `intent` order; `code` fulfill; `focus` the ServiceRequest; `for` the patient; `owner` the receiving
  organisation by identifier (its HSDS organization id); `executionPeriod.start` the appointment proposed;
  `output` the outcome the organisation reported; `lastModified` the last change of status.

The receiving organisation's system updates it (PUT, with its partner token): status received, accepted,
rejected (+ statusReason), in-progress (+ executionPeriod.start: scheduled), completed (+ output or note),
failed (no-show) or cancelled, through referrals.actions.do_answer_from_fhir; a move the referral's transition
table refuses is a 422 and changes nothing. Staff change referrals on the referral page."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from careconductor.accounts.choices import Role
from careconductor.referrals import rules
from careconductor.referrals.actions import do_answer_from_fhir
from careconductor.referrals.choices import DeclineReason, ReferralStatus, Urgency
from careconductor.referrals.models import Referral

from .. import params
from ..auth import Caller
from ..errors import FhirError
from ..registry import READ_ONLY, UPDATE, Mapper, SearchParam, prefixed_id, prefixed_id_param
from .common import compact, concept, last_modified, moment, parse_moment, ref, refused
from .condition import labelled
from .service_request import owner_q, performer, referral_rows, with_referral_related

PREFIX = "referral-"
REFERRAL_STATUS = "https://careconductor.org/fhir/CodeSystem/referral-business-status"
DECLINE_REASON = "https://careconductor.org/fhir/CodeSystem/referral-decline-reason"
TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"
TASK_STATUS = "http://hl7.org/fhir/task-status"
PRIORITY = "http://hl7.org/fhir/request-priority"
BUSINESS_WORDS = {"scheduled": "Appointment scheduled", "no-show": "Patient did not attend"}


def referral_task_id(key: int) -> str:
    return f"{PREFIX}{key}"


def _task_statuses() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for ours, (theirs, _) in rules.TASK_STATUS.items():
        found.setdefault(theirs, []).append(ours.value)
    return found


def _business_status(modifier: str, value: str, caller: Caller) -> Q:
    system, bar, code = value.rpartition("|")
    ours = [s.value for s, (_, business) in rules.TASK_STATUS.items() if business and business == code]
    matched = Q(status__in=ours) if not (bar and system not in ("", REFERRAL_STATUS)) else Q(pk__in=[])
    return ~matched if modifier == "not" else matched


def _focus(modifier: str, value: str, caller: Caller) -> Q:
    parts = value.rstrip("/").split("/")
    if len(parts) < 2 or parts[-2] != "ServiceRequest" or (modifier and modifier != "ServiceRequest"):
        return Q(pk__in=[])
    key = parts[-1]
    return Q(pk=int(key)) if key.isascii() and key.isdigit() and len(key) <= 18 else Q(pk__in=[])


def _code(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|")
    matched = Q(pk__isnull=False) if system in ("", TASK_CODE) and code == "fulfill" else Q(pk__in=[])
    return ~matched if modifier == "not" else matched


class ReferralTask(Mapper):
    resource_type = "Task"
    model = Referral
    interactions = READ_ONLY | {UPDATE}
    patient_field = "patient"
    sensitive = True
    error_paths = {
        "status": "Task.status",
        "decline_reason": "Task.statusReason",
        "proposed_at": "Task.executionPeriod.start",
    }
    params = {
        "_id": prefixed_id_param(PREFIX),
        "patient": params.reference("patient_id", "Patient", "The patient referred"),
        "subject": params.reference("patient_id", "Patient", "The patient referred"),
        "owner": SearchParam(
            "reference", "The receiving organisation", owner_q, modifiers=frozenset({"identifier"})
        ),
        "requester": params.reference("requested_by_id", "Practitioner", "Who referred"),
        "status": params.token(
            "status", f"The status ({TASK_STATUS})", system=TASK_STATUS, codes=_task_statuses()
        ),
        "business-status": SearchParam(
            "token", "scheduled or no-show", _business_status, modifiers=frozenset({"not"})
        ),
        "priority": params.token(
            "urgency", "routine, urgent or asap", system=PRIORITY, codes={u: u for u in Urgency.values}
        ),
        "code": SearchParam("token", f"{TASK_CODE}|fulfill", _code, modifiers=frozenset({"not"})),
        "focus": SearchParam(
            "reference", "ServiceRequest/<id>", _focus, modifiers=frozenset({"ServiceRequest"})
        ),
        "authored-on": params.date("created_at", "When the referral was made"),
        "modified": params.date("updated_at", "When it last changed"),
        "period": params.date("proposed_at", "The appointment proposed (executionPeriod.start)"),
    }
    # The same keys as the coordination tasks' (a UNION pages over both): the appointment stands for both
    # the execution period and the due time.
    sorts = {
        "authored-on": "created_at",
        "modified": "updated_at",
        "status": "status",
        "priority": "urgency",
        "period": "proposed_at",
        "due": "proposed_at",
    }

    def visible(self, caller: Caller) -> QuerySet[Any]:
        return self.with_related(referral_rows(caller))

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return with_referral_related(qs)

    def pk_from_id(self, resource_id: str) -> Any:
        return prefixed_id(PREFIX)(resource_id)

    def resource_id(self, row: Any) -> str:
        return referral_task_id(row.pk)

    def render(self, row: Any) -> dict[str, Any]:
        return labelled(super().render(row), row.sensitivity)

    def to_fhir(self, row: Referral) -> dict[str, Any]:
        status = ReferralStatus(row.status)
        task_status, business = rules.TASK_STATUS[status]
        declined = row.decline_reason if status == ReferralStatus.DECLINED and row.decline_reason else ""
        return compact(
            {
                "status": task_status,
                "statusReason": concept(
                    DECLINE_REASON,
                    declined,
                    DeclineReason(declined).label,
                    text=DeclineReason(declined).label,
                )
                if declined
                else None,
                "businessStatus": concept(REFERRAL_STATUS, business, BUSINESS_WORDS[business])
                if business
                else None,
                "intent": "order",
                "priority": row.urgency,
                "code": concept(TASK_CODE, "fulfill", "Fulfill the focal request"),
                "description": f"Referral for {row.get_need_display().lower()}",
                "focus": ref("ServiceRequest", row.pk),
                "for": ref("Patient", row.patient_id, row.patient.full_name),
                "authoredOn": moment(row.sent_at or row.created_at),
                "lastModified": last_modified(
                    row.sent_at or row.created_at, row.status_changed_at or row.updated_at
                ),
                "requester": ref("Practitioner", row.requested_by_id, row.requested_by.display_name()),
                "owner": performer(row),
                "executionPeriod": {"start": moment(row.proposed_at)} if row.proposed_at else None,
                "output": [
                    {
                        "type": {"text": "Outcome"},
                        "valueString": row.outcome_note,
                    }
                ]
                if row.outcome_note
                else [],
            }
        )

    # --- the receiving organisation's system answers ----------------------------------------------------------
    def update(self, caller: Caller, row: Referral, resource: dict[str, Any]) -> Referral:
        if caller.user.role != Role.PARTNER:
            raise FhirError(
                403,
                "A referral's Task is updated by the receiving organisation's system; staff change referrals "
                "on the referral page.",
                code="forbidden",
            )
        wanted = str(resource.get("status", ""))
        current, _ = rules.TASK_STATUS[ReferralStatus(row.status)]
        to = rules.FROM_TASK_STATUS.get(wanted)
        start = parse_moment(
            (resource.get("executionPeriod") or {}).get("start"), "Task.executionPeriod.start"
        )
        if wanted == current and not (to == ReferralStatus.SCHEDULED and start and start != row.proposed_at):
            return row  # nothing changed: the same PUT again
        if to is None:
            allowed = ", ".join(rules.FROM_TASK_STATUS)
            raise refused("status", f"The receiving organisation sets Task.status to one of: {allowed}.")
        reason = resource.get("statusReason") or {}
        decline_reason = ""
        if to == ReferralStatus.DECLINED:
            codes = [
                c.get("code") for c in reason.get("coding", []) if c.get("system") in (DECLINE_REASON, None)
            ]
            decline_reason = next((c for c in codes if c in DeclineReason.values), "")
            if not decline_reason and reason.get("text"):
                decline_reason = DeclineReason.OTHER
        outputs = [str(o.get("valueString", "")) for o in resource.get("output", []) if o.get("valueString")]
        notes = [str(n.get("text", "")) for n in resource.get("note", []) if n.get("text")]
        words = [*outputs, *notes]
        if to == ReferralStatus.DECLINED and reason.get("text"):
            words.insert(0, str(reason["text"]))
        return do_answer_from_fhir(
            caller.user,
            row,
            to,
            note="\n".join(words),
            decline_reason=decline_reason,
            proposed_at=start if to == ReferralStatus.SCHEDULED else None,
        )
