"""MedicationStatement: the patient's own medication list (medications.Medication), what the care team lists for
the patient to take and when: read, searched and created (through medications.actions.do_add_medication).

status is worked out from the row and today: `stopped` once a stop reason is kept (statusReason the reason),
`completed` once its last day (end_date) is past, `active` otherwise (a course still to start is on the list
too, as Medication.current_on has it). The status search asks the same of the database as of today."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from careconductor.core import clock
from careconductor.medications.actions import do_add_medication
from careconductor.medications.models import Medication

from .. import params
from ..auth import Caller
from ..errors import bad_request
from ..registry import CREATE, READ_ONLY, Mapper, SearchParam, register
from .common import compact, day, moment, parse_day, ref, refused, visible_patient
from .reporters import person

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
STATUS = "http://hl7.org/fhir/CodeSystem/medication-statement-status"
ACTIVE, STOPPED, COMPLETED = "active", "stopped", "completed"


def status_of(row: Medication, today: dt.date) -> str:
    if row.stopped:
        return STOPPED
    if row.end_date is not None and row.end_date < today:
        return COMPLETED
    return ACTIVE


def _status(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|")
    today = clock.today()
    not_stopped = Q(stopped_reason="")
    found = {
        ACTIVE: not_stopped & (Q(end_date__isnull=True) | Q(end_date__gte=today)),
        STOPPED: ~not_stopped,
        COMPLETED: not_stopped & Q(end_date__lt=today),
    }.get(code)
    if found is None or system not in ("", STATUS):
        return Q(pk__in=[])
    return ~found if modifier == "not" else found


def day_period(start: str, end: str) -> SearchParam:
    """A date parameter over a period of calendar days [start, end] (end empty: still going), with the
    period semantics of FHIR search: `eq` overlaps the searched range, `sa` starts after it, `eb` ends before."""

    def build(modifier: str, value: str, caller: Caller) -> Q:
        prefix, text = params.split_prefix(value)
        low_at, high_at = params.date_range(text)
        low = low_at.date()
        high = high_at.date() if high_at.time() == dt.time(0) else high_at.date() + dt.timedelta(days=1)

        def open_from(first: dt.date) -> Q:
            return Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": first})

        match prefix:
            case "eq" | "ap":
                return Q(**{f"{start}__lt": high}) & open_from(low)
            case "ne":
                return Q(**{f"{start}__gte": high}) | Q(**{f"{end}__lt": low})
            case "gt":
                return open_from(high)
            case "ge":
                return open_from(low)
            case "lt":
                return Q(**{f"{start}__lt": low})
            case "le":
                return Q(**{f"{start}__lt": high})
            case "sa":
                return Q(**{f"{start}__gte": high})
            case "eb":
                return Q(**{f"{end}__lt": low})
        raise bad_request(f"Unknown prefix {prefix!r}.")

    return SearchParam("date", "The days it runs (from its first to its last day)", build)


@register
class MedicationStatementMapper(Mapper):
    resource_type = "MedicationStatement"
    model = Medication
    interactions = READ_ONLY | {CREATE}
    patient_field = "patient"
    description = (
        "The medication lists of the patients the caller may see: what the care team lists for the patient to "
        "take and when (not a prescribing record). status: stopped once stopped (statusReason the reason), "
        "completed once its last day is past, else active. medicationCodeableConcept.text is the name; "
        "dosage[0].text the dose, patientInstruction the instructions, timing.repeat.timeOfDay the daily dose "
        "times (none: asNeededBoolean); effectivePeriod its first and last day. create adds a medication to "
        "the list (status active; see docs/fhir.md)."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient whose list it is on"),
        "subject": params.reference("patient_id", "Patient", "The patient whose list it is on"),
        "status": SearchParam(
            "token",
            "active, stopped or completed (its last day past), as of today",
            _status,
            modifiers=frozenset({"not"}),
        ),
        "effective": day_period("start_date", "end_date"),
    }
    sorts = {"effective": "start_date", "patient": "patient_id"}
    error_paths = {
        "name": "MedicationStatement.medicationCodeableConcept",
        "dose": "MedicationStatement.dosage.text",
        "times": "MedicationStatement.dosage.timing.repeat.timeOfDay",
        "end_date": "MedicationStatement.effectivePeriod.end",
        "rxnorm": "MedicationStatement.medicationCodeableConcept.coding",
    }

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient", "added_by")

    def to_fhir(self, row: Medication) -> dict[str, Any]:
        status = status_of(row, clock.today())
        timing = {"repeat": {"timeOfDay": [f"{t}:00" for t in row.times]}} if row.times else None
        dosage = compact(
            {
                "text": row.dose,
                "patientInstruction": row.instructions,
                "timing": timing,
                "asNeededBoolean": True if not row.times else None,
            }
        )
        return compact(
            {
                "status": status,
                "statusReason": [{"text": row.stopped_reason}] if row.stopped else [],
                "medicationCodeableConcept": compact(
                    {
                        "coding": [{"system": RXNORM, "code": row.rxnorm}] if row.rxnorm else [],
                        "text": row.name,
                    }
                ),
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "effectivePeriod": compact({"start": day(row.start_date), "end": day(row.end_date)}),
                "dateAsserted": moment(row.created_at),
                "informationSource": person(row.added_by, row.patient),
                "dosage": [dosage],
            }
        )

    # --- writing ---------------------------------------------------------------------------------------------
    def create(self, caller: Caller, resource: dict[str, Any]) -> Medication:
        if resource.get("status") != ACTIVE:
            raise refused(
                "MedicationStatement.status",
                "A medication is added to the list as active; stop it on the chart's Medications page.",
            )
        patient = visible_patient(caller, resource.get("subject"), "MedicationStatement.subject")
        if "medicationReference" in resource:
            raise refused(
                "MedicationStatement.medicationReference",
                "Name the medication in medicationCodeableConcept (text or an RxNorm coding with its display).",
            )
        name = medication_name(resource.get("medicationCodeableConcept"))
        if not name:
            raise refused(
                "MedicationStatement.medicationCodeableConcept",
                "MedicationStatement.medicationCodeableConcept needs the name: text, or a coding's display.",
            )
        dosages = resource.get("dosage") or [{}]
        dosage = dosages[0]
        if len(dosages) > 1:
            raise refused("MedicationStatement.dosage", "Give one dosage: the list keeps one dose per line.")
        span = resource.get("effectivePeriod") or {}
        start = parse_day(span.get("start"), "MedicationStatement.effectivePeriod.start")
        end = parse_day(span.get("end"), "MedicationStatement.effectivePeriod.end")
        if start is None and resource.get("effectiveDateTime"):
            start = parse_day(resource["effectiveDateTime"], "MedicationStatement.effectiveDateTime")
        return do_add_medication(
            caller.user,
            patient,
            name=name,
            dose=str(dosage.get("text") or ""),
            instructions=str(dosage.get("patientInstruction") or ""),
            times=_times(dosage),
            start_date=start or clock.today(),
            end_date=end,
            rxnorm=rxnorm_code(resource.get("medicationCodeableConcept")),
        )


def medication_name(node: Any) -> str:
    """The name in a medication CodeableConcept: its text, else the display of an RxNorm coding, else of any."""
    if not isinstance(node, dict):
        return ""
    codings = node.get("coding") or []
    displays = [c.get("display", "") for c in codings if c.get("system") == RXNORM]
    displays += [c.get("display", "") for c in codings]
    return next(
        (str(text).strip() for text in [node.get("text"), *displays] if text and str(text).strip()), ""
    )


def rxnorm_code(node: Any) -> str:
    """The code of the concept's RxNorm coding, "" when it has none."""
    if not isinstance(node, dict):
        return ""
    codings = node.get("coding") or []
    return next(
        (
            str(c.get("code") or "").strip()
            for c in codings
            if isinstance(c, dict) and c.get("system") == RXNORM
        ),
        "",
    )


def _times(dosage: dict[str, Any]) -> list[str]:
    """timing.repeat.timeOfDay ("08:00:00") as the list keeps times ("08:00"); seconds other than :00 are
    refused, as the list keeps minutes."""
    path = "MedicationStatement.dosage.timing.repeat.timeOfDay"
    found = []
    for text in ((dosage.get("timing") or {}).get("repeat") or {}).get("timeOfDay") or []:
        value = str(text)
        if len(value) == 8 and value.endswith(":00"):
            value = value[:5]
        elif len(value) != 5:
            raise refused(path, f"{path} is a time of day to the minute, like 08:00:00 (not {text}).")
        found.append(value)
    return found
