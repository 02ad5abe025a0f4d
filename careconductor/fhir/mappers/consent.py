"""Consent from privacy.Consent: consent to case management, to CCM billing, to sharing with a named person,
and 42 CFR Part 2 disclosure consents. Create records one (do_record_consent); there is no update, as a
consent is revoked on the chart, which makes a new version here."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.privacy.actions import do_record_consent
from careconductor.privacy.choices import ConsentMethod, ConsentStatus, ConsentType
from careconductor.privacy.models import Consent

from .. import params
from ..auth import Caller
from ..registry import CREATE, READ_ONLY, Mapper, SearchParam, register
from .common import EXT, compact, concept, day, parse_day, period, ref, reference_id, refused, visible_patient
from .condition import labelled

STATUS_SYSTEM = "http://hl7.org/fhir/consent-state-codes"
SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_TYPE_SYSTEM = "urn:careconductor:consent-type"
LOINC = "http://loinc.org"
PATIENT_CONSENT = "59284-0"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
POLICY_CODES = "http://terminology.hl7.org/CodeSystem/consentpolicycodes"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
PART2_URL = "https://www.ecfr.gov/current/title-42/chapter-I/subchapter-A/part-2"
METHOD = EXT + "consent-method"
SCOPE_NOTE = EXT + "consent-scope-note"

T = ConsentType
SCOPES = {
    T.CM_ENROLMENT: ("treatment", "Treatment"),
    T.CCM_BILLING: ("treatment", "Treatment"),
    T.SHARING: ("patient-privacy", "Privacy Consent"),
    T.PART2: ("patient-privacy", "Privacy Consent"),
}


def _category(modifier: str, value: str, caller: Caller) -> Q:
    """Our consent types; LOINC 59284-0 (on every consent here) matches them all."""
    system, _, code = value.rpartition("|") if "|" in value else ("", "", value)
    if code == PATIENT_CONSENT and (not system or system == LOINC):
        matched = Q()
    elif (system and system != CONSENT_TYPE_SYSTEM) or code not in ConsentType.values:
        matched = Q(pk__in=[])
    else:
        matched = Q(consent_type=code)
    return ~matched if modifier == "not" else matched


@register
class ConsentMapper(Mapper):
    resource_type = "Consent"
    model = Consent
    interactions = READ_ONLY | {CREATE}
    # A Part 2 disclosure consent carries the Part 2 label: it tells that the patient is in such a programme.
    sensitive = True
    description = (
        "Consents of the patients the caller may see. category carries the consent type "
        f"({CONSENT_TYPE_SYSTEM}) and LOINC 59284-0. Create records a consent (status active, or rejected "
        "when the patient refused); a consent is revoked on the chart, not here."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient"),
        "status": params.token(
            "status",
            "active, rejected or inactive",
            system=STATUS_SYSTEM,
            codes={s.value: s.value for s in ConsentStatus},
        ),
        "category": SearchParam(
            "token",
            f"The consent type ({CONSENT_TYPE_SYSTEM}), or LOINC 59284-0 for all",
            _category,
            modifiers=frozenset({"not"}),
        ),
        "date": params.date("given_on", "When the consent was given", is_date=True),
    }
    sorts = {"date": "given_on", "status": "status", "category": "consent_type"}
    error_paths = {
        "given_on": "Consent.dateTime",
        "expires_on": "Consent.provision.period.end",
        "recipient": "Consent.provision.actor",
        "recipient_user": "Consent.provision.actor.reference",
        "consent_type": "Consent.category",
    }

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("recipient_user", "patient")

    def render(self, row: Any) -> dict[str, Any]:
        return labelled(super().render(row), row.sensitivity)

    def to_fhir(self, row: Consent) -> dict[str, Any]:
        kind = ConsentType(row.consent_type)
        scope, scope_label = SCOPES[kind]
        actor: list[dict[str, Any]] = []
        recipient = row.recipient_user
        if recipient is not None or row.recipient:
            actor.append(
                {
                    "role": concept(PARTICIPATION, "IRCP", "information recipient"),
                    "reference": ref("Practitioner", recipient.pk, recipient.display_name())
                    if recipient is not None
                    else {"display": row.recipient},
                }
            )
        extensions = [{"url": METHOD, "valueCode": row.method}]
        if row.scope_note:
            extensions.append({"url": SCOPE_NOTE, "valueString": row.scope_note})
        return compact(
            {
                "extension": extensions,
                "status": row.status,
                "scope": concept(SCOPE_SYSTEM, scope, scope_label),
                "category": [
                    concept(CONSENT_TYPE_SYSTEM, kind.value, kind.label),
                    concept(LOINC, PATIENT_CONSENT, "Patient Consent"),
                ],
                "patient": ref("Patient", row.patient_id),
                "dateTime": day(row.given_on),
                "performer": [ref("Patient", row.patient_id)],
                "organization": [ref("Organization", row.patient.organization_id)],
                "policy": [{"authority": "https://www.ecfr.gov", "uri": PART2_URL}]
                if kind == T.PART2
                else [],
                "policyRule": self._rule(kind),
                "provision": compact(
                    {"type": "permit", "period": period(row.given_on, row.expires_on), "actor": actor}
                ),
            }
        )

    def _rule(self, kind: ConsentType) -> dict[str, Any]:
        if kind == T.PART2:
            return concept(ACT_CODE, "42CFRPart2", "42 CFR Part2")
        if kind == T.SHARING:
            return concept(POLICY_CODES, "hipaa-auth", "HIPAA Authorization")
        return concept(ACT_CODE, "OPTIN", "opt-in")

    # --- writing ---------------------------------------------------------------------------------------------
    def create(self, caller: Caller, resource: dict[str, Any]) -> Consent:
        # A patient who does not exist and one the caller may not see answer alike (404): a create must not tell
        # which ids are patients.
        patient = visible_patient(caller, resource.get("patient"), "Consent.patient")
        status = resource.get("status")
        if status not in (ConsentStatus.ACTIVE, ConsentStatus.REJECTED):
            raise refused("Consent.status", "A new consent is active, or rejected when the patient refused.")
        kind = self._kind(resource)
        provision = resource.get("provision") or {}
        window = provision.get("period") or {}
        given = parse_day(resource.get("dateTime") or window.get("start"), "Consent.dateTime")
        if given is None:
            raise refused("Consent.dateTime", "Consent.dateTime (when the consent was given) is required.")
        ext = {e.get("url"): e for e in resource.get("extension") or [] if isinstance(e, dict)}
        method = ext.get(METHOD, {}).get("valueCode", ConsentMethod.VERBAL)
        if method not in ConsentMethod.values:
            raise refused(
                f"Consent.extension('{METHOD}')",
                f"The consent method is one of {', '.join(ConsentMethod.values)}.",
            )
        recipient, recipient_user = self._recipient(caller, provision)
        return do_record_consent(
            caller.user,
            patient,
            consent_type=kind,
            method=ConsentMethod(method),
            given_on=given,
            expires_on=parse_day(window.get("end"), "Consent.provision.period.end"),
            recipient=recipient,
            recipient_user=recipient_user,
            scope_note=str(ext.get(SCOPE_NOTE, {}).get("valueString") or "")[:300],
            refused=status == ConsentStatus.REJECTED,
        )

    def _kind(self, resource: dict[str, Any]) -> ConsentType:
        for category in resource.get("category") or []:
            for c in (category or {}).get("coding") or []:
                if c.get("system") == CONSENT_TYPE_SYSTEM and c.get("code") in ConsentType.values:
                    return ConsentType(c["code"])
        raise refused(
            "Consent.category",
            f"Consent.category needs a coding from {CONSENT_TYPE_SYSTEM}, one of: {', '.join(ConsentType.values)}.",
        )

    def _recipient(self, caller: Caller, provision: dict[str, Any]) -> tuple[str, User | None]:
        """The named recipient: a member of staff (Practitioner reference) or a person or body by name."""
        for i, actor in enumerate(provision.get("actor") or []):
            reference = actor.get("reference") or {}
            path = f"Consent.provision.actor[{i}].reference"
            if reference.get("reference"):
                key = reference_id(reference, "Practitioner", path) or 0
                user = (
                    User.objects.filter(pk=key, organization_id=caller.user.org_id)
                    .exclude(role=Role.PATIENT)
                    .first()
                )
                if user is None:
                    raise refused(path, f"{path} must be a member of your organisation's staff.")
                return "", user
            if reference.get("display"):
                return str(reference["display"])[:200], None
        return "", None
