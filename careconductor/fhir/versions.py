"""Kept versions for `vread` and `_history`.

Every mapped row carries a version number (core.models.TimestampedModel). When a change commits, the resource
is rendered as it now stands and kept under that number, whichever screen, client or job changed it. This
is done on commit, not at save time, so the kept version includes the parts saved after the row itself
(identifiers, status history) and a rolled-back change leaves nothing behind. It is bookkeeping for the
API, like the audit trail, not domain logic: no decision hangs on it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_save

from careconductor.core import clock
from careconductor.core.ids import whole_number

from .errors import FhirError
from .models import ResourceVersion
from .registry import HISTORY, VREAD, Mapper, all_mappers


def connect() -> None:
    for mapper in all_mappers():
        if not ({VREAD, HISTORY} & mapper.interactions):
            continue  # nothing reads its kept versions (a Group: a registry changes with every run)
        watched: dict[type[Model], Callable[[Any], str | None]] = {}
        for part in mapper.parts():
            watched[part.model] = part.resource_id
            watched.update(part.tracked)
        for model, key_of in watched.items():
            post_save.connect(
                partial(_changed, mapper, key_of),
                sender=model,
                weak=False,
                dispatch_uid=f"fhir-version-{mapper.resource_type}-{model._meta.label}",
            )


class _Batch:
    """The resources changed in one transaction, kept together when it commits: each once, however many of
    its rows were saved, rendered a type at a time and written in one insert (one commit, so one fsync on
    SQLite, instead of one per saved row)."""

    def __init__(self) -> None:
        self.keys: dict[str, tuple[Mapper, set[str]]] = {}
        # Bodies rendered already in this transaction (`rendered`), kept as they are unless saved again.
        self.bodies: dict[tuple[str, str], tuple[dict[str, Any], int | None]] = {}

    def add(self, mapper: Mapper, key: str) -> None:
        self.keys.setdefault(mapper.resource_type, (mapper, set()))[1].add(key)
        self.bodies.pop((mapper.resource_type, key), None)

    def flush(self) -> None:
        keep_many([(mapper, sorted(ids)) for mapper, ids in self.keys.values()], self.bodies)


def _batch() -> _Batch | None:
    """The current transaction's batch, unless its flush was dropped with a rolled-back savepoint."""
    connection = transaction.get_connection()
    batch: _Batch | None = connection.__dict__.get("_fhir_batch")
    if batch is None or not any(func == batch.flush for _, func, _ in connection.run_on_commit):
        return None
    return batch


def keep_now() -> None:
    """Keep, inside the current transaction, the versions of what it has changed so far, instead of in a
    transaction of their own after its commit (one commit, so one disk sync, fewer): for a caller that has saved
    every part of the resources it changed (the ADT listener, at the end of a message). Whatever is saved after
    this is kept at the commit as before; a rollback takes these versions with it."""
    batch = _batch() if transaction.get_connection().in_atomic_block else None
    if batch is None or not batch.keys:
        return
    batch.flush()
    batch.keys.clear()
    batch.bodies.clear()


def rendered(bodies: list[tuple[dict[str, Any], int | None]]) -> None:
    """Resources just rendered as they stand at the end of a transaction (a transaction Bundle's answers), each
    with its patient's id: kept as they are when it commits instead of being read and rendered a second time.
    A resource saved again after this is rendered afresh."""
    batch = _batch() if transaction.get_connection().in_atomic_block else None
    if batch is None:
        return
    for body, patient_id in bodies:
        mapper_and_keys = batch.keys.get(body["resourceType"])
        if mapper_and_keys is not None and body["id"] in mapper_and_keys[1]:
            batch.bodies[(body["resourceType"], body["id"])] = (body, patient_id)


def _changed(
    mapper: Mapper, key_of: Callable[[Any], str | None], sender: Any, instance: Any, **kwargs: Any
) -> None:
    if kwargs.get("raw"):
        return
    key = key_of(instance)
    if key is None:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        keep(mapper, key)  # autocommit: the change is already committed
        return
    # A batch whose flush was dropped with a rolled-back savepoint is gone with the changes it held.
    batch = _batch()
    if batch is None:
        batch = _Batch()
        connection.__dict__["_fhir_batch"] = batch
        transaction.on_commit(batch.flush)
    batch.add(mapper, key)


def keep(mapper: Mapper, resource_id: str) -> None:
    """Keep the resource's current version if it is not kept yet."""
    keep_many([(mapper, [resource_id])])


def keep_many(
    work: list[tuple[Mapper, list[str]]],
    bodies: dict[tuple[str, str], tuple[dict[str, Any], int | None]] | None = None,
    chunk: int = 500,
) -> None:
    """Keep the current version of each resource: those in `bodies` as rendered there, the others read and
    rendered a type at a time."""
    now = clock.now()
    bodies = bodies or {}
    kept: list[ResourceVersion] = []
    for mapper, resource_ids in work:
        ready = [
            bodies[(mapper.resource_type, i)] for i in resource_ids if (mapper.resource_type, i) in bodies
        ]
        kept.extend(_version(mapper.resource_type, body, now, patient_id) for body, patient_id in ready)
        waiting = [i for i in resource_ids if (mapper.resource_type, i) not in bodies]
        for part in mapper.parts():
            kept.extend(_render_versions(part, waiting, now, chunk))
    if kept:
        with transaction.atomic():
            # The first kept copy of a version stands (a version's content never changes).
            ResourceVersion.objects.bulk_create(kept, ignore_conflicts=True, batch_size=chunk)


def _render_versions(mapper: Mapper, resource_ids: list[str], now: Any, chunk: int) -> list[ResourceVersion]:
    kept: list[ResourceVersion] = []
    keys = {mapper.pk_from_id(i) for i in resource_ids} - {None}
    ordered = sorted(keys)
    for start in range(0, len(ordered), chunk):
        rows = mapper.with_related(
            mapper.model._default_manager.filter(pk__in=ordered[start : start + chunk])
        )
        kept.extend(
            _version(mapper.resource_type, mapper.render(row), now, mapper.patient_id(row)) for row in rows
        )
    return kept


def _version(resource_type: str, body: dict[str, Any], now: Any, patient_id: int | None) -> ResourceVersion:
    return ResourceVersion(
        resource_type=resource_type,
        resource_id=body["id"],
        version_id=int(body["meta"]["versionId"]),
        recorded_at=now,
        method="POST" if body["meta"]["versionId"] == "1" else "PUT",
        patient_id=patient_id,
        body=body,
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
    wanted = whole_number(version_id)
    if wanted is None or wanted > int(current["meta"]["versionId"]):
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
