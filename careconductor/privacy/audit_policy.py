"""Who reads the audit trail, part of the one policy (privacy.policy re-exports it).

- The privacy officer: every event of their organisation, as the audit search page shows them (the same filter:
  events recorded by the organisation's users), sensitive records' events included. The trail holds ids and codes,
  not what a record says, and the officer's function is to review all of it.
- A patient's own log-in: the events about their own record (who did what to it, when and why), not those of the
  records they help with as a proxy: the trail of someone else's record is theirs to ask for. How much of each event
  they are shown is the reader's business (`patient_view`): minimum necessary.
- Everyone else, administrators included: none. Reading the trail is not part of caring for a patient.

A token bound to one patient (policy.launched_for) narrows either to that patient's events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from careconductor.accounts.choices import Role

from . import sources

if TYPE_CHECKING:
    from careconductor.accounts.models import User

    from .models import AuditEvent

AUDIT_READERS = frozenset({Role.PRIVACY_OFFICER, Role.PATIENT})


def audit_rows(user: User, launched: int | None = None) -> QuerySet[AuditEvent]:
    """The audit events `user` may read; none for anyone but the privacy officer and a patient's own log-in."""
    from .models import AuditEvent

    events = AuditEvent.objects.all()
    if not user.is_authenticated or not user.is_active or user.organization_id is None:
        return events.none()
    if launched is not None:
        events = events.filter(patient_id=launched)
    if user.role == Role.PRIVACY_OFFICER:
        return events.filter(organization_id_value=user.organization_id)
    if user.role == Role.PATIENT:
        own = sources.patients().objects.filter(organization_id=user.organization_id, portal_user=user)
        return events.filter(patient__in=own.values("pk"))
    return events.none()


def patient_view(user: User) -> bool:
    """Whether `user` reads the trail as the patient it is about: the staff who acted named as the screens name
    them, without their log-in name, address, browser or the event's detail."""
    return user.is_authenticated and user.role == Role.PATIENT
