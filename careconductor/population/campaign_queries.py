"""Outreach campaigns' reads for their pages, each through the one policy (policy.campaign_rows): the campaigns a
user works (all of the organisation's for the population roles, their team's for anyone else), a campaign's
members with what they answered, and its figures. A page that names members records one read per member shown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from careconductor.accounts.models import User
from careconductor.core.languages import language_name
from careconductor.privacy import audit, policy

from . import campaign_rules as rules
from .models import Campaign, CampaignMember, MemberRisk

PER_PAGE = 50


def access_campaigns(user: User) -> QuerySet[Campaign]:
    """The campaigns the user works, newest first, each with .invited and .waiting (members still to answer)."""
    return (
        policy.campaign_rows(user, "campaigns")
        .select_related("registry", "team")
        .annotate(
            invited=Count("members"),
            waiting=Count("members", filter=Q(members__status__in=rules.OPEN)),
        )
        .order_by("closed_at", "-created_at")
    )


def access_team_calls(user: User) -> list[Campaign]:
    """The open call campaigns with members still to call that the user's team works, for the worklist."""
    waiting = (
        policy.campaign_rows(user, "campaign_members").filter(status__in=rules.OPEN).values("campaign_id")
    )
    return list(
        access_campaigns(user).filter(closed_at=None, channel=Campaign.Channel.CALL, pk__in=waiting)[:5]
    )


def access_campaign(user: User, campaign_id: int) -> Campaign:
    campaign = (
        policy.campaign_rows(user, "campaigns")
        .select_related("registry", "team", "created_by")
        .filter(pk=campaign_id)
        .first()
    )
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


@dataclass(frozen=True)
class CampaignRow:
    member: CampaignMember
    risk: MemberRisk | None

    @property
    def status_words(self) -> str:
        return rules.STATUSES.get(self.member.status, self.member.status)

    @property
    def language(self) -> str:
        return language_name(self.member.patient.preferred_language)


def access_campaign_members(
    user: User, campaign: Campaign, status: str, page: int
) -> tuple[Page[Any], list[CampaignRow]]:
    """The campaign's members (those of one status if asked), those still to answer first, a page at a time, with
    why the registry found them (their tier and reasons)."""
    rows = policy.campaign_rows(user, "campaign_members").filter(campaign=campaign)
    if status in rules.STATUSES:
        rows = rows.filter(status=status)
    rows = rows.select_related("patient", "answered_by", "case").order_by("answered_at", "-attempts", "pk")
    shown = Paginator(rows, PER_PAGE).get_page(page)
    ids = [m.patient_id for m in shown]
    risks = {r.patient_id: r for r in policy.campaign_rows(user, "campaign_risks").filter(patient_id__in=ids)}
    audit.record_reads(user, [m.patient for m in shown], object_type="CampaignMember")
    return shown, [CampaignRow(m, risks.get(m.patient_id)) for m in shown]


def access_campaign_figures(user: User, campaign: Campaign) -> list[tuple[str, str, int]]:
    """(status, words, members) for every status, in campaign_rules' order: counts only."""
    counts = dict(
        policy.campaign_rows(user, "campaign_members")
        .filter(campaign=campaign)
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [(status, words, counts.get(status, 0)) for status, words in rules.STATUSES.items()]


def access_campaign_letters(user: User, campaign: Campaign) -> list[Any]:
    """The campaign's invitation letters, for the print run (population roles only: the mail room's copy)."""
    if user.role not in policy.POPULATION_ROLES:
        raise Http404("No such campaign.")
    members = list(
        policy.campaign_rows(user, "campaign_members")
        .filter(campaign=campaign, letter__isnull=False)
        .select_related("letter", "patient")
        .order_by("pk")
    )
    audit.record_resource_reads(
        user,
        [(m.patient_id, "Letter", str(m.letter_id)) for m in members],
        detail=f"campaign {campaign.name}",
    )
    return [m.letter for m in members]
