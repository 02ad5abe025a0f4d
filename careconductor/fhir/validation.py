"""Inbound resources: parsed with limits, then validated with the FHIR R4 models of fhir.resources (R4B, the
R4-compatible models the library ships) before any mapper sees them."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from .errors import FhirError, bad_request, issue

MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 40


def parse_json(raw: bytes) -> Any:
    if len(raw) > MAX_BODY_BYTES:
        raise FhirError(
            413, f"The body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MB.", code="too-costly"
        )
    try:
        data = json.loads(raw)
    except RecursionError as exc:
        raise bad_request(f"The JSON is nested deeper than {MAX_DEPTH} levels.") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad_request(f"The body is not valid JSON: {exc}.") from exc
    if _depth(data) > MAX_DEPTH:
        raise bad_request(f"The JSON is nested deeper than {MAX_DEPTH} levels.")
    return data


def _depth(data: Any) -> int:
    deepest, stack = 0, [(data, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def _path(location: tuple[Any, ...], resource_type: str) -> str:
    path = resource_type
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part not in ("__root__",):
            path += f".{part}"
    return path


def validate(data: Any, resource_type: str | None = None) -> dict[str, Any]:
    """The resource as a dict if it is a valid R4 resource (of `resource_type` when given); else a 422
    OperationOutcome naming each element at fault."""
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise bad_request("The body must be a FHIR resource: a JSON object with a resourceType.")
    kind = data["resourceType"]
    if resource_type is not None and kind != resource_type:
        raise FhirError(
            400,
            f"The body is a {kind}, but the URL is for {resource_type}.",
            code="invalid",
            expression=["resourceType"],
        )
    try:
        model = get_fhir_model_class(kind)
    except (KeyError, ValueError) as exc:
        raise bad_request(f"{kind!r} is not a FHIR R4 resource type.", ["resourceType"]) from exc
    problem = _control_character(data, kind)
    if problem:
        raise FhirError(
            422, f"{problem}: text may not hold control characters.", code="invalid", expression=[problem]
        )
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        issues = [
            issue(f"{_path(e['loc'], kind)}: {e['msg']}", expression=[_path(e["loc"], kind)])
            for e in exc.errors()[:20]
        ]
        raise FhirError(422, issues[0]["diagnostics"], issues=issues) from exc
    except (TypeError, ValueError) as exc:
        raise FhirError(422, f"{kind}: {exc}", code="invalid") from exc
    mistyped = _mistyped(data, parsed.model_dump(by_alias=True, exclude_none=True), kind)
    if mistyped:
        path, wanted = mistyped
        raise FhirError(422, f"{path} must be a JSON {wanted}, not text.", code="invalid", expression=[path])
    return data


# FHIR strings SHOULD NOT hold characters below U+0020 other than tab, CR and LF (R4 datatypes, string); a
# stored one breaks other systems' parsers and the letters we print.
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def _control_character(data: Any, path: str) -> str | None:
    """The path of the first string holding a control character, if any."""
    stack: list[tuple[Any, str]] = [(data, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            if any(ch < " " and ch not in _ALLOWED_CONTROLS for ch in item):
                return where
        elif isinstance(item, dict):
            stack.extend((v, f"{where}.{k}") for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(item))
    return None


def _mistyped(sent: Any, read: Any, path: str) -> tuple[str, str] | None:
    """Where the models read a JSON string as a boolean or a number ("active": "yes" is true to them): FHIR JSON
    sends booleans and numbers bare, and a client that quotes them has made a mistake we should not guess at."""
    if isinstance(sent, str) and isinstance(read, bool):
        return path, "boolean (true or false)"
    if isinstance(sent, str) and isinstance(read, int | float | Decimal) and not isinstance(read, bool):
        return path, "number"
    if isinstance(sent, dict) and isinstance(read, dict):
        for key, value in sent.items():
            if key in read:
                found = _mistyped(value, read[key], f"{path}.{key}")
                if found:
                    return found
    if isinstance(sent, list) and isinstance(read, list) and len(sent) == len(read):
        for i, (a, b) in enumerate(zip(sent, read, strict=True)):
            found = _mistyped(a, b, f"{path}[{i}]")
            if found:
                return found
    return None
