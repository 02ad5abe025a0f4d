"""ServiceRequest: a referral (referrals.Referral) in the shape of the Gravity SDOH Clinical Care IG's
SDOHCC ServiceRequest (clinical.md §10.1 step 5), read-only; its referral-management Task is served under /Task
with the id `referral-<pk>` (referral_task.py).

- `status` from referrals.rules.SERVICE_REQUEST_STATUS, `intent` order, `priority` the urgency.
- `category`: the Gravity SDOH domain (SDOHCC-CodeSystemTemporaryCodes, e.g. food-insecurity) where the need
  is social; the clinical needs (behavioural health, substance use, pharmacy, home health) have no Gravity
  domain and are coded in CareConductor's referral-need CodeSystem. `code` is the need in that CodeSystem.
- `performer`: the receiving organisation of the directory, by identifier (its HSDS organization id) and
  display, as no resource of this server serves directory providers; a referral to a person names them.
- `reasonCode.text`: the reason as written, only when the referral shares it with the receiving organisation
  (SharedItem.REASON, minimum necessary): one body serves every reader, kept versions included, and the
  receiving organisation's system reads it too.
- `supportingInfo`: the patient's consent it was sent under (Consent/<id>).

Who reads it: staff through referrals.queries.visible_referrals (the patient's relationship and the referral's
sensitivity: a substance-use referral is a Part 2 record); a partner organisation's token through
queries.partner_referrals (only referrals sent to its own organisation, never a draft)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from careconductor.accounts.choices import Role
from careconductor.directory.choices import Need
from careconductor.referrals import queries, rules
from careconductor.referrals.choices import ReferralStatus, SharedItem, Urgency
from careconductor.referrals.models import Referral

from .. import params
from ..auth import Caller
from ..registry import READ_ONLY, Mapper, SearchParam, register
from .common import coding, compact, moment, ref
from .condition import labelled

SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
NEED_SYSTEM = "https://careconductor.org/fhir/CodeSystem/referral-need"
HSDS_ORGANIZATION = "https://careconductor.org/fhir/sid/hsds-organization"
HSDS_SERVICE = "https://careconductor.org/fhir/sid/hsds-service"
STATUS_SYSTEM = "http://hl7.org/fhir/request-status"
PRIORITY = "http://hl7.org/fhir/request-priority"

# The Gravity domain of each social need (SDOHCC-CodeSystemTemporaryCodes).
GRAVITY_DOMAIN: dict[str, tuple[str, str]] = {
    Need.FOOD: ("food-insecurity", "Food Insecurity"),
    Need.HOUSING: ("housing-instability", "Housing Instability"),
    Need.TRANSPORT: ("transportation-insecurity", "Transportation Insecurity"),
    Need.UTILITIES: ("utility-insecurity", "Utility Insecurity"),
    Need.SAFETY: ("intimate-partner-violence", "Intimate Partner Violence"),
    Need.FINANCIAL: ("financial-insecurity", "Financial Insecurity"),
    Need.ISOLATION: ("social-connection", "Social Connection"),
}


def referral_rows(caller: Caller) -> QuerySet[Referral]:
    """The referrals the caller may read: a partner organisation's only what was sent to it, staff's through the
    policy (relationship and sensitivity). The one access rule of ServiceRequest and the referral Task."""
    if caller.user.role == Role.PARTNER:
        return queries.partner_referrals(caller.user)
    return queries.visible_referrals(caller.user)


def with_referral_related(qs: QuerySet[Any]) -> QuerySet[Any]:
    return qs.select_related("patient", "service__provider", "requested_by")


def performer(row: Referral) -> dict[str, Any]:
    """The receiving organisation: its HSDS id and name (directory providers are not served as resources)."""
    if row.service is not None:
        provider = row.service.provider
        return {
            "identifier": {"system": HSDS_ORGANIZATION, "value": str(provider.hsds_id)},
            "display": provider.name,
        }
    return {"display": row.recipient_name}


def owner_q(modifier: str, value: str, caller: Caller) -> Q:
    """`owner:identifier=<system>|<HSDS id>` (or just the HSDS id) for referrals sent to that organisation."""
    if modifier != "identifier":
        return Q(pk__in=[])
    system, bar, code = value.rpartition("|")
    if (bar and system not in ("", HSDS_ORGANIZATION)) or not _uuid_like(code):
        return Q(pk__in=[])
    return Q(service__provider__hsds_id=code)


def _uuid_like(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def need_q(field: str) -> SearchParam:
    """`category` / `code`: a Gravity domain code or a referral-need code, with or without its system."""

    def build(modifier: str, value: str, caller: Caller) -> Q:
        system, _, code = value.rpartition("|")
        needs = set()
        if system in ("", NEED_SYSTEM) and code in Need.values:
            needs.add(code)
        if system in ("", SDOHCC):
            needs |= {need for need, (domain, _) in GRAVITY_DOMAIN.items() if domain == code}
        matched = Q(**{f"{field}__in": sorted(needs)})
        return ~matched if modifier == "not" else matched

    return SearchParam(
        "token",
        f"The need: a Gravity SDOH domain ({SDOHCC}, e.g. food-insecurity) or a code of {NEED_SYSTEM} "
        "(food, housing, substance-use …)",
        build,
        modifiers=frozenset({"not"}),
    )


def _statuses_for(table: dict[ReferralStatus, str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for ours, theirs in table.items():
        found.setdefault(theirs, []).append(ours.value)
    return found


@register
class ServiceRequestMapper(Mapper):
    resource_type = "ServiceRequest"
    model = Referral
    interactions = READ_ONLY
    patient_field = "patient"
    sensitive = True  # a substance-use referral is a Part 2 record
    description = (
        "Referrals to community and clinical services (SDOHCC ServiceRequest, Gravity pattern): status "
        "(request-status), intent order, category the Gravity SDOH domain "
        f"({SDOHCC}) where the need is social, else {NEED_SYSTEM}; code the need ({NEED_SYSTEM}); performer "
        f"the receiving organisation by identifier ({HSDS_ORGANIZATION}, its HSDS id); priority the urgency; "
        "occurrenceDateTime the appointment the organisation proposed; supportingInfo the consent it was sent "
        "under. Its referral-management Task is Task/referral-<id> (focus → this ServiceRequest). A partner "
        "organisation's token reads only the referrals sent to it."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient referred"),
        "subject": params.reference("patient_id", "Patient", "The patient referred"),
        "status": params.token(
            "status",
            f"The status ({STATUS_SYSTEM}): draft, active, completed, revoked",
            system=STATUS_SYSTEM,
            codes=_statuses_for(rules.SERVICE_REQUEST_STATUS),
        ),
        "category": need_q("need"),
        "code": need_q("need"),
        "requester": params.reference("requested_by_id", "Practitioner", "The member of staff who referred"),
        "performer": SearchParam(
            "reference",
            f"The receiving organisation: performer:identifier={HSDS_ORGANIZATION}|<HSDS organization id>",
            owner_q,
            modifiers=frozenset({"identifier"}),
        ),
        "priority": params.token(
            "urgency",
            f"routine, urgent or asap ({PRIORITY})",
            system=PRIORITY,
            codes={u: u for u in Urgency.values},
        ),
        "authored": params.date("created_at", "When the referral was made"),
        "occurrence": params.date("proposed_at", "The appointment the organisation proposed"),
    }
    sorts = {"authored": "created_at", "status": "status", "occurrence": "proposed_at"}

    def visible(self, caller: Caller) -> QuerySet[Any]:
        return self.with_related(referral_rows(caller))

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return with_referral_related(qs)

    def render(self, row: Any) -> dict[str, Any]:
        return labelled(super().render(row), row.sensitivity)

    def to_fhir(self, row: Referral) -> dict[str, Any]:
        need = Need(row.need)
        category = (
            coding(SDOHCC, *GRAVITY_DOMAIN[need])
            if need in GRAVITY_DOMAIN
            else coding(NEED_SYSTEM, need.value, need.label)
        )
        service = row.service
        return compact(
            {
                "identifier": [{"system": HSDS_SERVICE, "value": str(service.hsds_id)}] if service else [],
                "status": rules.SERVICE_REQUEST_STATUS[ReferralStatus(row.status)],
                "intent": "order",
                "category": [{"coding": [category], "text": need.label}],
                "priority": row.urgency,
                "code": {"coding": [coding(NEED_SYSTEM, need.value, need.label)], "text": need.label},
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "occurrenceDateTime": moment(row.proposed_at),
                "authoredOn": moment(row.sent_at or row.created_at),
                "requester": ref("Practitioner", row.requested_by_id, row.requested_by.display_name()),
                "performer": [performer(row)],
                "reasonCode": [{"text": row.reason}] if SharedItem.REASON in row.shared else [],
                "supportingInfo": [ref("Consent", row.consent_id)] if row.consent_id else [],
                "patientInstruction": row.patient_instructions,
                "note": [{"text": f"To {service.name}"}] if service else [],
            }
        )
