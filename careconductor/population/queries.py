"""Population health's reads for its pages (issue 22), each through the one policy (policy.population_rows): the
tiers of the last stratification, the registries and their members, the members behind a tier. A page that names
members records one read event per member shown, in one insert."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from careconductor.accounts.models import Team, User
from careconductor.core import clock
from careconductor.privacy import audit, policy

from .models import (
    ImportRun,
    MemberRisk,
    Registry,
    RegistryCount,
    RegistryMember,
    RegistryReferral,
    StratificationRun,
)

PER_PAGE = 50
CHART_DAYS = 365


@dataclass(frozen=True)
class Overview:
    run: StratificationRun | None
    registries: list[Registry]  # each with .current (members now)


def access_overview(user: User) -> Overview:
    registries = list(
        policy.population_rows(user, "registries")
        .annotate(current=Count("stays", filter=Q(stays__left_on=None)))
        .order_by("name")
    )
    run = policy.population_rows(user, "runs").order_by("-started_at").first()
    return Overview(run, registries)


def access_members(user: User, tier: int | None, page: int) -> Page[Any]:
    """The stratified members, highest tier first (one tier if asked), a page at a time, with their names."""
    rows: QuerySet[MemberRisk] = policy.population_rows(user, "members")
    if tier is not None:
        rows = rows.filter(tier=tier)
    rows = rows.select_related("patient").order_by("-tier", "-admissions_12m", "-charlson", "patient_id")
    shown = Paginator(rows, PER_PAGE).get_page(page)
    audit.record_reads(user, [r.patient for r in shown], object_type="MemberRisk")
    return shown


def access_registry(user: User, registry_id: int) -> Registry:
    registry = policy.population_rows(user, "registries").filter(pk=registry_id).first()
    if registry is None:
        raise Http404("No such registry.")
    return registry


@dataclass(frozen=True)
class MemberRow:
    stay: RegistryMember
    risk: MemberRisk | None
    referral: RegistryReferral | None


def access_registry_members(user: User, registry: Registry, page: int) -> tuple[Page[Any], list[MemberRow]]:
    """The registry's current members, highest tier first, a page at a time: each with their tier and reasons and
    the case a referral from this registry opened, if any."""
    stays = (
        policy.population_rows(user, "stays")
        .filter(registry=registry, left_on=None)
        .select_related("patient")
        .order_by("-patient__risk_tier__tier", "entered_on", "patient_id")
    )
    shown = Paginator(stays, PER_PAGE).get_page(page)
    ids = [s.patient_id for s in shown]
    risks = {r.patient_id: r for r in policy.population_rows(user, "members").filter(patient_id__in=ids)}
    referrals = {
        r.case.patient_id: r
        for r in RegistryReferral.objects.filter(registry=registry, case__patient_id__in=ids)
        .select_related("case")
        .order_by("referred_at")
    }
    audit.record_reads(user, [s.patient for s in shown], object_type="RegistryMember")
    return shown, [MemberRow(s, risks.get(s.patient_id), referrals.get(s.patient_id)) for s in shown]


def access_registry_counts(user: User, registry: Registry) -> list[RegistryCount]:
    since = clock.today() - dt.timedelta(days=CHART_DAYS)
    access_registry(user, registry.pk)
    return list(RegistryCount.objects.filter(registry=registry, on__gte=since).order_by("on"))


def access_recently_left(user: User, registry: Registry, days: int = 30) -> list[RegistryMember]:
    since = clock.today() - dt.timedelta(days=days)
    left = list(
        policy.population_rows(user, "stays")
        .filter(registry=registry, left_on__gte=since)
        .select_related("patient")
        .order_by("-left_on", "patient_id")[:PER_PAGE]
    )
    audit.record_reads(user, [s.patient for s in left], object_type="RegistryMember")
    return left


def access_unreferred(user: User, registry: Registry, limit: int) -> list[int]:
    """The registry's current members no referral from it has opened a case for, highest tier first."""
    referred = RegistryReferral.objects.filter(registry=registry).values("case__patient_id")
    return list(
        policy.population_rows(user, "stays")
        .filter(registry=registry, left_on=None)
        .exclude(patient_id__in=referred)
        .order_by("-patient__risk_tier__tier", "entered_on", "patient_id")
        .values_list("patient_id", flat=True)[:limit]
    )


def access_teams(user: User) -> QuerySet[Team]:
    """The organisation's teams, for a referral's receiving team (names only, no patient data)."""
    policy.population_rows(user, "registries")  # the same people as the pages that offer them
    return Team.objects.filter(organization_id=user.organization_id or 0).order_by("name")


def access_import_runs(user: User) -> QuerySet[ImportRun]:
    """The organisation's imports started on the import page, newest first (names of files and counts only)."""
    organization_id = policy.require_admin(user, "Only an administrator sees the imports.")
    return (
        ImportRun.objects.filter(organization_id=organization_id)
        .select_related("started_by")
        .order_by("-started_at")
    )
