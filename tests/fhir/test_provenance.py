"""Provenance through the FHIR API: where imported records came from (a population import's source and the
administrator who ran it; a hospital's ADT feed and the messages it sent), visible exactly when the record is."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from careconductor.careplans.models import Reading
from careconductor.core import clock
from careconductor.fhir.registry import mapper_for
from careconductor.patients.models import Condition, Coverage, Encounter, PatientIdentifier
from careconductor.population.import_runs import do_start_import, run_import
from careconductor.population.importing import SOURCE_SYSTEM, do_import_files
from careconductor.population.synthetic import population
from careconductor.privacy.models import AuditEvent
from careconductor.transitions.actions import do_create_feed, do_receive
from careconductor.transitions.models import HospitalVisit
from tests.personas import World
from tests.shared import ModuleDb
from tests.transitions.messages import adt

from .conftest import Api, every_page, query_count

pytestmark = pytest.mark.django_db

MEMBERS = 4
PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


def _files() -> dict[str, list[str]]:
    made = {kind: list(lines) for kind, lines in population(5, MEMBERS, today=clock.today()).items()}
    # One substance use disorder diagnosis (42 CFR Part 2): the import labels it, and it stays out of sight.
    part2 = json.loads(made["Condition"][0])
    part2["id"] = "part2-1"
    part2["code"] = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "F10.20"}]}
    made["Condition"].append(json.dumps(part2))
    return made


def _add_imports(world: World) -> None:
    files = _files()
    uploads = [
        SimpleUploadedFile(f"{kind}.ndjson", "\n".join(lines).encode(), content_type="application/x-ndjson")
        for kind, lines in files.items()
    ]
    run = do_start_import(world.adam, uploads, source="plan-feed", dry_run=False)
    run_import(run.pk)  # the worker's part
    # The same kind of file from the command line: no import run names who brought it in.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "Condition.ndjson"
        lines = [json.loads(line) for line in files["Condition"][:1]]
        path.write_text("\n".join(json.dumps({**line, "id": "cli-1"}) for line in lines))
        members = Path(folder) / "Patient.ndjson"
        members.write_text("\n".join(files["Patient"]))
        reports = do_import_files(world.adam, [members, path], source="cli-feed")
        # and one of the page's source, after its run had finished: that run did not bring it in.
        path.write_text("\n".join(json.dumps({**line, "id": "cli-2"}) for line in lines))
        reports += do_import_files(world.adam, [path], source="plan-feed")
        assert all(r.imported for r in reports), reports
    do_create_feed(world.adam, name="St. Mary's Hospital", sending_facility="STMARYS")
    do_receive(adt("A01", "M1"))
    do_receive(adt("A08", "M2"))


@pytest.fixture(scope="module")
def _imports(module_db: ModuleDb, shared_world: World) -> None:
    module_db.build(_add_imports, shared_world)


@pytest.fixture
def imports(_imports: None, world: World) -> World:
    return world


def _stay(world: World) -> HospitalVisit:
    return HospitalVisit.objects.select_related("encounter").get(patient=world.paula)


def test_a_stay_from_the_adt_feed_names_the_hospital_its_feed_and_the_messages(imports: World, api) -> None:
    stay = _stay(imports)
    alice: Api = api(imports.alice)
    body = alice.get(f"Provenance/adt-visit-{stay.pk}").body
    assert body["target"] == [{"reference": f"Encounter/{stay.encounter_id}"}]
    author, transmitter = body["agent"]
    assert author["type"]["coding"][0] == {"system": PARTICIPANT, "code": "author", "display": "Author"}
    assert (
        author["who"]["identifier"]["value"] == "STMARYS"
        and author["who"]["display"] == "St. Mary's Hospital"
    )
    assert transmitter["type"]["coding"][0]["code"] == "TRANS"
    assert [e["role"] for e in body["entity"]] == ["source", "source"]
    assert [e["what"]["identifier"]["value"] for e in body["entity"]] == ["M1", "M2"]
    assert body["recorded"] and body["activity"]["coding"][0]["code"] == "CREATE"
    found = alice.search(f"Provenance?target=Encounter/{stay.encounter_id}")
    assert [r["id"] for r in found] == [f"adt-visit-{stay.pk}"]
    assert f"adt-visit-{stay.pk}" in {r["id"] for r in alice.search(f"Provenance?patient={imports.paula.pk}")}
    # Reading it is a read of Paula's record, in the audit trail.
    assert AuditEvent.objects.filter(
        user=imports.alice, action="read", object_type="Provenance", object_id=f"adt-visit-{stay.pk}"
    ).exists()


def test_imported_rows_name_their_source_and_the_administrator_who_imported_them(imports: World, api) -> None:
    adam: Api = api(imports.adam)
    condition = Condition.objects.filter(source_key__startswith="plan-feed|", sensitivity="").first()
    reading = (
        Reading.objects.filter(source_key__startswith="plan-feed|").exclude(measure="bp-diastolic").first()
    )
    coverage = Coverage.objects.filter(source_key__startswith="plan-feed|").first()
    encounter = Encounter.objects.filter(source_key__startswith="plan-feed|").first()
    assert condition and reading and coverage and encounter
    for provenance, target in (
        (f"condition-{condition.pk}", f"Condition/{condition.pk}"),
        (f"coverage-{coverage.pk}", f"Coverage/{coverage.pk}"),
        (f"encounter-{encounter.pk}", f"Encounter/{encounter.pk}"),
        (f"reading-{reading.pk}", f"Observation/reading-{reading.pk}"),
    ):
        body = adam.get(f"Provenance/{provenance}").body
        assert body["target"] == [{"reference": target}], provenance
        author, enterer = body["agent"]
        assert author["who"] == {"display": "plan-feed"} and author["type"]["coding"][0]["code"] == "author"
        assert enterer == {
            "type": {"coding": [{"system": PARTICIPANT, "code": "enterer", "display": "Enterer"}]},
            "who": {"reference": f"Practitioner/{imports.adam.pk}"},
        }
        (entity,) = body["entity"]
        assert entity["role"] == "source"
        assert entity["what"]["identifier"]["system"] == SOURCE_SYSTEM + "plan-feed"
        assert adam.get(target).status == 200
        assert [r["id"] for r in adam.search(f"Provenance?target={target}")] == [provenance]
    assert [r["id"] for r in adam.search(f"Provenance?target:Condition={condition.pk}")] == [
        f"condition-{condition.pk}"
    ]
    assert not adam.search(f"Provenance?target:Coverage=Condition/{condition.pk}")


def test_imported_members_name_their_source_and_who_imported_them(imports: World, api) -> None:
    adam: Api = api(imports.adam)
    member = (
        PatientIdentifier.objects.filter(system=SOURCE_SYSTEM + "plan-feed").select_related("patient").first()
    )
    assert member is not None
    body = adam.get(f"Provenance/patient-{member.pk}").body
    assert body["target"] == [{"reference": f"Patient/{member.patient_id}"}]
    assert body["recorded"].startswith(member.patient.created_at.isoformat()[:16])
    assert [a["who"] for a in body["agent"]] == [
        {"display": "plan-feed"},
        {"reference": f"Practitioner/{imports.adam.pk}"},
    ]
    assert body["entity"][0]["what"] == {
        "identifier": {"system": SOURCE_SYSTEM + "plan-feed", "value": member.value},
        "display": f"plan-feed: {member.value}",
    }
    assert [r["id"] for r in adam.search(f"Provenance?target=Patient/{member.patient_id}")] == [
        f"patient-{member.pk}"
    ]
    # The members of the command-line import name their source alone; registered patients have none.
    cli = PatientIdentifier.objects.filter(system=SOURCE_SYSTEM + "cli-feed").first()
    assert cli is not None
    assert [a["who"] for a in adam.get(f"Provenance/patient-{cli.pk}").body["agent"]] == [
        {"display": "cli-feed"}
    ]
    assert not adam.search(f"Provenance?target=Patient/{imports.paula.pk}")
    # Sorted and filtered by when they were written, members among the other rows.
    newest = adam.search("Provenance?_sort=-_lastUpdated&_count=200")
    assert [r["recorded"] for r in newest] == sorted((r["recorded"] for r in newest), reverse=True)
    since = member.patient.created_at.date().isoformat()
    assert f"patient-{member.pk}" in {
        r["id"] for r in adam.search(f"Provenance?_lastUpdated=ge{since}&_count=200")
    }


def test_an_imported_row_changed_later_keeps_when_it_was_recorded(imports: World, api) -> None:
    """`recorded`, meta.lastUpdated, `_lastUpdated` and its sort all read when the import wrote the row."""
    adam: Api = api(imports.adam)
    condition = Condition.objects.filter(source_key__startswith="plan-feed|", sensitivity="").first()
    assert condition is not None
    changed = condition.created_at + dt.timedelta(days=3)
    Condition.objects.filter(pk=condition.pk).update(updated_at=changed)  # changed on a screen since
    body = adam.get(f"Provenance/condition-{condition.pk}").body
    assert body["recorded"] == body["meta"]["lastUpdated"]
    assert body["recorded"].startswith(condition.created_at.isoformat()[:16])
    before_the_change = (changed - dt.timedelta(days=1)).date().isoformat()
    found = adam.search(f"Provenance?_lastUpdated=lt{before_the_change}&_sort=-_lastUpdated&_count=200")
    assert f"condition-{condition.pk}" in {r["id"] for r in found}
    assert [r["recorded"] for r in found] == sorted((r["recorded"] for r in found), reverse=True)


def test_an_import_from_the_command_line_names_its_source_alone(imports: World, api) -> None:
    condition = Condition.objects.get(source_key="cli-feed|cli-1")
    body = api(imports.adam).get(f"Provenance/condition-{condition.pk}").body
    assert body["agent"] == [
        {
            "type": {"coding": [{"system": PARTICIPANT, "code": "author", "display": "Author"}]},
            "who": {"display": "cli-feed"},
        }
    ]
    assert body["entity"][0]["what"]["identifier"]["value"] == "cli-1"
    later = Condition.objects.get(source_key="plan-feed|cli-2")
    assert [a["who"] for a in api(imports.adam).get(f"Provenance/condition-{later.pk}").body["agent"]] == [
        {"display": "plan-feed"}
    ]


def _imported_targets() -> dict[str, str]:
    """Provenance id → target reference, for every imported row."""
    found = {
        f"patient-{pk}": f"Patient/{patient}"
        for pk, patient in PatientIdentifier.objects.filter(system__startswith=SOURCE_SYSTEM).values_list(
            "pk", "patient_id"
        )
    }
    for model, prefix, kind, target_prefix in (
        (Condition, "condition-", "Condition", ""),
        (Coverage, "coverage-", "Coverage", ""),
        (Encounter, "encounter-", "Encounter", ""),
        (Reading, "reading-", "Observation", "reading-"),
    ):
        rows = model.objects.exclude(source_key="")
        if model is Reading:
            rows = rows.exclude(measure="bp-diastolic")
        for pk in rows.values_list("pk", flat=True):
            found[f"{prefix}{pk}"] = f"{kind}/{target_prefix}{pk}"
    return found


@pytest.mark.parametrize("persona", ["adam", "alice", "bob", "pia", "uma", "charlie"])
def test_a_provenance_is_visible_exactly_when_its_target_is(persona: str, imports: World, api) -> None:
    caller: Api = api(getattr(imports, persona))
    targets = _imported_targets()
    seen = {rid for kind, rid in every_page(caller, "Provenance?_count=200") if kind == "Provenance"}
    for provenance, target in targets.items():
        readable = caller.get(target).status == 200
        assert (provenance in seen) == readable, (persona, provenance, target)
        assert (caller.get(f"Provenance/{provenance}").status == 200) == readable, (persona, provenance)
    part2 = Condition.objects.get(source_key="plan-feed|part2-1")
    assert part2.sensitivity == "part2"
    assert caller.get(f"Provenance/condition-{part2.pk}").status == 404  # administrators see no Part 2 record
    if persona == "adam":
        assert seen  # the positive control: the organisation's administrator sees the imported members


@pytest.mark.parametrize("persona", ["bob", "pia", "uma", "charlie"])
def test_strangers_see_nothing_of_paulas_stay(persona: str, imports: World, api) -> None:
    stay = _stay(imports)
    caller: Api = api(getattr(imports, persona))
    assert caller.get(f"Provenance/adt-visit-{stay.pk}").status == 404
    assert not caller.search(f"Provenance?patient={imports.paula.pk}")
    assert not caller.search(f"Provenance?target=Encounter/{stay.encounter_id}")


def test_a_page_costs_the_same_however_many_it_holds(imports: World, api) -> None:
    """Each part on a page costs one query for its rows (the stays one more for their messages), not one a row."""
    adam: Api = api(imports.adam)
    assert len(adam.search("Provenance?_count=200")) > 20
    small = query_count(lambda: adam.get("Provenance?_count=2"))
    large = query_count(lambda: adam.get("Provenance?_count=200"))
    assert large <= small + len(mapper_for("Provenance").parts()) + 1, (small, large)
