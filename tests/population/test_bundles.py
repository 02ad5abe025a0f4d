"""Patient bundles (issue 22), as Synthea writes them: a transaction Bundle whose entries name the member by its
`urn:uuid:` fullUrl; imported whole or not at all; SNOMED-only conditions and other types counted and left out;
twice equals once."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from careconductor.careplans.models import Reading
from careconductor.patients.models import Condition, Encounter, Patient
from careconductor.population.importing import SOURCE_SYSTEM, do_import_files
from tests.personas import World

pytestmark = pytest.mark.django_db
PATIENT = "urn:uuid:7b1c3f2e-0000-4000-8000-000000000001"


def bundle() -> dict[str, Any]:
    subject = {"reference": PATIENT}
    entries = [
        (PATIENT, {"resourceType": "Patient", "id": "7b1c3f2e-0000-4000-8000-000000000001",
                   "name": [{"use": "official", "family": "Kuhn", "given": ["Marta"]}], "gender": "female",
                   "birthDate": "1947-05-02"}),
        ("urn:uuid:c1", {"resourceType": "Condition", "id": "c1", "subject": subject,
                         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes"}]}}),
        ("urn:uuid:c2", {"resourceType": "Condition", "id": "c2", "subject": subject, "clinicalStatus": {"coding": [{"code": "active"}]},
                         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I50.9", "display": "Heart failure"}]}}),
        ("urn:uuid:e1", {"resourceType": "Encounter", "id": "e1", "status": "finished", "subject": subject,
                         "class": {"code": "IMP"}, "period": {"start": "2026-03-01T08:00:00Z", "end": "2026-03-04T12:00:00Z"},
                         "hospitalization": {"dischargeDisposition": {"coding": [{"code": "snf"}]}}}),
        ("urn:uuid:o1", {"resourceType": "Observation", "id": "o1", "status": "final", "subject": subject,
                         "code": {"text": "Weight"}}),
        ("urn:uuid:o2", {"resourceType": "Observation", "id": "o2", "status": "final", "subject": subject,
                         "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
                         "effectiveDateTime": "2026-03-03T07:00:00Z", "valueQuantity": {"value": 8.4, "code": "%"}}),
        ("urn:uuid:i1", {"resourceType": "Immunization", "id": "i1", "patient": subject}),
    ]  # fmt: skip
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": url, "resource": r, "request": {"method": "POST", "url": r["resourceType"]}}
            for url, r in entries
        ],
    }


def write(folder: Path, body: dict[str, Any], name: str = "Marta_Kuhn.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def test_a_bundle_brings_its_member_and_her_history(world: World, tmp_path: Path) -> None:
    (report,) = do_import_files(world.adam, [write(tmp_path, bundle())], source="synthea")
    # The SNOMED-only condition and the uncoded observation are counted and left out, as is the Immunization.
    assert report.imported and (report.new, report.not_coded, report.left_out_types) == (
        4,
        2,
        {"Immunization": 1},
    )
    marta = Patient.objects.get(identifiers__system=SOURCE_SYSTEM + "synthea")
    assert (marta.family_name, marta.mrn != "") == ("Kuhn", True)
    assert list(Condition.objects.filter(patient=marta).values_list("icd10_code", flat=True)) == ["I50.9"]
    assert Encounter.objects.get(patient=marta).discharge_disposition == "snf"
    hba1c = Reading.objects.get(patient=marta)
    assert (hba1c.measure, hba1c.value, hba1c.source, hba1c.recorded_by) == (
        "hba1c",
        Decimal("8.40"),
        "lab",
        world.adam,
    )
    (again,) = do_import_files(world.adam, [write(tmp_path, bundle())], source="synthea")
    assert (again.new, again.unchanged) == (0, 4) and Patient.objects.filter(family_name="Kuhn").count() == 1


def test_a_bundle_with_a_bad_entry_writes_nothing(world: World, tmp_path: Path) -> None:
    broken = bundle()
    del broken["entry"][3]["resource"]["period"]
    stray = copy.deepcopy(broken["entry"][2])
    stray["resource"].update(id="c3", subject={"reference": "urn:uuid:someone-else"})
    broken["entry"].append(stray)
    (report,) = do_import_files(world.adam, [write(tmp_path, broken)], source="synthea")
    assert not report.imported and [n for n, _ in report.rejected] == [4, 8]
    assert (
        "period.start" in report.rejected[0][1]
        and "not a Patient entry of the bundle" in report.rejected[1][1]
    )
    assert not Patient.objects.filter(family_name="Kuhn").exists()
    (tmp_path / "not-a-bundle.json").write_text('{"resourceType": "Patient"}')
    (wrong,) = do_import_files(world.adam, [tmp_path / "not-a-bundle.json"], source="synthea")
    assert "not a FHIR Bundle" in wrong.left_out


def test_a_member_sent_again_in_a_bundle_with_other_details_is_updated(world: World, tmp_path: Path) -> None:
    do_import_files(world.adam, [write(tmp_path, bundle())], source="synthea")
    moved = bundle()
    patient = moved["entry"][0]["resource"]
    patient["name"] = [{"use": "official", "family": "Kuhn-Weber", "given": ["Marta"]}]
    patient["telecom"] = [{"system": "phone", "value": "541-555-0177"}]
    (report,) = do_import_files(world.adam, [write(tmp_path, moved)], source="synthea")
    assert report.imported and (report.new, report.changed) == (0, 1)
    marta = Patient.objects.get(identifiers__system=SOURCE_SYSTEM + "synthea")
    assert (marta.family_name, marta.phone) == ("Kuhn-Weber", "541-555-0177")
    (dry,) = do_import_files(world.adam, [write(tmp_path, bundle())], source="synthea", dry_run=True)
    assert (
        dry.changed == 1 and Patient.objects.get(pk=marta.pk).family_name == "Kuhn-Weber"
    )  # a dry run writes nothing
