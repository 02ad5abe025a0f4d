"""Lab results on the ADT feed (ORU^R01): each final or corrected OBX whose LOINC code is a measure kept here
(haemoglobin, sodium, HbA1c, glucose, weight …) becomes a lab reading on the patient, so the HOSPITAL score
and goals measured by it pick it up. Other results are named in the message's effect and not kept."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from careconductor.careplans.actions.readings import do_record_reading
from careconductor.careplans.choices import ReadingSource
from careconductor.careplans.measures import BY_LOINC
from careconductor.core import clock
from careconductor.patients.models import Patient

from . import rules
from .hl7v2 import AdtEvent, LabResult
from .models import Feed

KEPT_STATUSES = ("F", "C", "")  # final, corrected; a blank status is taken as final
# Units senders use that differ from ours: the factor to ours.
CONVERSIONS = {("haemoglobin", "g/l"): Decimal("0.1"), ("sodium", "meq/l"): Decimal(1)}


class ResultRefused(ValueError):
    """A result that cannot be kept as sent (a value that is not a number, units we cannot convert)."""


def record_results(feed: Feed, event: AdtEvent, patient: Patient, zone: str) -> str:
    """Keep the results that are measures here; the effect in words. ResultRefused for a bad one (the whole
    message is then not applied)."""
    kept, skipped = [], []
    for result in event.results:
        measure = BY_LOINC.get(result.code) if result.system in ("LN", "LOINC", "") else None
        if measure is None or not measure.numeric or measure.instrument or result.status not in KEPT_STATUSES:
            skipped.append(result.text or result.code)
            continue
        value = _value(result, measure.key, measure.unit)
        taken = rules.moment(result.observed_at, zone) or rules.moment(event.sent_at, zone) or clock.now()
        do_record_reading(
            feed.account,
            patient,
            measure_key=measure.key,
            value=value,
            taken_at=min(taken, clock.now()),
            source=ReadingSource.LAB,
            note=f"{feed.name}: {result.text or measure.label}"[:200],
        )
        kept.append(f"{measure.label} {value.normalize():f} {measure.unit}")
    words = f"{len(kept)} result(s) kept" + (f": {', '.join(kept)}" if kept else "")
    if skipped:
        words += f"; not kept here: {', '.join(skipped)}"
    return words


def _value(result: LabResult, key: str, unit: str) -> Decimal:
    try:
        value = Decimal(result.value.strip().lstrip("<>="))
    except InvalidOperation as exc:
        raise ResultRefused(
            f"OBX-5 of {result.text or result.code} is not a number: {result.value!r}."
        ) from exc
    if not value.is_finite():
        raise ResultRefused(f"OBX-5 of {result.text or result.code} is not a number: {result.value!r}.")
    sent = result.units.strip().lower()
    if not sent or sent == unit.lower():
        return value
    factor = CONVERSIONS.get((key, sent))
    if factor is None:
        raise ResultRefused(f"{result.text or result.code} in {result.units} cannot be kept in {unit}.")
    return value * factor
