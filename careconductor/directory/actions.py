"""The only code that changes the directory. Importing an HSDS package: every service, its provider, locations,
phones and schedules, kept whole or not at all (one transaction; a package with any problem changes nothing and
says every problem), matched by their HSDS ids so a package imported again updates what is there and adds nothing
twice. One audit event for the import.

Editing on screens (docs/directory.md): an administrator or a supervisor of the organisation (EDITORS) adds and
changes organisations, their services, locations, phones and weekly hours, and marks a service verified; each
change is one transaction and one audit event. Importing a package stays the administrator's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from careconductor.accounts.models import User
from careconductor.accounts.rules import SUPERVISING
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import geo, hsds, rules, tabular
from .choices import LocationType, Need, ServiceStatus
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
PROVIDER_FIELDS = ("name", "description", "email", "website", "hipaa_covered")
LOCATION_FIELDS = (
    "name", "location_type", "latitude", "longitude", "address_1", "city", "state_province", "postal_code",
    "country", "transportation",
)  # fmt: skip


def do_import_hsds(user: User, data: Any, *, source: str = "") -> ImportReport:
    """Import an HSDS 3.0 package into the administrator's organisation's directory: JSON (hsds.read_package says
    what is read) or a Tabular Data Package's files (tabular.Tables, read by tabular.read_tables into the same
    values). PackageRefused, with every problem, changes nothing."""
    org_id = policy.require_admin(user, "Only an administrator imports the resource directory.")
    services = tabular.read_tables(data) if isinstance(data, tabular.Tables) else hsds.read_package(data)
    with transaction.atomic():
        providers = _upsert(
            Provider, org_id, {s.provider.hsds_id: s.provider for s in services}, PROVIDER_FIELDS, {}
        )
        # A place belongs to the organisation of the first service delivered there (HSDS location.organization_id).
        owners = {
            loc.hsds_id: {"provider": providers[s.provider.hsds_id]}
            for s in reversed(services)
            for loc in s.locations
        }
        locations = _upsert(
            Location,
            org_id,
            {loc.hsds_id: loc for s in services for loc in s.locations},
            LOCATION_FIELDS,
            owners,
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
        if len(services) >= ANALYZE_AFTER:
            _analyze()
        audit.record(
            user,
            AuditAction.CREATE,
            object_type="DirectoryImport",
            object_id=str(org_id),
            detail=(f"{source}: " if source else "") + report.words(),
        )
    return report


ANALYZE_AFTER = 1000  # services: an import this big changes what the search's query plans should be


def _analyze() -> None:
    """Bring PostgreSQL's statistics of the directory's tables up to date after a big import (autovacuum would, in
    its own time), so the searches right after it are planned for what is there: with statistics of an empty
    directory, the planner probes every place for each candidate. SQLite plans without statistics."""
    if connection.vendor != "postgresql":
        return
    tables = [
        m._meta.db_table
        for m in (Provider, Service, ServiceNeed, Location, ServiceAtLocation, Schedule, Phone)
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


def do_verify_service(user: User, service: Service, *, on: dt.date | None = None) -> Service:
    """Someone checked that the service is as described (on `on`, today by default)."""
    org_id = _editor_org(user)
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


# Who edits the directory on screens: administrators and supervisors (accounts.rules.SUPERVISING). Case managers
# and the care team search it; a wrong phone number is told to a supervisor.
EDITORS = SUPERVISING
EDITORS_WORDS = "Only an administrator or a supervisor changes the resource directory."


def may_edit(user: User) -> bool:
    return user.role in EDITORS and user.organization_id is not None


def _editor_org(user: User) -> int:
    if not may_edit(user):
        raise ActionRefused(EDITORS_WORDS)
    assert user.organization_id is not None
    return user.organization_id


def _own(org_id: int, row: Provider | Service | Location | None) -> None:
    if row is not None and row.organization_id != org_id:
        raise ActionRefused("That is not in your organisation's directory.")


@dataclass(frozen=True)
class ProviderDetails:
    name: str
    description: str = ""
    email: str = ""
    website: str = ""
    hipaa_covered: bool = False


def do_save_provider(user: User, details: ProviderDetails, provider: Provider | None = None) -> Provider:
    """Add an organisation that provides services, or change one."""
    org_id = _editor_org(user)
    _own(org_id, provider)
    if not details.name.strip():
        raise ActionRefused({"name": "Give the organisation's name."})
    with transaction.atomic():
        row = provider or Provider(organization_id=org_id)
        for f in PROVIDER_FIELDS:
            setattr(row, f, getattr(details, f))
        row.name = row.name.strip()
        row.save()
        audit.record(user, AuditAction.UPDATE if provider else AuditAction.CREATE, obj=row)
    return row


@dataclass(frozen=True)
class ServiceDetails:
    name: str
    status: str = ServiceStatus.ACTIVE
    description: str = ""
    url: str = ""
    email: str = ""
    application_process: str = ""
    needs: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    free: bool | None = None
    fees_description: str = ""
    eligibility_description: str = ""
    minimum_age: int | None = None
    maximum_age: int | None = None
    location_ids: tuple[int, ...] = ()


def do_save_service(
    user: User, provider: Provider, details: ServiceDetails, service: Service | None = None
) -> Service:
    """Add a service of the provider, or change one: its words, needs, languages, cost, who it is for, and the
    provider's locations it is delivered at."""
    org_id = _editor_org(user)
    _own(org_id, provider)
    _own(org_id, service)
    if service is not None and service.provider_id != provider.pk:
        raise ActionRefused("That service belongs to another organisation in the directory.")
    problems: dict[str, str] = {}
    if not details.name.strip():
        problems["name"] = "Give the service's name."
    if details.status not in ServiceStatus.values:
        problems["status"] = "Choose a status."
    if any(n not in Need.values for n in details.needs):
        problems["needs"] = "Choose needs from the list."
    if any(not (code.isalpha() and len(code) in (2, 3)) for code in details.languages):
        problems["languages"] = "Languages are ISO 639 codes."
    low, high = details.minimum_age, details.maximum_age
    if low is not None and high is not None and low > high:
        problems["maximum_age"] = "The oldest age is below the youngest."
    places = list(Location.objects.filter(organization_id=org_id, pk__in=details.location_ids))
    if len(places) != len(set(details.location_ids)) or any(p.provider_id != provider.pk for p in places):
        problems["location_ids"] = "Choose places of this organisation."
    if problems:
        raise ActionRefused(problems)
    with transaction.atomic():
        row = service or Service(organization_id=org_id, provider=provider)
        values = {f: getattr(details, f) for f in SERVICE_FIELDS}
        values["name"] = details.name.strip()
        values["needs"] = list(dict.fromkeys(details.needs))
        values["languages"] = list(dict.fromkeys(details.languages))
        for f, v in values.items():
            setattr(row, f, v)
        row.save()
        ServiceNeed.objects.filter(service=row).delete()
        ServiceNeed.objects.bulk_create(ServiceNeed(service=row, need=n) for n in row.needs)
        ServiceAtLocation.objects.filter(service=row).exclude(location__in=places).delete()
        have = set(ServiceAtLocation.objects.filter(service=row).values_list("location_id", flat=True))
        ServiceAtLocation.objects.bulk_create(
            ServiceAtLocation(service=row, location=p) for p in places if p.pk not in have
        )
        audit.record(user, AuditAction.UPDATE if service else AuditAction.CREATE, obj=row)
    return row


