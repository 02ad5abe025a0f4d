"""Open Referral HSDS 3.0 JSON in and out (interop.md §4): a package is a list of services, each with its
organization, its service_at_locations (each with its location and the location's addresses), phones, schedules
and languages nested, as HSDS 3.0's dereferenced form has them. Pure: JSON in, checked values out (or every
problem found, by where it is in the package), and values to JSON; no database. actions.do_import_hsds keeps a
package whole or not at all.

What HSDS has no field for is carried in its attributes, with taxonomy terms of our own vocabularies:
`careconductor-need` (the needs a service meets: choices.Need) and `careconductor-cost` (`free`) on a service,
`careconductor-hipaa` (`covered-entity`: a HIPAA covered entity) on an organization. Schedules are
read as weekly ones (freq WEEKLY, byday, opens_at, closes_at); other recurrences are refused by name."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from . import rules
from .choices import LocationType, Need, ServiceStatus

NEED_VOCABULARY = "careconductor-need"
COST_VOCABULARY = "careconductor-cost"
HIPAA_VOCABULARY = "careconductor-hipaa"
COVERED_ENTITY = "covered-entity"
MOST_SERVICES = 20_000  # a region's 211 export is a few thousand services


class PackageRefused(ValueError):
    """The package cannot be imported; `problems` lists each one with where it is ("services[3].name: …")."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s): " + "; ".join(problems[:5]))


@dataclass
class ProviderIn:
    hsds_id: uuid.UUID
    name: str
    description: str = ""
    email: str = ""
    website: str = ""
    hipaa_covered: bool = False


@dataclass
class LocationIn:
    hsds_id: uuid.UUID
    name: str = ""
    location_type: str = LocationType.PHYSICAL
    latitude: float | None = None
    longitude: float | None = None
    address_1: str = ""
    city: str = ""
    state_province: str = ""
    postal_code: str = ""
    country: str = ""
    transportation: str = ""


@dataclass
class ScheduleIn:
    hsds_id: uuid.UUID
    days: list[str]
    opens_at: dt.time
    closes_at: dt.time
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    description: str = ""


@dataclass
class PhoneIn:
    hsds_id: uuid.UUID
    number: str
    extension: str = ""
    type: str = ""


@dataclass
class ServiceIn:
    hsds_id: uuid.UUID
    provider: ProviderIn
    name: str
    status: str = ServiceStatus.ACTIVE
    description: str = ""
    url: str = ""
    email: str = ""
    application_process: str = ""
    needs: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    free: bool | None = None
    fees_description: str = ""
    eligibility_description: str = ""
    minimum_age: int | None = None
    maximum_age: int | None = None
    locations: list[LocationIn] = field(default_factory=list)
    phones: list[PhoneIn] = field(default_factory=list)
    schedules: list[ScheduleIn] = field(default_factory=list)


class _Reader:
    """Reads values from one object of the package, noting each problem with where it is."""

    def __init__(self, problems: list[str], where: str, node: Any) -> None:
        self.problems, self.where = problems, where
        self.node = node if isinstance(node, dict) else {}
        if not isinstance(node, dict):
            self.problem("", "is not an object")

    def problem(self, key: str, words: str) -> None:
        self.problems.append(f"{self.where}{'.' + key if key else ''}: {words}")

    def text(self, key: str, most: int = 0, *, required: bool = False) -> str:
        value = self.node.get(key)
        if value is None or value == "":
            if required:
                self.problem(key, "is required")
            return ""
        if not isinstance(value, str):
            self.problem(key, "is not text")
            return ""
        value = value.strip()
        if most and len(value) > most:
            self.problem(key, f"is longer than {most} characters")
            return value[:most]
        return value

    def uuid(self, key: str = "id") -> uuid.UUID:
        value = self.node.get(key)
        try:
            return uuid.UUID(str(value))
        except (ValueError, TypeError, AttributeError):
            self.problem(key, "is not a UUID" if value else "is required (a UUID)")
            return uuid.uuid4()

    def number(self, key: str, low: float, high: float) -> float | None:
        value = self.node.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.problem(key, "is not a number")
            return None
        try:
            number = float(value)
        except ValueError:
            self.problem(key, "is not a number")
            return None
        if not low <= number <= high:
            self.problem(key, f"is not between {low:g} and {high:g}")
            return None
        return number

    def age(self, key: str) -> int | None:
        number = self.number(key, 0, 130)
        if number is not None and number != int(number):
            self.problem(key, "is not a whole number of years")
            return None
        return None if number is None else int(number)

    def items(self, key: str) -> list[Any]:
        value = self.node.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(key, "is not a list")
            return []
        return value

    def time(self, key: str) -> dt.time | None:
        value = self.text(key)
        if not value:
            self.problem(key, "is required (HH:MM)")
            return None
        try:
            return dt.time.fromisoformat(value.removesuffix("Z")[:8]).replace(tzinfo=None)
        except ValueError:
            self.problem(key, f"is not a time of day: {value[:20]!r}")
            return None

    def day(self, key: str) -> dt.date | None:
        value = self.text(key)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            self.problem(key, f"is not a date: {value[:20]!r}")
            return None


