"""Permission-checked reads of education records, and what the screens show about them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from careconductor.accounts.models import User
from careconductor.core.errors import NotVisible
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import library, rules
from .choices import AssignmentStatus
from .models import Assignment, Delivery


def access_assignment(user: User, assignment_id: int) -> Assignment:
    assignment = (
        Assignment.objects.filter(policy.patient_q(user))
        .select_related("patient", "assigned_by")
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=assignment.patient, obj=assignment)
    return assignment


def access_portal_assignment(user: User, patient: Patient, assignment_id: int) -> Assignment:
    """An assignment of the patient whose record the portal shows (the portal guard has checked the user may
    see it), not withdrawn."""
    assignment = (
        Assignment.objects.filter(policy.patient_q(user))
        .filter(patient=patient, pk=assignment_id)
        .exclude(status=AssignmentStatus.WITHDRAWN)
        .select_related("patient")
        .first()
    )
    if assignment is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=patient, obj=assignment)
    return assignment


def patient_assignments(patient: Patient) -> list[Assignment]:
    """Every assignment of a patient whose record the caller has opened, with its deliveries, newest first."""
    deliveries = Prefetch("deliveries", queryset=Delivery.objects.select_related("delivered_by"))
    return list(
        Assignment.objects.filter(patient=patient).select_related("assigned_by").prefetch_related(deliveries)
    )


def portal_assignments(patient: Patient) -> list[Assignment]:
    return list(Assignment.objects.filter(patient=patient).exclude(status=AssignmentStatus.WITHDRAWN))


@dataclass(frozen=True)
class Suggested:
    suggestion: rules.Suggestion[library.Material]
    assigned: bool  # already waiting on the patient's list


def suggested_for(patient: Patient, topic: str = "", waiting: set[str] | None = None) -> list[Suggested]:
    """The library ranked for this patient (rules.rank_materials), optionally one topic."""
    materials = [m for m in library.all_materials().values() if not topic or m.topic == topic]
    ranked = rules.rank_materials(
        materials,
        list(patient.learning_preferences or []),
        patient.health_literacy_concern,
        patient.preferred_language,
    )
    waiting = waiting or set()
    return [Suggested(s, s.material.slug in waiting) for s in ranked]
