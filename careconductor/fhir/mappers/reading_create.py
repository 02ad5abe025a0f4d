"""Observation create: a lab result or a vital sign from a partner (a lab, a hospital, a device hub) becomes a
reading (careplans.Reading through careplans.actions.do_record_reading), served back as `reading-<pk>`.

Accepted: status final, amended or corrected; category laboratory or vital-signs (or none); a LOINC code that is
a measure kept here (haemoglobin 718-7, sodium 2951-2, HbA1c 4548-4, glucose 41653-7, body weight 29463-7, …)
with `valueQuantity` in its unit (UCUM code), or the blood pressure panel 85354-9 with systolic 8480-6 and
diastolic 8462-4 components; `effectiveDateTime`. Anything else is a 422 naming the rule (docs/fhir.md)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from careconductor.careplans.actions.readings import do_record_reading
from careconductor.careplans.choices import ReadingSource
from careconductor.careplans.measures import BY_LOINC, LOINC, MEASURES
from careconductor.careplans.models import Reading

from ..auth import Caller
from .common import parse_moment, refused, visible_patient
from .reading import BP_PANEL, CATEGORIES, CATEGORY, DIASTOLIC, SYSTOLIC

STATUSES = ("final", "amended", "corrected")


def create_reading(caller: Caller, resource: dict[str, Any]) -> Reading:
    if resource.get("status") not in STATUSES:
        raise refused("Observation.status", f"Only results with status {', '.join(STATUSES)} are kept.")
    patient = visible_patient(caller, resource.get("subject"), "Observation.subject")
    taken_at = parse_moment(resource.get("effectiveDateTime"), "Observation.effectiveDateTime")
    if taken_at is None:
        raise refused("Observation.effectiveDateTime", "Give when it was measured as effectiveDateTime.")
    code = _loinc(resource.get("code"), "Observation.code")
    values: list[tuple[str, Decimal]]
    if code == BP_PANEL:
        values = [(key, _component(resource, key)) for key in (SYSTOLIC, DIASTOLIC)]
    else:
        measure = BY_LOINC.get(code)
        if measure is None or not measure.numeric or measure.instrument:
            raise refused(
                "Observation.code",
                "Observation.code is not a measure kept here: see docs/fhir.md for the LOINC codes accepted.",
            )
        values = [
            (measure.key, _quantity(resource.get("valueQuantity"), measure.key, "Observation.valueQuantity"))
        ]
    kind = CATEGORIES.get(values[0][0], ("", ""))[0]
    categories = {
        c.get("code")
        for item in resource.get("category") or []
        for c in item.get("coding") or []
        if c.get("system") == CATEGORY
    }
    if categories and kind not in categories:
        raise refused("Observation.category", f"This code is kept as {kind or 'no category'}.")
    source = ReadingSource.LAB if kind == "laboratory" else ReadingSource.CLINIC
    note = next((n.get("text", "") for n in resource.get("note") or [] if n.get("text")), "")
    rows = [
        do_record_reading(
            caller.user, patient, measure_key=key, value=value, taken_at=taken_at, source=source, note=note
        )
        for key, value in values
    ]
    return rows[0]


def _loinc(concept: Any, path: str) -> str:
    codes = [c.get("code") for c in (concept or {}).get("coding") or [] if c.get("system") == LOINC]
    if not codes or not codes[0]:
        raise refused(path, f"{path} needs a LOINC coding ({LOINC}).")
    return str(codes[0])


def _component(resource: dict[str, Any], key: str) -> Decimal:
    wanted = MEASURES[key].loinc
    for component in resource.get("component") or []:
        if _loinc(component.get("code"), "Observation.component.code") == wanted:
            return _quantity(component.get("valueQuantity"), key, "Observation.component.valueQuantity")
    raise refused("Observation.component", f"A blood pressure needs both components ({wanted} missing).")


def _quantity(quantity: Any, key: str, path: str) -> Decimal:
    unit = MEASURES[key].unit
    if not isinstance(quantity, dict) or quantity.get("value") is None:
        raise refused(path, f"{path} needs a value in {unit}.")
    if quantity.get("code") not in (None, unit):
        raise refused(path, f"{MEASURES[key].label} is kept in {unit} (UCUM), not {quantity.get('code')}.")
    try:
        return Decimal(str(quantity["value"]))
    except InvalidOperation as exc:
        raise refused(path, f"{path}.value is not a number.") from exc
