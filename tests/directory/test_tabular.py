"""HSDS 3.0 as a Tabular Data Package (issue 20): a directory exported as CSV files and imported into an empty
directory is the same directory (exported again: the same files, and the same JSON), in a folder or a zip, by the
command or the upload page; importing it again adds nothing; a bad package is refused whole, keeps nothing, and
says each problem by file, row and column."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.demo.directory import STARTER
from careconductor.directory import export, hsds, tabular
from careconductor.directory.actions import do_import_hsds
from careconductor.directory.models import Provider, Service

from ..personas import World, make_staff
from .test_hsds import PANTRY, package

pytestmark = pytest.mark.django_db

Files = dict[str, bytes]


@pytest.fixture
def lara(world: World) -> User:
    """An administrator of Lakeside, whose directory is empty."""
    return make_staff("lara", Role.ADMIN, world.lakeside)


@pytest.fixture
def exported(world: World) -> Files:
    """Riverside's directory (the starter and the test package, one organisation a HIPAA covered entity) as CSV."""
    do_import_hsds(world.adam, json.loads(STARTER.read_text(encoding="utf-8")))
    do_import_hsds(world.adam, package())
    Provider.objects.filter(services__hsds_id=PANTRY).update(hipaa_covered=True)
    return tabular.write_tables(export.package(world.riverside.pk))


def test_csv_round_trips_into_an_empty_directory(world: World, lara: User, exported: Files) -> None:
    assert set(exported) == {*tabular.COLUMNS, "datapackage.json"}
    assert json.loads(exported["datapackage.json"])["profile"] == "tabular-data-package"
    report = do_import_hsds(lara, tabular.Tables(dict(exported)), source="riverside.zip")
    assert (report.services_added, report.services_updated) == (16, 0)
    assert export.package(world.lakeside.pk) == export.package(world.riverside.pk)
    assert tabular.write_tables(export.package(world.lakeside.pk)) == exported
    assert Provider.objects.get(organization=world.lakeside, services__hsds_id=PANTRY).hipaa_covered
    again = do_import_hsds(lara, tabular.from_zip(tabular.to_zip(exported)))
    assert (again.services_added, again.services_updated) == (0, 16)
    assert tabular.write_tables(export.package(world.lakeside.pk)) == exported


def test_json_round_trips_into_an_empty_directory(world: World, lara: User, exported: Files) -> None:
    first = export.package(world.riverside.pk)
    do_import_hsds(lara, json.loads(json.dumps(first)))
    assert export.package(world.lakeside.pk) == first
    do_import_hsds(lara, first)
    assert export.package(world.lakeside.pk) == first
    assert Service.objects.filter(organization=world.lakeside).count() == 16


def _table(files: Files, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[name].decode("utf-8"))))


def _put(files: Files, name: str, rows: list[dict[str, str]], columns: list[str] | None = None) -> None:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns or list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    files[name] = text.getvalue().encode("utf-8")


def _cell(name: str, row: int, column: str, value: str) -> Callable[[Files], None]:
    """Set one cell (row as a spreadsheet numbers it: the header is row 1)."""

    def change(files: Files) -> None:
        rows = _table(files, name)
        rows[row - 2][column] = value
        _put(files, name, rows)

    return change


def _drop_column(name: str, column: str) -> Callable[[Files], None]:
    def change(files: Files) -> None:
        rows = _table(files, name)
        for r in rows:
            r.pop(column)
        _put(files, name, rows)

    return change


