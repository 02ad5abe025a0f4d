"""List: a medication reconciliation (medications.Reconciliation) and its lines, read-only (reconciliations are
made on the reconciliation screen).

Why List and not Provenance: a Provenance says who did what to *other* resources and when; it has no place for
the thing a reconciliation is, a line-by-line comparison of two medication lists with a decision on each
medicine (including medicines on neither resource any more, such as one the patient says they stopped). A List
holds exactly that: one entry per medicine, entry.flag the decision, entry.deleted the medicines taken off, and
its source, date, encounter and note carry who reconciled it, when, for which stay and with whom.

mode is `changes` whether in progress or completed: the FHIR definition of it ("a point-in-time list that shows
what changes have been made or recommended, e.g. a discharge medication list showing what was added and removed
during an encounter") is what a reconciliation is, and R4 allows entry.deleted only in that mode (invariant
lst-2), which a stopped medicine needs. status is `current` for both: a reconciliation stays an accurate part
of the record once completed (`retired` is for a list no longer accurate; none here is entered in error); where
it stands (in progress or completed) is the extension reconciliation-status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import DateTimeField, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from careconductor.medications.choices import Decision, Discrepancy, ReconciliationStatus
from careconductor.medications.models import DischargeMedication, Reconciliation, ReconciliationLine

from .. import params
from ..auth import Caller
from ..registry import READ_ONLY, Mapper, SearchParam, register
from .common import EXT, coding, compact, concept, moment, ref

LOINC = "http://loinc.org"
# LOINC 10160-0 "History of Medication use Narrative" is the code of the medications section of a C-CDA document
# and of the medication List of the Data Access Framework/US Core work; IHE RECON marks a reconciled list as that
# medications section reconciled, and LOINC has no code for the reconciliation act itself that systems use on a
# List. So the list is coded as what it is, a medication list, with the FHIR example list code `medications` too.
MEDICATION_HISTORY = "10160-0"
LIST_USE = "http://terminology.hl7.org/CodeSystem/list-example-use-codes"
LIST_STATUS = "http://hl7.org/fhir/list-status"
DECISION = "https://careconductor.org/fhir/CodeSystem/reconciliation-decision"
DISCREPANCY = "https://careconductor.org/fhir/CodeSystem/reconciliation-discrepancy"
DISCREPANCY_EXT = EXT + "reconciliation-discrepancy"
STATUS_EXT = EXT + "reconciliation-status"
STATUS_CODES = "https://careconductor.org/fhir/CodeSystem/reconciliation-status"
CURRENT, CHANGES = "current", "changes"
# meta.lastUpdated: the latest change of the reconciliation or one of its lines.
LAST_CHANGE = "fhir_last_updated"
# List.date: when it was completed, else started.
DATE = "fhir_date"
CODES = {(LOINC, MEDICATION_HISTORY), (LIST_USE, "medications")}


def _status(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|")
    # Every reconciliation here is current. Not Q(): an empty Q vanishes when ORed.
    found = Q(pk__isnull=False) if system in ("", LIST_STATUS) and code == CURRENT else Q(pk__in=[])
    return ~found if modifier == "not" else found


def _code(modifier: str, value: str, caller: Caller) -> Q:
    system, bar, code = value.rpartition("|")
    matches = any(code == c and (not bar or not system or system == s) for s, c in CODES)
    return Q(pk__isnull=False) if matches else Q(pk__in=[])


def _latest_line() -> Coalesce:
    rows = (
        ReconciliationLine.objects.filter(reconciliation=OuterRef("pk"))
        .values("reconciliation")
        .annotate(last=Max("updated_at"))
        .values("last")
    )
    return Coalesce(Subquery(rows, output_field=DateTimeField()), F("updated_at"))


@register
class ReconciliationListMapper(Mapper):
    resource_type = "List"
    model = Reconciliation
    interactions = READ_ONLY
    patient_field = "patient"
    description = (
        "Medication reconciliations of the patients the caller may see (read-only): code LOINC "
        f"{MEDICATION_HISTORY} (and {LIST_USE} medications), mode changes, status current; the extension "
        f"{STATUS_EXT} says in-progress or completed. date is when it was completed (else started), source who "
        "completed (else started) it, encounter the stay, note who took part. One entry per medicine: item the "
        "MedicationStatement when it is on the patient's own list, else the discharge list's MedicationRequest, "
        f"else its name; flag the decision ({DECISION}: continue, stop, change-dose, new); deleted true when "
        f"stopped; the extension {DISCREPANCY_EXT} the discrepancy found ({DISCREPANCY})."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient whose medicines were reconciled"),
        "subject": params.reference("patient_id", "Patient", "The patient whose medicines were reconciled"),
        "encounter": params.reference("encounter_id", "Encounter", "The stay it reconciled the discharge of"),
        "status": SearchParam(
            "token",
            f"current ({LIST_STATUS}): every reconciliation here",
            _status,
            modifiers=frozenset({"not"}),
        ),
        "code": SearchParam(
            "token", f"{LOINC}|{MEDICATION_HISTORY} or {LIST_USE}|medications (every reconciliation)", _code
        ),
        "date": params.date(DATE, "When it was completed, or started while in progress"),
        "_lastUpdated": params.date(LAST_CHANGE, "When the reconciliation or one of its lines last changed"),
    }
    sorts = {"date": DATE, "_lastUpdated": LAST_CHANGE}
    tracked = {ReconciliationLine: lambda line: str(line.reconciliation_id)}

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return (
            qs.select_related("patient", "started_by", "completed_by")
            .prefetch_related(
                Prefetch(
                    "lines",
                    queryset=ReconciliationLine.objects.order_by("pk").prefetch_related(
                        Prefetch("discharge_orders", queryset=DischargeMedication.objects.order_by("pk"))
                    ),
                )
            )
            .annotate(
                **{DATE: Coalesce(F("completed_at"), F("started_at"))},
                **{LAST_CHANGE: _latest_line()},
            )
        )

    # --- versions --------------------------------------------------------------------------------------------
    def version_id(self, row: Reconciliation) -> str:
        # Lines are never deleted, so the reconciliation's version plus its lines' versions and their number
        # grows with every change: a new line adds at least 2, a change to one adds 1.
        lines = list(row.lines.all())
        return str(row.version + sum(line.version for line in lines) + len(lines))

    def last_updated(self, row: Reconciliation) -> dt.datetime:
        annotated = getattr(row, LAST_CHANGE, None)
        if annotated is not None:
            return max(annotated, row.updated_at)
        return max([row.updated_at, *(line.updated_at for line in row.lines.all())])

    # --- rendering -------------------------------------------------------------------------------------------
    def to_fhir(self, row: Reconciliation) -> dict[str, Any]:
        status = ReconciliationStatus(row.status)
        who = row.completed_by or row.started_by
        return compact(
            {
                "extension": [
                    {
                        "url": STATUS_EXT,
                        "valueCoding": coding(STATUS_CODES, status.value, status.label),
                    }
                ],
                "status": CURRENT,
                "mode": CHANGES,
                "title": "Medication reconciliation",
                "code": {
                    "coding": [
                        coding(LOINC, MEDICATION_HISTORY, "History of Medication use Narrative"),
                        coding(LIST_USE, "medications", "Medication List"),
                    ],
                    "text": "Medication reconciliation",
                },
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "encounter": ref("Encounter", row.encounter_id) if row.encounter_id else None,
                "date": moment(row.completed_at or row.started_at),
                "source": ref("Practitioner", who.pk, who.display_name()),
                "note": [{"text": f"Who took part: {row.participants}"}] if row.participants else [],
                "entry": [_entry(line) for line in row.lines.all()],
                "emptyReason": None if row.lines.all() else {"text": "Nothing to reconcile yet"},
            }
        )


def _entry(line: ReconciliationLine) -> dict[str, Any]:
    orders = list(line.discharge_orders.all())
    if line.medication_id is not None:
        item = ref("MedicationStatement", line.medication_id, line.name)
    elif orders:
        item = ref("MedicationRequest", orders[-1].pk, line.name)
    else:
        item = {"display": line.name}
    flag: dict[str, Any] = {"text": "Not decided yet"}
    if line.decision:
        decision = Decision(line.decision)
        words = decision.label + (f" to {line.new_dose}" if line.new_dose else "")
        flag = concept(DECISION, decision.value, decision.label, text=words)
    found = Discrepancy(line.discrepancy)
    return compact(
        {
            "extension": [
                {"url": DISCREPANCY_EXT, "valueCoding": coding(DISCREPANCY, found.value, found.label)}
            ]
            if found != Discrepancy.NONE
            else [],
            "flag": flag,
            "deleted": True if line.decision == Decision.STOP else None,
            "item": item,
        }
    )
