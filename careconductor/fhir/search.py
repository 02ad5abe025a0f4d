"""FHIR search: parameters to a filtered, sorted query, pages with stable links, _include and _revinclude.

Paging is stable while data changes: the first page fixes a snapshot (the highest row id at that moment)
that every later page of the same search keeps, so rows created meanwhile never shift a page; the snapshot
and offset travel in a signed `_page` token that cannot be altered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.db.models import F, Max, Q, QuerySet, Value

from careconductor.core.ids import whole_number
from careconductor.privacy import audit

from .auth import Caller
from .errors import FhirError, bad_request
from .params import date, token
from .registry import Mapper, SearchParam, mapper_for

DEFAULT_COUNT = 20
MAX_COUNT = 200
MAX_INCLUDED = 1000
PAGE_SALT = "careconductor.fhir.page"
CONTROL = {"_count", "_sort", "_include", "_revinclude", "_summary", "_total", "_format", "_page", "_pretty"}
COMMON: dict[str, SearchParam] = {
    "_id": token(
        "pk", "The resource's logical id", transform=lambda v: n if (n := whole_number(v)) is not None else -1
    ),
    "_lastUpdated": date("updated_at", "When the resource last changed"),
}


@dataclass
class Search:
    mapper: Mapper
    caller: Caller
    pairs: list[tuple[str, str]]
    lenient: bool = False
    count: int = DEFAULT_COUNT
    sort: list[str] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)
    revincludes: list[str] = field(default_factory=list)
    summary_count: bool = False
    count_total: bool = True
    page: dict[str, int] | None = None
    ignored: list[str] = field(default_factory=list)


def parse(mapper: Mapper, caller: Caller, pairs: list[tuple[str, str]], *, lenient: bool) -> Search:
    search = Search(mapper, caller, pairs, lenient=lenient)
    for name, value in pairs:
        match name:
            case "_count":
                count = whole_number(value)
                if count is None:
                    raise bad_request("_count must be a whole number.", ["_count"])
                search.count = min(count, MAX_COUNT)
            case "_sort":
                search.sort = [s for s in value.split(",") if s]
            case "_include":
                search.includes.append(value)
            case "_revinclude":
                search.revincludes.append(value)
            case "_total":
                if value not in ("none", "estimate", "accurate"):
                    raise bad_request("_total is none, estimate or accurate.", ["_total"])
                # Counting every match costs most of a broad search; a client paging through may skip it.
                search.count_total = value != "none"
            case "_summary":
                if value != "count":
                    raise bad_request("Only _summary=count is supported.", ["_summary"])
                search.summary_count = True
            case "_page":
                try:
                    search.page = signing.loads(value, salt=PAGE_SALT)
                except signing.BadSignature as exc:
                    raise bad_request("The _page token is not valid; start the search again.") from exc
    return search


def _split(value: str) -> list[str]:
    # Commas separate alternatives (OR); "\\," is a literal comma.
    return [part.replace("\x00", ",") for part in value.replace("\\,", "\x00").split(",") if part]


def filtered(search: Search, part: Mapper | None = None) -> QuerySet[Any]:
    """The rows the search matches: of the mapper, or of one part of a UnionMapper. Names and modifiers are
    checked against what the type declares; a part without a parameter has no row it could match."""
    mapper, caller = search.mapper, search.caller
    part = part or mapper
    qs = part.visible(caller)
    for name, value in search.pairs:
        if name in CONTROL:
            continue
        base, _, modifier = name.partition(":")
        param = mapper.params.get(base) or COMMON.get(base)
        if param is None or "." in name:
            if search.lenient:
                search.ignored.append(name)
                continue
            known = ", ".join(sorted({*mapper.params, *COMMON}))
            raise bad_request(
                f"{mapper.resource_type} has no search parameter {name!r}. Supported: {known}.", [name]
            )
        if modifier and modifier not in param.modifiers and modifier != "missing":
            raise bad_request(f"The modifier :{modifier} is not supported on {base}.", [name])
        alternatives = _split(value)
        if not alternatives:
            raise bad_request(f"{name} needs a value.", [name])
        if modifier == "missing":
            raise bad_request(f":missing is not supported on {base}.", [name])
        own = param if part is mapper else part.params.get(base) or COMMON.get(base)
        if own is None:
            qs = qs.filter(pk__in=[])
            continue
        either = Q()
        for alternative in alternatives:
            either |= own.build(modifier, alternative, caller)
        qs = qs.filter(either)
    return qs


def _sort_keys(search: Search) -> list[tuple[str, bool]]:
    """(sort key, descending) for each `_sort` key, checked against what the type declares."""
    known = {"_id", "_lastUpdated", *search.mapper.sorts}
    keys = []
    for key in search.sort:
        name = key.lstrip("-")
        if name not in known:
            raise bad_request(
                f"Cannot sort {search.mapper.resource_type} by {name!r}. Sortable: {', '.join(sorted(known))}.",
                ["_sort"],
            )
        keys.append((name, key.startswith("-")))
    return keys


def _sort_fields(part: Mapper, name: str) -> list[str]:
    return {"_id": "pk", "_lastUpdated": "updated_at", **part.sorts}[name].split(",")


def _order(search: Search) -> list[str]:
    order: list[str] = []
    for name, descending in _sort_keys(search):
        order.extend(("-" if descending else "") + f for f in _sort_fields(search.mapper, name))
    return [*order, "pk"]


def _matches(search: Search, snapshots: list[int], offset: int) -> tuple[int | None, list[Any], bool]:
    """The total (if wanted), the page's rows and whether more follow."""
    if len(search.mapper.parts()) > 1:
        return _union_matches(search, snapshots, offset)
    qs = filtered(search).filter(pk__lte=snapshots[0])
    total = qs.count() if search.count_total or search.summary_count else None
    if search.summary_count:
        return total, [], False
    # One row more than the page, so a search without a total still knows whether a next page exists.
    rows = list(qs.order_by(*_order(search))[offset : offset + search.count + 1]) if search.count else []
    return total, rows[: search.count], len(rows) > search.count