def read_package(data: Any) -> list[ServiceIn]:
    """The services of an HSDS 3.0 JSON package (a list of services, or an object with them under `services`
    or `contents` as the HSDS API pages them); PackageRefused with every problem when any."""
    services = data.get("services", data.get("contents")) if isinstance(data, dict) else data
    if not isinstance(services, list):
        raise PackageRefused(["the package is not a list of services (nor an object with 'services')"])
    if len(services) > MOST_SERVICES:
        raise PackageRefused([f"the package has {len(services)} services; at most {MOST_SERVICES} at once"])
    problems: list[str] = []
    read = [_service(problems, f"services[{i}]", node) for i, node in enumerate(services)]
    seen: dict[uuid.UUID, int] = {}
    for i, service in enumerate(read):
        if service.hsds_id in seen:
            problems.append(f"services[{i}].id: the same id as services[{seen[service.hsds_id]}]")
        seen.setdefault(service.hsds_id, i)
    if problems:
        raise PackageRefused(problems)
    return read


def _service(problems: list[str], where: str, node: Any) -> ServiceIn:
    r = _Reader(problems, where, node)
    status = r.text("status") or ServiceStatus.ACTIVE
    if status not in ServiceStatus.values:
        r.problem("status", f"is not one of {', '.join(ServiceStatus.values)}")
    needs, free = _attributes(r)
    minimum, maximum = r.age("minimum_age"), r.age("maximum_age")
    if minimum is not None and maximum is not None and minimum > maximum:
        r.problem("maximum_age", "is below minimum_age")
    languages = []
    for j, language in enumerate(r.items("languages")):
        lr = _Reader(problems, f"{where}.languages[{j}]", language)
        code = lr.text("code", 3).lower()
        if code and not (code.isalpha() and len(code) in (2, 3)):
            lr.problem("code", "is not an ISO 639 code")
        elif code and code not in languages:
            languages.append(code)
    return ServiceIn(
        hsds_id=r.uuid(),
        provider=_provider(problems, f"{where}.organization", r.node.get("organization")),
        name=r.text("name", 200, required=True),
        status=status,
        description=r.text("description"),
        url=r.text("url", 200),
        email=r.text("email", 254),
        application_process=r.text("application_process"),
        needs=needs,
        languages=languages,
        free=free,
        fees_description=r.text("fees_description"),
        eligibility_description=r.text("eligibility_description"),
        minimum_age=minimum,
        maximum_age=maximum,
        locations=[
            _location(problems, f"{where}.service_at_locations[{j}].location", sal.get("location"))
            if isinstance(sal, dict)
            else _location(problems, f"{where}.service_at_locations[{j}]", sal)
            for j, sal in enumerate(r.items("service_at_locations"))
        ],
        phones=[_phone(problems, f"{where}.phones[{j}]", p) for j, p in enumerate(r.items("phones"))],
        schedules=[
            _schedule(problems, f"{where}.schedules[{j}]", s) for j, s in enumerate(r.items("schedules"))
        ],
    )


