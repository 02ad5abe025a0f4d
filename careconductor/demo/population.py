"""Population health for the demo (issue 22): the health plan's members beyond the enrolled patients, imported from
its Bulk Data files through the same importer as a real feed (five members for each demo patient, at most 5,000);
everyone stratified; Nadia Shah, the plan's population health analyst, with two registries whose members came in
over the last three months; the three highest-risk members of the heart failure registry referred into chronic
care management's intake this morning; and an outreach call campaign from the diabetes registry, worked by the
chronic care team this week: some said yes (two referred already), some said no, some did not answer."""

from __future__ import annotations

import datetime as dt
import random
from typing import Protocol

from django.db.models import Count

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Discipline, Role
from careconductor.accounts.models import Organization, StaffProfile, Team, User
from careconductor.cases.choices import Program
from careconductor.core import clock
from careconductor.population import campaign_rules
from careconductor.population.campaigns import do_record_answer, do_refer_interested, do_start_campaign
from careconductor.population.importing import import_lines
from careconductor.population.models import CampaignMember, Registry, RegistryCount, RegistryMember
from careconductor.population.registry_actions import (
    do_create_registry,
    do_refer_from_registry,
)
from careconductor.population.stratify import do_stratify
from careconductor.population.synthetic import population

from .setup import TEAM_NAMES
from .staff import PASSWORD

MEMBERS_PER_PATIENT = 5
MOST_MEMBERS = 5_000
SOURCE = "plan-feed"
HISTORY_DAYS = 90
REGISTRIES = (
    (
        "Heart failure, high use",
        "heart_failure AND (admissions >= 1 OR ed_visits >= 2 OR lace >= 10)",
        "Members with heart failure and a hospital stay or repeated emergency visits this year: "
        "chronic care management's outreach list, reviewed every Monday.",
    ),
    (
        "Diabetes care gaps",
        "diabetes AND (hba1c_gap OR ambulatory_visits = 0)",
        "Members with diabetes and no HbA1c result in 6 months, or whom no office or virtual visit reached in 12 "
        "months: for the community health workers' calls.",
    ),
)


CAMPAIGN = "Diabetes check-in calls"
CAMPAIGN_SIZE = 24
# What the calls found this week, in order down the list: the rest still wait for their call.
ANSWERS = (
    [
        ("interested", "Wants help with her sugar readings"),
        ("interested", "Asked for a Spanish-speaking nurse"),
    ]
    + [("interested", ""), ("declined", "Sees her own doctor monthly"), ("declined", "")]
    + [("no-answer", "Left a voicemail")] * 4
    + [("wrong-number", "Number disconnected"), ("opted-out", "Asked us not to call again"), ("declined", "")]
)


def _campaign(org: Organization, nadia: User, registry: Registry, rng: random.Random) -> str:
    """The chronic care team's call campaign to the diabetes registry's highest-risk members (see ANSWERS)."""
    team = Team.objects.filter(organization=org, name=TEAM_NAMES[1]).first()
    caller = (
        User.objects.filter(profile__team=team, role="case_manager").order_by("pk").first() if team else None
    )
    chosen = list(
        RegistryMember.objects.filter(registry=registry, left_on=None, patient__cases__isnull=True)
        .exclude(patient__phone="")
        .order_by("-patient__risk_tier__tier", "patient_id")
        .values_list("patient_id", flat=True)[:CAMPAIGN_SIZE]
    )
    if team is None or caller is None or not chosen:
        return "no campaign (no chronic care team or no member to call)"
    campaign = do_start_campaign(
        nadia, registry, chosen, name=CAMPAIGN, channel="call", program=Program.CCM, team=team
    ).campaign
    members = list(CampaignMember.objects.filter(campaign=campaign).order_by("pk"))
    for member, (response, note) in zip(members, ANSWERS, strict=False):
        do_record_answer(caller, member.pk, response, note)
    # Answered over the week, not all this minute.
    now = clock.now()
    answered = list(CampaignMember.objects.filter(campaign=campaign).exclude(answered_at=None).order_by("pk"))
    for member in answered:
        member.answered_at = now - dt.timedelta(days=rng.randint(0, 5), hours=rng.randint(0, 6))
    CampaignMember.objects.bulk_update(answered, ["answered_at"])
    # Two of those who said yes were referred this morning; the third waits for the analyst.
    interested = [m.pk for m in answered if m.status == campaign_rules.INTERESTED][:2]
    referred = do_refer_interested(nadia, campaign, only=interested)
    return f"campaign “{CAMPAIGN}”: {len(members)} called by {team.name}, {len(referred.cases)} referred"


