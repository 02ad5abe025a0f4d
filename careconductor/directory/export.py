"""The organisation's directory as an HSDS 3.0 JSON package (hsds.py reads the same shape back): each service with
its organization, service_at_locations with their location and address, phones, schedules, languages, and our
needs and cost as attributes with taxonomy terms of our vocabularies."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Prefetch

from .hsds import COST_VOCABULARY, COVERED_ENTITY, HIPAA_VOCABULARY, NEED_VOCABULARY
from .models import Location, Service


def package(organization_id: int) -> list[dict[str, Any]]:
    """Every service of the organisation's directory, by name (five queries whatever its size)."""
    services = (
        Service.objects.filter(organization_id=organization_id)
        .select_related("provider")
        .prefetch_related(
            Prefetch("locations", queryset=Location.objects.order_by("pk")), "phones", "schedules"
        )
        .order_by("name", "pk")
    )
    return [_service(s) for s in services]


def _service(s: Service) -> dict[str, Any]:
    p = s.provider
    attributes = [
        {"id": _derived(s, "need", n), "taxonomy_term": {"code": n, "vocabulary": NEED_VOCABULARY}}
        for n in s.needs
    ]
    if s.free:
        attributes.append(
            {
                "id": _derived(s, "cost", "free"),
                "taxonomy_term": {"code": "free", "vocabulary": COST_VOCABULARY},
            }
        )
    return _compact(
        {
            "id": str(s.hsds_id),
            "name": s.name,
            "description": s.description,
            "status": s.status,
            "url": s.url,
            "email": s.email,
            "application_process": s.application_process,
            "fees_description": s.fees_description,
            "eligibility_description": s.eligibility_description,
            "minimum_age": s.minimum_age,
            "maximum_age": s.maximum_age,
            "organization": _compact(
                {
                    "id": str(p.hsds_id),
                    "name": p.name,
                    "description": p.description,
                    "email": p.email,
                    "website": p.website,
                    "attributes": [
                        {
                            "id": str(uuid.uuid5(p.hsds_id, "hipaa:covered")),
                            "taxonomy_term": {"code": COVERED_ENTITY, "vocabulary": HIPAA_VOCABULARY},
                        }
                    ]
                    if p.hipaa_covered
                    else [],
                }
            ),
            "service_at_locations": [
                {"id": _derived(s, "at", str(loc.hsds_id)), "location": _location(loc)}
                for loc in s.locations.all()
            ],
            "phones": [
                _compact(
                    {"id": str(ph.hsds_id), "number": ph.number, "extension": ph.extension, "type": ph.type}
                )
                for ph in s.phones.all()
            ],
            "schedules": [
                _compact(
                    {
                        "id": str(sc.hsds_id),
                        "freq": "WEEKLY",
                        "byday": ",".join(sc.days),
                        "opens_at": f"{sc.opens_at:%H:%M}",
                        "closes_at": f"{sc.closes_at:%H:%M}",
                        "valid_from": sc.valid_from.isoformat() if sc.valid_from else None,
                        "valid_to": sc.valid_to.isoformat() if sc.valid_to else None,
                        "description": sc.description,
                    }
                )
                for sc in s.schedules.all()
            ],
            "languages": [{"id": _derived(s, "language", code), "code": code} for code in s.languages],
            "attributes": attributes,
        }
    )


def _location(loc: Location) -> dict[str, Any]:
    address = _compact(
        {
            "id": _derived(loc, "address", "1"),
            "address_1": loc.address_1,
            "city": loc.city,
            "state_province": loc.state_province,
            "postal_code": loc.postal_code,
            "country": loc.country,
            "address_type": "physical",
        }
    )
    return _compact(
        {
            "id": str(loc.hsds_id),
            "name": loc.name,
            "location_type": loc.location_type,
            "latitude": loc.latitude,
            "longitude": loc.longitude,
            "transportation": loc.transportation,
            "addresses": [address] if loc.address_1 else [],
        }
    )


def _derived(row: Service | Location, kind: str, key: str) -> str:
    """A stable UUID for a child HSDS wants an id for and we do not keep as a row (a language, an attribute)."""
    return str(uuid.uuid5(row.hsds_id, f"{kind}:{key}"))


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "", [])}
