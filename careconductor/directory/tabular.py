"""Open Referral HSDS 3.0 as a Tabular Data Package (interop.md §4): `datapackage.json` and one CSV per object
(organizations.csv, services.csv, locations.csv, service_at_location.csv (singular), addresses.csv, phones.csv,
schedules.csv, languages.csv, taxonomy_terms.csv, attributes.csv), children pointing to their parents through
`*_id` columns, in a folder or a zip. Pure: file contents in, the package in the nested JSON form that hsds.py
reads (so both forms go through the same checks and actions.do_import_hsds), and every problem said by file, row
(as a spreadsheet numbers it: the header is row 1) and column; and the nested JSON form out as files.

What is read beyond services, their organisations and places: the phones, schedules and languages of a service
(`service_id`; rows that belong only to an organisation, a place or a phone are skipped, as the nested form has
no room for them) and attributes of a service or an organisation (`link_entity`), with their taxonomy term from
taxonomy_terms.csv (our vocabularies in its `taxonomy` column: hsds.NEED_VOCABULARY, COST_VOCABULARY,
HIPAA_VOCABULARY). A place no service is delivered at is not kept (as in the JSON form)."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import hsds

NS = uuid.UUID("a3d1f6f2-5b1e-4c0e-8f7a-2b9d7c4e6a10")  # ids of taxonomy terms we write
MOST_BYTES = 200 * 1024 * 1024  # a region's package is a few megabytes

# Each file we read and write, with its columns in the order we write them (HSDS 3.0 names).
COLUMNS: dict[str, tuple[str, ...]] = {
    "organizations.csv": ("id", "name", "description", "email", "website"),
    "services.csv": (
        "id", "organization_id", "name", "status", "description", "url", "email", "application_process",
        "fees_description", "eligibility_description", "minimum_age", "maximum_age",
    ),
    "locations.csv": ("id", "organization_id", "location_type", "name", "latitude", "longitude", "transportation"),
    "service_at_location.csv": ("id", "service_id", "location_id", "description"),
    "addresses.csv": (
        "id", "location_id", "address_1", "city", "state_province", "postal_code", "country", "address_type",
    ),
    "phones.csv": ("id", "service_id", "organization_id", "location_id", "number", "extension", "type"),
    "schedules.csv": (
        "id", "service_id", "freq", "byday", "opens_at", "closes_at", "valid_from", "valid_to", "description",
    ),
    "languages.csv": ("id", "service_id", "name", "code"),
    "taxonomy_terms.csv": ("id", "code", "name", "taxonomy"),
    "attributes.csv": ("id", "link_id", "link_type", "link_entity", "taxonomy_term_id", "value"),
}  # fmt: skip
REQUIRED_FILES = ("organizations.csv", "services.csv")
# The column that points to the parent, for the files whose rows belong to one.
PARENT = {
    "services.csv": ("organization_id", "organizations.csv"),
    "service_at_location.csv": ("service_id", "services.csv"),
    "addresses.csv": ("location_id", "locations.csv"),
}


@dataclass
class Row:
    number: int  # the spreadsheet's row number (the header is row 1)
    values: dict[str, str]

    def get(self, column: str) -> str:
        return (self.values.get(column) or "").strip()


@dataclass
class Tables:
    """The files of a package by name (`services.csv`: its bytes), as read from a folder or a zip."""

    files: dict[str, bytes]
    problems: list[str] = field(default_factory=list)


def from_folder(folder: Path) -> Tables:
    files: dict[str, bytes] = {}
    problems: list[str] = []
    total = 0
    for name in [*COLUMNS, "datapackage.json"]:
        path = folder / name
        if path.is_file():
            total += path.stat().st_size
            if total > MOST_BYTES:
                problems.append(f"the package is larger than {MOST_BYTES // 2**20} MB")
                break
            files[name] = path.read_bytes()
    return Tables(files, problems)


def from_zip(data: bytes | io.BufferedIOBase | Any) -> Tables:
    """The package's files from a zip, at its top or in one folder (names compared without the folder)."""
    try:
        archive = zipfile.ZipFile(data if not isinstance(data, bytes) else io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        return Tables({}, ["the file is not a zip (nor HSDS JSON)"])
    files: dict[str, bytes] = {}
    problems: list[str] = []
    total = 0
    with archive:
        for info in archive.infolist():
            name = info.filename.rsplit("/", 1)[-1]
            if info.is_dir() or name not in (*COLUMNS, "datapackage.json"):
                continue
            if name in files:
                problems.append(f"{name}: the zip holds it twice")
                continue
            total += info.file_size
            if total > MOST_BYTES:
                return Tables({}, [f"the package is larger than {MOST_BYTES // 2**20} MB once unzipped"])
            try:
                files[name] = archive.read(info)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
                problems.append(f"{name}: cannot be unzipped ({exc})")
    return Tables(files, problems)


def _rows(problems: list[str], name: str, data: bytes | None) -> list[Row]:
    if data is None:
        if name in REQUIRED_FILES:
            problems.append(f"{name}: is missing from the package")
        return []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(f"{name}: is not UTF-8 text")
        return []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    if "id" not in header:
        problems.append(f"{name}: has no column id (row 1 is the header)")
        return []
    wanted = PARENT.get(name, (None, None))[0]
    if wanted and wanted not in header:
        problems.append(f"{name}: has no column {wanted}")
        return []
    rows: list[Row] = []
    seen: dict[str, int] = {}
    try:
        for values in reader:
            row = Row(
                len(rows) + 2, {k: v for k, v in values.items() if isinstance(k, str) and isinstance(v, str)}
            )
            if not any(v.strip() for v in row.values.values()):
                rows.append(row)  # an empty line keeps the numbering but is read as nothing
                continue
            if None in values:
                problems.append(f"{name} row {row.number}: has more values than the header has columns")
            key = row.get("id")
            if key in seen:
                problems.append(f"{name} row {row.number}, column id: the same id as row {seen[key]}")
            elif key:
                seen[key] = row.number
            rows.append(row)
    except csv.Error as exc:
        problems.append(f"{name} row {len(rows) + 2}: is not CSV ({exc})")
    return [r for r in rows if any(v.strip() for v in r.values.values())]


def _place(row: Row, name: str) -> str:
    return f"{name} row {row.number}"


def read_tables(tables: Tables) -> list[hsds.ServiceIn]:
    """The services of a Tabular Data Package, checked as hsds.read_package checks JSON; PackageRefused with every
    problem by file, row and column."""
    problems = list(tables.problems)
    if "datapackage.json" in tables.files:
        try:
            described = json.loads(tables.files["datapackage.json"].decode("utf-8-sig"))
            if not isinstance(described, dict):
                problems.append("datapackage.json: is not a JSON object")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(f"datapackage.json: is not JSON ({exc})")
    rows = {name: _rows(problems, name, tables.files.get(name)) for name in COLUMNS}
    if problems:
        raise hsds.PackageRefused(problems)
    nested, places = _nest(problems, rows)
    if len(nested) > hsds.MOST_SERVICES:
        raise hsds.PackageRefused(
            [f"services.csv has {len(nested)} services; at most {hsds.MOST_SERVICES} at once"]
        )
    try:
        services = hsds.read_package(nested)
    except hsds.PackageRefused as refused:
        problems += [_located(p, places) for p in refused.problems]
    if problems:
        raise hsds.PackageRefused(list(dict.fromkeys(problems)))
    return services


def _by(rows: list[Row]) -> dict[str, Row]:
    return {r.get("id"): r for r in rows if r.get("id")}


def _values(row: Row, columns: tuple[str, ...]) -> dict[str, Any]:
    skip = {
        "organization_id",
        "service_id",
        "location_id",
        "link_id",
        "link_type",
        "link_entity",
        "taxonomy_term_id",
    }
    return {c: row.get(c) for c in columns if c not in skip and row.get(c) != ""}


def _nest(problems: list[str], rows: dict[str, list[Row]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The nested JSON form of the tables, and where each object of it came from (its JSON path: file and row)."""
    organizations = _by(rows["organizations.csv"])
    services = _by(rows["services.csv"])
    locations = _by(rows["locations.csv"])
    terms = _by(rows["taxonomy_terms.csv"])
    children: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))

    def refer(name: str, row: Row, column: str, target: dict[str, Row], target_name: str) -> str | None:
        key = row.get(column)
        if not key:
            return None
        if key not in target:
            problems.append(
                f"{_place(row, name)}, column {column}: no row of {target_name} has the id {key[:40]!r}"
            )
            return None
        return key

    for name in ("service_at_location.csv", "phones.csv", "schedules.csv", "languages.csv"):
        for row in rows[name]:
            parent = refer(name, row, "service_id", services, "services.csv")
            if parent is not None:
                children[parent][name].append(row)
            elif name == "service_at_location.csv" and not row.get("service_id"):
                problems.append(f"{_place(row, name)}, column service_id: is required")
    addresses: dict[str, list[Row]] = defaultdict(list)
    for row in rows["addresses.csv"]:
        parent = refer("addresses.csv", row, "location_id", locations, "locations.csv")
        if parent is not None:
            addresses[parent].append(row)
    attributes: dict[str, list[Row]] = defaultdict(list)
    for row in rows["attributes.csv"]:
        entity = row.get("link_entity") or row.get("link_type")
        if entity not in ("service", "organization"):
            continue
        target = services if entity == "service" else organizations
        parent = refer("attributes.csv", row, "link_id", target, f"{entity}s.csv")
        if parent is not None and refer(
            "attributes.csv", row, "taxonomy_term_id", terms, "taxonomy_terms.csv"
        ):
            attributes[parent].append(row)
    places: dict[str, str] = {}

    def attributes_of(key: str, where: str) -> list[dict[str, Any]]:
        out = []
        for k, row in enumerate(attributes.get(key, [])):
            term = terms[row.get("taxonomy_term_id")]
            places[f"{where}.attributes[{k}]"] = _place(row, "attributes.csv")
            places[f"{where}.attributes[{k}].taxonomy_term"] = _place(term, "taxonomy_terms.csv")
            out.append(
                {"id": row.get("id"), "taxonomy_term": {**_values(term, COLUMNS["taxonomy_terms.csv"]),
                                                         "vocabulary": term.get("taxonomy")}}
            )  # fmt: skip
        return out

    def organization(key: str, where: str) -> dict[str, Any]:
        row = organizations[key]
        places[where] = _place(row, "organizations.csv")
        return _values(row, COLUMNS["organizations.csv"]) | {"attributes": attributes_of(key, where)}

    def location(key: str, where: str) -> dict[str, Any]:
        row = locations[key]
        places[where] = _place(row, "locations.csv")
        found = addresses.get(key, [])
        for k, address in enumerate(found):
            places[f"{where}.addresses[{k}]"] = _place(address, "addresses.csv")
        return _values(row, COLUMNS["locations.csv"]) | {
            "addresses": [_values(a, COLUMNS["addresses.csv"]) for a in found]
        }

    nested: list[dict[str, Any]] = []
    for i, (key, row) in enumerate(services.items()):
        where = f"services[{i}]"
        places[where] = _place(row, "services.csv")
        service = _values(row, COLUMNS["services.csv"])
        org = row.get("organization_id")
        if not org:
            problems.append(f"{_place(row, 'services.csv')}, column organization_id: is required")
        elif refer("services.csv", row, "organization_id", organizations, "organizations.csv"):
            service["organization"] = organization(org, f"{where}.organization")
        own = children.get(key, {})
        links = []
        for j, link in enumerate(own.get("service_at_location.csv", [])):
            places[f"{where}.service_at_locations[{j}]"] = _place(link, "service_at_location.csv")
            place_id = refer("service_at_location.csv", link, "location_id", locations, "locations.csv")
            if place_id is None:
                if not link.get("location_id"):
                    problems.append(
                        f"{_place(link, 'service_at_location.csv')}, column location_id: is required"
                    )
                continue
            links.append(
                {
                    "id": link.get("id"),
                    "location": location(place_id, f"{where}.service_at_locations[{j}].location"),
                }
            )
        service["service_at_locations"] = links
        for name, key_name in (
            ("phones.csv", "phones"),
            ("schedules.csv", "schedules"),
            ("languages.csv", "languages"),
        ):
            found = own.get(name, [])
            for j, child in enumerate(found):
                places[f"{where}.{key_name}[{j}]"] = _place(child, name)
            service[key_name] = [_values(child, COLUMNS[name]) for child in found]
        service["attributes"] = attributes_of(key, where)
        nested.append(service)
    return nested, places


_PROBLEM = re.compile(r"^(?P<path>[^:\s]+): (?P<words>.*)$", re.S)


def _located(problem: str, places: dict[str, str]) -> str:
    """A problem said by its JSON path ("services[3].schedules[0].byday: …") said by file, row and column."""
    found = _PROBLEM.match(problem)
    if not found:
        return problem
    path, words = found["path"], found["words"]
    best = max((p for p in places if path == p or path.startswith(p + ".")), key=len, default=None)
    if best is None:
        return problem
    column = path[len(best) + 1 :]
    column = {"taxonomy_term.code": "taxonomy_term_id", "organization": "organization_id"}.get(column, column)
    if best.endswith(".taxonomy_term") and column == "":
        column = "code"
    return places[best] + (f", column {column}" if column else "") + f": {words}"


# Writing ----------------------------------------------------------------------------------------------------------


def write_tables(services: list[dict[str, Any]]) -> dict[str, bytes]:
    """The files of a Tabular Data Package for services in the nested JSON form (export.package), with its
    datapackage.json; each object once, by id."""
    out: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in COLUMNS}

    def put(name: str, values: dict[str, Any]) -> None:
        out[name].setdefault(str(values["id"]), values)

    def attributes(node: dict[str, Any], entity: str) -> None:
        for attribute in node.get("attributes", []):
            term = attribute["taxonomy_term"]
            vocabulary = term.get("vocabulary") or term.get("taxonomy") or ""
            term_id = term.get("id") or str(uuid.uuid5(NS, f"{vocabulary}:{term['code']}"))
            put("taxonomy_terms.csv", {"id": term_id, "code": term["code"], "name": term.get("name") or term["code"],
                                       "taxonomy": vocabulary})  # fmt: skip
            put("attributes.csv", {"id": attribute["id"], "link_id": node["id"], "link_type": entity,
                                   "link_entity": entity, "taxonomy_term_id": term_id})  # fmt: skip

    for s in services:
        org = s["organization"]
        put("organizations.csv", org)
        attributes(org, "organization")
        put("services.csv", s | {"organization_id": org["id"]})
        for link in s.get("service_at_locations", []):
            location = link["location"]
            put("locations.csv", location | {"organization_id": org["id"]})
            put(
                "service_at_location.csv",
                {"id": link["id"], "service_id": s["id"], "location_id": location["id"]},
            )
            for address in location.get("addresses", []):
                put("addresses.csv", address | {"location_id": location["id"]})
        for name, key in (
            ("phones.csv", "phones"),
            ("schedules.csv", "schedules"),
            ("languages.csv", "languages"),
        ):
            for child in s.get(key, []):
                put(name, child | {"service_id": s["id"]})
        attributes(s, "service")
    files: dict[str, bytes] = {}
    for name, columns in COLUMNS.items():
        text = io.StringIO(newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(columns)
        for values in out[name].values():
            writer.writerow(["" if values.get(c) is None else _cell(values.get(c)) for c in columns])
        files[name] = text.getvalue().encode("utf-8")
    files["datapackage.json"] = (json.dumps(_datapackage(), indent=1) + "\n").encode("utf-8")
    return files


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _datapackage() -> dict[str, Any]:
    numbers = {"latitude", "longitude"}
    integers = {"minimum_age", "maximum_age"}
    return {
        "profile": "tabular-data-package",
        "name": "careconductor-directory",
        "title": "Community resource directory (Open Referral HSDS 3.0)",
        "resources": [
            {
                "name": name.removesuffix(".csv"),
                "path": name,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [
                        {
                            "name": c,
                            "type": "number" if c in numbers else "integer" if c in integers else "string",
                        }
                        for c in columns
                    ],
                    "primaryKey": "id",
                },
            }
            for name, columns in COLUMNS.items()
        ],
    }


def to_zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(
                name, date_time=(2020, 1, 1, 0, 0, 0)
            )  # the same bytes for the same package
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()
