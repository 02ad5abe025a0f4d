"""A population's FHIR resources read into rows (issue 22): one NDJSON line of a Bulk Data export (or one entry of a
Bundle) becomes the row a member, their coverage, a condition or an encounter is kept as, or a RowProblem saying
what is wrong with it. Pure: no database; population/importing.py resolves the references and writes the rows.

Read, of each type, what the product keeps (R4; anything else is ignored):
- Patient: `id` (the key of the source), name (family and given: a member needs both), birthDate, gender,
  telecom (phone, e-mail), address (first line, city, state, postal code), communication's first language,
  deceased[x].
- Coverage: `id`, beneficiary (Patient/<id> of the same source), period.start (required) and end, subscriberId
  (the member ID), payor's display, the first class's name (the plan), type (Medicare, Medicaid, Medicare
  Advantage, dual, commercial, self-pay, by code or words).
- Condition: `id`, subject, an ICD-10-CM code (system http://hl7.org/fhir/sid/icd-10-cm; one without is left
  out and counted: NotCoded), clinicalStatus, onsetDateTime or onsetPeriod.start; a substance use disorder, or a 42CFRPart2 label in meta.security, is kept
  as a Part 2 record.
- Observation: `id`, subject, a LOINC code of a measure kept here (HbA1c 4548-4, haemoglobin 718-7, sodium 2951-2,
  body weight 29463-7, blood sugar 41653-7, systolic 8480-6 and diastolic 8462-4 pressure, …: careplans.measures,
  not the scores of questionnaires), valueQuantity in that measure's unit, effectiveDateTime (or effectivePeriod's
  start, or issued); status final, amended or corrected. Observations of other codes, panels and results not final
  are left out and counted (NotKept), as conditions without an ICD-10-CM code are.
- Encounter: `id`, subject, class (IMP, EMER, OBSENC, AMB, HH, VR, with the v3 synonyms ACUTE and NONAC), period
  (start required), serviceProvider's display (the facility), reasonCode's text or first display,
  hospitalization.dischargeDisposition (the HL7 codes home, snf, rehab, hosp, exp, aadvice, …)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from careconductor.careplans.choices import ReadingSource
from careconductor.careplans.measures import BY_LOINC, LOINC
from careconductor.fhir.mappers.reading import CATEGORIES
from careconductor.patients.choices import (
    ClinicalStatus,
    CoverageKind,
    DischargeDisposition,
    EncounterClass,
    Sex,
)
from careconductor.privacy.choices import Sensitivity
from careconductor.privacy.codes import label_of_diagnoses

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
TYPES = ("Patient", "Coverage", "Condition", "Encounter", "Observation")  # in the order a folder is imported
MAX_ID = 64


class RowProblem(ValueError):
    """What is wrong with one resource, in words for the import's report."""


class NotCoded(RowProblem):
    """A resource the product keeps nothing of: a condition without an ICD-10-CM code (SNOMED CT alone, as Synthea
    writes them), an observation of a code that is not a measure kept here or not final. Left out and counted, not
    a fault of the file."""


@dataclass(frozen=True)
class MemberRow:
    key: str
    given_name: str
    family_name: str
    birth_date: dt.date
    sex: str
    phone: str
    email: str
    address_line: str
    city: str
    state: str
    postal_code: str
    preferred_language: str
    deceased_date: dt.date | None


@dataclass(frozen=True)
class CoverageRow:
    key: str
    member: str  # the Patient id of the same source
    kind: str
    payer: str
    plan_name: str
    member_id: str
    start_date: dt.date
    end_date: dt.date | None


@dataclass(frozen=True)
class ConditionRow:
    key: str
    member: str
    icd10_code: str
    display: str
    clinical_status: str
    onset_date: dt.date | None
    sensitivity: str


@dataclass(frozen=True)
class EncounterRow:
    key: str
    member: str
    encounter_class: str
    facility: str
    start: dt.datetime
    end: dt.datetime | None
    reason: str
    discharge_disposition: str