@dataclass(frozen=True)
class LocationDetails:
    name: str = ""
    location_type: str = LocationType.PHYSICAL
    latitude: float | None = None
    longitude: float | None = None
    address_1: str = ""
    city: str = ""
    state_province: str = ""
    postal_code: str = ""
    country: str = "US"
    transportation: str = ""


def do_save_location(
    user: User, provider: Provider, details: LocationDetails, location: Location | None = None
) -> Location:
    """Add a place of the provider, or change one. A place to visit with no coordinates typed takes its ZIP
    code's centre (geo.py, offline), so distances work; typed coordinates are kept as typed."""
    org_id = _editor_org(user)
    _own(org_id, provider)
    _own(org_id, location)
    if location is not None and location.provider_id != provider.pk:
        raise ActionRefused("That place belongs to another organisation in the directory.")
    problems: dict[str, str] = {}
    if details.location_type not in LocationType.values:
        problems["location_type"] = "Choose what kind of place it is."
    problem = rules.coordinates_problem(details.latitude, details.longitude)
    if problem:
        problems["latitude" if details.latitude is None or details.longitude is not None else "longitude"] = (
            problem
        )
    if details.location_type == LocationType.PHYSICAL and not (
        details.name.strip() or details.address_1.strip()
    ):
        problems["address_1"] = "Give the place's name or its address."
    if problems:
        raise ActionRefused(problems)
    latitude, longitude = details.latitude, details.longitude
    if latitude is None and details.location_type == LocationType.PHYSICAL and details.postal_code:
        centre = geo.postal_coordinates(details.postal_code, details.country or "US")
        if centre is not None:
            latitude, longitude = centre
    with transaction.atomic():
        row = location or Location(organization_id=org_id, provider=provider)
        for f in LOCATION_FIELDS:
            setattr(row, f, getattr(details, f))
        row.latitude, row.longitude = latitude, longitude
        row.country = row.country.upper()
        row.save()
        audit.record(user, AuditAction.UPDATE if location else AuditAction.CREATE, obj=row)
    return row


