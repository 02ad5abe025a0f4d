"""Small builders and readers shared by the mappers: codings, references, periods, and reading values out of
an inbound resource with the element path named when something is missing or wrong."""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.db.models.signals import post_save

from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.core.ids import whole_number

if TYPE_CHECKING:
    from careconductor.patients.models import Patient

    from ..auth import Caller

EXT = "https://careconductor.org/fhir/StructureDefinition/"
USERNAME_SYSTEM = "urn:careconductor:username"


def coding(system: str, code: str, display: str = "") -> dict[str, Any]:
    found = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def concept(system: str, code: str, display: str = "", text: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text:
        found["text"] = text
    return found


def ref(resource_type: str, key: Any, display: str = "") -> dict[str, Any]:
    found = {"reference": f"{resource_type}/{key}"}
    if display:
        found["display"] = display
    return found


def day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def moment(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def last_modified(authored: dt.datetime | None, modified: dt.datetime | None) -> str | None:
    """A Task's lastModified, left out when it would come before its authoredOn: R4 makes that an error
    (Task inv-1), and it happens when a clock was set back or a time was given to us by someone else's clock.
    We leave the time out rather than make one up."""
    if modified is None or (authored is not None and modified < authored):
        return None
    return modified.isoformat()


def period(start: Any, end: Any) -> dict[str, Any]:
    found = {}
    if start:
        found["start"] = start.isoformat()
    if end:
        found["end"] = end.isoformat()
    return found


def compact(body: dict[str, Any]) -> dict[str, Any]:
    """Leave out empty elements: FHIR forbids empty strings, lists and objects."""
    return {k: v for k, v in body.items() if v not in (None, "", [], {})}


def refused(path: str, message: str) -> ActionRefused:
    return ActionRefused({path: message})


def refuse_changes(
    resource: dict[str, Any], current: dict[str, Any], names: Iterable[str], path: str, where: str
) -> None:
    """An update that may change only some elements: refuse it, naming the first other element (`path`.name)
    that differs from the resource as served, and saying `where` that element changes."""
    for name in names:
        if resource.get(name) != current.get(name):
            raise refused(f"{path}.{name}", f"{path}.{name} changes {where}.")


def code_in(resource: dict[str, Any], path: str, system: str | None, allowed: dict[str, Any]) -> Any:
    """The stored value for the first coding of a CodeableConcept at `path` (dot path) in our system."""
    node = dig(resource, path)
    codings = node.get("coding", []) if isinstance(node, dict) else []
    for c in codings:
        if (system is None or c.get("system") == system) and c.get("code") in allowed:
            return allowed[c["code"]]
    names = ", ".join(sorted(allowed))
    raise refused(path, f"{path} needs a coding{f' from {system}' if system else ''}, one of: {names}.")


def dig(resource: dict[str, Any], path: str) -> Any:
    node: Any = resource
    for part in path.split(".")[1:] if "." in path else [path]:
        if isinstance(node, list):
            node = node[0] if node else None
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def parse_day(text: Any, path: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(str(text)[:10])
    except ValueError as exc:
        raise refused(path, f"{path} must be a full date (YYYY-MM-DD).") from exc


def parse_moment(text: Any, path: str) -> dt.datetime | None:
    if not text:
        return None
    from django.utils import timezone

    value = str(text)
    try:
        if len(value) == 10:
            found = dt.datetime.fromisoformat(value)
        else:
            found = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise refused(path, f"{path} must be a date-time.") from exc
    return found if timezone.is_aware(found) else timezone.make_aware(found)


def reference_id(value: Any, resource_type: str, path: str, *, required: bool = True) -> int | None:
    """The id from a reference like {"reference": "Patient/12"}; transactions resolve urn:uuid first."""
    text = value.get("reference", "") if isinstance(value, dict) else ""
    if not text:
        if required:
            raise refused(path, f"{path} must refer to a {resource_type}.")
        return None
    parts = text.rstrip("/").split("/")
    key = whole_number(parts[-1]) if len(parts) >= 2 and parts[-2] == resource_type else None
    if key is None:
        raise refused(
            path, f"{path} must refer to a {resource_type} on this server (like {resource_type}/123)."
        )
    return key


def visible_patient(caller: Caller, value: Any, path: str) -> Patient:
    """The patient a reference names, if the caller may see them; NotVisible (as if missing) otherwise."""
    from careconductor.patients.models import Patient
    from careconductor.privacy import policy

    key = reference_id(value, "Patient", path)
    known = _bundle_patients.get()
    patient = known.get(key) if known is not None and key is not None else None
    if patient is None and key is not None:
        patient = Patient.objects.filter(pk=key).first()
    # `can` is `visible_patients(...).filter(pk=...)`, decided once per request: the entries of a Bundle that
    # name the same patient ask once.
    if patient is None or not policy.can(caller.user, policy.Action.VIEW, patient):
        raise NotVisible
    return patient


_bundle_patients: contextvars.ContextVar[dict[int, Patient] | None] = contextvars.ContextVar(
    "bundle_patients", default=None
)


@contextmanager
def bundle_patients(keys: Iterable[int]) -> Iterator[None]:
    """The patients a transaction Bundle names (fetched in one query) and those it creates, for its entries'
    references; whether the caller sees them is still asked of the policy for each. A patient saved again in
    the Bundle is fetched afresh."""
    from careconductor.patients.models import Patient

    token = _bundle_patients.set({p.pk: p for p in Patient.objects.filter(pk__in=set(keys))})
    try:
        yield
    finally:
        _bundle_patients.reset(token)


def _patient_saved(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    known = _bundle_patients.get()
    if known is None:
        return
    if created:
        known[instance.pk] = instance
    else:
        known.pop(instance.pk, None)


post_save.connect(_patient_saved, sender="patients.Patient", weak=False, dispatch_uid="fhir-bundle-patients")