def _duplicate_row(name: str) -> Callable[[Files], None]:
    def change(files: Files) -> None:
        rows = _table(files, name)
        _put(files, name, [*rows, rows[0]])

    return change


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (_cell("services.csv", 2, "name", ""), "services.csv row 2, column name: is required"),
        (_cell("services.csv", 3, "status", "open"), "services.csv row 3, column status: is not one of"),
        (_cell("services.csv", 2, "id", "nope"), "services.csv row 2, column id: is not a UUID"),
        (_cell("services.csv", 2, "minimum_age", "old"), "services.csv row 2, column minimum_age: is not a number"),
        (_cell("services.csv", 2, "organization_id", "x"), "services.csv row 2, column organization_id: no row"),
        (_cell("organizations.csv", 2, "name", ""), "organizations.csv row 2, column name: is required"),
        (_cell("locations.csv", 2, "latitude", "95"), "locations.csv row 2, column latitude: is not between"),
        (_cell("locations.csv", 2, "location_type", "moon"), "locations.csv row 2, column location_type"),
        (_cell("schedules.csv", 2, "byday", "MON"), "schedules.csv row 2, column byday: Days are"),
        (_cell("schedules.csv", 2, "opens_at", "9am"), "schedules.csv row 2, column opens_at: is not a time"),
        (_cell("schedules.csv", 2, "service_id", "x"), "schedules.csv row 2, column service_id: no row of"),
        (_cell("phones.csv", 2, "number", ""), "phones.csv row 2, column number: is required"),
        (_cell("languages.csv", 2, "code", "e1"), "languages.csv row 2, column code: is not an ISO 639 code"),
        (_cell("addresses.csv", 2, "location_id", "x"), "addresses.csv row 2, column location_id: no row of"),
        (_cell("service_at_location.csv", 2, "location_id", "x"), "service_at_location.csv row 2, column location_id"),
        (_cell("taxonomy_terms.csv", 2, "code", "fun"), "taxonomy_terms.csv row 2, column code: is not a need"),
        (_cell("attributes.csv", 2, "taxonomy_term_id", "x"), "attributes.csv row 2, column taxonomy_term_id"),
        (_drop_column("services.csv", "organization_id"), "services.csv: has no column organization_id"),
        (_drop_column("phones.csv", "id"), "phones.csv: has no column id"),
        (_duplicate_row("services.csv"), "column id: the same id as row 2"),
        (lambda f: f.pop("organizations.csv"), "organizations.csv: is missing from the package"),
        (lambda f: f.update({"services.csv": b"\xff\xfe"}), "services.csv: is not UTF-8 text"),
        (lambda f: f.update({"datapackage.json": b"{"}), "datapackage.json: is not JSON"),
    ],
)  # fmt: skip
def test_a_bad_package_is_refused_whole_and_says_where(
    world: World, lara: User, exported: Files, change: Callable[[Files], None], problem: str
) -> None:
    files = dict(exported)
    change(files)
    with pytest.raises(hsds.PackageRefused) as refused:
        do_import_hsds(lara, tabular.Tables(files))
    assert any(p.startswith(problem) or problem in p for p in refused.value.problems), refused.value.problems
    assert not Service.objects.filter(organization=world.lakeside).exists()
    assert not Provider.objects.filter(organization=world.lakeside).exists()


def test_what_is_not_a_zip_is_refused(lara: User) -> None:
    with pytest.raises(hsds.PackageRefused, match="not a zip"):
        do_import_hsds(lara, tabular.from_zip(b"not a zip"))


def test_the_command_reads_and_writes_folders_and_zips(
    world: World, lara: User, exported: Files, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "package"
    call_command("directory", "export", str(folder), "--format", "csv", "--admin", world.adam.username)
    assert {p.name for p in folder.iterdir()} == set(exported)
    call_command("directory", "import", str(folder), "--admin", lara.username)
    assert "16 service(s) added" in capsys.readouterr().out
    archive = tmp_path / "lakeside.zip"
    call_command("directory", "export", str(archive), "--format", "csv", "--admin", lara.username)
    assert tabular.from_zip(archive.read_bytes()).files == exported
    call_command("directory", "import", str(archive), "--admin", lara.username)
    assert "0 service(s) added, 16 updated" in capsys.readouterr().out
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "organizations.csv").write_bytes(exported["organizations.csv"])
    (bad / "services.csv").write_bytes(b"id,organization_id,name\nnope,,x\n")
    with pytest.raises(CommandError, match=r"services\.csv row 2, column id: is not a UUID"):
        call_command("directory", "import", str(bad), "--admin", lara.username)
    with pytest.raises(CommandError, match="several files"):
        call_command("directory", "export", "--format", "csv", "--admin", lara.username)


def test_the_administrator_uploads_a_package_and_reads_the_result(
    world: World, exported: Files, login
) -> None:
    client = login(world.adam)
    url = reverse("directory:import")
    assert client.get(url).status_code == 200
    zipped = tabular.to_zip(exported)
    answer = client.post(url, {"package": SimpleUploadedFile("region.zip", zipped)})
    assert answer.status_code == 200
    assert "0 service(s) added, 16 updated" in answer.content.decode()
    broken = dict(exported)
    _cell("services.csv", 2, "name", "")(broken)
    answer = client.post(url, {"package": SimpleUploadedFile("region.zip", tabular.to_zip(broken))})
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "region.zip was not imported" in page and "services.csv row 2, column name: is required" in page
    answer = client.post(url, {"package": SimpleUploadedFile("x.json", b"{not json")})
    assert answer.status_code == 400 and "neither a zip nor HSDS JSON" in answer.content.decode()
    download = client.get(reverse("directory:export"), {"as": "csv"})
    assert download["Content-Type"] == "application/zip"
    assert tabular.from_zip(download.content).files == exported
    as_json = client.get(reverse("directory:export"))
    assert json.loads(as_json.content) == export.package(world.riverside.pk)