def _attributes(r: _Reader) -> tuple[list[str], bool | None]:
    needs: list[str] = []
    free: bool | None = None
    for j, attribute in enumerate(r.items("attributes")):
        ar = _Reader(r.problems, f"{r.where}.attributes[{j}]", attribute)
        term = attribute.get("taxonomy_term") if isinstance(attribute, dict) else None
        term = term if isinstance(term, dict) else {}
        vocabulary = str(term.get("vocabulary") or term.get("taxonomy") or "")
        code = str(term.get("code") or "")
        if vocabulary == NEED_VOCABULARY:
            if code not in Need.values:
                ar.problem("taxonomy_term.code", f"is not a need: {code[:40]!r}")
            elif code not in needs:
                needs.append(code)
        elif vocabulary == COST_VOCABULARY and code == "free":
            free = True
    return needs, free


def _provider(problems: list[str], where: str, node: Any) -> ProviderIn:
    if node is None:
        problems.append(f"{where}: is required (the organisation that provides the service)")
        return ProviderIn(uuid.uuid4(), "")
    r = _Reader(problems, where, node)
    covered = False
    for attribute in r.items("attributes"):
        term = attribute.get("taxonomy_term") if isinstance(attribute, dict) else None
        term = term if isinstance(term, dict) else {}
        vocabulary = str(term.get("vocabulary") or term.get("taxonomy") or "")
        covered = covered or (vocabulary == HIPAA_VOCABULARY and term.get("code") == COVERED_ENTITY)
    return ProviderIn(
        r.uuid(),
        r.text("name", 200, required=True),
        r.text("description"),
        r.text("email", 254),
        r.text("website", 200),
        covered,
    )


def _location(problems: list[str], where: str, node: Any) -> LocationIn:
    r = _Reader(problems, where, node)
    kind = r.text("location_type") or LocationType.PHYSICAL
    if kind not in LocationType.values:
        r.problem("location_type", f"is not one of {', '.join(LocationType.values)}")
    latitude, longitude = r.number("latitude", -90, 90), r.number("longitude", -180, 180)
    problem = rules.coordinates_problem(latitude, longitude)
    if problem:
        r.problem("latitude", problem)
    addresses = r.items("addresses")
    address = _Reader(problems, f"{where}.addresses[0]", addresses[0]) if addresses else None
    country = address.text("country", 2).upper() if address else ""
    return LocationIn(
        r.uuid(),
        r.text("name", 200),
        kind,
        latitude,
        longitude,
        address.text("address_1", 200) if address else "",
        address.text("city", 100) if address else "",
        address.text("state_province", 100) if address else "",
        address.text("postal_code", 20) if address else "",
        country,
        r.text("transportation"),
    )


def _phone(problems: list[str], where: str, node: Any) -> PhoneIn:
    r = _Reader(problems, where, node)
    return PhoneIn(r.uuid(), r.text("number", 40, required=True), r.text("extension", 20), r.text("type", 20))


def _schedule(problems: list[str], where: str, node: Any) -> ScheduleIn:
    r = _Reader(problems, where, node)
    freq = r.text("freq").upper() or "WEEKLY"
    if freq != "WEEKLY":
        r.problem("freq", f"only weekly schedules are read here, not {freq[:20]}")
    days = [d.strip().upper() for d in r.text("byday").split(",") if d.strip()]
    opens, closes = r.time("opens_at"), r.time("closes_at")
    problem = rules.schedule_problem(days, opens, closes) if opens and closes else None
    if problem:
        r.problem("byday", problem)
    valid_from, valid_to = r.day("valid_from"), r.day("valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        r.problem("valid_to", "is before valid_from")
    return ScheduleIn(
        r.uuid(),
        days,
        opens or dt.time(0),
        closes or dt.time(0),
        valid_from,
        valid_to,
        r.text("description", 200),
    )