def _union_matches(search: Search, snapshots: list[int], offset: int) -> tuple[int | None, list[Any], bool]:
    """A UnionMapper's page: one UNION ALL of the parts' matching (part, pk, sort values), counted and sliced
    in SQL, then the page's rows fetched part by part, so a page costs the same queries however deep it is."""
    parts = search.mapper.parts()
    keys = _sort_keys(search)
    selects = []
    for index, (part, snapshot) in enumerate(zip(parts, snapshots, strict=True)):
        values: dict[str, Any] = {}
        for name, _ in keys:
            for field_name in _sort_fields(part, name):
                values[f"sort_{len(values)}"] = F(field_name)
        qs = filtered(search, part).filter(pk__lte=snapshot).order_by()
        qs = qs.annotate(part_index=Value(index), row_key=F("pk"), **values)
        selects.append(qs.values_list("part_index", "row_key", *values))
    combined = selects[0].union(*selects[1:], all=True)
    total = combined.count() if search.count_total or search.summary_count else None
    if search.summary_count or not search.count:
        return total, [], False
    directions = [descending for name, descending in keys for _ in _sort_fields(parts[0], name)]
    ordering = [("-" if d else "") + f"sort_{n}" for n, d in enumerate(directions)]
    found = list(combined.order_by(*ordering, "row_key", "part_index")[offset : offset + search.count + 1])
    more = len(found) > search.count
    found = found[: search.count]
    loaded: dict[tuple[int, int], Any] = {}
    for index, part in enumerate(parts):
        wanted = [key for at, key, *_ in found if at == index]
        if wanted:
            rows = part.with_related(part.model._default_manager.filter(pk__in=wanted))
            loaded.update({(index, row.pk): row for row in rows})
    return total, [loaded[(at, key)] for at, key, *_ in found], more


def run(search: Search, base_url: str) -> dict[str, Any]:
    """The searchset Bundle for the search: one page, its includes, the links and the total."""
    mapper, caller = search.mapper, search.caller
    parts = mapper.parts()
    if search.page is None:
        snapshots = [part.model._default_manager.aggregate(top=Max("pk"))["top"] or 0 for part in parts]
        offset = 0
    else:
        kept = search.page.get("s", 0)
        snapshots = [int(s) for s in kept] if isinstance(kept, list) else [int(kept)]
        offset = max(0, int(search.page.get("o", 0)))
        if len(snapshots) != len(parts):
            raise bad_request("The _page token is not valid; start the search again.")
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    total, rows, more = _matches(search, snapshots, offset)
    if total is not None:
        bundle["total"] = total
    if search.summary_count:
        return bundle
    entries = [entry(mapper, row, base_url, "match") for row in rows]
    included = _includes(search, rows, base_url) + _revincludes(search, rows, base_url)
    audit.record_resource_reads(
        caller.user,
        [entry for r in rows for entry in mapper.read_entries(r)] + [(p, t, i) for p, t, i, _ in included],
        detail="FHIR search",
    )
    bundle["link"] = _links(
        search, base_url, snapshots[0] if len(snapshots) == 1 else snapshots, offset, more
    )
    bundle["entry"] = entries + [entry for *_, entry in included]
    if not bundle["entry"]:
        del bundle["entry"]
    return bundle


def entry(mapper: Mapper, row: Any, base_url: str, mode: str) -> dict[str, Any]:
    resource = mapper.render(row)
    return {
        "fullUrl": f"{base_url}{mapper.resource_type}/{resource['id']}",
        "resource": resource,
        "search": {"mode": mode},
    }


