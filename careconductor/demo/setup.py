"""The administrator's set-up screens with something to show: teams that receive their programmes'
referrals, programme rules that differ from the installation's defaults, and a community health worker
invited this week who has not chosen a password yet."""

from __future__ import annotations

from careconductor.accounts.choices import Discipline, ExperienceLevel, Role
from careconductor.accounts.models import Organization, StaffProfile, Team, User
from careconductor.cases.choices import Program
from careconductor.cases.models import ProgramSetting

from .data import TEAM_NAMES
from .staff import EMAIL_DOMAIN

TEAM_PROGRAMS = {
    TEAM_NAMES[0]: [Program.COMPLEX, Program.CCM],
    TEAM_NAMES[1]: [Program.CCM, Program.TCM],
    TEAM_NAMES[2]: [Program.BEHAVIOURAL],
}
INVITED = ("grace.kim", "Grace", "Kim")


def add_setup_scenarios(org: Organization) -> int:
    for name, programs in TEAM_PROGRAMS.items():
        Team.objects.filter(organization=org, name=name).update(programs=sorted(p.value for p in programs))
    # Transitional care lasts 30 days: no plan or closure approval, and the social needs screen repeats at 30.
    ProgramSetting.objects.create(
        organization=org,
        program=Program.TCM,
        plan_approval=False,
        closure_approval=False,
        reassessment_days={"ahc-hrsn": 30},
    )
    username, first, last = INVITED
    if User.objects.filter(username=username).exists():  # a generated case manager of the same name
        username = f"{username}.chw"
    invited = User.objects.create_user(
        username=username,
        password=None,  # invited: chooses a password through the e-mailed link
        email=f"{username}@{EMAIL_DOMAIN}",
        first_name=first,
        last_name=last,
        role=Role.CARE_TEAM,
        organization=org,
    )
    StaffProfile.objects.create(
        user=invited,
        team=Team.objects.filter(organization=org, name=TEAM_NAMES[1]).first(),
        discipline=Discipline.CHW,
        credentials="CHW",
        experience_level=ExperienceLevel.NOVICE,
        languages=["en", "ko"],
    )
    return len(TEAM_PROGRAMS) + 2
