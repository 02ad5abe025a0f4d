"""Medicines on the feed (issue 19, docs/hl7v2.md "Medicines on the feed"): the RXE/RXO segments of a discharge
(A03) are the stay's discharge list, kept through medications.actions so the stay's reconciliation takes them;
the RXD segments of a pharmacy's RDS^O13 are fills. Called by actions._apply inside the message's transaction,
as the feed's account; a bad segment refuses the whole message (AE)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.medications.actions import do_record_discharge_medication, do_record_pharmacy_fill
from careconductor.medications.choices import OrderSource
from careconductor.medications.models import DischargeMedication
from careconductor.patients.models import Encounter, Patient

from . import rules
from .hl7v2 import AdtEvent
from .models import Feed

RXNORM_SYSTEMS = ("RXNORM", "RXN")


def record_discharge_list(feed: Feed, event: AdtEvent, encounter: Encounter) -> str:
    """Keep the discharge message's medicines as the stay's discharge list; the effect in words ("" when the
    message has none). A medicine the feed already gave for this stay, as sent, is not kept twice (a corrected
    A03 repeats the list)."""
    if not event.medications:
        return ""
    already = set(
        DischargeMedication.objects.filter(encounter=encounter, source=OrderSource.HL7).values_list(
            "name", "dose", "says_stop"
        )
    )
    kept = []
    for number, order in enumerate(event.medications, start=1):
        name = (order.text or order.code).strip()
        dose = "" if order.says_stop else order.dose
        if (name[:200], dose[:200], order.says_stop) in already:
            continue
        try:
            do_record_discharge_medication(
                feed.account,
                encounter.patient,
                encounter=encounter,
                name=name,
                dose=dose,
                rxnorm=order.code if order.system in RXNORM_SYSTEMS else "",
                says_stop=order.says_stop,
                instructions=order.instructions,
                source=OrderSource.HL7,
                reference=f"{feed.name}, {event.control_id}",
            )
        except ActionRefused as refused:
            raise ActionRefused(f"Medication {number} on the discharge list: {refused}") from refused
        kept.append(name + (" (stop)" if order.says_stop else ""))
    return f"; discharge list: {', '.join(kept)}" if kept else "; discharge list already kept"


def record_fills(feed: Feed, event: AdtEvent, patient: Patient, zone: str) -> str:
    """Keep a dispense message's fills; the effect in words."""
    kept = []
    for number, dispense in enumerate(event.dispenses, start=1):
        when = rules.moment(dispense.dispensed_at, zone) or rules.moment(event.sent_at, zone) or clock.now()
        name = (dispense.text or dispense.code).strip()
        try:
            do_record_pharmacy_fill(
                feed.account,
                patient,
                name=name,
                rxnorm=dispense.code if dispense.system in RXNORM_SYSTEMS else "",
                filled_on=min(when, clock.now()).astimezone(ZoneInfo(zone)).date(),
                quantity=" ".join(p for p in (dispense.amount, dispense.units) if p),
                pharmacy=feed.name,
                reference=f"{feed.name}, {event.control_id}"
                + (f", prescription {dispense.prescription}" if dispense.prescription else ""),
            )
        except ActionRefused as refused:
            raise ActionRefused(f"Dispense {number} (RXD): {refused}") from refused
        kept.append(name)
    if not kept:
        raise ActionRefused("The dispense message has no RXD segment naming a medicine.")
    return f"{len(kept)} pharmacy fill(s) kept: {', '.join(kept)}"
