"""Inbound resources: parsed with limits, then validated with the FHIR R4 models of fhir.resources (R4B, the
R4-compatible models the library ships) before any mapper sees them."""

from __future__ import annotations

import json
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
    try:
        model.model_validate(data)
    except ValidationError as exc:
        issues = [
            issue(f"{_path(e['loc'], kind)}: {e['msg']}", expression=[_path(e["loc"], kind)])
            for e in exc.errors()[:20]
        ]
        raise FhirError(422, issues[0]["diagnostics"], issues=issues) from exc
    except (TypeError, ValueError) as exc:
        raise FhirError(422, f"{kind}: {exc}", code="invalid") from exc
    return data
