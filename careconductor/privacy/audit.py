"""Writing audit events. The request context (address, agent, purpose) is set once per request by the
middleware, so actions and queries record events without threading the request through every call."""

from __future__ import annotations

import contextvars
import ipaddress
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
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
        detail=detail[:200],
    )


def _address(raw: str | None) -> str | None:
    """The address as the database will store it, so the hash computed now matches the row read later."""
    if not raw:
        return None
    try:
        return clean_ipv6_address(raw) if ":" in raw else str(ipaddress.IPv4Address(raw))
    except (ValueError, ValidationError):
        return None


def record(user: User | None, action: AuditAction, **kwargs: object) -> AuditEvent:
    event = _event(user, action, **kwargs)  # type: ignore[arg-type]
    if user is not None and event.patient_id is not None:
        _mark_emergency(user, [event])
    chain.append([event])
    return event


def _mark_emergency(user: User, events: list[AuditEvent]) -> None:
    """Events on a patient the user reaches through break-the-glass carry the emergency purpose of use."""
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
    _mark_emergency(user, events)
    chain.append(events)


def record_resource_reads(user: User, items: Iterable[tuple[int | None, str, str]], detail: str = "") -> None:
    """One read event per API resource served (patient id, resource type, resource id), in one insert.
    Resources that are not patient data (patient id None) are not recorded."""
    events = [
        _event(user, AuditAction.READ, patient=patient_id, object_type=kind, object_id=key, detail=detail)
        for patient_id, kind, key in items
        if patient_id is not None
    ]
    if events:
        _mark_emergency(user, events)
        chain.append(events)