def do_add_phone(user: User, service: Service, number: str, extension: str = "", type: str = "") -> Phone:
    org_id = _editor_org(user)
    _own(org_id, service)
    if not number.strip():
        raise ActionRefused({"number": "Give the number."})
    with transaction.atomic():
        phone = Phone.objects.create(
            service=service, number=number.strip(), extension=extension.strip(), type=type
        )
        audit.record(user, AuditAction.CREATE, obj=phone, detail=f"service {service.pk}")
    return phone


def do_remove_phone(user: User, phone: Phone) -> None:
    org_id = _editor_org(user)
    owner = phone.service or phone.provider
    if owner is None or owner.organization_id != org_id:
        raise ActionRefused("That is not in your organisation's directory.")
    with transaction.atomic():
        audit.record(user, AuditAction.DELETE, obj=phone, detail=str(phone))
        phone.delete()


@dataclass(frozen=True)
class ScheduleDetails:
    days: tuple[str, ...]
    opens_at: dt.time | None
    closes_at: dt.time | None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    description: str = ""


def do_add_schedule(user: User, service: Service, details: ScheduleDetails) -> Schedule:
    """Weekly hours of a service (closing at or before opening runs past midnight)."""
    org_id = _editor_org(user)
    _own(org_id, service)
    problem = rules.schedule_problem(details.days, details.opens_at, details.closes_at)
    if problem:
        field = "days" if not details.days or "Days" in problem else "closes_at"
        raise ActionRefused({field: problem})
    if details.valid_from and details.valid_to and details.valid_to < details.valid_from:
        raise ActionRefused({"valid_to": "The last day is before the first."})
    assert details.opens_at is not None and details.closes_at is not None
    with transaction.atomic():
        schedule = Schedule.objects.create(
            service=service,
            days=[d for d in rules.WEEKDAYS if d in details.days],
            opens_at=details.opens_at,
            closes_at=details.closes_at,
            valid_from=details.valid_from,
            valid_to=details.valid_to,
            description=details.description.strip(),
        )
        audit.record(user, AuditAction.CREATE, obj=schedule, detail=f"service {service.pk}: {schedule}")
    return schedule


def do_remove_schedule(user: User, schedule: Schedule) -> None:
    org_id = _editor_org(user)
    _own(org_id, schedule.service)
    with transaction.atomic():
        audit.record(
            user, AuditAction.DELETE, obj=schedule, detail=f"service {schedule.service_id}: {schedule}"
        )
        schedule.delete()
