"""FHIR Bulk Data `$export` (issue 22; interop.md §2): the kick-off, status and file pattern end to end through the
API; what each token's user may read and nothing more; registries as Groups; refusals as OperationOutcomes; and the
round trip: a plan's members exported and imported into another organisation come back the same."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B import get_fhir_model_class

from careconductor.accounts.choices import Role
from careconductor.careplans.models import Reading
from careconductor.core import clock
from careconductor.fhir.bulk import export_folder
from careconductor.fhir.models import ExportJob
from careconductor.patients.models import Condition, Encounter, Patient
from careconductor.population.importing import import_lines
from careconductor.population.registry_actions import do_create_registry
from careconductor.population.stratify import do_stratify
from careconductor.population.synthetic import population
from careconductor.privacy.models import AuditEvent
from tests.personas import World, make_staff

from .conftest import BASE, Api

pytestmark = pytest.mark.django_db
MEMBERS = 8


def members(world: World, source: str = "plan-feed") -> None:
    files = population(5, MEMBERS, today=clock.today())
    for kind in ("Patient", "Coverage", "Condition", "Encounter", "Observation"):
        import_lines(world.adam, world.riverside.pk, f"{kind}.ndjson", files[kind], source)


def export(client: Api, path: str, capture: Any) -> tuple[int, dict[str, Any], Any]:
    """Kick off, let the worker run, and read the manifest: (kick-off status, manifest, status reply)."""
    with capture(execute=True):
        kicked = client.get(path, HTTP_PREFER="respond-async", HTTP_ACCEPT="application/fhir+json")
    assert kicked.status == 202, kicked.body
    status_url = kicked.headers["Content-Location"]
    assert status_url.startswith("http://testserver/fhir/r4/$export-status/")
    done = client.client.get(status_url, **client.auth)
    return kicked.status, json.loads(done.content) if done.content else {}, done


def lines(client: Api, url: str) -> list[dict[str, Any]]:
    response = client.client.get(url, **client.auth)
    assert response.status_code == 200 and response["Content-Type"] == "application/fhir+ndjson"
    found = [
        json.loads(line) for line in io.BytesIO(b"".join(response.streaming_content)).read().splitlines()
    ]
    for resource in found:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return found


def files(manifest: dict[str, Any]) -> dict[str, str]:
    return {o["type"]: o["url"] for o in manifest["output"]}


def test_a_system_export_writes_what_the_token_may_read_as_ndjson(
    world: World, api: Callable[..., Api], worker_now: None, django_capture_on_commit_callbacks
) -> None:
    members(world)
    admin = api(world.adam)
    _, manifest, done = export(admin, "$export?_type=Patient,Condition", django_capture_on_commit_callbacks)
    assert done.status_code == 200 and done["Content-Type"].startswith("application/json")
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    assert manifest["request"].endswith("$export?_type=Patient,Condition")
    patients = lines(admin, files(manifest)["Patient"])
    assert len(patients) == Patient.objects.filter(organization=world.riverside, merged_into=None).count()
    assert {o["count"] for o in manifest["output"] if o["type"] == "Patient"} == {len(patients)}
    assert AuditEvent.objects.filter(
        user=world.adam, action="read", detail__startswith="FHIR $export"
    ).count() >= len(patients)
    # Alice's export holds her patients only (Paula), none of the plan's members.
    alice = api(world.alice)
    _, mine, _ = export(alice, "Patient/$export?_type=Patient", django_capture_on_commit_callbacks)
    assert [p["id"] for p in lines(alice, files(mine)["Patient"])] == [str(world.paula.pk)]
    # Another token cannot read the first one's status or files; no token at all is a 401.
    assert alice.client.get(files(manifest)["Patient"], **alice.auth).status_code == 404
    assert Client().get(files(manifest)["Patient"]).status_code == 401


def test_the_kick_off_refuses_what_it_cannot_do_with_an_operation_outcome(
    world: World, api: Callable[..., Api], django_capture_on_commit_callbacks
) -> None:
    admin = api(world.adam)
    future = (clock.now() + dt.timedelta(days=1)).isoformat()
    for path, says in (
        ("$export?_type=Patient,Spaceship", "Spaceship"),
        ("$export?_outputFormat=text/csv", "_outputFormat"),
        ("$export?_since=yesterday", "_since must be a FHIR instant"),
        (f"$export?_since={future.replace('+', '%2B')}", "in the future"),
        ("Group/999999/$export", "not known"),
    ):
        refused = admin.get(path)
        assert refused.status in (400, 404) and says in refused.body["issue"][0]["diagnostics"], (
            path,
            refused.body,
        )
    with django_capture_on_commit_callbacks(execute=False):  # no worker: the first job stays accepted
        assert admin.get("$export").status == 202
        again = admin.get("$export")
    assert again.status == 429 and ExportJob.objects.count() == 1
    job = ExportJob.objects.get()
    running = admin.client.get(f"{BASE}$export-status/{job.pk}", **admin.auth)
    assert running.status_code == 202 and running["Retry-After"] == "2" and running["X-Progress"]
    deleted = admin.client.delete(f"{BASE}$export-status/{job.pk}", **admin.auth)
    assert deleted.status_code == 202 and not ExportJob.objects.exists()
    assert admin.client.get(f"{BASE}$export-status/{job.pk}", **admin.auth).status_code == 404


def test_a_registry_is_a_group_whose_members_are_exported(
    world: World, api: Callable[..., Api], worker_now: None, django_capture_on_commit_callbacks
) -> None:
    members(world)
    do_stratify(world.adam)
    ivy = make_staff("ivy", Role.POPULATION_HEALTH, world.riverside)
    registry = do_create_registry(ivy, name="Hypertension", rule="hypertension")
    in_it = sorted(registry.stays.values_list("patient_id", flat=True))
    assert in_it
    group = api(ivy).get(f"Group/{registry.pk}")
    assert group.status == 200 and group.body["quantity"] == len(in_it) and group.body["actual"] is True
    assert sorted(int(m["entity"]["reference"].split("/")[1]) for m in group.body["member"]) == in_it
    assert AuditEvent.objects.filter(user=ivy, object_type="Group", action="read").count() == len(in_it)
    assert api(world.alice).get(f"Group/{registry.pk}").status == 404  # not a population role
    admin = api(world.adam)
    _, manifest, _ = export(
        admin, f"Group/{registry.pk}/$export?_type=Patient,Condition", django_capture_on_commit_callbacks
    )
    exported = lines(admin, files(manifest)["Patient"])
    assert sorted(int(p["id"]) for p in exported) == in_it
    conditions = lines(admin, files(manifest)["Condition"])
    assert {c["subject"]["reference"] for c in conditions} <= {f"Patient/{pid}" for pid in in_it}
    # The analyst may read the Group but no chart: her export of it holds nothing.
    _, hers, _ = export(
        api(ivy, scopes=("user/*.read",)),
        f"Group/{registry.pk}/$export?_type=Patient",
        django_capture_on_commit_callbacks,
    )
    assert hers["output"] == []
    job = ExportJob.objects.filter(user=world.adam).get()
    admin.client.delete(f"{BASE}$export-status/{job.pk}", **admin.auth)
    assert not export_folder(job).exists()


def test_exported_members_imported_into_another_organisation_come_back_the_same(
    world: World, api: Callable[..., Api], worker_now: None, django_capture_on_commit_callbacks
) -> None:
    members(world)
    admin = api(world.adam)
    _, manifest, _ = export(
        admin,
        "Patient/$export?_type=Patient,Condition,Encounter,Observation",
        django_capture_on_commit_callbacks,
    )
    exported = {kind: lines(admin, url) for kind, url in files(manifest).items()}
    lara = make_staff("lara", Role.ADMIN, world.lakeside)
    for kind in ("Patient", "Condition", "Encounter", "Observation"):
        report = import_lines(
            lara, world.lakeside.pk, f"{kind}.ndjson", (json.dumps(r) for r in exported[kind]), "riverside"
        )
        assert report.imported, (kind, report.rejected[:3], report.left_out)
    theirs = Patient.objects.filter(organization=world.lakeside)
    ours = Patient.objects.filter(organization=world.riverside)
    assert sorted(theirs.values_list("family_name", "given_name", "birth_date")) == sorted(
        ours.values_list("family_name", "given_name", "birth_date")
    )
    assert sorted(
        Condition.objects.filter(patient__in=theirs).values_list("icd10_code", flat=True)
    ) == sorted(
        Condition.objects.filter(patient__in=ours).exclude(icd10_code="").values_list("icd10_code", flat=True)
    )
    assert (
        Encounter.objects.filter(patient__in=theirs).count()
        == Encounter.objects.filter(patient__in=ours).count()
    )
    # Measured values come back as the same readings (blood pressure panels and questionnaire scores are left out).
    kept = Reading.objects.exclude(measure__in=("bp-systolic", "bp-diastolic", "phq9", "gad7"))
    back = sorted(kept.filter(patient__in=theirs).values_list("measure", "value", "taken_at"))
    assert back and back == sorted(kept.filter(patient__in=ours).values_list("measure", "value", "taken_at"))


def test_an_export_whose_group_is_gone_fails_and_says_why(
    world: World, api: Callable[..., Api], django_capture_on_commit_callbacks
) -> None:
    from careconductor.fhir import bulk

    registry = do_create_registry(world.adam, name="Soon gone", rule="copd")
    admin = api(world.adam)
    with django_capture_on_commit_callbacks(execute=False):
        kicked = admin.get(f"Group/{registry.pk}/$export")
    assert kicked.status == 202
    registry.delete()
    job = bulk.run(str(ExportJob.objects.get().pk))
    assert job is not None and job.status == ExportJob.Status.FAILED and "is not known" in job.error
    failed = admin.get(kicked.headers["Content-Location"].removeprefix("http://testserver/fhir/r4/"))
    assert failed.status == 500 and "The export failed" in failed.body["issue"][0]["diagnostics"]
