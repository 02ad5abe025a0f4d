"""The demo organisation's people: who works there, how cases are shared among the case managers, and the
logins printed at the end of every run."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from careconductor.accounts.choices import Discipline, ExperienceLevel, Role
from careconductor.accounts.models import Organization, StaffProfile, Team, User
from careconductor.cases.rules import ACUITY_POINTS, EXPERIENCED, HIGH_ACUITY_TIERS
from careconductor.engagement.models import ProxyGrant
from careconductor.patients.models import Patient

from . import data
from .data import BEHAVIORAL, NORTH, SOUTH

PASSWORD = "demo-password-2026"
EMAIL_DOMAIN = "riverside-health.example"
PATIENTS_PER_CASE_MANAGER = 110  # open caseloads near 60 cases, about 80% of capacity
MIN_CASE_MANAGERS = 6
RESERVE = 0.15  # load handicap of experienced staff for tier 1-2 cases
CAPACITY = {  # acuity points (cases.rules.ACUITY_POINTS)
    ExperienceLevel.NOVICE: 120,
    ExperienceLevel.COMPETENT: 160,
    ExperienceLevel.PROFICIENT: 200,
    ExperienceLevel.EXPERT: 220,
}
E, P, C, N = (
    ExperienceLevel.EXPERT,
    ExperienceLevel.PROFICIENT,
    ExperienceLevel.COMPETENT,
    ExperienceLevel.NOVICE,
)


class DemoError(Exception):
    """The demo cannot be built here (for example a demo user name is already taken)."""


@dataclass(frozen=True)
class StaffSpec:
    first: str
    last: str
    role: Role
    discipline: Discipline
    credentials: str
    level: ExperienceLevel = ExperienceLevel.EXPERT
    team: int | None = None  # index into data.TEAM_NAMES
    languages: tuple[str, ...] = ("en",)
    username: str = ""

    @property
    def login(self) -> str:
        return self.username or f"{data.ascii_name(self.first)}.{data.ascii_name(self.last)}"


FIXED_STAFF = (
    StaffSpec("Adrian", "Okafor", Role.ADMIN, Discipline.ADMINISTRATION, "MHA", username="admin"),
    StaffSpec(
        "Sandra", "Whitfield", Role.SUPERVISOR, Discipline.NURSE, "RN, CCM", team=NORTH, username="supervisor"
    ),
    StaffSpec("Marcus", "Bell", Role.SUPERVISOR, Discipline.NURSE, "MSN, RN, CCM", team=SOUTH),
    StaffSpec("Renee", "Thompson", Role.SUPERVISOR, Discipline.SOCIAL_WORK, "LCSW, CCM", team=BEHAVIORAL),
    StaffSpec("Priya", "Raman", Role.CARE_TEAM, Discipline.PHYSICIAN, "MD"),
    StaffSpec(
        "Kevin", "Tran", Role.CARE_TEAM, Discipline.PHARMACIST, "PharmD, BCACP", languages=("en", "vi")
    ),
    StaffSpec("Angela", "Brooks", Role.CARE_TEAM, Discipline.SOCIAL_WORK, "LCSW"),
    StaffSpec("Linda", "Park", Role.UM_REVIEWER, Discipline.NURSE, "RN, CPHM"),
    StaffSpec("Robert", "Hale", Role.MEDICAL_DIRECTOR, Discipline.PHYSICIAN, "MD, FACP"),
    StaffSpec("Janet", "Morales", Role.PRIVACY_OFFICER, Discipline.PRIVACY, "CHPC", languages=("en", "es")),
)
CASEMANAGER = StaffSpec(
    "Maria", "Delgado", Role.CASE_MANAGER, Discipline.NURSE, "RN, CCM", E, NORTH, ("en", "es"), "casemanager"
)
# After `casemanager`, the first five cover every level and team; then the cycles keep the mix
# (20% expert, 35% proficient, 30% competent, 15% novice; teams North 5 : Southside 5 : Behavioral 2).
_FIRST_CASE_MANAGERS = (
    (NORTH, N, ""),
    (SOUTH, P, "es"),
    (SOUTH, C, "vi"),
    (BEHAVIORAL, P, "es"),
    (NORTH, C, "zh"),
)
_TEAM_CYCLE = (NORTH, SOUTH, NORTH, SOUTH, BEHAVIORAL, NORTH, SOUTH, NORTH, SOUTH, NORTH, SOUTH, BEHAVIORAL)
_LEVEL_CYCLE = (E, P, C, N, P, C, E, P, C, P, E, C, N, P, C, E, P, C, N, P)


def case_manager_count(patients: int) -> int:
    return max(MIN_CASE_MANAGERS, round(patients / PATIENTS_PER_CASE_MANAGER))


def case_manager_specs(rng: random.Random, count: int) -> list[StaffSpec]:
    """`casemanager` and count - 1 colleagues with unique first.last user names."""
    taken = {s.login for s in (*FIXED_STAFF, CASEMANAGER)}
    specs = [CASEMANAGER]
    for i in range(1, count):
        if i <= len(_FIRST_CASE_MANAGERS):
            team, level, language = _FIRST_CASE_MANAGERS[i - 1]
        else:
            team, level = _TEAM_CYCLE[i % len(_TEAM_CYCLE)], _LEVEL_CYCLE[i % len(_LEVEL_CYCLE)]
            x = rng.random()
            language = "es" if x < 0.27 else "vi" if x < 0.30 else "zh" if x < 0.33 else ""
        group = data.GROUP_BY_LANGUAGE.get(language) or data.ENGLISH_SPEAKER_GROUPS(rng)
        female = rng.random() < 0.8
        for attempt in itertools.count():
            first, last = data.person_name(rng, group, female)
            login = f"{data.ascii_name(first)}.{data.ascii_name(last)}" + (
                str(attempt) if attempt > 20 else ""
            )
            if login not in taken:
                break
        taken.add(login)
        discipline, credentials = _discipline(rng, team, level)
        languages = ("en", language) if language else ("en",)
        specs.append(
            StaffSpec(first, last, Role.CASE_MANAGER, discipline, credentials, level, team, languages, login)
        )
    return specs


def _discipline(rng: random.Random, team: int, level: ExperienceLevel) -> tuple[Discipline, str]:
    if team == BEHAVIORAL:
        return Discipline.SOCIAL_WORK, "LCSW" if level in EXPERIENCED else "LMSW"
    if level in EXPERIENCED:
        return Discipline.NURSE, "RN, CCM" if rng.random() < 0.7 else "BSN, RN, CCM"
    if level == N and rng.random() < 0.4:
        return Discipline.CHW, "CHW"
    return Discipline.NURSE, "BSN, RN" if rng.random() < 0.6 else "RN"


@dataclass(slots=True)
class Manager:
    """A case manager's running caseload while the generator hands out cases."""

    user_id: int
    team: int
    level: ExperienceLevel
    languages: tuple[str, ...]
    capacity: int
    used: int = 0
    open_cases: int = 0

    def load(self) -> float:
        return self.used / self.capacity


