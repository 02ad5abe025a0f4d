"""Care plan scenarios for the demo, made through the real actions on the patients of the assessment scenarios:
a plan built from a social-needs screen with the food-insecurity template and the patient's own goal, approved
and agreed by phone; a depression plan whose PHQ-9s since it began suggest the goal is achieved, with a second
version the patient has not yet agreed to; a plan for a complex patient waiting for the supervisor's approval;
and a plan whose 90-day review is overdue, with a goal a partner proposed through the FHIR API since (waiting for
the next version)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import F

from careconductor.accounts.models import Organization, StaffProfile, User
from careconductor.assessments.choices import FindingStatus
from careconductor.assessments.models import AssessmentScore, Finding
from careconductor.careplans import actions, library
from careconductor.careplans.choices import (
    AgreedBy,
    AgreementMethod,
    BarrierKind,
    GoalAgreement,
    InterventionKind,
    OwnerType,
    Proposer,
    VersionStatus,
)
from careconductor.careplans.models import CarePlan, PlanAgreement, PlanVersion
from careconductor.cases.choices import CaseStatus, Program
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.patients.models import Patient

PHQ9_TOTAL = "44261-6"


def _case(patient: Patient) -> Case | None:
    return patient.cases.filter(status=CaseStatus.ACTIVE).select_related("team__supervisor").first()


def _in_force(manager: User, supervisor: User | None, plan: CarePlan, reason: str = "") -> None:
    """Publish, and approve as the team's supervisor where the programme asks for it."""
    version = actions.do_publish(manager, plan, reason=reason)
    if version.status == VersionStatus.PENDING:
        approver = plan.case.team.supervisor or supervisor
        if approver is not None:
            actions.do_decide_version(
                approver, version, approve=True, comment="Goals are realistic; go ahead."
            )


def _partner_goal(manager: User, plan: CarePlan) -> None:
    """A goal proposed through the FHIR API by the home-monitoring partner (with the case manager's token, as the
    demo's FHIR client), as any partner's write: on the plan screen among the changes for the next version."""
    from careconductor.fhir import service
    from careconductor.fhir.auth import Caller

    goal = {
        "resourceType": "Goal",
        "lifecycleStatus": "proposed",
        "description": {"text": "Weigh myself every morning and call if I gain weight"},
        "subject": {"reference": f"Patient/{plan.patient_id}"},
        "note": [
            {"text": "Clinical statement: daily weights; a gain of 2 kg in 3 days is reported the same day."}
        ],
        "target": [
            {
                "measure": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
                "detailString": "Within 2 kg of dry weight",
                "dueDate": (clock.today() + dt.timedelta(days=60)).isoformat(),
            }
        ],
        "extension": [
            {
                "url": "https://careconductor.org/fhir/StructureDefinition/goal-care-plan",
                "valueReference": {"reference": f"CarePlan/{plan.pk}"},
            }
        ],
    }
    service.create(Caller(manager, ("user/*.write",)), "Goal", goal, render=False)


def _date_back(plan: CarePlan, days: int) -> None:
    """Made now through the actions, then dated back so the demo has a history."""
    shift = dt.timedelta(days=days)
    CarePlan.objects.filter(pk=plan.pk).update(
        activated_at=F("activated_at") - shift,
        last_reviewed_at=F("last_reviewed_at") - shift,
        review_due=F("review_due") - shift,
        created_at=F("created_at") - shift,
    )
    PlanVersion.objects.filter(plan=plan).update(
        made_at=F("made_at") - shift, decided_at=F("decided_at") - shift
    )
    plan.goals.update(created_at=F("created_at") - shift)
    PlanAgreement.objects.filter(plan=plan).update(
        agreed_on=F("agreed_on") - shift, recorded_at=F("recorded_at") - shift
    )