class Out(Protocol):
    def write(self, text: str, /) -> object: ...


def _analyst(org: Organization) -> User:
    user = do_create_user(
        "nadia.shah", Role.POPULATION_HEALTH, org, PASSWORD, first_name="Nadia", last_name="Shah"
    )
    StaffProfile.objects.create(user=user, discipline=Discipline.ADMINISTRATION, credentials="MPH")
    return user


def _history(registry: Registry, rng: random.Random) -> None:
    """The members came in over the last three months (newest few this morning); the day counts follow."""
    today = clock.today()
    stays = list(RegistryMember.objects.filter(registry=registry).order_by("patient_id"))
    for stay in stays:
        stay.entered_on = today - dt.timedelta(days=int(rng.triangular(0, HISTORY_DAYS, HISTORY_DAYS * 0.7)))
    RegistryMember.objects.bulk_update(stays, ["entered_on"])
    entered = dict(
        RegistryMember.objects.filter(registry=registry)
        .values("entered_on")
        .annotate(n=Count("pk"))
        .values_list("entered_on", "n")
    )
    RegistryCount.objects.filter(registry=registry).delete()
    counts, members = [], 0
    for back in range(HISTORY_DAYS, -1, -1):
        day = today - dt.timedelta(days=back)
        members += entered.get(day, 0)
        if back % 7 == 0 or entered.get(day):  # the night runs, as the chart shows them
            counts.append(
                RegistryCount(registry=registry, on=day, members=members, entered=entered.get(day, 0))
            )
    RegistryCount.objects.bulk_create(counts)


def add_population(org: Organization, out: Out, patients: int) -> None:
    admin = User.objects.get(organization=org, username="admin")
    members = min(patients * MEMBERS_PER_PATIENT, MOST_MEMBERS)
    files = population(7, members, today=clock.today())
    imported = 0
    for kind in ("Patient", "Coverage", "Condition", "Encounter", "Observation"):
        report = import_lines(admin, org.pk, f"{kind}.ndjson", files[kind], SOURCE)
        imported += report.new
    run = do_stratify(admin)
    nadia = _analyst(org)
    rng = random.Random(f"{org.pk}:population")
    registries = [do_create_registry(nadia, name=n, rule=r, description=d) for n, r, d in REGISTRIES]
    for registry in registries:
        _history(registry, rng)
    heart = registries[0]
    top = list(
        RegistryMember.objects.filter(registry=heart, left_on=None, patient__cases__isnull=True)
        .order_by("-patient__risk_tier__tier", "-patient__risk_tier__admissions_12m", "patient_id")
        .values_list("patient_id", flat=True)[:3]
    )
    referred = do_refer_from_registry(nadia, heart, top, program=Program.CCM) if top else None
    campaign = _campaign(org, nadia, registries[1], rng)
    out.write(
        f"Population: {members:,} plan members imported ({imported:,} resources), {run.members:,} stratified "
        f"(intensive {run.tiers.get('4', 0)}, high {run.tiers.get('3', 0)}); registries "
        + ", ".join(f"“{r.name}” {RegistryMember.objects.filter(registry=r).count()}" for r in registries)
        + f"; {len(referred.cases) if referred else 0} referred into chronic care management from the first; "
        + campaign
        + ".\n"
    )
