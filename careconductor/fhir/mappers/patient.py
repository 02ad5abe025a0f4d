from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.core.languages import LANGUAGES
from careconductor.patients.actions import (
    PatientDetails,
    do_set_identifiers,
    do_update_patient,
    possible_duplicates,
)
from careconductor.patients.choices import MRN_SYSTEM, ContactMethod, IdentifierUse, LearningPreference, Sex
from careconductor.patients.models import Patient, PatientIdentifier
from careconductor.privacy import audit, policy

from .. import params
from ..auth import Caller
from ..errors import FhirError, issue
from ..registry import READ_WRITE, Mapper, SearchParam, numeric_id, register
from .common import EXT, compact, day, parse_day, ref, refused

INTERPRETER = "http://hl7.org/fhir/StructureDefinition/patient-interpreterRequired"
GENDER_IDENTITY = "http://hl7.org/fhir/StructureDefinition/patient-genderIdentity"
LEARNING = EXT + "learning-preference"
LITERACY = EXT + "health-literacy-concern"
CONTACT_TIMES = EXT + "preferred-contact-times"
CONTACT_METHOD = EXT + "preferred-contact-method"
BCP47 = "urn:ietf:bcp:47"


def _identifier(modifier: str, value: str, caller: Caller) -> Q:
    system, bar, code = value.rpartition("|") if "|" in value else ("", "", value)
    rows = PatientIdentifier.objects.filter(value=code)
    if bar and system:
        rows = rows.filter(system=system)
    return Q(pk__in=rows.values("patient_id"))


def _name(fields: list[str], description: str) -> SearchParam:
    return params.string(fields, description)


def _phone(modifier: str, value: str, caller: Caller) -> Q:
    return Q(phone=value) | Q(email__iexact=value)


