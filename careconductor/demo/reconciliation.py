"""A medication reconciliation in progress for the demo (issue 19): casemanager's COPD patient, discharged home
yesterday from St. Mary's with a discharge list on the feed (demo/adt_traffic.py), whose own list has the
inhaler, the blood-pressure tablet and the theophylline the hospital stopped. Main Street Pharmacy's feed sent the
patient's fills (RDS^O13): the theophylline was last picked up months ago. casemanager has started the
reconciliation for the stay, asked about three medicines (the theophylline is still taken; the new inhaler cannot
be afforded, a cost barrier put on the care plan with its response) and continued the albuterol; the rest waits
for the next call."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from careconductor.accounts.models import Organization, User
from careconductor.careplans.choices import BarrierKind
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.medications.actions import (
    do_add_medication,
    do_decide_line,
    do_record_patient_takes,
    do_start_reconciliation,
)
from careconductor.medications.choices import OrderSource
from careconductor.medications.models import DischargeMedication, Medication, Reconciliation
from careconductor.medications.queries import plan_goals
from careconductor.patients.models import Patient
from careconductor.transitions.actions import do_create_feed, do_receive

from .adt_traffic import HOSPITAL

PHARMACY, PHARMACY_FACILITY = "Main Street Pharmacy", "MAINSTRX"
# Her own list, as the care team had it before the stay: (name, dose, instructions, times, months on it).
OWN_LIST: tuple[tuple[str, str, str, list[str], int], ...] = (
    ("Albuterol HFA inhaler", "2 puffs inhaler", "As needed for shortness of breath", [], 24),
    ("Lisinopril", "10 mg tablet", "In the morning", ["08:00"], 18),
    ("Theophylline ER", "300 mg tablet", "Morning and evening", ["08:00", "20:00"], 30),
)
# What the pharmacy dispensed: (RxNorm, name, days ago, amount, units).
FILLS = (
    ("", "Albuterol HFA inhaler", 25, "1", "inhaler"),
    ("314076", "Lisinopril 10 MG Oral Tablet", 20, "30", "tablet"),
    ("", "Theophylline ER", 118, "60", "tablet"),
)


class Out(Protocol):
    def write(self, text: str, /) -> object: ...


def add_reconciliation_in_progress(org: Organization, out: Out) -> bool:
    """False (and nothing done) when the feed's discharge list is not there or a reconciliation exists."""
    order = (
        DischargeMedication.objects.filter(
            patient__organization=org, source=OrderSource.HL7, reference__startswith=HOSPITAL
        )
        .select_related("patient", "encounter")
        .first()
    )
    manager = User.objects.filter(organization=org, username="casemanager").first()
    if order is None or order.encounter is None or manager is None:
        return False
    patient = order.patient
    if Reconciliation.objects.filter(patient=patient).exists():
        return False
    today = clock.today()
    if not any(m.current_on(today) for m in Medication.objects.filter(patient=patient)):
        for name, dose, instructions, times, months in OWN_LIST:
            do_add_medication(
                manager,
                patient,
                name=name,
                dose=dose,
                instructions=instructions,
                times=times,
                start_date=today - dt.timedelta(days=30 * months),
            )
    admin = User.objects.filter(organization=org, role="admin", is_active=True).order_by("pk").first()
    if admin is not None:
        do_create_feed(admin, name=PHARMACY, sending_facility=PHARMACY_FACILITY)
        do_receive(_dispenses(patient, today))

    reconciliation = do_start_reconciliation(manager, patient, encounter=order.encounter)
    lines = {line.name: line for line in reconciliation.lines.all()}
    goals = plan_goals(manager, patient)
    do_record_patient_takes(manager, lines["Theophylline ER"], takes=True)
    do_record_patient_takes(manager, lines["Albuterol HFA inhaler"], takes=True)
    do_decide_line(manager, lines["Albuterol HFA inhaler"], decision="continue")
    barrier = "can't afford it: $60 copay"
    response = "Asked the plan's pharmacist for a covered alternative; samples from the clinic meanwhile"
    try:
        do_record_patient_takes(
            manager,
            lines["Tiotropium inhaler"],
            takes=False,
            barrier=barrier,
            barrier_kind=BarrierKind.COST,
            response=response,
            goal_id=goals[0][0] if goals else None,
        )
    except ActionRefused:  # a plan that cannot change now: the barrier stays on the line
        do_record_patient_takes(manager, lines["Tiotropium inhaler"], takes=False, barrier=barrier)
    out.write(
        f"Medication reconciliation in progress: {patient.given_name} {patient.family_name} (casemanager), "
        f"discharged yesterday with {DischargeMedication.objects.filter(encounter=order.encounter).count()} "
        "medicines on St. Mary's discharge list, "
        f"fills from {PHARMACY}: the theophylline the hospital stopped is still taken, the new inhaler is not "
        "affordable. Log in as casemanager: the chart's 'Reconcile medicines'.\n"
    )
    return True


def _dispenses(patient: Patient, today: dt.date) -> str:
    """RDS^O13 from the pharmacy: one RXD per fill (found by name, birth date and sex: the pharmacy's own
    customer number is new here)."""
    sex = {"female": "F", "male": "M"}.get(patient.sex, "U")
    segments = [
        f"MSH|^~\\&|RXSYS|{PHARMACY_FACILITY}|CARECONDUCTOR|RIVERSIDE|{today:%Y%m%d}0700||RDS^O13^RDS_O13|"
        f"MSP{today:%y%m%d}{patient.pk:06d}|P|2.5.1",
        f"PID|1||MS{400000 + patient.pk}^^^{PHARMACY_FACILITY}^MR||{patient.family_name}^{patient.given_name}||"
        f"{patient.birth_date:%Y%m%d}|{sex}",
    ]
    for n, (rxnorm, name, days_ago, amount, units) in enumerate(FILLS, 1):
        filled = today - dt.timedelta(days=days_ago)
        code = f"{rxnorm}^{name}^RXNORM" if rxnorm else f"^{name}^"
        segments += ["ORC|RE", f"RXD|{n}|{code}|{filled:%Y%m%d}|{amount}|{units}||RX{patient.pk}{n:02d}"]
    return "\r".join(segments) + "\r"
