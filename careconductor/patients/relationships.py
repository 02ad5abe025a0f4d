"""What patients tells the access policy (privacy/sources.py), registered from PatientsConfig.ready(): where
patients are kept, a patient's own portal log-in, care team places and the discipline of a member on them."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.privacy import sources

from .models import CareTeamMember, Patient


def on_care_team(user: User) -> list[QuerySet[Any]]:
    """The patients on whose care team the user is today (the period of membership, both ends inclusive)."""
    today = clock.today()
    return [
        CareTeamMember.objects.filter(user=user, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .values("patient_id")
    ]


def own_record(user: User) -> QuerySet[Any]:
    """A patient's own log-in reports on their own record."""
    return Patient.objects.filter(portal_user=user).order_by().values("pk")


def care_team_discipline(user: User, patient: Patient) -> str | None:
    today = clock.today()
    return (
        CareTeamMember.objects.filter(user=user, patient=patient, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .values_list("user__profile__discipline", flat=True)
        .first()
    )


def register() -> None:
    sources.patient_model(Patient)
    sources.relationship_source(on_care_team)
    sources.portal_source(own_record)
    sources.care_team_discipline(care_team_discipline)
    sources.relationship_models(CareTeamMember)
