"""The demo's FHIR client: a token for `casemanager`, kept in the data folder, and a few changes made through
the actions so that Patient history and versions have something to show."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

from careconductor.accounts.actions import do_create_token
from careconductor.accounts.models import Organization, User
from careconductor.fhir.registry import mapper_for
from careconductor.fhir.versions import keep
from careconductor.patients.actions import PatientDetails, do_update_patient
from careconductor.patients.models import Patient
from careconductor.privacy import policy

TOKEN_FILE = "demo-fhir-token"
SCOPES = ("user/*.read", "user/*.write")


def token_path() -> Path:
    return Path(settings.DATA_HOME) / TOKEN_FILE


def add_fhir_scenario(org: Organization) -> int:
    """Create the demo API token (secret written to the data folder, mode 0600) and give one of the case
    manager's patients a second version. Returns how many patients changed."""
    manager = User.objects.filter(organization=org, username="casemanager").first()
    if manager is None:
        return 0
    _, secret = do_create_token(manager, name="Demo FHIR client", scopes=SCOPES, days=365)
    path = token_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret + "\n")
    patient = policy.visible_patients(manager).order_by("pk").first()
    if patient is None:
        return 0
    # Rows loaded in bulk have no kept first version; keep this one's, so its history shows both.
    keep(mapper_for("Patient"), str(patient.pk))  # type: ignore[arg-type]
    # The patient gave a new mobile number at the last call: version 2, kept in the patient's history.
    details = _details(patient)
    details.phone = "(541) 555-0177"
    do_update_patient(manager, patient, details)
    return 1


def _details(patient: Patient) -> PatientDetails:
    return PatientDetails(**{name: getattr(patient, name) for name in PatientDetails.__dataclass_fields__})


def usage() -> str:
    """How to try the API, at the address the site is served at (CARECONDUCTOR_SITE_URL; scripts/start sets it
    from HOST and PORT)."""
    base_url = settings.SITE_URL
    path = token_path()
    if not path.exists():
        return ""
    return (
        f"FHIR R4 API at {base_url}/fhir/r4/ (docs/fhir.md). A token for casemanager is in {path}; try\n"
        f'  curl -H "Authorization: Bearer $(cat {path})" "{base_url}/fhir/r4/Patient?_count=5"\n'
    )
