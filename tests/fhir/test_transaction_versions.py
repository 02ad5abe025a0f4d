"""The versions a transaction Bundle keeps when it commits (transactional: the shared world's transaction never
commits, so it would keep nothing)."""

from __future__ import annotations

import pytest
from django.db import transaction

from careconductor.cases.models import Case
from careconductor.fhir import versions
from careconductor.fhir.models import ResourceVersion
from careconductor.fhir.registry import mapper_for
from careconductor.patients.actions import PatientDetails, do_update_patient
from careconductor.patients.models import Condition, Patient

from .test_transaction_ingest import UUIDS, _condition, _patient, _transaction

pytestmark = pytest.mark.django_db(transaction=True)


def test_kept_versions_of_a_transaction_are_what_it_answered(world, api):
    """The resources a transaction answers are kept as its versions as they are (rendered once); what it also
    made (the new patient's case) is rendered and kept too."""
    reply = api(world.adam).post(
        "",
        _transaction(_condition(f"urn:uuid:{UUIDS[0]}"), _patient(UUIDS[0], "Wen", "Harlow", "1966-05-17")),
    )
    assert reply.status == 200, reply.body
    patient = Patient.objects.get(family_name="Harlow")
    condition = Condition.objects.get(patient=patient)
    for entry, kind, key in [
        (reply.body["entry"][0], "Condition", condition.pk),
        (reply.body["entry"][1], "Patient", patient.pk),
    ]:
        kept = ResourceVersion.objects.get(resource_type=kind, resource_id=str(key), version_id=1)
        assert kept.body == entry["resource"]
        assert kept.patient_id == patient.pk
    case = Case.objects.get(patient=patient)
    kept = ResourceVersion.objects.get(resource_type="EpisodeOfCare", resource_id=str(case.pk))
    assert kept.body["patient"]["reference"] == f"Patient/{patient.pk}"
    # Referred by an administrator, who is on no team: to the organisation's team.
    assert case.team_id == world.north.pk


def test_a_resource_saved_again_after_it_was_rendered_is_kept_as_it_ends(world):
    """A body handed over as rendered stands only while nothing saves the resource again."""
    paula, mapper = world.paula, mapper_for("Patient")
    assert mapper is not None
    with transaction.atomic():
        do_update_patient(world.alice, paula, _details(paula, phone="(503) 555-0111"))
        stale = mapper.render(mapper.with_related(Patient.objects.filter(pk=paula.pk)).get())
        versions.rendered([(stale, paula.pk)])
        do_update_patient(world.alice, paula, _details(paula, phone="(503) 555-0122"))
    paula.refresh_from_db()
    kept = ResourceVersion.objects.filter(resource_type="Patient", resource_id=str(paula.pk)).latest(
        "version_id"
    )
    assert (kept.version_id, kept.body["telecom"][0]["value"]) == (paula.version, "(503) 555-0122")


def _details(patient: Patient, **changes: object) -> PatientDetails:
    fields = {name: getattr(patient, name) for name in PatientDetails.__dataclass_fields__}
    return PatientDetails(**{**fields, **changes})  # type: ignore[arg-type]