def _reference_param(spec: str, kind: str) -> tuple[Mapper, SearchParam, Mapper]:
    parts = spec.split(":")
    if len(parts) not in (2, 3):
        raise bad_request(f"{kind}={spec!r}: write SourceType:parameter[:TargetType].", [kind])
    source = mapper_for(parts[0])
    param = source.params.get(parts[1]) if source else None
    if source is None or param is None or param.type != "reference" or not param.path:
        raise bad_request(f"{kind}={spec!r} is not a reference this server can follow.", [kind])
    if len(parts) == 3 and parts[2] != param.target:
        raise bad_request(f"{kind}={spec!r}: {parts[1]} refers to {param.target} only.", [kind])
    target = mapper_for(param.target)
    if target is None:
        raise bad_request(f"{kind}={spec!r}: {param.target} is not served here.", [kind])
    if len(target.parts()) > 1:
        # A row id alone does not say which of the target's models it is in.
        raise bad_request(f"{kind}={spec!r} is not a reference this server can follow.", [kind])
    return source, param, target


def parts_name(spec: str) -> str:
    """The parameter name of an _include/_revinclude value (SourceType:parameter[:TargetType])."""
    return spec.split(":")[1]


def _includes(
    search: Search, rows: list[Any], base_url: str
) -> list[tuple[int | None, str, str, dict[str, Any]]]:
    found: list[tuple[int | None, str, str, dict[str, Any]]] = []
    for spec in search.includes:
        source, _, target = _reference_param(spec, "_include")
        if source.resource_type != search.mapper.resource_type:
            raise bad_request(
                f"_include={spec!r} must start with {search.mapper.resource_type}.", ["_include"]
            )
        _require_read(search.caller, target)
        keys: set[Any] = set()
        for row in rows:
            # Each part of a UnionMapper names where it keeps the reference (or has none).
            own = search.mapper.part_of(row).params.get(parts_name(spec))
            if own is not None and own.path:
                keys.add(getattr(row, own.path))
        keys -= {None}
        # Included rows go through the target's own access rule: a reference never opens a record.
        for row in target.visible(search.caller).filter(pk__in=keys)[:MAX_INCLUDED]:
            found.append(_included(target, row, base_url))
    return _unique(found)


def _revincludes(
    search: Search, rows: list[Any], base_url: str
) -> list[tuple[int | None, str, str, dict[str, Any]]]:
    found: list[tuple[int | None, str, str, dict[str, Any]]] = []
    for spec in search.revincludes:
        source, _, target = _reference_param(spec, "_revinclude")
        if target.resource_type != search.mapper.resource_type:
            raise bad_request(
                f"_revinclude={spec!r} must point at {search.mapper.resource_type}.", ["_revinclude"]
            )
        _require_read(search.caller, source)
        keys = [row.pk for row in rows]
        for part in source.parts():
            own = part.params.get(parts_name(spec))
            if own is None or not own.path:
                continue
            for row in part.visible(search.caller).filter(**{f"{own.path}__in": keys})[:MAX_INCLUDED]:
                found.append(_included(source, row, base_url))
    return _unique(found)


def _require_read(caller: Caller, mapper: Mapper) -> None:
    if not caller.allows(mapper.resource_type, "r"):
        raise FhirError(
            403, f"The token's scopes do not allow reading {mapper.resource_type}.", code="forbidden"
        )


def _included(mapper: Mapper, row: Any, base_url: str) -> tuple[int | None, str, str, dict[str, Any]]:
    return (
        mapper.patient_id(row),
        mapper.resource_type,
        mapper.resource_id(row),
        entry(mapper, row, base_url, "include"),
    )


def _unique(
    found: list[tuple[int | None, str, str, dict[str, Any]]],
) -> list[tuple[int | None, str, str, dict[str, Any]]]:
    seen: set[tuple[str, str]] = set()
    kept = []
    for item in found:
        if (item[1], item[2]) not in seen:
            seen.add((item[1], item[2]))
            kept.append(item)
    return kept


def _links(
    search: Search, base_url: str, snapshot: int | list[int], offset: int, more: bool
) -> list[dict[str, str]]:
    kept = [(k, v) for k, v in search.pairs if k != "_page" and k not in search.ignored]
    here = f"{base_url}{search.mapper.resource_type}"

    def url(at: int) -> str:
        token_ = signing.dumps({"s": snapshot, "o": at}, salt=PAGE_SALT)
        return f"{here}?{urlencode([*kept, ('_page', token_)])}"

    links = [
        {"relation": "self", "url": url(offset) if search.page else f"{here}?{urlencode(kept)}".rstrip("?")}
    ]
    if more:
        links.append({"relation": "next", "url": url(offset + search.count)})
    if search.count and offset > 0:
        links.append({"relation": "previous", "url": url(max(0, offset - search.count))})
    return links
