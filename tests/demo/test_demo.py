"""`careconductor demo`: a believable organisation that respects the same rules as data made through the actions.

One demo (DEMO_PATIENTS patients, seed 7) is built for this package and shared by its tests (tests/demo/conftest.py);
tests/demo_command/test_demo_runs.py covers runs on an empty database.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict

import pytest

from careconductor.accounts.choices import ExperienceLevel, Role
from careconductor.accounts.models import StaffProfile, User
from careconductor.cases.actions import do_transition_case
from careconductor.cases.choices import CaseStatus, Program, ReferralSource
from careconductor.cases.models import Case, CaseAssignment, CaseStatusChange
from careconductor.cases.queries import points_used_by
from careconductor.cases.rules import EXPERIENCED, HIGH_ACUITY_TIERS, TRANSITIONS, TransitionRequest
from careconductor.core import clock
from careconductor.demo.generator import PASSWORD
from careconductor.patients.choices import MRN_SYSTEM, EncounterClass
from careconductor.patients.models import (
    CareTeamMember,
    Condition,
    Coverage,
    Encounter,
    Patient,
    PatientIdentifier,
)
from careconductor.patients.rules import is_icd10_cm
from careconductor.privacy.choices import ConsentStatus, ConsentType
from careconductor.privacy.models import AuditEvent, Consent
from tests.demo.people import demo_patients

from ..conftest import DEMO_PATIENTS as PATIENTS

pytestmark = pytest.mark.django_db


def test_it_builds_every_case_status_and_every_programme(demo: str) -> None:
    assert set(Case.objects.values_list("status", flat=True)) == set(CaseStatus.values)
    assert set(Case.objects.values_list("program", flat=True)) == set(Program.values)
    assert set(Case.objects.values_list("acuity_tier", flat=True)) == {1, 2, 3, 4}
    assert demo_patients().count() == PATIENTS
    assert Case.objects.count() > PATIENTS * 0.75, "most patients have a case"


def test_it_has_staff_of_every_role_and_case_managers_of_every_level(demo: str) -> None:
    # Patients have portal log-ins too (demo/engagement.py).
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    # A hospital feed's account (demo/adt_traffic.py) is no member of staff.
    # Nor is a partner organisation's log-in (demo/referrals.py).
    staff = User.objects.exclude(role__in=[Role.PATIENT, Role.PARTNER]).filter(adt_feed__isnull=True)
    assert not staff.filter(profile__isnull=True).exists(), "every staff member has a profile"
    managers = StaffProfile.objects.filter(user__role=Role.CASE_MANAGER)
    assert set(managers.values_list("experience_level", flat=True)) == set(ExperienceLevel.values)
    assert any("es" in languages for languages in managers.values_list("languages", flat=True))
    assert managers.filter(user__username="casemanager", experience_level=ExperienceLevel.EXPERT).exists()
    assert all(User.objects.get(username=name).check_password(PASSWORD) for name in ("admin", "casemanager"))


def test_it_prints_one_login_per_role_and_the_password(demo: str) -> None:
    assert f"Demo logins (password: {PASSWORD})" in demo
    logins = demo.split("Demo logins", 1)[1]
    for username in ("casemanager", "supervisor", "admin"):
        assert f"  {username} " in logins
    for role in ("Care team member", "UM reviewer", "Medical director", "Privacy officer"):
        assert role in logins
    for level in ExperienceLevel:
        assert f"Case manager ({level.label.lower()})" in logins


def test_only_proficient_or_expert_case_managers_carry_tier_3_and_4(demo: str) -> None:
    high = Case.objects.filter(acuity_tier__in=HIGH_ACUITY_TIERS)
    assert high.exists()
    levels = set(high.values_list("primary_case_manager__profile__experience_level", flat=True)) - {None}
    assert levels <= set(EXPERIENCED)


def test_open_caseloads_stay_within_capacity(demo: str) -> None:
    profiles = StaffProfile.objects.filter(user__role=Role.CASE_MANAGER)
    used = points_used_by([p.user_id for p in profiles])
    assert all(used.get(p.user_id, 0) <= p.caseload_capacity for p in profiles)


def test_every_enrolled_case_has_a_manager_and_an_enrolment_consent_given_by_enrolment(demo: str) -> None:
    enrolled = Case.objects.filter(status__in=[CaseStatus.ACTIVE, CaseStatus.ON_HOLD, CaseStatus.CLOSED])
    assert enrolled.exists()
    consents: dict[int, list[dt.date]] = defaultdict(list)
    for consent in Consent.objects.filter(consent_type=ConsentType.CM_ENROLMENT, status=ConsentStatus.ACTIVE):
        consents[consent.patient_id].append(consent.given_on)
    for case in enrolled:
        assert case.enrolled_at is not None and case.primary_case_manager_id is not None
        assert consents[case.patient_id], f"case {case.pk} was enrolled without consent"
        assert min(consents[case.patient_id]) <= clock.localdate(case.enrolled_at)


def test_status_histories_follow_the_transition_table(demo: str) -> None:
    histories: dict[int, list[CaseStatusChange]] = defaultdict(list)
    for change in CaseStatusChange.objects.order_by("case_id", "changed_at", "pk"):
        histories[change.case_id].append(change)
    now = clock.now()
    for case in Case.objects.all():
        steps = histories[case.pk]
        assert (steps[0].from_status, steps[0].to_status) == ("", CaseStatus.REFERRED)
        assert steps[0].changed_at == case.referred_at
        for before, after in itertools.pairwise(steps):
            assert after.from_status == before.to_status
            assert CaseStatus(after.to_status) in TRANSITIONS[CaseStatus(before.to_status)]
        assert steps[-1].to_status == case.status
        assert steps[-1].changed_at <= now
        if case.status == CaseStatus.CLOSED:
            assert case.closure_reason and case.closing_summary and case.closed_at == steps[-1].changed_at
        assert (case.closed_at is not None) == (
            case.status not in {"referred", "screening", "active", "on_hold"}
        )


def test_every_assigned_case_has_its_assignment_row(demo: str) -> None:
    assigned = dict(
        Case.objects.filter(primary_case_manager__isnull=False).values_list("pk", "primary_case_manager")
    )
    rows = dict(CaseAssignment.objects.values_list("case_id", "case_manager_id"))
    assert assigned == rows
    assert Case.objects.filter(status=CaseStatus.REFERRED, primary_case_manager__isnull=True).exists()


def test_casemanager_can_enrol_her_screening_patient_through_the_real_action(demo: str) -> None:
    casemanager = User.objects.get(username="casemanager")
    mine = Case.objects.filter(primary_case_manager=casemanager)
    assert mine.filter(status=CaseStatus.REFERRED).exists()
    screening = mine.get(patient__identifiers__value="D0000001")
    assert screening.status == CaseStatus.SCREENING
    enrolled = do_transition_case(casemanager, screening, TransitionRequest(CaseStatus.ACTIVE))
    assert enrolled.status == CaseStatus.ACTIVE


def test_some_patients_were_discharged_in_the_last_two_weeks_and_referred_for_transitional_care(
    demo: str,
) -> None:
    recent = Encounter.objects.filter(
        encounter_class=EncounterClass.INPATIENT, end__gte=clock.now() - dt.timedelta(days=14)
    )
    assert recent.exists()
    assert recent.exclude(discharge_disposition="").count() == recent.count()
    tcm = Case.objects.filter(program=Program.TCM, patient__in=recent.values("patient"))
    assert tcm.exists() and set(tcm.values_list("referral_source", flat=True)) == {ReferralSource.HOSPITAL}


def test_patients_have_an_mrn_and_coded_chronic_conditions(demo: str) -> None:
    mrns = sorted(
        PatientIdentifier.objects.filter(system=MRN_SYSTEM, patient__in=demo_patients()).values_list(
            "value", flat=True
        )
    )
    assert mrns == [f"D{i:07d}" for i in range(1, PATIENTS + 1)]
    problems = Condition.objects.filter(category="problem-list-item", patient__in=demo_patients())
    codes = set(problems.values_list("icd10_code", flat=True))
    assert all(is_icd10_cm(code) for code in codes)
    assert {"E11.9", "I10", "J44.9"} <= codes
    per_patient = demo_patients().values_list("pk", flat=True)
    counts = {pk: 0 for pk in per_patient}
    for patient_id in problems.values_list("patient_id", flat=True):
        counts[patient_id] += 1
    assert set(counts.values()) <= {1, 2, 3, 4}
    assert Patient.objects.filter(preferred_language="es", interpreter_needed=True).exists()
    assert Coverage.objects.values("kind").distinct().count() >= 5


def test_one_audit_event_records_the_run(demo: str) -> None:
    # The bulk rows are recorded by one event; the privacy scenarios (made through actions) have their own.
    event = AuditEvent.objects.get(object_type="DemoData")
    assert (event.action, event.patient_id) == ("create", None)
    assert event.detail == f"demo seed 7, {PATIENTS} patients"


def test_a_newcomer_sees_assessments_their_findings_a_safety_task_and_risk_scores(demo: str) -> None:
    from careconductor.assessments.choices import AssessmentStatus, FindingDomain
    from careconductor.assessments.models import Assessment, AssessmentScore, Finding, RiskScore
    from careconductor.coordination.models import Flag, Task

    assert "Assessment scenarios: 9 assessments" in demo
    manager = User.objects.get(username="casemanager")
    phq9 = AssessmentScore.objects.filter(code="44261-6", assessment__status=AssessmentStatus.COMPLETED)
    trend = max(
        (list(phq9.filter(patient_id=p).order_by("effective_at").values_list("value", flat=True))
         for p in phq9.values_list("patient_id", flat=True).distinct()),
        key=len,
    )  # fmt: skip
    assert trend == [19, 15, 12, 8]
    domains = set(Finding.objects.values_list("domain", flat=True))
    assert {FindingDomain.FOOD_INSECURITY, FindingDomain.TRANSPORTATION, FindingDomain.COMPLEXITY} <= domains
    # The portal's alerts (readings past their limit, messages that mention symptoms) are checked elsewhere.
    # So are the ADT feed's (a readmission, demo/adt_traffic.py).
    (flag,) = (
        Flag.objects.exclude(rule__startswith="self-report:")
        .exclude(rule__startswith="message:")
        .exclude(rule__startswith="readmission")
    )
    safety_tasks = Task.objects.filter(patient=flag.patient).exclude(kind__in=["care-plan", "plan-approval"])
    assert {t.owner.username for t in safety_tasks} == {
        "casemanager",
        "supervisor",
    }
    assert Assessment.objects.filter(status=AssessmentStatus.IN_PROGRESS, author=manager).count() == 1
    assert RiskScore.objects.filter(model="lace").count() >= 4


def test_the_demo_has_care_plans_in_every_state_a_newcomer_should_see(demo: str) -> None:
    from careconductor.careplans.models import CarePlan
    from careconductor.careplans.progress import goal_progress
    from careconductor.careplans.queries import standing

    assert "Care plan scenarios: 5 plans" in demo
    states = {p.title: standing(p) for p in CarePlan.objects.all()}
    assert any(s.agreed for s in states.values()) and any(not s.agreed for s in states.values())
    assert any(s.awaiting_approval for s in states.values())
    assert any(s.review and s.review.overdue for s in states.values())
    goals = [g for p in CarePlan.objects.all() for g in p.goals.all()]
    assert any(v.to_confirm and v.suggestion.achievement == "achieved" for v in goal_progress(goals).values())
    assert CarePlan.objects.filter(problems__source="finding").exists()
    # The heart failure plan has a goal a partner proposed through the FHIR API since its version in force.
    partner = [g for g in goals if g.patient_words.startswith("Weigh myself every morning")]
    assert len(partner) == 1 and partner[0].lifecycle == "proposed" and partner[0].measure == "weight"
    assert partner[0].plan.has_changes and partner[0].plan.status == "active"


def test_the_demo_morning_shows_every_kind_of_coordination_work(demo: str) -> None:
    """`casemanager`'s first morning: an overdue and a due-today contact, a discharge call pending, an
    unable-to-reach step, an urgent task, a team-queue task, an escalated task, a closure waiting for the
    supervisor, care teams with a caregiver and a lead, a programme cadence, a day off and minutes to report."""
    from careconductor.coordination.billing import monthly_report
    from careconductor.coordination.models import CadenceRule, ClosureRequest, Holiday, Task, TimeEntry
    from careconductor.coordination.rules import Band
    from careconductor.coordination.worklist import build_worklist
    from careconductor.core import clock

    assert "Coordination scenarios:" in demo
    manager = User.objects.get(username="casemanager")
    items = build_worklist(manager).items
    kinds = {(i.band, i.kind, i.overdue) for i in items}
    assert (Band.CONTACT, "contact", True) in kinds
    assert any(i.kind == "contact" and "due today" in i.reason for i in items)
    assert (Band.CONTACT, "outreach", True) in kinds
    assert any(i.kind == "transition" and "2 business days" in i.reason for i in items)
    assert any(i.band == Band.URGENT and i.kind == "task" for i in items)
    assert Task.objects.filter(owner__isnull=True, team__isnull=False).exists()
    assert Task.objects.filter(escalated_to__username="supervisor").exists()
    assert ClosureRequest.objects.filter(status="pending", task__owner__username="supervisor").exists()
    assert CareTeamMember.objects.filter(user__isnull=True, category="caregiver").exists()
    assert CareTeamMember.objects.filter(is_lead=True).exists()
    assert CadenceRule.objects.exists() and Holiday.objects.exists()
    assert TimeEntry.objects.exists()
    last_month = (clock.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    report = monthly_report(User.objects.get(username="admin"), last_month)
    assert any(line.code == "99490" for row in report.rows for line in row.result.lines)


def test_the_um_desk_has_work_on_every_clock_a_decision_of_each_kind_and_an_appeal(demo: str) -> None:
    """Issue 21: linda.park's worklist, samuel.osei's and robert.hale's decisions, the appeal, the referral."""
    from careconductor.um.models import AuthRequest
    from careconductor.um.queries import stay_reviews_due, worklist
    from careconductor.um.rules import Colour, Status

    requests = AuthRequest.objects.all()
    statuses = set(requests.values_list("status", flat=True))
    assert {Status.RECEIVED, Status.PENDED, Status.IN_REVIEW, Status.PHYSICIAN_REVIEW} <= statuses
    assert {Status.APPROVED, Status.PARTIAL, Status.APPEALED, Status.WITHDRAWN} <= statuses
    appealed = requests.get(status=Status.APPEALED)
    assert appealed.decided_by.username == "robert.hale" and appealed.appeal.outcome == ""
    assert requests.filter(breached_at__isnull=False).count() == 1
    assert requests.get(source="fhir-task").external_id.endswith("|RO-2291")  # a partner's Task
    assert requests.filter(extension_days=14, status=Status.APPROVED).count() == 1  # approved after extension
    linda = User.objects.get(username="linda.park")
    rows, total = worklist(linda)
    assert total == 6 and rows[0].clock.colour == Colour.BREACHED
    (stay,) = stay_reviews_due(linda)
    assert stay.setting == "inpatient" and stay.status == Status.APPROVED and stay.auth_number
    assert {r.clock.colour for r in rows} >= {Colour.LATE, Colour.HALF, Colour.ON_TIME}
    referred = Case.objects.get(referral_source=ReferralSource.UTILISATION)
    assert referred.status == CaseStatus.REFERRED and "home oxygen" in referred.referral_reason
    assert "Prior authorisations: 10 requests" in demo and "samuel.osei" in demo


