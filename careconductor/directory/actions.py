"""The only code that changes the directory. Importing an HSDS package: every service, its provider, locations,
phones and schedules, kept whole or not at all (one transaction; a package with any problem changes nothing and
says every problem), matched by their HSDS ids so a package imported again updates what is there and adds nothing
twice. One audit event for the import."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import hsds
from .models import Location, Phone, Provider, Schedule, Service, ServiceAtLocation, ServiceNeed


@dataclass(frozen=True)
class ImportReport:
    services_added: int
    services_updated: int
    providers: int
    locations: int

    def words(self) -> str:
        return (
            f"{self.services_added} service(s) added, {self.services_updated} updated, from {self.providers} "
            f"organisation(s) at {self.locations} location(s)"
        )


SERVICE_FIELDS = (
    "name", "status", "description", "url", "email", "application_process", "needs", "languages", "free",
    "fees_description", "eligibility_description", "minimum_age", "maximum_age",
)  # fmt: skip
PROVIDER_FIELDS = ("name", "description", "email", "website")
LOCATION_FIELDS = (
    "name", "location_type", "latitude", "longitude", "address_1", "city", "state_province", "postal_code",
    "country", "transportation",
)  # fmt: skip


def do_import_hsds(user: User, data: Any, *, source: str = "") -> ImportReport:
    """Import an HSDS 3.0 JSON package into the administrator's organisation's directory (hsds.read_package
    says what is read). PackageRefused, with every problem, changes nothing."""
    org_id = policy.require_admin(user, "Only an administrator imports the resource directory.")
    services = hsds.read_package(data)
    with transaction.atomic():
        providers = _upsert(
            Provider, org_id, {s.provider.hsds_id: s.provider for s in services}, PROVIDER_FIELDS, {}
        )
        locations = _upsert(
            Location, org_id, {loc.hsds_id: loc for s in services for loc in s.locations}, LOCATION_FIELDS, {}
        )
        existing = set(
            Service.objects.filter(
                organization_id=org_id, hsds_id__in=[s.hsds_id for s in services]
            ).values_list("hsds_id", flat=True)
        )
        kept = _upsert(
            Service,
            org_id,
            {s.hsds_id: s for s in services},
            SERVICE_FIELDS,
            {s.hsds_id: {"provider": providers[s.provider.hsds_id]} for s in services},
        )
        # A service's phones, schedules and locations are as the package says: replaced whole.
        ids = [row.pk for row in kept.values()]
        Phone.objects.filter(service_id__in=ids).delete()
        ServiceNeed.objects.filter(service_id__in=ids).delete()
        ServiceNeed.objects.bulk_create(
            ServiceNeed(service=kept[s.hsds_id], need=need)
            for s in services
            for need in dict.fromkeys(s.needs)
        )
        Schedule.objects.filter(service_id__in=ids).delete()
        ServiceAtLocation.objects.filter(service_id__in=ids).delete()
        Phone.objects.bulk_create(
            Phone(
                service=kept[s.hsds_id],
                hsds_id=p.hsds_id,
                number=p.number,
                extension=p.extension,
                type=p.type,
            )
            for s in services
            for p in s.phones
        )
        Schedule.objects.bulk_create(
            Schedule(
                service=kept[s.hsds_id],
                hsds_id=sc.hsds_id,
                days=sc.days,
                opens_at=sc.opens_at,
                closes_at=sc.closes_at,
                valid_from=sc.valid_from,
                valid_to=sc.valid_to,
                description=sc.description,
            )
            for s in services
            for sc in s.schedules
        )
        ServiceAtLocation.objects.bulk_create(
            ServiceAtLocation(service=kept[s.hsds_id], location=locations[loc.hsds_id])
            for s in services
            for loc in {loc.hsds_id: loc for loc in s.locations}.values()
        )
        report = ImportReport(
            services_added=len(services) - len(existing),
            services_updated=len(existing),
            providers=len(providers),
            locations=len(locations),
        )
        audit.record(
            user,
            AuditAction.CREATE,
            object_type="DirectoryImport",
            object_id=str(org_id),
            detail=(f"{source}: " if source else "") + report.words(),
        )
    return report


def do_verify_service(user: User, service: Service, *, on: dt.date | None = None) -> Service:
    """Someone checked that the service is as described (on `on`, today by default)."""
    org_id = policy.require_admin(user, "Only an administrator marks a service as verified.")
    day = on or clock.today()
    if service.organization_id != org_id:
        raise ActionRefused("That service is not in your organisation's directory.")
    if day > clock.today():
        raise ActionRefused({"on": "A check cannot be in the future."})
    with transaction.atomic():
        service.verified_on, service.verified_by = day, user
        service.save(update_fields=["verified_on", "verified_by"])
        audit.record(user, AuditAction.UPDATE, obj=service, detail=f"verified {day.isoformat()}")
    return service


def _upsert(
    model: Any, org_id: int, incoming: dict[Any, Any], fields: tuple[str, ...], more: dict[Any, Any]
) -> dict[Any, Any]:
    """Rows of `model` for these HSDS ids in the organisation, created or brought up to date with `fields` of the
    incoming values (and `more` per id); by HSDS id."""
    rows = {r.hsds_id: r for r in model.objects.filter(organization_id=org_id, hsds_id__in=list(incoming))}
    changed = []
    for hsds_id, value in incoming.items():
        values = {f: getattr(value, f) for f in fields} | more.get(hsds_id, {})
        row = rows.get(hsds_id)
        if row is None:
            rows[hsds_id] = model.objects.create(organization_id=org_id, hsds_id=hsds_id, **values)
        elif any(getattr(row, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(row, f, v)
            changed.append(row)
    for row in changed:
        row.save()
    return rows