@dataclass(frozen=True)
class ObservationRow:
    key: str
    member: str
    measure: str  # careplans.measures key
    value: Decimal
    taken_at: dt.datetime
    source: str  # ReadingSource: lab for laboratory results, clinic for the rest


Row = MemberRow | CoverageRow | ConditionRow | EncounterRow | ObservationRow


def read(resource: Any) -> Row:
    """The row for one resource; RowProblem when it cannot be kept."""
    if not isinstance(resource, dict):
        raise RowProblem("Each line must be one JSON object (a FHIR resource).")
    kind = resource.get("resourceType")
    if kind not in READERS:
        raise RowProblem(f"resourceType {kind!r} is not imported (only {', '.join(TYPES)}).")
    return READERS[kind](resource)


def _id(resource: dict[str, Any]) -> str:
    value = resource.get("id")
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID or not value.isprintable():
        raise RowProblem(f"id must be the resource's id in the source (1 to {MAX_ID} characters).")
    return value.strip()


def _text(value: Any, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or "\x00" in value:
        raise RowProblem("a text element is not a string.")
    return value.strip()[:limit]


def _date(value: Any, what: str) -> dt.date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RowProblem(f"{what} is not a date.")
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise RowProblem(f"{what} is not a date (YYYY-MM-DD): {value[:30]!r}.") from None


def _moment(value: Any, what: str) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RowProblem(f"{what} is not a date and time.")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RowProblem(f"{what} is not a date and time: {value[:30]!r}.") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _codes(concept: Any) -> list[tuple[str, str, str]]:
    """(system, code, display) of a CodeableConcept's codings."""
    if not isinstance(concept, dict):
        return []
    return [
        (_text(c.get("system"), 200), _text(c.get("code"), 40), _text(c.get("display"), 200))
        for c in _list(concept.get("coding"))
    ]


def _member(reference: Any, what: str) -> str:
    """The source's Patient id of a reference "Patient/<id>" (or a full URL ending so)."""
    ref = _text(reference.get("reference") if isinstance(reference, dict) else None, 300)
    parts = ref.rstrip("/").split("/")
    if len(parts) < 2 or parts[-2] != "Patient" or not parts[-1]:
        raise RowProblem(f"{what} must refer to the member as Patient/<id>.")
    return parts[-1]


def read_patient(r: dict[str, Any]) -> MemberRow:
    names = _list(r.get("name"))
    official = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    family = _text(official.get("family"), 100)
    given = " ".join(_text(g, 50) for g in official.get("given") or [] if isinstance(g, str)).strip()[:100]
    if not family or not given:
        raise RowProblem("A member needs a family and a given name (name[0].family, name[0].given).")
    born = _date(r.get("birthDate"), "birthDate")
    if born is None:
        raise RowProblem("A member needs a birthDate.")
    gender = r.get("gender")
    sex = gender if gender in Sex.values else Sex.UNKNOWN.value
    telecom = _list(r.get("telecom"))
    phone = next((_text(t.get("value"), 40) for t in telecom if t.get("system") == "phone"), "")
    email = next((_text(t.get("value"), 254) for t in telecom if t.get("system") == "email"), "")
    address = (_list(r.get("address")) or [{}])[0]
    lines = [_text(line, 100) for line in address.get("line") or [] if isinstance(line, str)]
    language = next(
        (
            code[:2].lower()
            for c in _list(r.get("communication"))
            for _, code, _ in _codes(c.get("language"))
            if code
        ),
        "en",
    )
    deceased = r.get("deceasedDateTime")
    return MemberRow(
        key=_id(r),
        given_name=given,
        family_name=family,
        birth_date=born,
        sex=sex,
        phone=phone,
        email=email if "@" in email else "",
        address_line=", ".join(line for line in lines if line)[:200],
        city=_text(address.get("city"), 100),
        state=_text(address.get("state"), 40),
        postal_code=_text(address.get("postalCode"), 20),
        preferred_language=language,
        deceased_date=_date(deceased, "deceasedDateTime") if deceased else None,
    )


COVERAGE_KINDS = {
    "medicare": CoverageKind.MEDICARE,
    "medicare advantage": CoverageKind.MEDICARE_ADVANTAGE,
    "medicare_advantage": CoverageKind.MEDICARE_ADVANTAGE,
    "medicaid": CoverageKind.MEDICAID,
    "dual": CoverageKind.DUAL,
    "self_pay": CoverageKind.SELF_PAY,
    "pay": CoverageKind.SELF_PAY,  # v3 ActCode: self-pay
    "commercial": CoverageKind.COMMERCIAL,
}


def read_coverage(r: dict[str, Any]) -> CoverageRow:
    period = _dict(r.get("period"))
    start = _date(period.get("start"), "period.start")
    if start is None:
        raise RowProblem("A coverage needs period.start.")
    words = [w.lower() for _, code, display in _codes(r.get("type")) for w in (code, display) if w]
    words.append(_text(_dict(r.get("type")).get("text"), 100).lower())
    kind = next((COVERAGE_KINDS[w] for w in words if w in COVERAGE_KINDS), CoverageKind.COMMERCIAL)
    payors = _list(r.get("payor"))
    plans = _list(r.get("class"))
    return CoverageRow(
        key=_id(r),
        member=_member(r.get("beneficiary"), "beneficiary"),
        kind=kind.value,
        payer=(_text(payors[0].get("display"), 200) if payors else "") or "Unknown payer",
        plan_name=_text(plans[0].get("name") or plans[0].get("value"), 200) if plans else "",
        member_id=_text(r.get("subscriberId"), 60),
        start_date=start,
        end_date=_date(period.get("end"), "period.end"),
    )


def read_condition(r: dict[str, Any]) -> ConditionRow:
    coded = next(
        ((code, display) for system, code, display in _codes(r.get("code")) if system == ICD10CM and code),
        None,
    )
    if coded is None:
        raise NotCoded(f"A condition needs an ICD-10-CM code (system {ICD10CM}).")
    code, display = coded
    status = next((c for _, c, _ in _codes(r.get("clinicalStatus")) if c in ClinicalStatus.values), "active")
    onset = r.get("onsetDateTime")
    if onset is None and isinstance(r.get("onsetPeriod"), dict):
        onset = r["onsetPeriod"].get("start")
    meta = _dict(r.get("meta"))
    labels = {label.get("code") for label in _list(meta.get("security"))}
    sensitive = "42CFRPart2" in labels or label_of_diagnoses([code]) == Sensitivity.PART2
    return ConditionRow(
        key=_id(r),
        member=_member(r.get("subject"), "subject"),
        icd10_code=code.upper()[:10],
        display=(display or _text((r.get("code") or {}).get("text"), 200) or code)[:200],
        clinical_status=status,
        onset_date=_date(onset, "onsetDateTime"),
        sensitivity=Sensitivity.PART2.value if sensitive else Sensitivity.NORMAL.value,
    )


ENCOUNTER_CLASSES = {**{c: c for c in EncounterClass.values}, "ACUTE": "IMP", "NONAC": "IMP", "PRENC": "AMB"}
DISPOSITIONS = {
    "home": DischargeDisposition.HOME,
    "hh": DischargeDisposition.HOME_HEALTH,
    "snf": DischargeDisposition.SNF,
    "rehab": DischargeDisposition.REHAB,
    "hosp": DischargeDisposition.HOSPICE,
    "exp": DischargeDisposition.EXPIRED,
    "aadvice": DischargeDisposition.AMA,
    "other-hcf": DischargeDisposition.OTHER_FACILITY,
    "long": DischargeDisposition.OTHER_FACILITY,
    "alt-home": DischargeDisposition.HOME,
    "psy": DischargeDisposition.OTHER_FACILITY,
    "oth": DischargeDisposition.OTHER_FACILITY,
}


def read_encounter(r: dict[str, Any]) -> EncounterRow:
    klass = r.get("class")
    code = _text(klass.get("code") if isinstance(klass, dict) else None, 10).upper()
    if code not in ENCOUNTER_CLASSES:
        raise RowProblem(f"class {code or '(none)'} is not one of {', '.join(sorted(ENCOUNTER_CLASSES))}.")
    period = _dict(r.get("period"))
    start = _moment(period.get("start"), "period.start")
    if start is None:
        raise RowProblem("An encounter needs period.start.")
    end = _moment(period.get("end"), "period.end")
    if end is not None and end < start:
        raise RowProblem("period.end is before period.start.")
    provider = r.get("serviceProvider")
    reasons = _list(r.get("reasonCode"))
    reason = ""
    if reasons:
        reason = _text(reasons[0].get("text"), 200) or next((d for _, _, d in _codes(reasons[0]) if d), "")
    stay = _dict(r.get("hospitalization"))
    disposition = next(
        (
            DISPOSITIONS[c.lower()]
            for _, c, _ in _codes(stay.get("dischargeDisposition"))
            if c.lower() in DISPOSITIONS
        ),
        None,
    )
    return EncounterRow(
        key=_id(r),
        member=_member(r.get("subject"), "subject"),
        encounter_class=ENCOUNTER_CLASSES[code],
        facility=_text(provider.get("display") if isinstance(provider, dict) else None, 200),
        start=start,
        end=end,
        reason=reason[:200],
        discharge_disposition=disposition.value if disposition else "",
    )


FINAL = ("final", "amended", "corrected")
MAX_VALUE = Decimal("1000000")  # careplans.Reading keeps 9 digits, 2 after the point


def read_observation(r: dict[str, Any]) -> ObservationRow:
    measure = next(
        (BY_LOINC[code] for system, code, _ in _codes(r.get("code")) if system == LOINC and code in BY_LOINC),
        None,
    )
    if measure is None or not measure.numeric or measure.instrument:
        raise NotCoded("An observation needs the LOINC code of a measure kept here.")
    if r.get("status") not in FINAL:
        raise NotCoded(f"Only results with status {', '.join(FINAL)} are kept.")
    quantity = _dict(r.get("valueQuantity"))
    if quantity.get("code") not in (None, measure.unit):
        raise RowProblem(
            f"{measure.label} is kept in {measure.unit} (UCUM), not {_text(quantity.get('code'), 20)}."
        )
    raw = quantity.get("value")
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise RowProblem(f"valueQuantity.value must be a number in {measure.unit}.")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise RowProblem(f"valueQuantity.value is not a number: {str(raw)[:30]!r}.") from None
    if not value.is_finite() or not -MAX_VALUE < value < MAX_VALUE:
        raise RowProblem("valueQuantity.value is out of range.")
    effective = r.get("effectiveDateTime") or _dict(r.get("effectivePeriod")).get("start") or r.get("issued")
    taken_at = _moment(effective, "effectiveDateTime")
    if taken_at is None:
        raise RowProblem("An observation needs effectiveDateTime (or effectivePeriod.start, or issued).")
    return ObservationRow(
        key=_id(r),
        member=_member(r.get("subject"), "subject"),
        measure=measure.key,
        value=value.quantize(Decimal("0.01")),
        taken_at=taken_at,
        source=(
            ReadingSource.LAB
            if CATEGORIES.get(measure.key, ("",))[0] == "laboratory"
            else ReadingSource.CLINIC
        ).value,
    )


READERS: dict[str, Callable[[dict[str, Any]], Row]] = {
    "Patient": read_patient,
    "Coverage": read_coverage,
    "Condition": read_condition,
    "Encounter": read_encounter,
    "Observation": read_observation,
}
