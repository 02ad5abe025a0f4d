"""Reads of the community resource directory. The directory is the organisation's and holds no patient data:
any member of staff may search it. A search for a patient starts from what the chart says (their active needs,
postal code, language and age) for a patient the caller has already opened."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.patients.models import Patient

from . import geo, rules
from .choices import LocationType, ServiceStatus
from .models import Location, Service

MOST_SHOWN = 50


@dataclass(frozen=True)
class Found:
    service: Service
    match: rules.Match


def service_facts(service: Service) -> rules.ServiceFacts:
    """The rules' view of a service with its locations and schedules prefetched."""
    locations = list(service.locations.all())
    return rules.ServiceFacts(
        needs=frozenset(service.needs),
        languages=frozenset(service.languages),
        places=tuple(
            (loc.latitude, loc.longitude)
            for loc in locations
            if loc.latitude is not None
            and loc.longitude is not None
            and loc.location_type == LocationType.PHYSICAL
        ),
        virtual=any(loc.location_type == LocationType.VIRTUAL for loc in locations) or not locations,
        openings=tuple(
            rules.Opening(frozenset(s.days), s.opens_at, s.closes_at, s.valid_from, s.valid_to)
            for s in service.schedules.all()
        ),
        free=service.free,
        minimum_age=service.minimum_age,
        maximum_age=service.maximum_age,
        verified_on=service.verified_on,
    )


def search(user: User, query: rules.Query) -> list[Found]:
    """The active services of the user's organisation that fit the query, nearest first, at most MOST_SHOWN
    (four queries whatever the directory's size)."""
    services = (
        Service.objects.filter(organization_id=user.org_id, status=ServiceStatus.ACTIVE)
        .select_related("provider")
        .prefetch_related(
            Prefetch("locations", queryset=Location.objects.order_by("pk")), "schedules", "phones"
        )
        .order_by("name", "pk")
    )
    ranked = rules.rank((s, rules.match(service_facts(s), query)) for s in services)
    return [Found(s, m) for s, m in ranked[:MOST_SHOWN]]  # type: ignore[arg-type]


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