@dataclass
class Staff:
    """What the patient generator needs to know about the people it just created."""

    team_ids: list[int]
    supervisor_ids: list[int]  # by team index
    physician_id: int
    pharmacist_id: int
    social_worker_id: int
    managers: list[Manager]
    user_count: int


def create_staff(org: Organization, rng: random.Random, patients: int) -> Staff:
    specs = [*FIXED_STAFF, *case_manager_specs(rng, case_manager_count(patients))]
    logins = [s.login for s in specs]
    if taken := sorted(User.objects.filter(username__in=logins).values_list("username", flat=True)):
        raise DemoError(
            f"User names the demo needs are taken ({', '.join(taken[:5])}): "
            "use an empty data folder (CARECONDUCTOR_HOME) or database."
        )
    password = make_password(PASSWORD)  # hashed once for everyone: Argon2 takes about 50 ms a time
    users = User.objects.bulk_create(
        [
            User(
                username=s.login,
                first_name=s.first,
                last_name=s.last,
                email=f"{s.login}@{EMAIL_DOMAIN}",
                role=s.role,
                organization=org,
                password=password,
            )
            for s in specs
        ]
    )
    people = list(zip(specs, users, strict=True))
    supervisors = {s.team: u for s, u in people if s.role == Role.SUPERVISOR}
    teams = Team.objects.bulk_create(
        [
            Team(organization=org, name=name, supervisor=supervisors[i])
            for i, name in enumerate(data.TEAM_NAMES)
        ]
    )
    StaffProfile.objects.bulk_create(
        [
            StaffProfile(
                user=u,
                team=teams[s.team] if s.team is not None else None,
                discipline=s.discipline,
                credentials=s.credentials,
                experience_level=s.level,
                caseload_capacity=CAPACITY[s.level] if s.role == Role.CASE_MANAGER else 0,
                languages=list(s.languages),
            )
            for s, u in people
        ]
    )
    care_team = {s.discipline: u.pk for s, u in people if s.role == Role.CARE_TEAM}
    return Staff(
        team_ids=[t.pk for t in teams],
        supervisor_ids=[supervisors[i].pk for i in range(len(teams))],
        physician_id=care_team[Discipline.PHYSICIAN],
        pharmacist_id=care_team[Discipline.PHARMACIST],
        social_worker_id=care_team[Discipline.SOCIAL_WORK],
        managers=[
            Manager(u.pk, s.team if s.team is not None else NORTH, s.level, s.languages, CAPACITY[s.level])
            for s, u in people
            if s.role == Role.CASE_MANAGER
        ],
        user_count=len(users),
    )


