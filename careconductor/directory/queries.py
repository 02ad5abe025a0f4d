"""Reads of the community resource directory. The directory is the organisation's and holds no patient data:
any member of staff may search it. A search for a patient starts from what the chart says (their active needs,
postal code, language and age) for a patient the caller has already opened."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.patients.models import Patient

from . import geo, rules
from .choices import LocationType, ServiceStatus
from .models import Location, Schedule, Service, ServiceAtLocation, ServiceNeed

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


def search(user: User, query: rules.Query) -> list[Found]:
    """The active services of the user's organisation that fit the query, nearest first, at most MOST_SHOWN.
    In two steps, so the cost is a few light queries whatever the directory's size: the candidates' facts as
    plain values (the need and the place narrowed in SQL: an indexed need, a box around the place), matched by
    the rules; then the full rows of the ones shown."""
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
    ranked = rules.rank((pk, rules.match(candidate.facts(), query)) for pk, candidate in facts.items())[
        :MOST_SHOWN
    ]
    shown = {
        s.pk: s
        for s in Service.objects.filter(pk__in=[pk for pk, _ in ranked])
        .select_related("provider")
        .prefetch_related(
            Prefetch("locations", queryset=Location.objects.order_by("pk")), "schedules", "phones"
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
