"""Whether a patient can be reached, for the unable-to-reach protocol: from the contact log and from what the
patient did themselves in the portal (hooks.REACH_SOURCES: a check-in, a reading, a message), which shows they
are there as well as a call that got through does."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from django.conf import settings
from django.db.models import Model, OuterRef, QuerySet, Subquery
from django.utils import timezone

from careconductor.cases.models import Case
from careconductor.patients.models import Patient

from . import hooks, rules
from .choices import ContactDirection
from .models import Contact, OutreachAttempt

M = TypeVar("M", bound=Model)
PREFIX = "portal_reach_"


def refresh_last_reached(patient_ids: Iterable[int]) -> None:
    """Store on each patient the moment of their latest reached contact (Patient.last_reached_at), read from
    the contact log itself, so it is right after any change to the log: a contact logged late, out of order, or
    rows removed or moved. One UPDATE; every action that changes a patient's contact log calls it in its
    transaction."""
    latest = (
        Contact.objects.filter(patient_id=OuterRef("pk"), reached=True)
        .order_by("-contact_at")
        .values("contact_at")[:1]
    )
    Patient.objects.filter(pk__in=list(patient_ids)).update(last_reached_at=Subquery(latest))


def _sources() -> list[tuple[str, str, Subquery]]:
    found = [pair for source in hooks.REACH_SOURCES for pair in source()]
    return [(f"{PREFIX}{i}", what, subquery) for i, (what, subquery) in enumerate(found)]


def with_portal_activity(qs: QuerySet[M]) -> QuerySet[M]:
    """Each reach source's latest moment annotated on a query of rows with a patient_id (no query of its own)."""
    return qs.annotate(**{name: subquery for name, _, subquery in _sources()})


def portal_labels() -> dict[str, str]:
    """The annotation names with_portal_activity adds, and what each says the patient did."""
    return {name: what for name, what, _ in _sources()}


def portal_activity(row: Model, labels: dict[str, str]) -> rules.PortalActivity | None:
    """The latest portal activity annotated on `row` by with_portal_activity, in local time."""
    found = [
        rules.PortalActivity(timezone.localtime(at), what)
        for name, what in labels.items()
        if (at := getattr(row, name, None)) is not None
    ]
    return max(found, key=lambda a: a.at, default=None)


def reach_state_for(case: Case) -> rules.ReachState:
    """The case's unable-to-reach state: failed attempts and protocol steps count only after the patient was last
    reached (a reached contact, or their own use of the portal)."""
    last_contact = (
        Contact.objects.filter(patient_id=case.patient_id, reached=True)
        .order_by("-contact_at")
        .values_list("contact_at", flat=True)
        .first()
    )
    annotated = with_portal_activity(Case.objects.filter(pk=case.pk)).first()
    since = rules.last_reached(
        last_contact, portal_activity(annotated, portal_labels()) if annotated else None
    )
    failed = Contact.objects.filter(
        patient_id=case.patient_id, reached=False, direction=ContactDirection.OUTBOUND
    )
    steps = OutreachAttempt.objects.filter(case=case)
    if since is not None:
        failed = failed.filter(contact_at__gt=since)
        steps = steps.filter(done_at__gt=since)
    attempts = [timezone.localtime(t) for t in failed.values_list("contact_at", flat=True)]
    return rules.reach_state(
        attempts, set(steps.values_list("step", flat=True)), settings.UNABLE_TO_REACH_ATTEMPTS
    )