@register
class PatientMapper(Mapper):
    resource_type = "Patient"
    model = Patient
    interactions = READ_WRITE
    patient_field = "pk"
    description = (
        "Patients of the caller's organisation whom the caller may see (privacy.policy). A patient created "
        "here arrives as a referral to the caller's team, so it lands in intake."
    )
    params = {
        "identifier": SearchParam(
            "token", "An identifier: [system|]value (MRN system urn:careconductor:mrn)", _identifier
        ),
        "name": _name(["given_name", "family_name", "preferred_name"], "Any part of the name, starts with"),
        "family": _name(["family_name"], "Family name, starts with"),
        "given": _name(["given_name"], "Given name, starts with"),
        "birthdate": params.date("birth_date", "Date of birth", is_date=True),
        "gender": params.token(
            "sex",
            "Administrative gender",
            system="http://hl7.org/fhir/administrative-gender",
            codes={s.value: s.value for s in Sex},
        ),
        "telecom": SearchParam("token", "Phone number or e-mail, exact", _phone),
        "language": params.token("preferred_language", "Preferred language (BCP-47 code)"),
    }
    sorts = {
        "family": "family_name,given_name",
        "given": "given_name",
        "birthdate": "birth_date",
        "name": "family_name,given_name",
    }
    tracked = {PatientIdentifier: lambda row: str(row.patient_id)}
    error_paths = {
        "given_name": "Patient.name.given",
        "family_name": "Patient.name.family",
        "birth_date": "Patient.birthDate",
        "identifier": "Patient.identifier",
    }

    def visible(self, caller: Caller) -> QuerySet[Any]:
        return self.with_related(policy.visible_patients(caller.user))

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.prefetch_related(
            "identifiers", Prefetch("merged_records", queryset=Patient.objects.only("pk", "merged_into_id"))
        )

    def get(self, caller: Caller, resource_id: str) -> Any:
        """A record merged into another answers too, to whoever may see the record that replaced it: inactive,
        with a `replaced-by` link (FHIR Patient.link), as an old reference to it deserves."""
        try:
            return super().get(caller, resource_id)
        except FhirError:
            key = numeric_id(resource_id)
            if key is None:
                raise
            kept = policy.visible_patients(caller.user).values("pk")
            found = self.with_related(Patient.objects.filter(pk=key, merged_into__in=kept)).first()
            if found is None:
                raise
            return found

    def patient_id(self, row: Any) -> int | None:
        return row.pk

    def to_fhir(self, row: Patient) -> dict[str, Any]:
        identifiers = sorted(row.identifiers.all(), key=lambda i: (i.system != MRN_SYSTEM, i.pk))
        names: list[dict[str, Any]] = [
            {"use": "official", "family": row.family_name, "given": [row.given_name]}
        ]
        if row.preferred_name:
            names.append({"use": "usual", "given": [row.preferred_name]})
        extensions: list[dict[str, Any]] = [{"url": INTERPRETER, "valueBoolean": row.interpreter_needed}]
        if row.gender_identity:
            extensions.append({"url": GENDER_IDENTITY, "valueCodeableConcept": {"text": row.gender_identity}})
        extensions += [{"url": LEARNING, "valueCode": p} for p in row.learning_preferences or []]
        extensions.append({"url": LITERACY, "valueBoolean": row.health_literacy_concern})
        extensions.append({"url": CONTACT_METHOD, "valueCode": row.preferred_contact_method})
        if row.preferred_contact_times:
            extensions.append({"url": CONTACT_TIMES, "valueString": row.preferred_contact_times})
        telecom = []
        if row.phone:
            telecom.append({"system": "phone", "value": row.phone})
        if row.email:
            telecom.append({"system": "email", "value": row.email})
        address = compact(
            {
                "line": [row.address_line] if row.address_line else [],
                "city": row.city,
                "state": row.state,
                "postalCode": row.postal_code,
            }
        )
        return compact(
            {
                "extension": extensions,
                "identifier": [
                    compact(
                        {
                            "use": "old" if i.use == IdentifierUse.OLD else None,
                            "system": i.system,
                            "value": i.value,
                            "type": {"text": i.label} if i.label else None,
                        }
                    )
                    for i in identifiers
                ],
                "active": row.merged_into_id is None,
                "name": names,
                "telecom": telecom,
                "gender": row.sex,
                "birthDate": day(row.birth_date),
                "deceasedDateTime": day(row.deceased_date),
                "address": [address] if address else [],
                "communication": [
                    {
                        "language": {"coding": [{"system": BCP47, "code": row.preferred_language}]},
                        "preferred": True,
                    }
                ],
                "managingOrganization": ref("Organization", row.organization_id),
                "link": self._links(row),
            }
        )

    def _links(self, row: Patient) -> list[dict[str, Any]]:
        """A merged record is `replaced-by` the record kept; the kept record `replaces` each merged into it."""
        links = [{"other": ref("Patient", p.pk), "type": "replaces"} for p in row.merged_records.all()]
        if row.merged_into_id is not None:
            links.insert(0, {"other": ref("Patient", row.merged_into_id), "type": "replaced-by"})
        return links

    # --- writing ---------------------------------------------------------------------------------------------
    def _details(self, resource: dict[str, Any]) -> PatientDetails:
        names = resource.get("name") or []
        official = next((n for n in names if n.get("use") in (None, "official")), None)
        if official is None or not official.get("family") or not official.get("given"):
            # R4 allows a Patient without them; case management cannot tell patients apart on worklists, in
            # duplicate checks and on letters without both (the screens ask for both too).
            where = "Patient.name.given" if official and official.get("family") else "Patient.name"
            raise refused(
                where,
                "CareConductor needs an official name with a family name and at least one given name "
                "(Patient.name.family and Patient.name.given) to tell patients apart.",
            )
        usual = next((n for n in names if n.get("use") == "usual" and n.get("given")), None)
        if not resource.get("birthDate"):
            raise refused(
                "Patient.birthDate",
                "CareConductor needs Patient.birthDate to tell patients apart and to match them to records.",
            )
        # R4 makes gender optional: a Patient without it is stored as "unknown", as administrative-gender says.
        gender = resource.get("gender", Sex.UNKNOWN.value)
        if gender not in Sex.values:
            raise refused("Patient.gender", f"Patient.gender must be one of {', '.join(Sex.values)}.")
        ext = {e.get("url"): e for e in resource.get("extension") or []}
        learning = [e.get("valueCode") for e in resource.get("extension") or [] if e.get("url") == LEARNING]
        if any(p not in LearningPreference.values for p in learning):
            raise refused(
                "Patient.extension", f"Learning preferences are {', '.join(LearningPreference.values)}."
            )
        method = ext.get(CONTACT_METHOD, {}).get("valueCode", ContactMethod.PHONE)
        if method not in ContactMethod.values:
            raise refused(
                "Patient.extension", f"Contact method must be one of {', '.join(ContactMethod.values)}."
            )
        telecom = resource.get("telecom") or []
        phone = next((t.get("value", "") for t in telecom if t.get("system") == "phone"), "")
        email = next((t.get("value", "") for t in telecom if t.get("system") == "email"), "")
        address = (resource.get("address") or [{}])[0]
        language = "en"
        for item in resource.get("communication") or []:
            for c in (item.get("language") or {}).get("coding") or []:
                if c.get("code"):
                    language = c["code"].split("-")[0].lower()
        if language not in dict(LANGUAGES):
            raise refused(
                "Patient.communication.language", f"{language!r} is not a language this system knows."
            )
        birth = parse_day(resource.get("birthDate"), "Patient.birthDate")
        assert birth is not None
        return PatientDetails(
            given_name=" ".join(official.get("given") or []),
            family_name=official.get("family", ""),
            preferred_name=" ".join(usual.get("given")) if usual else "",
            birth_date=birth,
            sex=Sex(gender),
            preferred_language=language,
            interpreter_needed=bool(ext.get(INTERPRETER, {}).get("valueBoolean", False)),
            phone=phone[:40],
            email=email,
            address_line=" ".join(address.get("line") or []),
            city=address.get("city", ""),
            state=address.get("state", ""),
            postal_code=address.get("postalCode", ""),
            preferred_contact_method=ContactMethod(method),
            preferred_contact_times=ext.get(CONTACT_TIMES, {}).get("valueString", ""),
            learning_preferences=learning,
            health_literacy_concern=bool(ext.get(LITERACY, {}).get("valueBoolean", False)),
            gender_identity=(ext.get(GENDER_IDENTITY, {}).get("valueCodeableConcept") or {}).get("text", ""),
        )

    def _identifiers(self, resource: dict[str, Any]) -> list[tuple[str, str, str]]:
        found = []
        for i, item in enumerate(resource.get("identifier") or []):
            if item.get("system") == MRN_SYSTEM:
                continue  # ours: assigned by this server, never taken from a client
            if not item.get("system") or not item.get("value"):
                raise refused(f"Patient.identifier[{i}]", "Each identifier needs a system and a value.")
            found.append((item["system"], item["value"], (item.get("type") or {}).get("text", "")[:50]))
        return found

    def check_create(
        self, caller: Caller, resource: dict[str, Any], *, not_duplicate_of: frozenset[str]
    ) -> None:
        """A Patient the registry probably holds already (patients.actions.possible_duplicates: the same birth
        date, or day and month swapped, with the same name, a nickname of it, or the same phone) is not
        created a second time: 409 Conflict, an OperationOutcome with one `duplicate` issue per candidate naming
        its reference. The client reads the candidate and uses it, or, when it is someone else, sends the
        create again with `X-Not-Duplicate-Of: Patient/<id>[, …]` naming every candidate."""
        details = self._details(resource)
        found = possible_duplicates(
            caller.user, details.given_name, details.family_name, details.birth_date, details.phone
        )
        pending = [p for p in found if f"Patient/{p.pk}" not in not_duplicate_of]
        if not pending:
            return
        audit.record_resource_reads(
            caller.user,
            [(p.pk, "Patient", str(p.pk)) for p in pending],
            detail="FHIR create: possible duplicate",
        )
        refs = ", ".join(f"Patient/{p.pk}" for p in pending)
        raise FhirError(
            409,
            f"This patient may be registered already ({refs}).",
            issues=[
                issue(
                    f"Patient/{p.pk} may be the same person (same birth date and name, nickname or phone). "
                    f"Use it, or if this is someone else, send the create again with the header "
                    f"X-Not-Duplicate-Of: {refs}.",
                    code="duplicate",
                    expression=["Patient"],
                )
                | {"details": {"text": f"Patient/{p.pk}"}}
                for p in pending
            ],
        )

    def create(self, caller: Caller, resource: dict[str, Any]) -> Patient:
        details = self._details(resource)
        patient = do_register_and_refer(
            caller.user,
            details,
            program=Program.COMPLEX,
            referral_source=ReferralSource.INTERFACE,
            referral_reason="Registered through the FHIR API",
            extra_identifiers=self._identifiers(resource),
        )
        return patient

    def update(self, caller: Caller, row: Patient, resource: dict[str, Any]) -> Patient:
        if row.merged_into_id is not None:
            raise FhirError(
                409,
                f"Patient/{row.pk} was merged into Patient/{row.merged_into_id}: change that record instead.",
                code="conflict",
            )
        patient = do_update_patient(caller.user, row, self._details(resource))
        return do_set_identifiers(caller.user, patient, self._identifiers(resource))