def test_the_plan_has_members_stratified_two_registries_and_referrals_from_one(demo: str) -> None:
    from careconductor.demo.population import ANSWERS, CAMPAIGN, MEMBERS_PER_PATIENT
    from careconductor.population.models import (
        CampaignMember,
        MemberRisk,
        Registry,
        RegistryCount,
        RegistryReferral,
    )
    from tests.demo.people import plan_members

    assert plan_members().count() == PATIENTS * MEMBERS_PER_PATIENT
    assert (
        not Case.objects.filter(patient__in=plan_members()).exclude(registry_referral__isnull=False).exists()
    )
    assert (
        MemberRisk.objects.count()
        == Patient.objects.filter(deceased_date__isnull=True, merged_into=None).count()
    )
    assert set(MemberRisk.objects.values_list("tier", flat=True)) == {1, 2, 3, 4}
    nadia = User.objects.get(username="nadia.shah")
    assert nadia.role == Role.POPULATION_HEALTH and "nadia.shah" in demo
    registries = list(Registry.objects.order_by("name"))
    assert len(registries) == 2 and all(r.stays.count() > 0 for r in registries)
    for registry in registries:  # the chart's counts agree with who is in and since when
        last = RegistryCount.objects.filter(registry=registry).order_by("-on").first()
        assert last is not None and last.on == clock.today() and last.members == registry.stays.count()
        assert RegistryCount.objects.filter(registry=registry).count() > 10
    referrals = RegistryReferral.objects.select_related("case")
    assert referrals.count() == 5  # 3 from the heart failure registry, 2 who said yes to the campaign's calls
    assert all(
        r.case.referral_source == ReferralSource.RISK_LIST and r.case.program == Program.CCM
        for r in referrals
    )
    # The campaign: called by the chronic care team this week, its answers as ANSWERS says, two referred.
    called = CampaignMember.objects.filter(campaign__name=CAMPAIGN)
    assert called.count() > len(ANSWERS) and called.filter(status="waiting").count() == called.count() - len(
        ANSWERS
    )
    assert called.filter(status="referred").count() == 2 and called.filter(status="interested").count() == 1
    assert called.filter(case__isnull=False).count() == 2 and "Diabetes check-in calls" in demo
    assert all(c.campaign.team and c.campaign.team.name == "Southside" for c in called[:1])
