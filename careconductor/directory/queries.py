"""Reads of the community resource directory. The directory is the organisation's and holds no patient data:
any member of staff may search it. A search for a patient starts from what the chart says (their active needs,
postal code, language and age) for a patient the caller has already opened."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.patients.models import Patient

from . import geo, rules
from .choices import LocationType, ServiceStatus
from .models import Location, Phone, Schedule, Service, ServiceAtLocation, ServiceNeed

MOST_SHOWN = 50


@dataclass(frozen=True)
class Found:
    service: Service
    match: rules.Match


@dataclass
class _Candidate:
    """A service's facts as the search reads them, gathered from several light queries."""

    needs: list[str]
    languages: list[str]
    free: bool | None
    minimum_age: int | None
    maximum_age: int | None
    places: list[tuple[float, float]] = field(default_factory=list)
    virtual: bool = False
    openings: list[rules.Opening] = field(default_factory=list)

    def facts(self) -> rules.ServiceFacts:
        return rules.ServiceFacts(
            needs=frozenset(self.needs),
            languages=frozenset(self.languages),
            places=tuple(self.places),
            virtual=self.virtual,
            openings=tuple(self.openings),
            free=self.free,
            minimum_age=self.minimum_age,
            maximum_age=self.maximum_age,
        )


# With no distance limit but a place to be near, the search looks in growing boxes around it first (km): a
# service whose nearest place is within the radius has that place in the box, so those are ranked before any other.
RINGS_KM = (8.0, 32.0, 128.0)
MOST_IDS = 5000  # more candidates than this are named by their conditions again, not by a list of ids
# What the results page does not show of a service (not read: decoding JSON and dates costs).
UNSHOWN_OF_A_ROW = ("created_at", "updated_at", "hsds_id")
UNSHOWN = (*UNSHOWN_OF_A_ROW, "needs", "languages", "application_process")


def search(user: User, query: rules.Query) -> list[Found]:
    """The active services of the user's organisation that fit the query, nearest first, at most MOST_SHOWN.
    In two steps, so the cost is a few light queries whatever the directory's size: the candidates' facts as
    plain values, narrowed in SQL (an indexed need; with a distance limit, only services with a place in a box
    around the centre, by phone or online, or with no place at all can fit; without one, the nearest in growing
    boxes first), put in the order the results take (nearest first, then by name) and matched by the rules in that
    order until MOST_SHOWN fit, so the reasons are worked out for the ones shown and a few more; then the full
    rows of the ones shown. The same services in the same order with the same reasons as matching every
    candidate and ranking them all (rules.rank; tests/directory/test_search_order.py)."""
    base = Service.objects.filter(organization_id=user.org_id, status=ServiceStatus.ACTIVE)
    # Narrowed by ids read first, each from an index, and put together here: one query with the subqueries and
    # their OR in it is estimated dear enough that PostgreSQL compiles it (JIT) first, which alone costs more than
    # the whole search. (A very long list is left to the database as the subqueries.)
    needed = Q()
    ids: set[int] | None = None
    if query.needs:
        in_need = ServiceNeed.objects.filter(need__in=sorted(query.needs)).values_list(
            "service_id", flat=True
        )
        needed = Q(pk__in=in_need)
        ids = set(in_need)
    if query.near is not None and query.within_km is None:
        return _shown(_nearest_first(base, needed, ids, query, query.near))
    box = Q()
    reach = Q()
    if query.near is not None and query.within_km is not None:
        box = _in_box(query.near, query.within_km) | Q(location__location_type=LocationType.VIRTUAL)
        # Anything else is too far, or its place is not known: it cannot fit (rules.match).
        in_box = ServiceAtLocation.objects.filter(box).values_list("service_id", flat=True)
        placeless = base.exclude(pk__in=ServiceAtLocation.objects.values("service_id"))
        reach = Q(pk__in=in_box) | Q(pk__in=placeless.values("pk"))
        reachable = {*in_box, *placeless.values_list("pk", flat=True)}
        ids = reachable if ids is None else ids & reachable
    fitting, _ = _fitting(_facts(_narrowed(base, ids, needed & reach), box, query), query, MOST_SHOWN)
    return _shown(fitting)


def _narrowed(base: QuerySet[Service], ids: set[int] | None, otherwise: Q) -> QuerySet[Service]:
    """The candidates by a list of ids (None: all of them), or by the subqueries when the list is long."""
    if ids is None:
        return base.filter(otherwise)
    return base.filter(pk__in=sorted(ids)) if len(ids) <= MOST_IDS else base.filter(otherwise)


def _in_box(centre: tuple[float, float], km: float) -> Q:
    """Links to a place in the box around the centre that holds every point within `km` of it."""
    south, west, north, east = rules.box_around(centre, km)
    box = Q(location__latitude__range=(south, north))
    if west >= -180 and east <= 180:  # a box across the antimeridian is narrowed by latitude only
        box &= Q(location__longitude__range=(west, east))
    return box


