"""The search matches only until it has enough (queries.search): the same services, in the same order, with the same
reasons as matching every candidate and ranking them all, the way it worked before (kept here as the reference),
over a random directory of a few hundred services and a table of queries (every filter, alone and together, near
and far, with ties between services at the same place)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

import pytest
from django.db.models import Q

from careconductor.accounts.models import User
from careconductor.directory import queries, rules
from careconductor.directory.actions import do_import_hsds
from careconductor.directory.choices import LocationType, ServiceStatus
from careconductor.directory.models import Schedule, Service, ServiceAtLocation, ServiceNeed
from careconductor.directory.queries import MOST_SHOWN, _Candidate

from ..personas import World
from ..shared import ModuleDb, reread

pytestmark = pytest.mark.django_db

NS = uuid.UUID("0b1e0a52-6a4d-4f0e-8d7c-3f2a1b9c8d70")
CENTRE = (43.6537, -117.0602)
NEEDS = ["food", "housing", "transport", "utilities", "behavioural-health"]


def _package(count: int) -> list[dict[str, Any]]:
    rng = random.Random(20)
    providers = [{"id": str(uuid.uuid5(NS, f"org{n}")), "name": f"Provider {n}"} for n in range(count // 4)]
    shared = [  # a few halls several services share: ties in distance
        {"id": str(uuid.uuid5(NS, f"hall{n}")), "name": f"Hall {n}", "location_type": "physical",
         "latitude": round(CENTRE[0] + rng.uniform(-0.2, 0.2), 5),
         "longitude": round(CENTRE[1] + rng.uniform(-0.3, 0.3), 5)}
        for n in range(5)
    ]  # fmt: skip
    out = []
    for n in range(count):
        places: list[dict[str, Any]] = []
        kind = rng.random()
        if kind < 0.15:
            places.append({"id": str(uuid.uuid5(NS, f"v{n}")), "location_type": "virtual"})
        if 0.1 < kind < 0.95:
            for m in range(rng.choice((1, 1, 2))):
                places.append(
                    rng.choice(shared) if rng.random() < 0.2 else
                    {"id": str(uuid.uuid5(NS, f"loc{n}.{m}")), "location_type": "physical",
                     "latitude": round(CENTRE[0] + rng.uniform(-0.6, 0.6), 5),
                     "longitude": round(CENTRE[1] + rng.uniform(-0.8, 0.8), 5)}
                )  # fmt: skip
        if kind >= 0.95:
            places.append({"id": str(uuid.uuid5(NS, f"nowhere{n}")), "location_type": "physical"})
        unique = {p["id"]: p for p in places}
        service: dict[str, Any] = {
            "id": str(uuid.uuid5(NS, f"svc{n}")),
            "name": f"Service {rng.randrange(count // 3):03d}",  # names repeat: ties broken by pk
            "status": "active" if rng.random() < 0.9 else "inactive",
            "organization": rng.choice(providers),
            "service_at_locations": [
                {"id": str(uuid.uuid5(NS, f"sal{n}.{k}")), "location": p} for k, p in enumerate(unique.values())
            ],
            "schedules": [
                {"id": str(uuid.uuid5(NS, f"sc{n}")), "freq": "WEEKLY", "byday": rng.choice(("MO,TU,WE", "SA,SU")),
                 "opens_at": rng.choice(("08:00", "22:00")), "closes_at": rng.choice(("17:00", "06:00"))}
            ] if rng.random() < 0.8 else [],
            "languages": [{"id": str(uuid.uuid5(NS, f"la{n}{c}")), "code": c}
                          for c in ["en", *rng.sample(["es", "vi"], rng.choice((0, 0, 1)))]],
            "attributes": [
                {"id": str(uuid.uuid5(NS, f"at{n}{x}")), "taxonomy_term": {"code": x, "vocabulary": "careconductor-need"}}
                for x in rng.sample(NEEDS, rng.choice((1, 2)))
            ] + ([{"id": str(uuid.uuid5(NS, f"free{n}")), "taxonomy_term": {"code": "free", "vocabulary": "careconductor-cost"}}]
                 if rng.random() < 0.5 else []),
        }  # fmt: skip
        if rng.random() < 0.2:
            service["minimum_age"] = 60
        out.append(service)
    return out


@pytest.fixture(scope="module")
def shared_directory(module_db: ModuleDb, shared_world: World) -> None:
    """Built once for the module (each test rolls back its own changes)."""
    module_db.build(lambda: do_import_hsds(reread(shared_world).adam, _package(400)))


@pytest.fixture
def directory(shared_directory: None, world: World) -> None:
    assert Service.objects.count() == 400


MONDAY_NOON = dt.datetime(2026, 11, 30, 12, 0)  # a fixed moment: the rules are given it, not the clock
FAR = (44.5, -116.0)
QUERIES = [
    rules.Query(),
    rules.Query(near=CENTRE),
    rules.Query(near=CENTRE, within_km=10),
    rules.Query(near=CENTRE, within_km=3),
    rules.Query(near=FAR, within_km=15),
    rules.Query(near=FAR),
    rules.Query(needs=frozenset({"food"})),
    rules.Query(needs=frozenset({"food", "housing"}), near=CENTRE, within_km=16),
    rules.Query(language="es", near=CENTRE),
    rules.Query(open_now=MONDAY_NOON, near=CENTRE, within_km=40),
    rules.Query(open_now=MONDAY_NOON.replace(hour=2)),
    rules.Query(free_only=True, age=70, near=CENTRE),
    rules.Query(age=30, needs=frozenset({"transport"})),
    rules.Query(needs=frozenset({"food", "transport"}), near=CENTRE, within_km=16, language="es",
                open_now=MONDAY_NOON, free_only=True, age=70),
]  # fmt: skip


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("most", [MOST_SHOWN, 7])
def test_the_same_services_in_the_same_order_with_the_same_reasons(
    world: World, directory: None, query: rules.Query, most: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "MOST_SHOWN", most)
    expected = reference_search(world.alice, query)
    found = [(f.service.pk, f.match) for f in queries.search(world.alice, query)]
    assert found == expected
    assert len(found) <= most


def reference_search(user: User, query: rules.Query) -> list[tuple[int, rules.Match]]:
    """The search as it was before it stopped matching early (every candidate matched, then ranked)."""
    candidates = Service.objects.filter(organization_id=user.org_id, status=ServiceStatus.ACTIVE)
    if query.needs:
        candidates = candidates.filter(
            pk__in=ServiceNeed.objects.filter(need__in=sorted(query.needs)).values("service_id")
        )
    # The lists (JSON) are read only when the query asks about them: decoding 10,000 of them costs more than the
    # rest of a search.
    lists = [name for name, asked in (("needs", query.needs), ("languages", query.language)) if asked]
    facts: dict[int, _Candidate] = {}
    for pk, free, low, high, *read in candidates.values_list(
        "pk", "free", "minimum_age", "maximum_age", *lists
    ):
        given = dict(zip(lists, read, strict=True))
        facts[pk] = _Candidate(given.get("needs") or [], given.get("languages") or [], free, low, high)
    if not facts:
        return []
    links = ServiceAtLocation.objects.filter(service_id__in=candidates.values("pk"))
    if query.near is not None and query.within_km is not None:
        south, west, north, east = rules.box_around(query.near, query.within_km)
        box = Q(location__latitude__range=(south, north))
        if west >= -180 and east <= 180:  # a box across the antimeridian is narrowed by latitude only
            box &= Q(location__longitude__range=(west, east))
        links = links.filter(box | Q(location__location_type=LocationType.VIRTUAL))
    for pk, latitude, longitude, kind in links.values_list(
        "service_id", "location__latitude", "location__longitude", "location__location_type"
    ):
        if kind == LocationType.VIRTUAL:
            facts[pk].virtual = True
        elif kind == LocationType.PHYSICAL and latitude is not None and longitude is not None:
            facts[pk].places.append((latitude, longitude))
    # A service with no place at all is reached by phone or online (as service_facts says).
    for pk in candidates.exclude(pk__in=ServiceAtLocation.objects.values("service_id")).values_list(
        "pk", flat=True
    ):
        facts[pk].virtual = True
    if query.open_now is not None:
        for pk, days, opens, closes, start, end in Schedule.objects.filter(
            service_id__in=candidates.values("pk")
        ).values_list("service_id", "days", "opens_at", "closes_at", "valid_from", "valid_to"):
            facts[pk].openings.append(rules.Opening(frozenset(days), opens, closes, start, end))
    ranked = rules.rank((pk, rules.match(candidate.facts(), query)) for pk, candidate in facts.items())
    return [(pk, m) for pk, m in ranked[: queries.MOST_SHOWN]]  # type: ignore[misc]
