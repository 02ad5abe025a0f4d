"""The only code that changes medications, one module per subject: medications (the list and dose reports)
reconciliation (comparing the list with a discharge list and confirming it) and outside_lists (discharge lists
and pharmacy fills other systems send).

Inside medications, import from the subject's module. Other apps, the demo and the tests call the medication
actions through this package: the names below are its public interface."""

from __future__ import annotations

from .medications import do_add_medication, do_report_doses, do_stop_medication
from .outside_lists import do_record_discharge_medication, do_record_pharmacy_fill
from .reconciliation import (
    do_add_discharge_line,
    do_complete_reconciliation,
    do_decide_line,
    do_record_patient_takes,
    do_start_reconciliation,
)

__all__ = [
    "do_add_discharge_line",
    "do_add_medication",
    "do_complete_reconciliation",
    "do_decide_line",
    "do_record_discharge_medication",
    "do_record_patient_takes",
    "do_record_pharmacy_fill",
    "do_report_doses",
    "do_start_reconciliation",
    "do_stop_medication",
]
