"""The demo's referrals (issue 20), made through the real actions on `casemanager`'s caseload and dated over the
last days, one in every status: the social-needs patient's food pantry referral came back declined (no capacity)
and waits on the worklist, her ride referral (for her transport barrier) has had no answer for a week; others were
received, accepted, scheduled with the counsellor next week, completed (one read and put on the plan, one not), not
attended, cancelled, and one is a draft. The food pantry's organisation has a partner log-in (`foodbank`), and a
fresh single-use link for the rent-help referral is printed so a newcomer can answer as the organisation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from careconductor.accounts.models import Organization, User
from careconductor.assessments.choices import FindingStatus
from careconductor.careplans.models import Barrier, Goal
from careconductor.cases.choices import CaseStatus
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.directory.models import Service
from careconductor.referrals import actions
from careconductor.referrals.actions.links import partner_url
from careconductor.referrals.choices import DeclineReason, ReferralStatus, SharedItem
from careconductor.referrals.models import Referral

from .staff import PASSWORD

S = ReferralStatus


class Out(Protocol):
    def write(self, text: str, /) -> object: ...


@dataclass(frozen=True)
class Story:
    service: str
    need: str
    reason: str
    # The answers after sending, each (status, note, decline reason); the last is where it stands.
    answers: tuple[tuple[S, str, str], ...]
    sent_days_ago: int
    for_goal: str = ""  # "food" or "ride": the social-needs patient's goal (and its barrier)


STORIES = (
    Story(
        "Weekly food pantry",
        "food",
        "Runs out of food the week before her check comes; has diabetes, needs low-sugar options.",
        ((S.DECLINED, "We are full until January; try Hot community meals.", DeclineReason.CAPACITY),),
        3,
        for_goal="food",
    ),
    Story(
        "Rides to medical visits",
        "transport",
        "Cannot walk to the bus stop; needs door-to-door rides to her diabetes visits.",
        (),
        8,
        for_goal="ride",
    ),
    Story(
        "Emergency rent help",
        "housing",
        "Two months behind on rent after a hospital stay; landlord gave notice.",
        ((S.RECEIVED, "", ""),),
        2,
    ),
    Story(
        "Hot community meals", "food", "Lives alone and skips meals.", ((S.ACCEPTED, "Lunch daily.", ""),), 4
    ),
    Story(
        "Counselling and psychiatry",
        "behavioural-health",
        "Low mood since his wife died; PHQ-9 of 14. Would like to talk to someone.",
        ((S.ACCEPTED, "", ""), (S.SCHEDULED, "First visit with Dr. Osei.", "")),
        6,
    ),
    Story(
        "Heating and power bill help",
        "utilities",
        "Shut-off notice from the power company.",
        ((S.ACCEPTED, "", ""), (S.COMPLETED, "Bill paid through March.", "")),
        12,
    ),
    Story(
        "Friendly visitors and day center",
        "isolation",
        "Sees nobody most days since she stopped driving.",
        ((S.ACCEPTED, "", ""), (S.COMPLETED, "Visits every Tuesday with Margaret.", "")),
        10,
    ),
    Story(
        "Nursing and personal care at home",
        "home-health",
        "Needs help bathing after the fall.",
        ((S.ACCEPTED, "", ""), (S.SCHEDULED, "", ""), (S.NO_SHOW, "Nobody answered the door.", "")),
        9,
    ),
    Story(
        "Night shelter",
        "housing",
        "Evicted last week.",
        ((S.ACCEPTED, "", ""), (S.CANCELLED, "She moved in with her sister.", "")),
        7,
    ),
    Story("Budget and benefits coaching", "financial", "Wants help with a budget and SNAP.", (), -1),
)


def add_referral_scenarios(org: Organization, out: Out) -> int:
    manager = User.objects.filter(organization=org, username="casemanager").first()
    admin = User.objects.filter(organization=org, role="admin", is_active=True).order_by("pk").first()
    if manager is None or admin is None or not Service.objects.filter(organization=org).exists():
        return 0
    services = {s.name: s for s in Service.objects.filter(organization=org).select_related("provider")}
    social = (
        Case.objects.filter(
            primary_case_manager=manager,
            status=CaseStatus.ACTIVE,
            patient__findings__domain="food-insecurity",
            patient__findings__status=FindingStatus.ACTIVE,
        )
        .select_related("patient")
        .first()
    )
    others = list(
        Case.objects.filter(primary_case_manager=manager, status=CaseStatus.ACTIVE)
        .exclude(pk__in=[social.pk] if social else [])
        .select_related("patient")
        .order_by("pk")[: len(STORIES)]
    )
    goals = _social_goals(social)
    made = 0
    link_line = ""
    now = clock.now()
    for story in STORIES:
        service = services.get(story.service)
        case = social if story.for_goal and social else (others.pop(0) if others else None)
        if service is None or case is None:
            continue
        goal, barrier = goals.get(story.for_goal, (None, None))
        referral = actions.do_create_referral(
            manager,
            case.patient,
            need=story.need,
            reason=story.reason,
            service=service,
            shared=[SharedItem.CONTACT, SharedItem.REASON, SharedItem.LANGUAGE],
            goal=goal,
            barrier=barrier,
        )
        made += 1
        if story.sent_days_ago < 0:
            continue  # a draft, waiting to be checked and sent
        referral, token = actions.do_send_referral(
            manager, referral, record_consent={"method": "verbal", "given_on": clock.today()}
        )
        for status, note, why in story.answers:
            proposed = None
            if status == S.SCHEDULED:
                proposed = (now + dt.timedelta(days=6)).replace(hour=10, minute=30, second=0, microsecond=0)
            referral, token = actions.do_answer_by_link(
                referral.pk, token, status, note=note, decline_reason=why, proposed_at=proposed
            )
        if story.service == "Heating and power bill help":
            actions.do_acknowledge(manager, referral, note="Power stays on; told her about the winter fund.")
        _date(referral, story.sent_days_ago)
        if story.service == "Emergency rent help" and token:
            link_line = partner_url(referral.pk, actions.do_issue_link(manager, referral))
    pantry = services.get("Weekly food pantry")
    if pantry is not None:
        partner, _path = actions.do_invite_partner(
            admin,
            pantry.provider,
            username="foodbank",
            first_name="Frances",
            last_name="Okafor",
            email="frances@riverside-harvest-table.example",
        )
        partner.set_password(PASSWORD)
        partner.save(update_fields=["password"])
    out.write(
        f"Referrals: {made} of casemanager's, one in every status (a declined food pantry and a ride with no "
        "answer wait on the worklist). The food pantry's partner log-in: foodbank (it sets up an authenticator "
        "on first log-in)."
        + (
            f" Answer as the housing charity with its single-use link:\n  {link_line}\n"
            if link_line
            else "\n"
        )
    )
    return made


def _social_goals(case: Case | None) -> dict[str, tuple[Goal | None, Barrier | None]]:
    if case is None:
        return {}
    goals = list(Goal.objects.filter(plan__case=case).prefetch_related("barriers").order_by("pk"))
    food = next((g for g in goals if "food" in g.patient_words.lower()), None)
    ride = next((g for g in goals if "appointment" in g.patient_words.lower()), None)
    barrier = next(iter(ride.barriers.all()), None) if ride else None
    return {"food": (food, None), "ride": (ride, barrier)}


def _date(referral: Referral, sent_days_ago: int) -> None:
    """Spread what happened over the days since it was sent (the actions ran just now)."""
    start = clock.now() - dt.timedelta(days=sent_days_ago)
    events = list(referral.events.order_by("pk"))
    step = dt.timedelta(days=sent_days_ago) / max(len(events), 1) if sent_days_ago else dt.timedelta(0)
    for n, event in enumerate(events):
        event.at = start + step * n
        event.save(update_fields=["at"])
    last = events[-1].at if events else start
    Referral.objects.filter(pk=referral.pk).update(
        created_at=start - dt.timedelta(hours=1), sent_at=start, status_changed_at=last
    )
