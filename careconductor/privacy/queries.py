from __future__ import annotations

from typing import TYPE_CHECKING

from careconductor.core import clock

from .choices import ConsentType

if TYPE_CHECKING:
    from careconductor.patients.models import Patient


def consent_in_force(patient: Patient, consent_type: ConsentType) -> bool:
    """Whether the patient has a consent of this type in force today (revocation counts at once)."""
    today = clock.today()
    return any(c.is_in_force(today) for c in patient.consents.filter(consent_type=consent_type))