def _facts(candidates: QuerySet[Service], links: Q, query: rules.Query) -> dict[int, _Candidate]:
    """The candidates' facts, in the candidates' order (by name), with their places among the links given."""
    # The lists (JSON) are read only when the query asks about them: decoding 10,000 of them costs more than the
    # rest of a search.
    lists = [name for name, asked in (("needs", query.needs), ("languages", query.language)) if asked]
    facts: dict[int, _Candidate] = {}
    for pk, free, low, high, placed, *read in candidates.annotate(
        placed=Exists(ServiceAtLocation.objects.filter(service=OuterRef("pk")))
    ).values_list("pk", "free", "minimum_age", "maximum_age", "placed", *lists):
        given = dict(zip(lists, read, strict=True))
        facts[pk] = _Candidate(given.get("needs") or [], given.get("languages") or [], free, low, high)
        # A service with no place at all is reached by phone or online (as service_facts says).
        facts[pk].virtual = not placed
    if not facts:
        return facts
    # The rest by the ids just read: a few thousand numbers cost less than the candidates' conditions again.
    ids: Any = list(facts) if len(facts) <= MOST_IDS else candidates.values("pk")
    for pk, latitude, longitude, kind in ServiceAtLocation.objects.filter(
        links, service_id__in=ids
    ).values_list("service_id", "location__latitude", "location__longitude", "location__location_type"):
        if kind == LocationType.VIRTUAL:
            facts[pk].virtual = True
        elif kind == LocationType.PHYSICAL and latitude is not None and longitude is not None:
            facts[pk].places.append((latitude, longitude))
    if query.open_now is not None:
        for pk, days, opens, closes, start, end in Schedule.objects.filter(service_id__in=ids).values_list(
            "service_id", "days", "opens_at", "closes_at", "valid_from", "valid_to"
        ):
            facts[pk].openings.append(rules.Opening(frozenset(days), opens, closes, start, end))
    return facts


def _fitting(
    facts: dict[int, _Candidate],
    query: rules.Query,
    most: int,
    *,
    beyond: float | None = None,
    upto: float | None = None,
) -> tuple[list[tuple[int, rules.Match]], bool]:
    """The first `most` that fit, in rank order, of those whose nearest place is further than `beyond` and at most
    `upto` (None: any); and whether every one in that range was looked at."""
    fitting: list[tuple[int, rules.Match]] = []
    distances = ((pk, rules.nearest(query.near, c.places)) for pk, c in facts.items())
    for pk in rules.rank_order(
        (pk, d)
        for pk, d in distances
        if (beyond is None or d is None or d > beyond) and (upto is None or (d is not None and d <= upto))
    ):
        found = rules.match(facts[pk].facts(), query)
        if found.fits:
            fitting.append((pk, found))
            if len(fitting) == most:
                return fitting, False
    return fitting, True


def _nearest_first(
    base: QuerySet[Service], needed: Q, ids: set[int] | None, query: rules.Query, centre: tuple[float, float]
) -> list[tuple[int, rules.Match]]:
    """Nearest first with no distance limit: the services with a place within each ring's radius (in its box,
    with all their places read, so their nearest distance is exact), then, if fewer than MOST_SHOWN fit, every
    other candidate, those without a known place last."""
    fitting: list[tuple[int, rules.Match]] = []
    done: float | None = None  # services whose nearest place is at most this far have been matched
    for km in RINGS_KM:
        in_box = ServiceAtLocation.objects.filter(
            _in_box(centre, km), location__location_type=LocationType.PHYSICAL
        ).values_list("service_id", flat=True)
        ring = set(in_box) if ids is None else ids & set(in_box)
        found, _ = _fitting(
            _facts(_narrowed(base, ring, needed & Q(pk__in=in_box)), Q(), query),
            query,
            MOST_SHOWN - len(fitting),
            beyond=done,
            upto=km,
        )
        fitting += found
        done = km
        if len(fitting) == MOST_SHOWN:
            return fitting
    found, _ = _fitting(
        _facts(_narrowed(base, ids, needed), Q(), query), query, MOST_SHOWN - len(fitting), beyond=done
    )
    return fitting + found


def _shown(ranked: list[tuple[int, rules.Match]]) -> list[Found]:
    """The full rows of the services shown (with their places, hours and phones), in rank order."""
    shown = {
        s.pk: s
        for s in Service.objects.filter(pk__in=[pk for pk, _ in ranked])
        .select_related("provider")
        .defer(*UNSHOWN, *(f"provider__{f}" for f in UNSHOWN_OF_A_ROW), "provider__description")
        .prefetch_related(
            Prefetch("locations", queryset=Location.objects.order_by("pk").defer(*UNSHOWN_OF_A_ROW)),
            Prefetch("schedules", queryset=Schedule.objects.defer("hsds_id")),
            Prefetch("phones", queryset=Phone.objects.defer("hsds_id")),
        )
    }
    return [Found(shown[pk], m) for pk, m in ranked if pk in shown]


@dataclass(frozen=True)
class PatientStart:
    """What the chart says to search with: the needs of the patient's active findings, where they live,
    their language and age."""

    needs: list[str]
    postal_code: str
    language: str
    age: int


def patient_start(patient: Patient, today: dt.date | None = None) -> PatientStart:
    from careconductor.assessments.queries import active_findings

    needs = sorted(
        {
            str(rules.NEED_OF_FINDING[f.domain])
            for f in active_findings(patient)
            if f.domain in rules.NEED_OF_FINDING
        }
    )
    return PatientStart(
        needs=needs,
        postal_code=patient.postal_code,
        language=patient.preferred_language,
        age=patient.age_on(today or clock.today()),
    )


def place_of(postal_code: str) -> tuple[float, float] | None:
    return geo.postal_coordinates(postal_code) if postal_code else None
