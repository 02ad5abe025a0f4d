"""Writing audit events. The request context (address, agent, purpose) is set once per request by the
middleware, so actions and queries record events without threading the request through every call.

Events are written in batches, one chain extension each (chain.append reads the chain head once and writes it
once), so the chain is not a queue every event waits in:
  - `batched_reads()` (the middleware opens one around every request): events recorded outside any further
    transaction (reads) are kept until it ends, after the view has built its response and before it is sent,
    or until `flush()`. Events recorded inside a transaction are written in it at once, as before.
  - `batched()`, opened inside a transaction (a FHIR create, update or transaction Bundle): every event recorded
    there, in nested transactions too, is written when it ends, in that transaction. An event recorded in a
    savepoint that was rolled back is dropped with it (it did not happen).
Outside a batch each call writes at once, as before. A batch written outside any transaction (a request's reads)
is committed together with those of concurrent requests (chain.append_durably: group commit), and the call
returns once that commit is done, so a response is still sent only after its audit events are durable."""

from __future__ import annotations

import contextvars
import ipaddress
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.ipv6 import clean_ipv6_address

from careconductor.core import clock

from . import chain, policy
from .choices import EMERGENCY_PURPOSE, AuditAction, AuditOutcome
from .models import AuditEvent

if TYPE_CHECKING:
    from careconductor.accounts.models import User
    from careconductor.patients.models import Patient


@dataclass(frozen=True)
class AuditContext:
    client_address: str | None = None
    user_agent: str = ""
    purpose: str = "TREAT"
    credential: str = ""  # what the request authenticated with, when not a session ("token cc_ab12")


_CLI_CONTEXT = AuditContext(purpose="OPERATIONS", user_agent="careconductor-cli")
_context: contextvars.ContextVar[AuditContext] = contextvars.ContextVar(
    "audit_context",
    default=_CLI_CONTEXT,
)


@contextmanager
def audit_context(ctx: AuditContext) -> Iterator[None]:
    token = _context.set(ctx)
    try:
        yield
    finally:
        _context.reset(token)


def client_address() -> str | None:
    """The address the request came from (None outside a request): what a refusal counter counts by."""
    return _context.get().client_address


def using_credential(credential: str) -> None:
    """Name the credential (an API token) in the detail of every event recorded for the rest of the request.
    The middleware's audit_context puts the request's context back when it ends."""
    _context.set(replace(_context.get(), credential=credential))


def _event(
    user: User | None,
    action: AuditAction,
    *,
    patient: Patient | int | None = None,
    obj: object = None,
    object_type: str = "",
    object_id: str = "",
    outcome: AuditOutcome = AuditOutcome.SUCCESS,
    detail: str = "",
    username: str = "",
) -> AuditEvent:
    ctx = _context.get()
    if obj is not None:
        object_type = object_type or type(obj).__name__
        object_id = object_id or str(getattr(obj, "pk", ""))
    patient_id = patient if isinstance(patient, int) or patient is None else patient.pk
    authenticated = user is not None and user.is_authenticated
    return AuditEvent(
        recorded_at=clock.now(),
        user=user if authenticated else None,
        username=(user.username if authenticated and user else username)[:150],
        role=user.role if authenticated and user else "",
        organization_id_value=user.organization_id if authenticated and user else None,
        patient_id=patient_id,
        action=action,
        object_type=object_type[:50],
        object_id=object_id[:64],
        purpose=ctx.purpose,
        client_address=_address(ctx.client_address),
        user_agent=ctx.user_agent[:300],
        outcome=outcome,
        detail=(f"{ctx.credential}; {detail}" if ctx.credential else detail)[:200],
    )


def _address(raw: str | None) -> str | None:
    """The address as the database will store it, so the hash computed now matches the row read later."""
    if not raw:
        return None
    try:
        return clean_ipv6_address(raw) if ":" in raw else str(ipaddress.IPv4Address(raw))
    except (ValueError, ValidationError):
        return None


