"""What population tells the access policy (privacy/sources.py), registered from PopulationConfig.ready(): where
risk tiers, registries and their members are kept; the policy decides who reads them (policy.population_rows)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from careconductor.assessments.models import AssessmentScore
from careconductor.careplans.models import Goal
from careconductor.cases.models import Case
from careconductor.coordination.models import Contact, TimeEntry
from careconductor.patients.models import Encounter
from careconductor.privacy import sources

from .models import (
    Campaign,
    CampaignMember,
    MemberRisk,
    Registry,
    RegistryMember,
    RegistryReferral,
    StratificationRun,
)


def population_rows(kind: str) -> QuerySet[Any]:
    rows: dict[str, Any] = {
        "members": MemberRisk,
        "registries": Registry,
        "stays": RegistryMember,
        "runs": StratificationRun,
        "referrals": RegistryReferral,
        "cases": Case,
        "contacts": Contact,
        "scores": AssessmentScore,
        "goals": Goal,
        "time": TimeEntry,
        "encounters": Encounter,
        "campaigns": Campaign,
        "campaign_members": CampaignMember,
    }
    return rows[kind].objects.all()


def register() -> None:
    sources.population_source(population_rows)
