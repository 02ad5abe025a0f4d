"""Pure decisions about ADT messages: what their codes mean here, when a time is, and who a message may name.
No ORM, no I/O."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from careconductor.patients.choices import AdmissionType, DischargeDisposition, EncounterClass

from .hl7v2 import AdtEvent, Identifier

# PV1-2 patient class (HL7 table 0004) as the Encounter's class. Preadmits and unknown classes are visits too.
ENCOUNTER_CLASSES = {
    "I": EncounterClass.INPATIENT,
    "B": EncounterClass.INPATIENT,  # obstetrics
    "E": EncounterClass.EMERGENCY,
    "O": EncounterClass.AMBULATORY,
    "R": EncounterClass.AMBULATORY,  # recurring
    "P": EncounterClass.AMBULATORY,  # preadmit
    "C": EncounterClass.AMBULATORY,  # commercial account
    "N": EncounterClass.AMBULATORY,  # not applicable
    "U": EncounterClass.AMBULATORY,  # unknown
}

# PV1-36 discharge disposition (HL7 table 0112, the UB-04 patient status codes hospitals send). A code not here
# is stored as blank: the stay ended, where to is not known.
DISPOSITIONS = {
    "01": DischargeDisposition.HOME,
    "06": DischargeDisposition.HOME_HEALTH,
    "08": DischargeDisposition.HOME_HEALTH,  # home under a home IV provider
    "03": DischargeDisposition.SNF,
    "61": DischargeDisposition.SNF,  # swing bed
    "64": DischargeDisposition.SNF,  # nursing facility (Medicaid)
    "62": DischargeDisposition.REHAB,
    "50": DischargeDisposition.HOSPICE,
    "51": DischargeDisposition.HOSPICE,
    "07": DischargeDisposition.AMA,
    "20": DischargeDisposition.EXPIRED,
    "40": DischargeDisposition.EXPIRED,
    "41": DischargeDisposition.EXPIRED,
    "42": DischargeDisposition.EXPIRED,
    "02": DischargeDisposition.OTHER_FACILITY,
    "04": DischargeDisposition.OTHER_FACILITY,
    "05": DischargeDisposition.OTHER_FACILITY,
    "43": DischargeDisposition.OTHER_FACILITY,
    "63": DischargeDisposition.OTHER_FACILITY,
    "65": DischargeDisposition.OTHER_FACILITY,
    "66": DischargeDisposition.OTHER_FACILITY,
    "70": DischargeDisposition.OTHER_FACILITY,
}

# PV1-4 admission type (HL7 table 0007).
ADMISSION_TYPES = {
    "E": AdmissionType.EMERGENCY,
    "A": AdmissionType.EMERGENCY,  # accident
    "U": AdmissionType.URGENT,
    "R": AdmissionType.ELECTIVE,  # routine
    "C": AdmissionType.ELECTIVE,
}

# What each event does to the stay (docs/hl7v2.md).
ADMITS = ("A01", "A04")
EFFECT_WORDS = {
    "A01": "admitted",
    "A02": "transferred",
    "A03": "discharged",
    "A04": "registered",
    "A08": "visit updated",
    "A11": "admission cancelled",
    "A13": "discharge cancelled",
    "A40": "records merged",
}


def encounter_class(event: AdtEvent) -> str:
    """The Encounter class of the stay: an A04 registers an outpatient or emergency visit, never an admission."""
    kind = ENCOUNTER_CLASSES.get(event.patient_class, EncounterClass.AMBULATORY)
    if event.trigger == "A04" and kind == EncounterClass.INPATIENT:
        return EncounterClass.EMERGENCY if event.patient_class == "E" else EncounterClass.AMBULATORY
    return kind


def moment(value: dt.datetime | None, zone: str) -> dt.datetime | None:
    """An HL7 time as an aware datetime: with its own offset when it has one, else in the receiving
    organisation's time zone (a time without an offset is the sender's local time)."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(dt.UTC)


def visit_key(event: AdtEvent, zone: str) -> str:
    """The stay the message is about: PV1-19, else the admit time (a hospital that does not number visits
    sends the same PV1-44 for every event of a stay)."""
    if event.visit_number:
        return event.visit_number
    admitted = moment(event.admitted_at, zone)
    return f"admitted {admitted:%Y%m%d%H%M}" if admitted else ""


def hospital_mrn(event: AdtEvent, authority: str) -> str:
    """The MRN of the sending hospital: the PID-3 repetition with its assigning authority (or of type MR when
    the hospital sends no authority), else the first repetition."""
    chosen = _mrn(event.identifiers, authority)
    return chosen.value if chosen else ""


def _mrn(identifiers: tuple[Identifier, ...], authority: str) -> Identifier | None:
    for ident in identifiers:
        if authority and authority in (ident.authority, ident.authority_oid):
            return ident
    for ident in identifiers:
        if not ident.authority and ident.type_code in ("MR", ""):
            return ident
    return identifiers[0] if identifiers else None


def identifier_system(ident: Identifier) -> str:
    """The system an identifier from another authority is kept under (an OID as FHIR writes one)."""
    if ident.authority_oid:
        return f"urn:oid:{ident.authority_oid}"
    return f"urn:careconductor:hl7v2:{ident.authority}" if ident.authority else ""


def prior_mrn(event: AdtEvent, authority: str) -> str:
    """A40: the MRN the hospital retired (MRG-1), which the survivor in PID-3 replaces."""
    chosen = _mrn(event.merged_identifiers, authority)
    return chosen.value if chosen else ""
