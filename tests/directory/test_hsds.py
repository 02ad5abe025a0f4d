"""HSDS 3.0 JSON in and out (issue 20): a package imported, exported and imported again is the same content and
adds nothing twice; a package with any problem is refused whole, says every problem with where it is, and keeps
nothing; only an administrator imports."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest

from careconductor.core.errors import ActionRefused
from careconductor.directory import export, hsds
from careconductor.directory.actions import do_import_hsds
from careconductor.directory.models import Location, Phone, Provider, Schedule, Service
from careconductor.privacy.models import AuditEvent

from ..personas import World

pytestmark = pytest.mark.django_db

NS = uuid.UUID("6f1c1a52-3d6b-4d7e-9a54-0c5c3f0a9b11")


def _id(name: str) -> str:
    """The same id each time the package is built (a package built twice is the same package)."""
    return str(uuid.uuid5(NS, name))


PANTRY, LEGAL, FOODS_ORG, HALL = (_id(n) for n in ("pantry", "legal", "org", "hall"))


def package() -> list[dict[str, Any]]:
    """Two services of one fictional provider sharing a hall, as an HSDS 3.0 JSON package."""
    org = {"id": FOODS_ORG, "name": "Prairie Neighbors (fictional)", "description": "Food and help."}
    hall = {
        "id": HALL,
        "name": "Prairie Neighbors Hall",
        "location_type": "physical",
        "latitude": 39.8017,
        "longitude": -89.6436,
        "addresses": [
            {"id": _id("child-1"), "address_1": "100 Example Ave", "city": "Springfield",
             "state_province": "IL", "postal_code": "62701", "country": "US", "address_type": "physical"}
        ],
    }  # fmt: skip
    return [
        {
            "id": PANTRY,
            "name": "Weekly food pantry",
            "status": "active",
            "description": "Groceries once a week.",
            "eligibility_description": "Residents of the county.",
            "organization": org,
            "service_at_locations": [{"id": _id("child-2"), "location": hall}],
            "phones": [{"id": _id("child-3"), "number": "555-0142", "type": "voice"}],
            "schedules": [
                {
                    "id": _id("child-4"),
                    "freq": "WEEKLY",
                    "byday": "TU,TH",
                    "opens_at": "09:00",
                    "closes_at": "13:00",
                }
            ],
            "languages": [{"id": _id("child-5"), "code": "en"}, {"id": _id("child-6"), "code": "es"}],
            "attributes": [
                {
                    "id": _id("child-7"),
                    "taxonomy_term": {"code": "food", "vocabulary": hsds.NEED_VOCABULARY},
                },
                {
                    "id": _id("child-8"),
                    "taxonomy_term": {"code": "free", "vocabulary": hsds.COST_VOCABULARY},
                },
            ],
        },
        {
            "id": LEGAL,
            "name": "Utility bill help",
            "status": "active",
            "minimum_age": 18,
            "organization": org,
            "service_at_locations": [{"id": _id("child-9"), "location": hall}],
            "attributes": [
                {
                    "id": _id("child-10"),
                    "taxonomy_term": {"code": "utilities", "vocabulary": hsds.NEED_VOCABULARY},
                }
            ],
        },
    ]


def content(services: list[dict[str, Any]]) -> list[Any]:
    """What a package says, without the ids of children we do not keep as rows (languages, attributes, service at
    location links and addresses are given derived ids on export)."""

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in ("id",) or not _child_id(node)}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return sorted((strip(s) for s in services), key=lambda s: s["name"])


def _child_id(node: dict[str, Any]) -> bool:
    return "code" in node or "taxonomy_term" in node or "location" in node or "address_1" in node


def test_a_package_round_trips_and_a_second_import_adds_nothing(world: World) -> None:
    report = do_import_hsds(world.adam, package(), source="test.json")
    assert (report.services_added, report.services_updated, report.providers, report.locations) == (
        2,
        0,
        1,
        1,
    )
    assert Provider.objects.count() == 1 and Location.objects.count() == 1
    pantry = Service.objects.get(hsds_id=PANTRY)
    assert (pantry.needs, pantry.languages, pantry.free) == (["food"], ["en", "es"], True)
    assert [str(s) for s in Schedule.objects.filter(service=pantry)] == ["TU,TH 09:00-13:00"]
    first = export.package(world.riverside.pk)
    assert content(first) == content(_as_exported(package()))
    again = do_import_hsds(world.adam, first)
    assert (again.services_added, again.services_updated) == (0, 2)
    assert Service.objects.count() == 2 and Phone.objects.count() == 1 and Schedule.objects.count() == 1
    assert export.package(world.riverside.pk) == first
    assert AuditEvent.objects.filter(object_type="DirectoryImport", user=world.adam).count() == 2


def test_a_changed_package_updates_what_is_there(world: World) -> None:
    do_import_hsds(world.adam, package())
    changed = package()
    changed[0]["name"] = "Twice-weekly food pantry"
    changed[0]["schedules"][0]["byday"] = "MO,WE"
    do_import_hsds(world.adam, changed)
    pantry = Service.objects.get(hsds_id=PANTRY)
    assert pantry.name == "Twice-weekly food pantry" and pantry.version == 2
    assert [str(s) for s in pantry.schedules.all()] == ["MO,WE 09:00-13:00"]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda p: p[0].pop("name"), "services[0].name: is required"),
        (lambda p: p[0].update(status="open"), "services[0].status: is not one of"),
        (lambda p: p[1].update(id=PANTRY), "services[1].id: the same id as services[0]"),
        (lambda p: p[0].update(id="not-a-uuid"), "services[0].id: is not a UUID"),
        (
            lambda p: p[0]["service_at_locations"][0]["location"].update(latitude=95),
            "location.latitude: is not between",
        ),
        (lambda p: p[0]["service_at_locations"][0]["location"].pop("longitude"), "Give both the latitude"),
        (lambda p: p[0]["schedules"][0].update(byday="MON"), "schedules[0].byday: Days are"),
        (lambda p: p[0]["schedules"][0].update(freq="MONTHLY"), "only weekly schedules"),
        (lambda p: p[0]["schedules"][0].update(opens_at="9am"), "opens_at: is not a time of day"),
        (lambda p: p[1].update(minimum_age=70, maximum_age=60), "maximum_age: is below minimum_age"),
        (lambda p: p[0]["attributes"][0]["taxonomy_term"].update(code="fun"), "is not a need"),
        (lambda p: p[0].pop("organization"), "services[0].organization: is required"),
        (lambda p: p[0]["languages"][0].update(code="english"), "languages[0].code: is longer than 3"),
        (lambda p: p[0].update(name=["x"]), "services[0].name: is not text"),
    ],
)
def test_a_bad_package_is_refused_whole_and_keeps_nothing(world: World, change: Any, problem: str) -> None:
    bad = package()
    change(bad)
    with pytest.raises(hsds.PackageRefused) as refused:
        do_import_hsds(world.adam, bad)
    assert any(problem in p for p in refused.value.problems), refused.value.problems
    assert not Service.objects.exists() and not Provider.objects.exists()


@pytest.mark.parametrize("data", [None, "services", {"services": "x"}, 42, [1, 2]])
def test_what_is_not_a_package_is_refused(world: World, data: Any) -> None:
    with pytest.raises(hsds.PackageRefused):
        do_import_hsds(world.adam, data)


def test_only_an_administrator_imports(world: World) -> None:
    with pytest.raises(ActionRefused):
        do_import_hsds(world.alice, package())
    assert not Service.objects.exists()


def _as_exported(services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The package as the export writes it: no phone without a type dropped, empty values left out."""
    out = copy.deepcopy(services)
    for s in out:
        for sal in s.get("service_at_locations", []):
            for address in sal["location"].get("addresses", []):
                address.setdefault("address_type", "physical")
    return out


def test_a_big_import_brings_the_planners_statistics_up_to_date(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from careconductor.directory import actions

    monkeypatch.setattr(actions, "ANALYZE_AFTER", 2)  # ANALYZE on PostgreSQL, nothing on SQLite
    report = do_import_hsds(world.adam, package())
    assert report.services_added == 2