class _Batch:
    def __init__(self, *, whole_transaction: bool, outer: _Batch | None) -> None:
        self.depth = _depth()  # transactions open when the batch began
        self.whole_transaction = whole_transaction
        self.outer = outer  # the batch this one is nested in, if any
        self.events: list[tuple[User | None, AuditEvent, Callable[[], None] | None]] = []

    def takes(self) -> bool:
        """Whether an event recorded now waits for this batch (see the module's docstring)."""
        depth = _depth()
        return depth >= self.depth if self.whole_transaction else depth == self.depth

    def add(self, user: User | None, events: list[AuditEvent]) -> None:
        marker = None
        if _depth() > self.depth:
            # Dropped by Django if the savepoint it was registered in is rolled back: so are the events.
            def marker() -> None:
                return None

            transaction.on_commit(marker)
        self.events += [(user, event, marker) for event in events]

    def flush(self, *, with_outer: bool = False) -> None:
        """Write the waiting events (and, `with_outer`, those of the batches this one is nested in) as one
        extension of the chain."""
        alive = {id(func) for _, func, _ in transaction.get_connection().run_on_commit}
        waiting: list[tuple[User | None, AuditEvent, Callable[[], None] | None]] = []
        batch: _Batch | None = self
        while batch is not None:
            waiting += batch.events
            batch.events = []
            batch = batch.outer if with_outer else None
        kept = [(u, e) for u, e, marker in waiting if marker is None or id(marker) in alive]
        by_user: dict[int, tuple[User, list[AuditEvent]]] = {}
        for user, event in kept:
            if user is not None and event.patient_id is not None:
                by_user.setdefault(id(user), (user, []))[1].append(event)
        for user, events in by_user.values():
            _mark_emergency(user, events)
        chain.append_durably([event for _, event in kept])


_batch: contextvars.ContextVar[_Batch | None] = contextvars.ContextVar("audit_batch", default=None)


def _depth() -> int:
    return len(transaction.get_connection().atomic_blocks)


@contextmanager
def batched() -> Iterator[None]:
    """Write every event recorded inside, in nested transactions too, as one batch when it ends. Open it inside
    the transaction the events belong to; inside another such batch it is that batch."""
    outer = _batch.get()
    if outer is not None and outer.whole_transaction and outer.takes():
        yield
        return
    batch = _Batch(whole_transaction=True, outer=outer)
    token = _batch.set(batch)
    try:
        yield
        batch.flush()
    finally:
        _batch.reset(token)


@contextmanager
def batched_reads() -> Iterator[None]:
    """Keep the events recorded outside a transaction (the reads of a request) and write them as one batch when
    it ends, also when it ends with an error (they were read), or at `flush()`."""
    outer = _batch.get()
    if outer is not None and outer.takes():
        yield
        return
    batch = _Batch(whole_transaction=False, outer=outer)
    token = _batch.set(batch)
    try:
        yield
    finally:
        try:
            batch.flush()
        finally:
            _batch.reset(token)


def flush() -> None:
    """Write the events waiting in the current batch and in those it is nested in, now, as one extension of the
    chain (in the caller's transaction, if any)."""
    batch = _batch.get()
    if batch is not None:
        batch.flush(with_outer=True)


def discard_reads() -> None:
    """Drop the reads waiting to be written (batched_reads): what they record was not shown (a refused API
    token). Events of changes stay."""
    batch = _batch.get()
    while batch is not None:
        if not batch.whole_transaction:
            batch.events = []
        batch = batch.outer


def _write(user: User | None, events: list[AuditEvent]) -> None:
    batch = _batch.get()
    if batch is not None and batch.takes():
        batch.add(user, events)
        return
    if user is not None:
        _mark_emergency(user, [e for e in events if e.patient_id is not None])
    chain.append_durably(events)


def record(user: User | None, action: AuditAction, **kwargs: object) -> AuditEvent:
    event = _event(user, action, **kwargs)  # type: ignore[arg-type]
    _write(user, [event])
    return event


def _mark_emergency(user: User, events: list[AuditEvent]) -> None:
    """Events on a patient the user reaches through break-the-glass carry the emergency purpose of use."""
    if not events:
        return
    emergency = policy.emergency_patient_ids(user, [e.patient_id for e in events if e.patient_id is not None])
    for event in events:
        if event.patient_id in emergency:
            event.purpose = EMERGENCY_PURPOSE
            event.detail = ("break-the-glass; " + event.detail)[:200]


def record_reads(user: User, patients: Iterable[Patient], object_type: str = "Patient") -> None:
    """One read event per patient shown on a list page, in one insert."""
    events = [
        _event(user, AuditAction.READ, patient=p, object_type=object_type, object_id=str(p.pk))
        for p in patients
    ]
    _write(user, events)


def record_resource_reads(user: User, items: Iterable[tuple[int | None, str, str]], detail: str = "") -> None:
    """One read event per API resource served (patient id, resource type, resource id), in one insert.
    Resources that are not patient data (patient id None) are not recorded."""
    events = [
        _event(user, AuditAction.READ, patient=patient_id, object_type=kind, object_id=key, detail=detail)
        for patient_id, kind, key in items
        if patient_id is not None
    ]
    if events:
        _write(user, events)
