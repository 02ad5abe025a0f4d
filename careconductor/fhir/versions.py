"""Kept versions for `vread` and `_history`.

Every mapped row carries a version number (core.models.TimestampedModel). When a change commits, the resource
is rendered as it now stands and kept under that number, whichever screen, client or job changed it. This
is done on commit, not at save time, so the kept version includes the parts saved after the row itself
(identifiers, status history) and a rolled-back change leaves nothing behind. It is bookkeeping for the
API, like the audit trail, not domain logic: no decision hangs on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_save

from careconductor.core import clock

from .errors import FhirError
from .models import ResourceVersion
from .registry import Mapper, all_mappers


def connect() -> None:
    for mapper in all_mappers():
        watched: dict[type[Model], Callable[[Any], str | None]] = {mapper.model: mapper.resource_id}
        watched.update(mapper.tracked)
        for model, key_of in watched.items():
            post_save.connect(
                partial(_changed, mapper, key_of),
                sender=model,
                weak=False,
                dispatch_uid=f"fhir-version-{mapper.resource_type}-{model._meta.label}",
            )


def _changed(
    mapper: Mapper, key_of: Callable[[Any], str | None], sender: Any, instance: Any, **kwargs: Any
) -> None:
    if kwargs.get("raw"):
        return
    key = key_of(instance)
    if key is None:
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        # Keep each resource once per transaction, not once per saved row (a transaction Bundle saves a
        # patient, its identifiers and its case: re-rendering each time took most of an import's time). A
        # registration made inside a savepoint since rolled back is gone, so it counts only while the
        # savepoints it was made in are still open.
        pending: dict[tuple[str, str], tuple[str, ...]] = connection.__dict__.setdefault("_fhir_pending", {})
        if not connection.run_on_commit:
            pending.clear()
        savepoints = tuple(connection.savepoint_ids)
        held = pending.get((mapper.resource_type, key))
        if held is not None and savepoints[: len(held)] == held:
            return
        pending[(mapper.resource_type, key)] = savepoints
    transaction.on_commit(partial(keep, mapper, key))


def keep(mapper: Mapper, resource_id: str) -> None:
    """Keep the resource's current version if it is not kept yet."""
    pk = mapper.pk_from_id(resource_id)
    row = mapper.with_related(mapper.model._default_manager.filter(pk=pk)).first() if pk is not None else None
    if row is None:
        return
    body = mapper.render(row)
    ResourceVersion.objects.get_or_create(
        resource_type=mapper.resource_type,
        resource_id=resource_id,
        version_id=int(body["meta"]["versionId"]),
        defaults={
            "recorded_at": clock.now(),
            "method": "POST" if body["meta"]["versionId"] == "1" else "PUT",
            "patient_id": mapper.patient_id(row),
            "body": body,
        },
    )


def versions(mapper: Mapper, row: Any) -> list[dict[str, Any]]:
    """Every kept version of the (visible) row, newest first, the current one always included."""
    current = mapper.render(row)
    kept = {
        v.version_id: v.body
        for v in ResourceVersion.objects.filter(
            resource_type=mapper.resource_type, resource_id=current["id"]
        ).order_by("-version_id")
    }
    kept[int(current["meta"]["versionId"])] = current
    return [kept[number] for number in sorted(kept, reverse=True)]


def version(mapper: Mapper, row: Any, version_id: str) -> dict[str, Any]:
    current = mapper.render(row)
    if version_id == current["meta"]["versionId"]:
        return current
    if not version_id.isdigit() or int(version_id) > int(current["meta"]["versionId"]):
        raise FhirError(
            404, f"{mapper.resource_type}/{current['id']} has no version {version_id}.", code="not-found"
        )
    kept = ResourceVersion.objects.filter(
        resource_type=mapper.resource_type, resource_id=current["id"], version_id=int(version_id)
    ).first()
    if kept is None:
        # Loaded in bulk before versions were kept (the demo): the version existed but its content did not.
        raise FhirError(
            410,
            f"Version {version_id} of {mapper.resource_type}/{current['id']} was not kept.",
            code="deleted",
        )
    return kept.body


def recorded(body: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(body["meta"]["lastUpdated"].replace("Z", "+00:00"))
