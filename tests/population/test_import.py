"""Bringing a population in (issue 22) on the database: a folder of NDJSON files becomes members with their
coverage, conditions and encounters; members are on no one's caseload and hidden from staff without a
relationship; a file with one bad line writes nothing and says which; twice equals once; a dry run writes
nothing; one audit event per file; only administrators import; the command's report."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from careconductor.careplans.models import Reading
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Condition, Coverage, Encounter, Patient
from careconductor.population import synthetic
from careconductor.population.importing import SOURCE_SYSTEM, do_import_files
from careconductor.privacy import policy
from careconductor.privacy.models import AuditEvent
from tests.personas import World

pytestmark = pytest.mark.django_db
MEMBERS = 40


def write_export(folder: Path, members: int = MEMBERS, first: int = 1) -> dict[str, int]:
    """The synthetic population as a Bulk Data export writes it; how many resources of each type."""
    counts = {}
    for kind, lines in synthetic.population(3, members, today=clock.today(), first=first).items():
        text = list(lines)
        (folder / f"{kind}.ndjson").write_text("\n".join(text) + "\n", encoding="utf-8")
        counts[kind] = len(text)
    return counts


def members_of(world: World) -> Patient:
    return Patient.objects.filter(identifiers__system=SOURCE_SYSTEM + "plan-2027")  # type: ignore[return-value]


def test_a_folder_becomes_members_with_their_history(world: World, tmp_path: Path) -> None:
    counts = write_export(tmp_path)
    before = Patient.objects.count()
    reports = do_import_files(world.adam, [tmp_path], source="plan-2027")
    assert [r.resource_type for r in reports] == [
        "Patient",
        "Coverage",
        "Condition",
        "Encounter",
        "Observation",
    ]  # Patient first
    assert all(r.imported for r in reports) and [r.new for r in reports] == list(counts.values())
    members = members_of(world)
    assert members.count() == MEMBERS == Patient.objects.count() - before
    assert Coverage.objects.filter(source_key__startswith="plan-2027|").count() == counts["Coverage"]
    assert Condition.objects.filter(source_key__startswith="plan-2027|").count() == counts["Condition"]
    assert Encounter.objects.filter(source="import").count() == counts["Encounter"]
    assert Reading.objects.filter(source_key__startswith="plan-2027|").count() == counts["Observation"] > 0
    member = members.order_by("pk").first()
    assert member is not None and member.mrn and member.search_names  # as a registered patient has them
    assert member.organization_id == world.riverside.pk
    # Members, not cases: no one's caseload, and no one without a relationship sees them.
    assert not Case.objects.filter(patient__in=members).exists()
    assert not policy.visible_patients(world.alice).filter(pk__in=members).exists()
    # One audit event per file, none per row.
    events = AuditEvent.objects.filter(object_type="PopulationImport")
    assert events.count() == 5 and not AuditEvent.objects.filter(patient__in=members).exists()


def test_importing_the_same_files_again_changes_nothing(world: World, tmp_path: Path) -> None:
    write_export(tmp_path)
    do_import_files(world.adam, [tmp_path], source="plan-2027")
    rows = (
        Patient.objects.count(),
        Condition.objects.count(),
        Encounter.objects.count(),
        Coverage.objects.count(),
        Reading.objects.count(),
    )
    again = do_import_files(world.adam, [tmp_path], source="plan-2027")
    assert [r.new for r in again] == [0, 0, 0, 0, 0] and all(r.unchanged == r.read for r in again)
    assert (
        Patient.objects.count(),
        Condition.objects.count(),
        Encounter.objects.count(),
        Coverage.objects.count(),
        Reading.objects.count(),
    ) == rows
    # More members later: only they are added.
    write_export(tmp_path, members=5, first=MEMBERS + 1)
    (tmp_path / "more").mkdir()
    for kind in ("Patient", "Coverage"):
        (tmp_path / f"{kind}.ndjson").rename(tmp_path / "more" / f"{kind}.ndjson")
    added = do_import_files(world.adam, [tmp_path / "more"], source="plan-2027")
    assert [r.new for r in added] == [5, 5] and members_of(world).count() == MEMBERS + 5


def test_a_file_with_one_bad_line_writes_nothing_and_names_it(world: World, tmp_path: Path) -> None:
    write_export(tmp_path)
    lines = (tmp_path / "Condition.ndjson").read_text().splitlines()
    broken = json.loads(lines[2])
    broken["code"]["coding"][0]["system"] = "http://snomed.info/sct"
    lines[2] = json.dumps(broken)
    stranger = json.loads(lines[4])
    stranger["subject"] = {"reference": "Patient/nobody"}
    lines[4] = json.dumps(stranger)
    lines.insert(6, "{not json")
    (tmp_path / "Condition.ndjson").write_text("\n".join(lines) + "\n")
    reports = {
        r.resource_type or r.name: r for r in do_import_files(world.adam, [tmp_path], source="plan-2027")
    }
    condition = reports["Condition.ndjson"] if "Condition.ndjson" in reports else reports["Condition"]
    assert not condition.imported and condition.new == 0
    assert [line for line, _ in condition.rejected] == [5, 7]
    assert "Patient/nobody" in condition.rejected[0][1] and "not JSON" in condition.rejected[1][1]
    assert condition.not_coded == 1  # SNOMED CT alone: left out and counted, not a fault of the file
    assert not Condition.objects.filter(source_key__startswith="plan-2027|").exists()
    assert reports["Encounter"].imported  # the other files stand on their own


def test_a_dry_run_writes_nothing_and_says_what_would_be_written(world: World, tmp_path: Path) -> None:
    write_export(tmp_path)
    patients = Patient.objects.count()
    reports = do_import_files(world.adam, [tmp_path], source="plan-2027", dry_run=True)
    assert reports[0].new == MEMBERS and Patient.objects.count() == patients
    assert not AuditEvent.objects.filter(object_type="PopulationImport").exists()


def test_only_an_administrator_imports_and_the_source_is_named_plainly(world: World, tmp_path: Path) -> None:
    write_export(tmp_path, members=2)
    with pytest.raises(ActionRefused):
        do_import_files(world.alice, [tmp_path], source="plan-2027")
    with pytest.raises(ActionRefused) as bad:
        do_import_files(world.adam, [tmp_path], source="Plan 2027!")
    assert "source" in bad.value.errors


def test_the_command_reports_each_file_and_fails_when_one_was_not_imported(
    world: World, tmp_path: Path
) -> None:
    write_export(tmp_path, members=3)
    out = io.StringIO()
    call_command("import", str(tmp_path), "--as", "adam", "--source", "plan-2027", stdout=out)
    text = out.getvalue()
    assert "Patient.ndjson: Patient, 3 read, added 3, 0 unchanged." in text and "written in" in text
    (tmp_path / "Observation.ndjson").write_text('{"resourceType": "Observation", "id": "o1"}\n')
    (tmp_path / "Patient.ndjson").write_text('{"resourceType": "Patient", "id": "x"}\n')
    out = io.StringIO()
    with pytest.raises(CommandError, match="not imported"):
        call_command("import", str(tmp_path), "--as", "adam", "--source", "plan-2027", stdout=out)
    text = out.getvalue()
    assert "line 1: A member needs a family and a given name" in text
    assert "Observation.ndjson: left out" in text
    with pytest.raises(CommandError, match="Not found"):
        call_command("import", str(tmp_path / "missing"), "--as", "adam", "--source", "plan-2027")


def test_an_encounter_keeps_its_times_and_discharge(world: World, tmp_path: Path) -> None:
    write_export(tmp_path, members=30)
    do_import_files(world.adam, [tmp_path], source="plan-2027")
    stay = Encounter.objects.filter(source="import", encounter_class="IMP").first()
    assert stay is not None and stay.end is not None and stay.end > stay.start and stay.discharge_disposition
    assert stay.start.tzinfo is not None and stay.start < clock.now() + dt.timedelta(days=1)