def add_care_plan_scenarios(org: Organization) -> int:
    """Returns how many plans were made (0 when the assessment scenarios are not there)."""
    manager = User.objects.filter(organization=org, username="casemanager").first()
    supervisor = User.objects.filter(organization=org, username="supervisor").first()
    if manager is None:
        return 0
    Organization.objects.filter(pk=org.pk).update(
        phone="(555) 201-4000",
        after_hours_phone="(555) 201-4999",
        address="120 Main Street, Riverside, OR 97901",
    )
    StaffProfile.objects.filter(user=manager).update(work_phone="(555) 201-4127")
    social = Patient.objects.filter(
        findings__domain="food-insecurity", findings__status=FindingStatus.ACTIVE
    ).first()
    improving = (
        Patient.objects.filter(assessment_scores__code=PHQ9_TOTAL, assessment_scores__value=19)
        .distinct()
        .first()
    )
    complex_needs = Patient.objects.filter(findings__domain="complexity").first()
    made = 0
    today = clock.today()

    if social is not None and (case := _case(social)) is not None:
        plan = actions.do_create_plan(manager, case, title="Food, rides and diabetes")
        for finding in Finding.objects.filter(patient=social, status=FindingStatus.ACTIVE).order_by("pk"):
            actions.do_add_problem_from_finding(manager, plan, finding)
        food = plan.problems.filter(title__icontains="food").first()
        template = library.template("food-insecurity")
        if template is not None and food is not None:
            actions.do_update_problem(manager, food, title=food.title, patient_priority=True)
            goals = actions.do_apply_template(
                manager, plan, template.id, goal_keys=[template.goals[0].key], problem=food
            )
            actions.do_update_goal(
                manager,
                goals[0],
                patient_words="I don't want to run out of food before my check comes.",
                proposed_by=Proposer.PATIENT,
                agreement=GoalAgreement.AGREED,
                patient_rank=1,
            )
        ride = plan.problems.filter(title__icontains="transport").first()
        goal = actions.do_add_goal(
            manager,
            plan,
            problem_ids=[ride.pk] if ride else [],
            patient_words="I want to get to my diabetes appointments without begging my neighbour for a ride.",
            statement="Attends scheduled primary care and diabetes education visits; transport arranged.",
            proposed_by=Proposer.PATIENT,
            agreement=GoalAgreement.AGREED,
            patient_rank=2,
            measure="appointments",
            target_text="Gets to every appointment in the next 3 months",
            due_on=today + dt.timedelta(days=90),
        )
        actions.do_add_step(
            manager, goal, text="Call the plan's ride line to sign up", due_on=today + dt.timedelta(days=7)
        )
        actions.do_add_step(
            manager, goal, text="Book rides for the next two visits", due_on=today + dt.timedelta(days=14)
        )
        actions.do_add_barrier(
            manager,
            goal,
            kind=BarrierKind.TRANSPORT,
            description="The bus stop is a mile away and she cannot walk that far",
            response="Door-to-door ride benefit through her Medicaid plan",
        )
        actions.do_add_intervention(
            manager,
            plan,
            goal=goal,
            kind=InterventionKind.BENEFITS,
            title="Enrol in the Medicaid ride benefit",
            owner_type=OwnerType.STAFF,
            owner=manager,
            due_on=today + dt.timedelta(days=7),
        )
        actions.do_add_intervention(
            manager,
            plan,
            goal=goal,
            kind=InterventionKind.COORDINATION,
            title="Daughter drives her when the ride service is late",
            owner_type=OwnerType.CAREGIVER,
            owner_name="Rosa (daughter)",
        )
        actions.do_record_decision(
            manager,
            plan,
            question="Food pantry near home or grocery delivery with SNAP?",
            options=[
                {
                    "option": "Pantry on Elm St",
                    "benefits": "Fresh food, free",
                    "burdens": "Open only Tuesday mornings",
                },
                {
                    "option": "SNAP online delivery",
                    "benefits": "No trip needed",
                    "burdens": "Delivery fee, needs a phone app",
                },
            ],
            what_matters="I don't want to depend on other people for food.",
            decision="SNAP delivery, with the pantry as back-up; her daughter sets up the app.",
            participants="Patient, daughter, case manager",
            decided_on=today,
        )
        _in_force(
            manager, supervisor, plan, "First version, built with the patient from her social-needs screen"
        )
        actions.do_record_agreement(
            manager,
            plan,
            agreed_on=today,
            method=AgreementMethod.PHONE,
            agreed_by=AgreedBy.PATIENT,
            note="Read the plan to her over the phone; she asked for a printed copy in the mail.",
        )
        made += 1

    if improving is not None and (case := _case(improving)) is not None:
        first = (
            AssessmentScore.objects.filter(patient=improving, code=PHQ9_TOTAL)
            .order_by("effective_at")
            .first()
        )
        plan = actions.do_create_plan(manager, case, title="Feeling better, day by day")
        problem = None
        depression = Finding.objects.filter(
            patient=improving, domain="depression", status=FindingStatus.ACTIVE
        ).first()
        if depression is not None:
            problem = actions.do_add_problem_from_finding(manager, plan, depression)
        goal = actions.do_add_goal(
            manager,
            plan,
            problem_ids=[problem.pk] if problem else [],
            patient_words="I want to enjoy cooking for my family again.",
            statement="Depressive symptoms reduced: PHQ-9 below 10 within 12 weeks.",
            proposed_by=Proposer.PATIENT,
            agreement=GoalAgreement.AGREED,
            patient_rank=1,
            measure="phq9",
            baseline_value=Decimal(19),
            baseline_on=first.effective_at.date() if first else None,
            target_value=Decimal(10),
            due_on=today + dt.timedelta(days=14),
        )
        actions.do_add_step(manager, goal, text="Take the sertraline every morning with breakfast")
        actions.do_add_step(manager, goal, text="Walk around the block after lunch three days a week")
        actions.do_add_intervention(
            manager,
            plan,
            goal=goal,
            kind=InterventionKind.COUNSELLING,
            title="Behavioural activation sessions",
            owner_type=OwnerType.STAFF,
            owner=manager,
            due_on=today + dt.timedelta(days=10),
        )
        actions.do_add_intervention(
            manager,
            plan,
            goal=goal,
            kind=InterventionKind.MONITORING,
            title="PHQ-9 every four weeks",
            owner_type=OwnerType.STAFF,
            owner=manager,
            due_on=today + dt.timedelta(days=28),
        )
        _in_force(manager, supervisor, plan)
        actions.do_record_agreement(
            manager, plan, agreed_on=today, method=AgreementMethod.IN_PERSON, agreed_by=AgreedBy.PATIENT
        )
        _date_back(plan, 84)
        # A change since: a walking group, not yet reviewed with the patient.
        plan.refresh_from_db()
        actions.do_add_step(manager, goal, text="Join the Tuesday walking group at the library")
        _in_force(manager, supervisor, plan, "Added the walking group she asked about")
        made += 1

    if complex_needs is not None and (case := _case(complex_needs)) is not None:
        plan = actions.do_create_plan(manager, case, title="Stable housing and fewer ER visits")
        for finding in Finding.objects.filter(patient=complex_needs, status=FindingStatus.ACTIVE).order_by(
            "pk"
        )[:3]:
            actions.do_add_problem_from_finding(manager, plan, finding)
        template = library.template("housing")
        if template is not None:
            actions.do_apply_template(
                manager, plan, template.id, goal_keys=[g.key for g in template.goals[:2]]
            )
        version = actions.do_publish(manager, plan, reason="First version for supervisor review")
        if version.status == VersionStatus.IN_FORCE:
            _date_back(plan, 120)  # a programme without approval: show an overdue review instead
        made += 1

    # An older plan whose review date has passed.
    others = (
        Patient.objects.filter(
            cases__primary_case_manager=manager, cases__status=CaseStatus.ACTIVE, care_plans__isnull=True
        )
        .distinct()
        .order_by("pk")[4:5]
    )
    for patient in others:
        case = _case(patient)
        if case is None:
            continue
        plan = actions.do_create_plan(manager, case, title="Heart failure self-care")
        template = library.template("heart-failure")
        if template is not None:
            goals = actions.do_apply_template(manager, plan, template.id, goal_keys=[template.goals[0].key])
            for goal in goals:
                actions.do_update_goal(manager, goal, agreement=GoalAgreement.AGREED)
        _in_force(manager, supervisor, plan)
        actions.do_record_agreement(
            manager, plan, agreed_on=today, method=AgreementMethod.IN_PERSON, agreed_by=AgreedBy.PATIENT
        )
        _date_back(plan, 100)
        _partner_goal(manager, plan)
        made += 1
    # A plan for a complex case waiting for the supervisor's approval (the supervisor has a task for it).
    waiting = (
        Patient.objects.filter(
            cases__primary_case_manager=manager,
            cases__status=CaseStatus.ACTIVE,
            cases__program=Program.COMPLEX,
            care_plans__isnull=True,
        )
        .distinct()
        .order_by("pk")[6:7]
    )
    for patient in waiting:
        case = _case(patient)
        template = library.template("diabetes")
        if case is None or template is None or not case.team.supervisor_id:
            continue
        plan = actions.do_create_plan(manager, case, title="Getting diabetes under control")
        actions.do_apply_template(manager, plan, template.id, goal_keys=[g.key for g in template.goals[:2]])
        actions.do_publish(manager, plan, reason="First version, for the supervisor's review")
        made += 1
    return made
