"""A health plan's claims or encounter file as CSV (issue 22): one line a claim, read into the same rows as a Bulk
Data export's Encounter and Condition (fhir_rows): the visit, and an active condition for each of its diagnoses.
Pure.

Columns (a header line names them; their order is free, other columns are ignored):
- required: member_id (as in the eligibility file: the member must have come from the same source), claim_id,
  service_date;
- optional: discharge_date (or service_end), setting (inpatient, emergency, office, outpatient, telehealth, home,
  or the FHIR classes IMP, EMER, AMB, VR, HH, or a place-of-service code: 21 inpatient, 23 emergency, 02/10
  telehealth, 12 home, any other office), facility, discharge_disposition (home, snf, home health, rehab, hospice,
  expired, ama), diagnosis_1 … diagnosis_12 (ICD-10-CM, with or without the dot; the first is the visit's reason).
Dates as YYYY-MM-DD or MM/DD/YYYY. A diagnosis seen on several claims is one condition of the member (from the
earliest claim); a substance use disorder code is kept as a 42 CFR Part 2 record (privacy.codes)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from careconductor.patients.choices import DischargeDisposition, EncounterClass
from careconductor.patients.rules import is_icd10_cm
from careconductor.privacy.codes import label_of_diagnoses

from .eligibility import date_in, text_in
from .fhir_rows import ConditionRow, EncounterRow, RowProblem

REQUIRED = ("member_id", "claim_id", "service_date")
DIAGNOSES = tuple(f"diagnosis_{n}" for n in range(1, 13))
SETTINGS = {
    "inpatient": EncounterClass.INPATIENT, "imp": EncounterClass.INPATIENT, "21": EncounterClass.INPATIENT,
    "emergency": EncounterClass.EMERGENCY, "emer": EncounterClass.EMERGENCY, "er": EncounterClass.EMERGENCY,
    "23": EncounterClass.EMERGENCY,
    "telehealth": EncounterClass.VIRTUAL, "vr": EncounterClass.VIRTUAL, "02": EncounterClass.VIRTUAL,
    "10": EncounterClass.VIRTUAL,
    "home": EncounterClass.HOME, "hh": EncounterClass.HOME, "12": EncounterClass.HOME,
    "office": EncounterClass.AMBULATORY, "outpatient": EncounterClass.AMBULATORY, "amb": EncounterClass.AMBULATORY,
    "": EncounterClass.AMBULATORY,
}  # fmt: skip
DISPOSITIONS: dict[str, str] = {
    "": "", "home": DischargeDisposition.HOME.value, "snf": DischargeDisposition.SNF.value,
    "home health": DischargeDisposition.HOME_HEALTH.value, "hh": DischargeDisposition.HOME_HEALTH.value,
    "rehab": DischargeDisposition.REHAB.value, "hospice": DischargeDisposition.HOSPICE.value,
    "expired": DischargeDisposition.EXPIRED.value, "ama": DischargeDisposition.AMA.value,
}  # fmt: skip


@dataclass(frozen=True)
class ClaimLine:
    encounter: EncounterRow
    conditions: tuple[ConditionRow, ...]


def is_claims(header: list[str]) -> bool:
    """Whether a CSV's header is a claims file's (it names claim_id) rather than an eligibility file's."""
    return "claim_id" in {h.strip().lower() for h in header}


def missing_columns(header: list[str]) -> list[str]:
    names = {h.strip().lower() for h in header}
    return [c for c in REQUIRED if c not in names]


def _setting(text: str) -> str:
    key = text.strip().lower()
    if key in SETTINGS:
        return SETTINGS[key].value
    if key.isascii() and key.isdigit() and len(key) == 2:  # another place-of-service code: an office visit
        return EncounterClass.AMBULATORY.value
    raise RowProblem(f"setting {text[:20]!r} is not one of inpatient, emergency, office, telehealth, home.")


def _diagnosis(text: str, column: str) -> str:
    code = text.strip().upper()
    if "." not in code and len(code) > 3:
        code = f"{code[:3]}.{code[3:]}"
    if not is_icd10_cm(code):
        raise RowProblem(f"{column} {text[:12]!r} is not an ICD-10-CM code.")
    return code


def read_line(raw: dict[str, str | None]) -> ClaimLine:
    row = {(k or "").strip().lower(): (v or "") for k, v in raw.items() if isinstance(v, str) or v is None}
    member, claim = text_in(row, "member_id", 60), text_in(row, "claim_id", 60)
    if not member or not claim:
        raise RowProblem("A claim needs a member_id and a claim_id.")
    start = date_in(row.get("service_date", ""), "service_date")
    if start is None:
        raise RowProblem("A claim needs a service_date.")
    end = date_in(row.get("discharge_date") or row.get("service_end") or "", "discharge_date")
    if end is not None and end < start:
        raise RowProblem("discharge_date is before service_date.")
    disposition = text_in(row, "discharge_disposition", 40).lower()
    if disposition not in DISPOSITIONS:
        raise RowProblem(
            f"discharge_disposition {disposition[:20]!r} is not one of {', '.join(d for d in DISPOSITIONS if d)}."
        )
    codes = [_diagnosis(row[c], c) for c in DIAGNOSES if row.get(c, "").strip()]
    at = dt.datetime.combine(start, dt.time(), dt.UTC)
    encounter = EncounterRow(
        key=claim,
        member=member,
        encounter_class=_setting(row.get("setting", "")),
        facility=text_in(row, "facility", 200),
        start=at,
        end=dt.datetime.combine(end, dt.time(), dt.UTC) if end is not None else None,
        reason=codes[0] if codes else "",
        discharge_disposition=DISPOSITIONS[disposition],
    )
    conditions = tuple(
        ConditionRow(
            key=f"dx:{member}:{code}",
            member=member,
            icd10_code=code,
            display=code,
            clinical_status="active",
            onset_date=start,
            sensitivity=label_of_diagnoses([code]).value,
        )
        for code in dict.fromkeys(codes)
    )
    return ClaimLine(encounter, conditions)
