"""Kept versions: one per resource per committed transaction, whatever saved it, and none lost to a rolled-back
savepoint."""

from __future__ import annotations

import pytest
from django.db import transaction

from careconductor.fhir.models import ResourceVersion
from careconductor.patients.actions import PatientDetails, do_set_identifiers, do_update_patient

pytestmark = pytest.mark.django_db(transaction=True)


def _details(patient, **changes) -> PatientDetails:
    fields = {name: getattr(patient, name) for name in PatientDetails.__dataclass_fields__}
    return PatientDetails(**{**fields, **changes})


def _kept(patient) -> list[tuple[int, str]]:
    rows = ResourceVersion.objects.filter(resource_type="Patient", resource_id=str(patient.pk)).order_by(
        "version_id"
    )
    return [(r.version_id, next((t["value"] for t in r.body.get("telecom", [])), "")) for r in rows]


def test_one_kept_version_per_transaction_with_all_its_parts(world):
    paula = world.paula
    before = paula.version
    with transaction.atomic():
        do_update_patient(world.alice, paula, _details(paula, phone="(503) 555-0101"))
        do_set_identifiers(world.alice, paula, [("urn:oid:2.16.840.1.113883.4.927", "1EG4TE5MK74", "MBI")])
    paula.refresh_from_db()
    kept = ResourceVersion.objects.get(
        resource_type="Patient", resource_id=str(paula.pk), version_id=paula.version
    )
    # Kept at commit, so the identifier saved after the patient row is in it.
    assert {
        "system": "urn:oid:2.16.840.1.113883.4.927",
        "value": "1EG4TE5MK74",
        "type": {"text": "MBI"},
    } in kept.body["identifier"]
    assert kept.body["telecom"][0]["value"] == "(503) 555-0101"
    # The in-between state (new phone, old identifiers) was never committed, so it is not kept.
    assert paula.version == before + 2
    assert not ResourceVersion.objects.filter(
        resource_type="Patient", resource_id=str(paula.pk), version_id=before + 1
    ).exists()


def test_a_rolled_back_savepoint_loses_nothing_that_committed(world):
    paula = world.paula
    with transaction.atomic():
        try:
            with transaction.atomic():
                do_update_patient(world.alice, paula, _details(paula, phone="(503) 555-0666"))
                raise RuntimeError("the caller gave up")
        except RuntimeError:
            pass
        paula.refresh_from_db()
        do_update_patient(world.alice, paula, _details(paula, phone="(503) 555-0202"))
    paula.refresh_from_db()
    phones = dict(_kept(paula))
    assert phones[paula.version] == "(503) 555-0202"
    assert "(503) 555-0666" not in phones.values()
