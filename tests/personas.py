"""The people every test talks about, built through actions so they carry audit rows like real data.

alice   case manager (proficient, speaks Spanish) of Paula's case, team North
bob     case manager on the same team, no relationship with Paula
sam     supervisor of team North (so of Alice's cases)
dana    physician, on Paula's care team
adam    administrator of Riverside Health
uma     UM reviewer, privacy officer pia, medical director mo: no chart access
charlie case manager in another organisation (Lakeside Clinic)
paula   patient of Riverside Health, referred for complex case management, managed by Alice
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Discipline, ExperienceLevel, Role
from careconductor.accounts.models import Organization, StaffProfile, Team, User
from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.patients.actions import PatientDetails, do_add_care_team_member
from careconductor.patients.choices import Sex
from careconductor.patients.models import Patient

PASSWORD = "correct-horse-battery-staple"


@dataclass
class World:
    riverside: Organization
    lakeside: Organization
    north: Team
    alice: User
    bob: User
    sam: User
    dana: User
    adam: User
    uma: User
    pia: User
    mo: User
    charlie: User
    paula: Patient
    paula_case: Case


def make_staff(
    username: str,
    role: Role,
    org: Organization,
    *,
    team: Team | None = None,
    discipline: Discipline = Discipline.NURSE,
    experience: ExperienceLevel = ExperienceLevel.COMPETENT,
    capacity: int = 0,
    languages: list[str] | None = None,
) -> User:
    user = do_create_user(username, role, org, PASSWORD, first_name=username.capitalize(), last_name="Tester")
    StaffProfile.objects.create(
        user=user,
        team=team,
        discipline=discipline,
        experience_level=experience,
        caseload_capacity=capacity,
        languages=languages or ["en"],
    )
    return user


def build_world() -> World:
    riverside = Organization.objects.create(name="Riverside Health")
    lakeside = Organization.objects.create(name="Lakeside Clinic")
    sam = make_staff("sam", Role.SUPERVISOR, riverside, experience=ExperienceLevel.EXPERT)
    north = Team.objects.create(organization=riverside, name="North", supervisor=sam)
    StaffProfile.objects.filter(user=sam).update(team=north)
    alice = make_staff(
        "alice",
        Role.CASE_MANAGER,
        riverside,
        team=north,
        experience=ExperienceLevel.PROFICIENT,
        capacity=60,
        languages=["en", "es"],
    )
    bob = make_staff("bob", Role.CASE_MANAGER, riverside, team=north, capacity=60)
    dana = make_staff("dana", Role.CARE_TEAM, riverside, discipline=Discipline.PHYSICIAN)
    adam = make_staff("adam", Role.ADMIN, riverside, discipline=Discipline.ADMINISTRATION)
    uma = make_staff("uma", Role.UM_REVIEWER, riverside)
    pia = make_staff("pia", Role.PRIVACY_OFFICER, riverside, discipline=Discipline.PRIVACY)
    mo = make_staff("mo", Role.MEDICAL_DIRECTOR, riverside, discipline=Discipline.PHYSICIAN)
    lake_team_lead = make_staff("lena", Role.SUPERVISOR, lakeside)
    lake_team = Team.objects.create(organization=lakeside, name="Lake", supervisor=lake_team_lead)
    charlie = make_staff("charlie", Role.CASE_MANAGER, lakeside, team=lake_team, capacity=60)
    paula = do_register_and_refer(
        alice,
        PatientDetails(
            given_name="Paula",
            family_name="Reyes",
            birth_date=dt.date(1956, 3, 14),
            sex=Sex.FEMALE,
            preferred_language="es",
            interpreter_needed=True,
            phone="555-0100",
        ),
        program=Program.COMPLEX,
        referral_source=ReferralSource.PCP,
        referral_reason="Uncontrolled diabetes and two admissions this year",
        acuity_tier=3,
    )
    paula_case = Case.objects.get(patient=paula)
    do_add_care_team_member(alice, paula, member=dana, role="Primary care physician")
    return World(
        riverside, lakeside, north, alice, bob, sam, dana, adam, uma, pia, mo, charlie, paula, paula_case
    )
