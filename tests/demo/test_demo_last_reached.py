"""The demo stores each patient's latest reached contact (Patient.last_reached_at, issue 18): its bulk rows and
its scenarios, which clear some logs and log through the actions."""

from __future__ import annotations

import pytest

from careconductor.patients.models import Patient
from tests.coordination.test_last_reached import from_the_log

pytestmark = pytest.mark.django_db


def test_the_demo_stores_each_patients_latest_reached_contact(demo: str) -> None:
    """The bulk rows and the scenarios (which clear some logs and log through the actions) alike."""
    patients = list(Patient.objects.values_list("pk", "last_reached_at"))
    latest = {p: from_the_log(Patient(pk=p)) for p, _ in patients}
    assert sum(1 for _, at_ in patients if at_ is not None) > 50  # the demo's active cases were called
    assert dict(patients) == latest
