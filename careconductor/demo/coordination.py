"""Coordination scenarios for the demo, made through the real actions on `casemanager`'s caseload, so that the
first morning on the worklist looks like a real one: a tier-4 patient whose weekly call is overdue, one due
today, a discharge last business day with its 2-business-day call pending, a patient not reached after three
tries (the letter is next), an urgent task, a task waiting in the team's queue, an overdue task escalated to
the supervisor, care teams with a family caregiver and a lead physician, a closure waiting for approval, a
programme's own cadence, an office holiday, and last month's and this month's minutes for the time report."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from django.db.models import Count, Q
from django.utils import timezone

from careconductor.accounts.choices import Discipline, Role
from careconductor.accounts.models import Organization, Team, User
from careconductor.cases.choices import CaseStatus, ClosureReason, Program
from careconductor.cases.models import Case
from careconductor.coordination import actions
from careconductor.coordination.actions import ContactInput
from careconductor.coordination.choices import (
    ContactDirection,
    ContactMode,
    ContactParty,
    MedsTaken,
    TaskKind,
    TaskPriority,
    TeachBack,
    TimeActivity,
)
from careconductor.coordination.models import CadenceRule, Contact, Holiday, Task
from careconductor.coordination.reach import refresh_last_reached
from careconductor.core import clock
from careconductor.patients.actions import do_add_care_team_member, do_add_encounter
from careconductor.patients.choices import CareTeamCategory, DischargeDisposition, EncounterClass
from careconductor.patients.models import Patient
from careconductor.privacy.actions import do_record_consent
from careconductor.privacy.choices import ConsentMethod, ConsentType

from .privacy import add_part2_call

SAYINGS = [
    "I'm doing better with the pills now that I use the box.",
    "My feet swell by the evening, but less than last week.",
    "I walked to the mailbox every day this week.",
    "Money is tight this month; I skipped one refill.",
    "My daughter helps me with the sugar readings.",
]


def _at(days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
    """A local time `days_ago` days before today."""
    day = clock.today() - dt.timedelta(days=days_ago)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def _reached(
    manager: User, case: Case, days_ago: int, *, words: str = "", minutes: int = 15, hour: int = 10
) -> Contact:
    return actions.do_log_contact(
        manager,
        case.patient,
        ContactInput(
            contact_at=_at(days_ago, hour),
            mode=ContactMode.PHONE,
            direction=ContactDirection.OUTBOUND,
            reached=True,
            minutes=minutes,
            patient_words=words,
            meds_taken=MedsTaken.ALL if words else "",
            goal_progress="Keeps to the plan." if words else "",
            education="Low-salt food choices" if words else "",
            teach_back=TeachBack.CONFIRMED if words else "",
            next_steps="Call again at the usual time." if words else "",
        ),
        case=case,
    )


def _missed(manager: User, case: Case, days_ago: int, hour: int) -> Contact:
    return actions.do_log_contact(
        manager,
        case.patient,
        ContactInput(
            contact_at=_at(days_ago, hour),
            mode=ContactMode.PHONE,
            direction=ContactDirection.OUTBOUND,
            reached=False,
        ),
        case=case,
    )


def _clear_log(case: Case) -> None:
    """The scenario writes the patient's contacts itself: those of the bulk work go, and with them the patient's
    stored last reached moment, which the contacts the scenario then logs set again."""
    Contact.objects.filter(patient=case.patient).delete()
    refresh_last_reached([case.patient_id])


def _last_business_day() -> int:
    """Days back to the last weekday before today."""
    back = 1
    while (clock.today() - dt.timedelta(days=back)).weekday() >= 5:
        back += 1
    return back


def add_coordination_scenarios(org: Organization) -> int:
    manager = User.objects.filter(organization=org, username="casemanager").first()
    supervisor = User.objects.filter(organization=org, username="supervisor").first()
    if manager is None or supervisor is None:
        return 0
    rng = random.Random(7)
    made = 0
    cases: list[Case] = list(
        Case.objects.filter(primary_case_manager=manager, status=CaseStatus.ACTIVE)
        .select_related("patient", "team")
        .order_by("pk")
    )
    contacted = set(
        Contact.objects.filter(patient_id__in=[c.patient_id for c in cases]).values_list(
            "patient_id", flat=True
        )
    )
    # Every active case gets a believable last call inside its cadence, unless it has contacts already.
    for each in cases:
        if each.patient_id not in contacted:
            interval = {4: 7, 3: 14, 2: 30, 1: 60}[each.acuity_tier]
            _reached(manager, each, rng.randint(1, max(1, interval - 3)), minutes=rng.choice([10, 15, 20]))
            made += 1
    by_tier = {tier: [c for c in cases if c.acuity_tier == tier] for tier in (1, 2, 3, 4)}
    used: set[int] = set()

    def pick(tier: int | None = None, program: str | None = None) -> Case | None:
        pool = by_tier.get(tier, []) if tier else cases
        for c in pool:
            if c.pk not in used and (program is None or c.program == program):
                used.add(c.pk)
                return c
        return None

    # 1. Overdue: a tier-4 patient whose weekly call is two days late (last reached 9 days ago).
    if case := pick(4) or pick(3):
        _clear_log(case)
        for days, words in ((23, SAYINGS[0]), (16, SAYINGS[1]), (9, SAYINGS[2])):
            _reached(manager, case, days, words=words, minutes=20)
        made += 3
    # 2. Due today: a tier-3 patient reached exactly 14 days ago.
    if case := pick(3):
        _clear_log(case)
        _reached(manager, case, 14, words=SAYINGS[3], minutes=25)
        made += 1
    # 3. A discharge on the last business day: the 2-business-day call is pending.
    if case := pick(3) or pick(2):
        back = _last_business_day()
        do_add_encounter(
            manager,
            case.patient,
            encounter_class=EncounterClass.INPATIENT,
            facility="Riverside General Hospital",
            start=_at(back + 4, 14),
            end=_at(back, 11),
            discharge_disposition=DischargeDisposition.HOME,
            reason="Heart failure exacerbation",
            source="demo",
        )
        made += 1
    # 4. Not reached after three tries on different days and times: the unable-to-reach steps begin.
    if case := pick(2) or pick(1):
        _clear_log(case)
        _reached(manager, case, 45, words=SAYINGS[4])
        for days, hour in ((8, 9), (5, 14), (2, 18)):
            _missed(manager, case, days, hour)
        made += 4
    # 5. An urgent task due today and 6. a task waiting in the team's queue.
    if case := pick():
        actions.do_create_task(
            supervisor,
            case.patient,
            owner=manager,
            title="Call the pharmacy: insulin refill refused by the plan",
            due_at=_at(0, 16),
            priority=TaskPriority.URGENT,
            kind=TaskKind.OTHER,
            case_id=case.pk,
        )
        made += 1
    team = Team.objects.filter(organization=org, name=cases[0].team.name).first() if cases else None
    if team is not None and (case := pick()):
        actions.do_create_task(
            manager,
            case.patient,
            team=team,
            title="Book a Spanish interpreter for next week's home visit",
            due_at=_at(-2, 12),
            case_id=case.pk,
        )
        made += 1
    # 7. A routine task three days overdue, escalated to the supervisor by the worker's sweep.
    if case := pick():
        task = actions.do_create_task(
            manager,
            case.patient,
            owner=manager,
            title="Send the updated medication list to the cardiologist",
            due_at=_at(3, 17),
            case_id=case.pk,
        )
        Task.objects.filter(pk=task.pk).update(created_at=_at(6, 9))
        actions.do_escalate_overdue_tasks()
        made += 1
    # 8. Care teams: the lead physician and a family caregiver outside the system.
    physician = User.objects.filter(
        organization=org, role=Role.CARE_TEAM, profile__discipline=Discipline.PHYSICIAN
    ).first()
    for each in cases[:6]:
        patient = each.patient
        if physician and not patient.care_team.filter(user=physician).exists():
            do_add_care_team_member(
                manager,
                patient,
                member=physician,
                role="Primary care physician",
                category=CareTeamCategory.PHYSICIAN,
                is_lead=True,
            )
            made += 1
        if not patient.care_team.filter(category=CareTeamCategory.CAREGIVER).exists():
            do_add_care_team_member(
                manager,
                patient,
                name=f"{rng.choice(['Rosa', 'James', 'Linh', 'Amara', 'Tom'])} {patient.family_name}",
                role="Daughter, main caregiver" if rng.random() < 0.6 else "Son, helps with appointments",
                category=CareTeamCategory.CAREGIVER,
                phone=f"(555) 3{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
            )
            made += 1
    # 9. A complex case whose goals are met: closing it waits for the supervisor.
    if case := pick(program=Program.COMPLEX):
        actions.do_request_closure(
            manager,
            case,
            reason=ClosureReason.GOALS_MET,
            summary=actions.closing_summary_draft(
                case, "Dr Okafor's practice (PCP) follows; CHW check-in monthly"
            )
            + "\n\nPatient says: “I know who to call now.”",
            takes_over="Primary care practice, with a monthly CHW check-in",
        )
        made += 1
    # 10. Minutes for the time report: last month and this month, contacts plus time entries.
    made += _time(manager, cases, rng)
    # 11. The behavioural programme calls tier-3 patients every 10 days, by a social worker; an office day off.
    CadenceRule.objects.get_or_create(
        organization=org,
        program=Program.BEHAVIOURAL,
        acuity_tier=3,
        defaults={"interval_days": 10, "mode": ContactMode.PHONE, "by_whom": "social worker"},
    )
    Holiday.objects.get_or_create(
        organization=org,
        date=dt.date(clock.today().year, 12, 24),
        defaults={"name": "Christmas Eve (offices closed)"},
    )
    # Last: the steps above rewrite some patients' contact logs, which would erase it.
    made += add_part2_call(org)
    return made + 2


def _time(manager: User, cases: Sequence[Case], rng: random.Random) -> int:
    """Chronic-care patients with two chronic conditions and CCM consent, with minutes last month and this."""
    made = 0
    today = clock.today()
    last_month_days = today.day + 10  # a day in the previous month
    counts = dict(
        Patient.objects.filter(pk__in=[c.patient_id for c in cases])
        .annotate(k=Count("conditions", filter=Q(conditions__chronic=True)))
        .values_list("pk", "k")
    )
    chronic = [
        c for c in cases if c.program in (Program.CCM, Program.COMPLEX) and counts.get(c.patient_id, 0) >= 2
    ][:8]
    for i, case in enumerate(chronic):
        patient = case.patient
        if not patient.consents.filter(consent_type=ConsentType.CCM_BILLING).exists():
            do_record_consent(
                manager,
                patient,
                consent_type=ConsentType.CCM_BILLING,
                method=ConsentMethod.VERBAL,
                given_on=today - dt.timedelta(days=60),
            )
        for days_back in (last_month_days, max(0, today.day - 2)):
            minutes = [12, 22, 35, 45, 65][(i + days_back) % 5]
            actions.do_log_time(
                manager,
                patient,
                on=today - dt.timedelta(days=days_back),
                activity=rng.choice(
                    [TimeActivity.CARE_PLANNING, TimeActivity.COORDINATION, TimeActivity.MEDICATION]
                ),
                minutes=minutes,
                note="Reviewed labs and called the PCP's office",
                case=case,
            )
            made += 1
        if i % 3 == 0:
            actions.do_log_contact(
                manager,
                patient,
                ContactInput(
                    contact_at=_at(last_month_days - 1, 11),
                    mode=ContactMode.PHONE,
                    direction=ContactDirection.INBOUND,
                    party=ContactParty.CAREGIVER,
                    party_name="Daughter",
                    reached=True,
                    minutes=18,
                    next_steps="Daughter will bring the pill box to the next visit.",
                ),
                case=case,
            )
            made += 1
    return made