class Assigner:
    """Hands each open case to the least loaded of a few sampled eligible case managers ("power of choices",
    so no scan of the whole team per case), preferring the patient's team and language. Tier 3-4 cases go only
    to proficient or expert staff, as cases.rules.rank_candidates requires, and capacity is respected while
    anyone eligible has room."""

    def __init__(self, rng: random.Random, managers: list[Manager]) -> None:
        self.rng = rng
        self.pools: dict[tuple[int | None, bool, str], list[Manager]] = defaultdict(list)
        for m in managers:
            for team, high in itertools.product((m.team, None), (False, True)):
                if high and m.level not in EXPERIENCED:
                    continue
                for language in ("", *(lang for lang in m.languages if lang != "en")):
                    self.pools[(team, high, language)].append(m)

    def choose(self, team: int, tier: int, language: str, *, open_case: bool) -> Manager:
        high = tier in HIGH_ACUITY_TIERS
        languages = (language, "") if language != "en" else ("",)
        keys = [(t, high, lang) for t in (team, None) for lang in languages]
        if not open_case:  # a finished case: whoever was eligible then; it no longer counts against capacity
            pool = next(p for k in keys if (p := self.pools.get(k)))
            return pool[self.rng.randrange(len(pool))]
        chosen = next((m for k in keys if (m := self._least_loaded(self.pools.get(k, []), tier))), None)
        if chosen is None:  # everyone eligible is full: the emptiest takes it, as a supervisor would
            chosen = min(self.pools[(None, high, "")], key=Manager.load)
        self.take(chosen, tier)
        return chosen

    @staticmethod
    def take(manager: Manager, tier: int) -> None:
        manager.used += ACUITY_POINTS[tier]
        manager.open_cases += 1

    def _least_loaded(self, pool: list[Manager], tier: int) -> Manager | None:
        points = ACUITY_POINTS[tier]

        def weight(m: Manager) -> float:
            # Keep experienced capacity for the complex cases only they may take, as a supervisor would.
            return m.load() + (RESERVE if tier not in HIGH_ACUITY_TIERS and m.level in EXPERIENCED else 0)

        best: Manager | None = None
        for _ in range(3 if pool else 0):
            m = pool[self.rng.randrange(len(pool))]
            if m.capacity - m.used >= points and (best is None or weight(m) < weight(best)):
                best = m
        if best is None:
            best = min((m for m in pool if m.capacity - m.used >= points), key=weight, default=None)
        return best


# ---------------------------------------------------------------------------------------------- logins


@dataclass(frozen=True)
class Login:
    username: str
    description: str


def demo_logins(org: Organization) -> list[Login]:
    """One line per role (and per case manager level), read back from the database, memorable names first."""
    users = [
        u
        for u in User.objects.filter(organization=org).select_related("profile__team").order_by("pk")
        if u.has_usable_password()  # not someone invited who has not chosen a password yet
    ]
    by_name = {u.username: u for u in users}
    shown = [by_name[n] for n in ("casemanager", "supervisor", "admin") if n in by_name]
    levels_shown = {ExperienceLevel.EXPERT.value}
    role_order = list(Role)
    for user in sorted((u for u in users if u not in shown), key=lambda u: role_order.index(Role(u.role))):
        profile = getattr(user, "profile", None)
        if user.role != Role.CASE_MANAGER:
            shown.append(user)
        elif profile is not None and profile.experience_level not in levels_shown:
            levels_shown.add(profile.experience_level)
            shown.append(user)
    logins = [Login(u.username, _describe(u)) for u in shown]
    if hidden := sum(1 for u in users if u.role == Role.CASE_MANAGER and u not in shown):
        logins.append(Login("...", f"and {hidden:,} more case managers, each first.last"))
    return logins


def _describe(user: User) -> str:
    if user.role == Role.PATIENT:
        own = Patient.objects.filter(portal_user=user).first()
        helped = (
            ProxyGrant.objects.filter(proxy=user, revoked_at__isnull=True).select_related("patient").first()
        )
        if own is not None:
            return f"{'Patient portal (opens /portal/)':<44} {own.full_name}"
        if helped is not None:
            return f"{'Patient portal, as proxy':<44} {user.get_full_name()} for {helped.patient.full_name}"
    profile: StaffProfile | None = getattr(user, "profile", None)
    what = Role(user.role).label
    if profile is not None and user.role == Role.CASE_MANAGER:
        what += f" ({ExperienceLevel(profile.experience_level).label.lower()})"
    elif profile is not None and user.role == Role.CARE_TEAM:
        what += f" ({Discipline(profile.discipline).label.lower()})"
    if profile is not None and profile.team is not None:
        what += f", {profile.team.name}"
    credentials = f", {profile.credentials}" if profile is not None and profile.credentials else ""
    return f"{what:<44} {user.get_full_name()}{credentials}"
