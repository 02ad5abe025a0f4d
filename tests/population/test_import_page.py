"""The administrator's import page (issue 22): files uploaded, imported by the worker through the same importer as
the command, the progress and each file's report on the page; a bad line rejects its file and writes nothing; a
dry run writes nothing; refusals beside the fields; only an administrator; the uploaded files do not stay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from careconductor.core import clock
from careconductor.patients.models import Condition, Patient
from careconductor.population.import_runs import import_folder
from careconductor.population.models import ImportRun
from careconductor.population.synthetic import population
from careconductor.privacy.models import AuditEvent
from tests.personas import World

pytestmark = pytest.mark.django_db
MEMBERS = 12


def ndjson(kind: str, *, broken_line: int | None = None) -> SimpleUploadedFile:
    lines = list(population(3, MEMBERS, today=clock.today())[kind])
    if broken_line is not None:
        lines[broken_line - 1] = '{"resourceType": "Condition", "id": '
    return SimpleUploadedFile(
        f"{kind}.ndjson", "\n".join(lines).encode(), content_type="application/x-ndjson"
    )


def upload(
    client, files: list[SimpleUploadedFile], *, source: str = "plan-feed", dry_run: bool = False, capture
):  # type: ignore[no-untyped-def]
    data = {"uploads": files, "source": source, **({"dry_run": "on"} if dry_run else {})}
    with capture(execute=True):
        return client.post(reverse("population:imports"), data)


def test_an_upload_is_imported_by_the_worker_and_reported(
    world: World, login, worker_now: None, django_capture_on_commit_callbacks
) -> None:
    client = login(world.adam)
    before = Patient.objects.count()
    answer = upload(
        client, [ndjson("Condition"), ndjson("Patient")], capture=django_capture_on_commit_callbacks
    )
    run = ImportRun.objects.get()
    assert answer["Location"] == reverse("population:import_run", args=[run.pk])
    assert run.status == ImportRun.Status.DONE and run.files == ["Patient.ndjson", "Condition.ndjson"]
    assert run.percent == 100 and run.lines_read == run.lines_total > 0
    assert Patient.objects.count() == before + MEMBERS
    assert run.reports[0]["new"] == MEMBERS and all(r["imported"] for r in run.reports)
    assert not import_folder(run).exists()  # the uploaded files do not stay
    assert AuditEvent.objects.filter(user=world.adam, object_type="PopulationImport").count() == 2
    page = client.get(answer["Location"]).content.decode()
    assert "Done" in page and "Patient.ndjson" in page and 'value="100"' in page and "every 2s" not in page
    # The same files again change nothing.
    upload(client, [ndjson("Patient")], capture=django_capture_on_commit_callbacks)
    assert Patient.objects.count() == before + MEMBERS
    assert ImportRun.objects.order_by("-pk").first().reports[0]["unchanged"] == MEMBERS  # type: ignore[union-attr]


def test_a_bad_line_rejects_its_file_and_a_dry_run_writes_nothing(
    world: World, login, worker_now: None, django_capture_on_commit_callbacks
) -> None:
    client = login(world.adam)
    patients, conditions = Patient.objects.count(), Condition.objects.count()
    upload(client, [ndjson("Patient")], dry_run=True, capture=django_capture_on_commit_callbacks)
    dry = ImportRun.objects.get()
    assert dry.reports[0]["new"] == MEMBERS and Patient.objects.count() == patients
    assert "would be imported" in client.get(reverse("population:import_run", args=[dry.pk])).content.decode()
    upload(
        client,
        [ndjson("Patient"), ndjson("Condition", broken_line=2)],
        capture=django_capture_on_commit_callbacks,
    )
    run = ImportRun.objects.order_by("-pk").first()
    assert run is not None
    condition_report = next(r for r in run.reports if r["name"] == "Condition.ndjson")
    assert not condition_report["imported"] and condition_report["rejected"][0][0] == 2
    assert Condition.objects.count() == conditions  # the whole file, not just its bad line
    page = client.get(reverse("population:import_run", args=[run.pk])).content.decode()
    assert "not imported" in page and "Line 2:" in page


@pytest.mark.parametrize(
    ("files", "source", "field", "says"),
    [
        ([], "plan-feed", "uploads", "Choose the files to import."),
        (["Patient.ndjson"], "Plan Feed!", "source", "Name the source in lower case letters"),
        (["members.xlsx"], "plan-feed", "uploads", "import FHIR NDJSON (.ndjson), eligibility CSV (.csv)"),
    ],
)
def test_refusals_show_beside_their_fields_and_queue_nothing(
    world: World,
    login,
    files: list[str],
    source: str,
    field: str,
    says: str,
    django_capture_on_commit_callbacks,
) -> None:
    client = login(world.adam)
    uploads = [SimpleUploadedFile(name, b'{"resourceType": "Patient", "id": "1"}\n') for name in files]
    answer = upload(client, uploads, source=source, capture=django_capture_on_commit_callbacks)
    assert answer.status_code == 400 and says in answer.content.decode()
    assert f'id="id_{field}_error"' in answer.content.decode()
    assert not ImportRun.objects.exists()


def test_a_queued_import_is_followed_by_the_page_until_it_is_done(
    world: World, login, django_capture_on_commit_callbacks
) -> None:
    client = login(world.adam)
    with django_capture_on_commit_callbacks(execute=False):  # no worker yet
        client.post(reverse("population:imports"), {"uploads": [ndjson("Patient")], "source": "plan-feed"})
    run = ImportRun.objects.get()
    assert Path(import_folder(run) / "Patient.ndjson").exists()
    partial = client.get(reverse("population:import_run", args=[run.pk]), headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert 'hx-trigger="every 2s"' in body and "Waiting for the worker" in body and "<html" not in body
    assert json.loads(json.dumps(run.files)) == ["Patient.ndjson"]


@pytest.mark.parametrize("persona", ["alice", "sam", "uma"])
def test_only_an_administrator_imports(world: World, persona: str, login) -> None:
    client = login(getattr(world, persona))
    assert client.get(reverse("population:imports")).status_code == 403


def test_stratify_now_is_queued_for_the_worker_and_renews_the_tiers(
    world: World, login, worker_now: None, django_capture_on_commit_callbacks
) -> None:
    from careconductor.population.models import MemberRisk, StratificationRun

    client = login(world.adam)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(reverse("population:stratify"), follow=True)
    assert "The stratification is queued" in answer.content.decode()
    assert StratificationRun.objects.filter(run_by=world.adam).count() == 1
    assert MemberRisk.objects.filter(patient=world.paula).exists()
    assert login(world.sam).post(reverse("population:stratify")).status_code == 403
