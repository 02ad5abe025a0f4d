"""The one access policy. Nothing else decides who may see or change a patient's data.

A staff user sees a patient only through a relationship inside their own organisation:
  - assigned case manager of one of the patient's cases (open, or closed within RELATIONSHIP_GRACE_DAYS),
  - supervisor of the team that holds such a case (users with the supervisor or administrator role),
  - active member of the patient's care team (for the period of membership),
  - owner of an open task about the patient, until it is done (work given to someone carries the need to know
    for it; a team's queue reaches only members who already have a relationship), when it was given by someone
    with a standing relationship: a task given under one's own emergency access grants nothing,
  - delegate covering for the case manager during an active cover (cases.Cover): the absent person's open
    cases and open tasks, until the cover ends,
  - administrator of the organisation,
  - emergency access ("break-the-glass") the user opened for this patient, until it expires.
UM reviewers and medical directors have no chart access: they read the prior-authorisation requests of their
own organisation (`um_rows`: the request, the member's identity and coverage, what the provider sent; minimum
necessary), and the privacy officer reads the audit trail. A patient's own log-in sees their
own record (Patient.portal_user) and the records of patients who made them their proxy (an active
engagement.ProxyGrant), and may only REPORT there: readings, check-ins, messages, self-assessments.

Decided once per request: inside `deciding_once()` (opened by the middleware for every request, and by a FHIR
transaction) each answer about a user and a patient (visible, standing relationship, case staff, care-team
discipline, allowed sensitivities) and the user's emergency accesses in force are looked up once and reused.
Saving any row a relationship is made of (a case, a care team place, a task, a cover, an emergency access, a
consent, a proxy grant, a user, team or staff profile, a patient's portal log-in) forgets them all, so a
request that changes a relationship and then reads sees the change. Outside a scope (jobs, the CLI, tests
calling the policy directly) every call asks the database, as before.

Relationships are learnt from the apps that own them (sources.py): patients, cases, coordination and engagement
register, from their AppConfig.ready(), the lookups that make each relationship (the cases a user manages,
the cases their teams hold, care team places, tasks, covers, proxy grants), who counts as case staff for
sensitive records, a care team member's discipline, where patients are kept, and the models whose rows
relationships are made of. This module does not import or name their models; it joins what they give into one
UNION of small indexed lookups (visible_patients) and decides the rest: roles, organisation, emergency access
and consents (privacy's own), sensitivity, and deciding once per request.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Q, QuerySet

from careconductor.accounts.choices import Discipline, Role
from careconductor.core import clock

from . import sources

# The audit trail's readers (the privacy officer, a patient for their own record): audit_policy.py, by subject.
from .audit_policy import AUDIT_READERS as AUDIT_READERS
from .audit_policy import patient_view as patient_view

# Population health, campaigns and outcomes: their rows for their roles, kept in population_policy.py by subject and
# re-exported here, so every read still goes through this module.
from .population_policy import OUTCOME_ROLES as OUTCOME_ROLES
from .population_policy import POPULATION_ROLES as POPULATION_ROLES
from .population_policy import campaign_rows as campaign_rows
from .population_policy import outcome_counted_rows as outcome_counted_rows
from .population_policy import population_rows as population_rows

if TYPE_CHECKING:
    from careconductor.accounts.models import User
    from careconductor.patients.models import Patient

RELATIONSHIP_GRACE_DAYS = 90
CLOSED_STATUSES = ("closed", "declined", "ineligible")


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"
    ASSIGN = "assign"
    # What a patient or their proxy adds through the portal (readings, check-ins, messages); staff who may
    # change the record may report for the patient too.
    REPORT = "report"
    # The work a care-team member shares with the case staff (CARE_TEAM_WORK).
    LOG_CONTACT = "log_contact"
    WRITE_NOTE = "write_note"
    LOG_TIME = "log_time"
    MESSAGE = "message"
    MEDICATIONS = "medications"


CHART_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.CASE_MANAGER, Role.CARE_TEAM})
# Who may open a record in an emergency: clinical staff, and the medical director.
BREAK_GLASS_ROLES = CHART_ROLES | {Role.MEDICAL_DIRECTOR}
ASSIGNING_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR})
SUPERVISING_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR})
CREATING_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.CASE_MANAGER})
# Who may cover an absent colleague's caseload (cases.Cover): people who carry cases themselves.
COVERING_ROLES = frozenset({Role.CASE_MANAGER, Role.SUPERVISOR})


# --- deciding once per request ------------------------------------------------------------------------------------
_T = TypeVar("_T")
_decisions: contextvars.ContextVar[dict[Hashable, Any] | None] = contextvars.ContextVar(
    "policy_decisions", default=None
)


@contextmanager
def deciding_once() -> Iterator[None]:
    """Answers inside reuse each other (see the module's docstring). Nested scopes share the outer one."""
    if _decisions.get() is not None:
        yield
        return
    token = _decisions.set({})
    try:
        yield
    finally:
        _decisions.reset(token)


def _decided(key: Hashable, decide: Callable[[], _T]) -> _T:
    memo = _decisions.get()
    if memo is None:
        return decide()
    if key not in memo:
        memo[key] = decide()
    return memo[key]


# The patient an app was launched for (SMART launch context): inside `launched_for`, every patient-bound read
# and check sees that record only, whatever else the user may see.
_launched: contextvars.ContextVar[int | None] = contextvars.ContextVar("policy_launched_for", default=None)


@contextmanager
def launched_for(patient_id: int | None) -> Iterator[None]:
    """Narrow everything the policy lets through to one patient (None: no narrowing)."""
    token = _launched.set(patient_id)
    try:
        yield
    finally:
        _launched.reset(token)


def forget(*args: Any, **kwargs: Any) -> None:
    """Drop the request's decisions: a relationship may have changed."""
    memo = _decisions.get()
    if memo:
        memo.clear()


# Privacy's own and the accounts' (below privacy); the apps above register theirs (sources.relationship_models).
sources.relationship_models(
    "privacy.EmergencyAccess", "privacy.Consent", "accounts.User", "accounts.Team", "accounts.StaffProfile"
)


def _union(parts: list[QuerySet[Any]]) -> QuerySet[Any]:
    return parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]


def related_patient_ids(user: User) -> QuerySet[Any] | None:
    """The ids of the patients the user has a relationship with, as one UNION of small indexed lookups
    (cases they manage, cases their teams hold, care team memberships, emergency access). None when the
    role sees no patients at all. Organisation is checked by the caller."""
    if not user.is_authenticated or user.organization_id is None or user.role not in BREAK_GLASS_ROLES:
        return None
    from .models import EmergencyAccess

    emergency = EmergencyAccess.objects.filter(user=user, expires_at__gt=clock.now()).values("patient_id")
    return _union([*_relationship_parts(user), emergency])


def visible_patients(user: User) -> QuerySet[Patient]:
    """Every patient the user may see, inside their organisation. `pk IN (UNION …)` keeps each part on its
    own index and never duplicates rows (a join over every relation made pages take a second at 100,000
    patients). Built once per request (building it costs more than running it); each caller gets its own copy."""
    if not user.is_authenticated:
        return _visible_patients(user)
    key = ("visible patients", user.pk, _launched.get())
    return _decided(key, lambda: _visible_patients(user)).all()


def _visible_patients(user: User) -> QuerySet[Patient]:
    patient = sources.patients()
    if not user.is_authenticated or user.organization_id is None:
        return patient.objects.none()
    in_org = patient.objects.filter(organization_id=user.organization_id)
    launched = _launched.get()
    if launched is not None:
        in_org = in_org.filter(pk=launched)
    if user.role == Role.PATIENT:
        # `pk IN (own UNION proxied)`, each part on its own index: `portal_user = me OR pk IN proxied` made both
        # databases walk the organisation's patients (150-230 ms at 100,000; bench/README.md, issue 8).
        # The patient's own record (patients) and those who made them their proxy (engagement).
        return in_org.filter(pk__in=_union([source(user) for source in sources.registered.portal]))
    if user.role == Role.ADMIN:
        return in_org
    related = related_patient_ids(user)
    return in_org.filter(pk__in=related) if related is not None else patient.objects.none()


def patient_q(user: User, patient_field: str = "patient") -> Q:
    """`visible_patients` as a filter on rows that point at a patient (conditions, cases …). An administrator's
    is a join on the organisation rather than `IN (every patient of the organisation)`, which SQLite would
    build in full for each query (a patient's rows took 10 ms per type at 100,000 patients)."""
    launched = _launched.get()
    if user.is_authenticated and user.role == Role.ADMIN and user.organization_id is not None:
        within = Q(**{f"{patient_field}__organization_id": user.organization_id})
        return within & Q(**{patient_field: launched}) if launched is not None else within
    return Q(**{f"{patient_field}__in": visible_patients(user).values("pk")})


def can(user: User, action: Action | str, patient: Patient) -> bool:
    if not user.is_authenticated or user.organization_id != patient.organization_id:
        return False
    action = Action(action)
    if action == Action.ASSIGN and user.role not in ASSIGNING_ROLES:
        return False
    return _decided(
        ("visible", user.pk, patient.pk, _launched.get()),
        lambda: visible_patients(user).filter(pk=patient.pk).exists(),
    )


def partner_rows(user: User) -> QuerySet[Any]:
    """What a receiving organisation's log-in reads: only the referrals sent to its own organisation (the
    referrals app's lookup), never a chart. Anyone else gets none from here."""
    source = sources.registered.partner
    if source is None or not user.is_authenticated or user.role != Role.PARTNER or not user.is_active:
        raise PermissionError("Only a partner organisation's log-in reads referrals this way.")
    return source(user)


UM_ROLES = frozenset({Role.UM_REVIEWER, Role.MEDICAL_DIRECTOR})


def um_rows(user: User) -> QuerySet[Any]:
    """The prior-authorisation requests a user may read. UM reviewers and the medical director: every request of
    their own organisation (reviewing them is their function; they reach no chart through this); staff who see
    the member's chart: those of the patients they see; a patient's or proxy's log-in: their own. All without the
    sensitive requests (a Part 2 diagnosis) the sensitivity rules keep from them. Nobody else reads any."""
    source = sources.registered.um
    if source is None or not user.is_authenticated or user.organization_id is None or not user.is_active:
        raise PermissionError("Only staff of an organisation read prior-authorisation requests.")
    rows = source().filter(organization_id=user.organization_id)
    if user.role in UM_ROLES:
        return rows.filter(sensitivity_q(user))
    if user.role in CHART_ROLES:
        return rows.filter(patient_q(user)).filter(sensitivity_q(user))
    if (
        user.role == Role.PATIENT
    ):  # their own (CMS-0057-F puts prior authorisations in the Patient Access API)
        return rows.filter(patient__in=visible_patients(user).values("pk")).filter(sensitivity_q(user))
    return rows.none()


def audit_rows(user: User) -> QuerySet[Any]:
    """The audit events the user may read (audit_policy.py), narrowed to the launched patient's, if any."""
    from .audit_policy import audit_rows as rows

    return rows(user, _launched.get())


def um_counted_rows(user: User) -> QuerySet[Any]:
    """Every prior-authorisation request of a UM worker's organisation, sensitive ones included, for COUNTING
    only (the yearly public figures: a count tells nothing about anyone). A caller that shows a row, or a figure
    that names one, reads through um_rows."""
    source = sources.registered.um
    if (
        source is None
        or not user.is_authenticated
        or user.role not in UM_ROLES
        or user.organization_id is None
    ):
        raise PermissionError("Only UM reviewers and medical directors count the organisation's requests.")
    return source().filter(organization_id=user.organization_id)


def can_create_patients(user: User) -> bool:
    return user.is_authenticated and user.organization_id is not None and user.role in CREATING_ROLES


CHANGING_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.CASE_MANAGER})
REPORTING_ROLES = CHANGING_ROLES | {Role.PATIENT}

# Who does what on a patient they see, in one table. Case staff (CHANGING_ROLES) do all of it. A care-team
# member (role care_team) does the work of their discipline, and only while on the patient's care team (a task
# or emergency access lets them read, not write): clinical disciplines log contacts and time (their minutes
# count toward CCM billing), write notes and message the patient; a pharmacist also keeps the medication list.
CLINICAL_DISCIPLINES = frozenset(
    {
        Discipline.NURSE,
        Discipline.SOCIAL_WORK,
        Discipline.CHW,
        Discipline.PHYSICIAN,
        Discipline.PHARMACIST,
        Discipline.THERAPIST,
    }
)
CARE_TEAM_WORK: dict[Action, frozenset[Discipline]] = {
    Action.LOG_CONTACT: CLINICAL_DISCIPLINES,
    Action.WRITE_NOTE: CLINICAL_DISCIPLINES,
    Action.LOG_TIME: CLINICAL_DISCIPLINES,
    Action.MESSAGE: CLINICAL_DISCIPLINES,
    Action.MEDICATIONS: frozenset({Discipline.PHARMACIST}),
}


def may(user: User, action: Action | str, patient: Patient) -> bool:
    """`can` plus the role's right to the action: care team members read and do their discipline's share of
    the work (CARE_TEAM_WORK); case staff change; only supervisors and admins assign."""
    return can(user, Action.VIEW, patient) and _role_allows(user, Action(action), patient)


def _role_allows(user: User, action: Action, patient: Patient) -> bool:
    """The role's part of `may`, for a patient the user sees."""
    if action == Action.ASSIGN:
        return user.role in ASSIGNING_ROLES
    if action in CARE_TEAM_WORK and user.role == Role.CARE_TEAM:
        return care_team_discipline(user, patient) in CARE_TEAM_WORK[action]
    if (action == Action.CHANGE or action in CARE_TEAM_WORK) and user.role not in CHANGING_ROLES:
        return False
    return not (action == Action.REPORT and user.role not in REPORTING_ROLES)


def allowed_actions(user: User, patient: Patient) -> frozenset[Action]:
    """Every action `may` allows the user on this patient, decided at once for a page that offers several
    (one query, two for a care-team member)."""
    if not can(user, Action.VIEW, patient):
        return frozenset()
    allowed = {Action.VIEW}
    if user.role in CHANGING_ROLES:
        allowed |= {Action.CHANGE, *CARE_TEAM_WORK}
    if user.role in ASSIGNING_ROLES:
        allowed.add(Action.ASSIGN)
    if user.role in REPORTING_ROLES:
        allowed.add(Action.REPORT)
    if user.role == Role.CARE_TEAM:
        discipline = care_team_discipline(user, patient)
        allowed |= {action for action, disciplines in CARE_TEAM_WORK.items() if discipline in disciplines}
    return frozenset(allowed)


def care_team_discipline(user: User, patient: Patient) -> str | None:
    """The user's discipline when they are on the patient's care team today, else None."""
    discipline = sources.registered.discipline
    if discipline is None:
        return None
    return _decided(("discipline", user.pk, patient.pk), lambda: discipline(user, patient))


def is_own_record(user: User, patient: Patient) -> bool:
    """The patient's own portal log-in (not a proxy): only they manage their proxies and answer
    self-assessments about themselves."""
    return user.is_authenticated and patient.portal_user_id == user.pk


def require(user: User, action: Action | str, patient: Patient) -> None:
    """Raise NotVisible when the user has no relationship, ActionRefused when the role may not act."""
    from careconductor.core.errors import ActionRefused, NotVisible

    if not can(user, Action.VIEW, patient):
        raise NotVisible
    if not _role_allows(user, Action(action), patient):
        raise ActionRefused("Your role may look at this record but not make this change.")


def require_admin(user: User, refusal: str) -> int:
    """The administrator's organisation, for organisation-wide settings; ActionRefused(refusal) for anyone else."""
    from careconductor.core.errors import ActionRefused

    if user.role != Role.ADMIN or user.organization_id is None:
        raise ActionRefused(refusal)
    return user.organization_id


def may_use_emergency_access(user: User) -> bool:
    """Whether the role may break the glass at all: only they are offered the emergency access page. A system
    account (an ADT feed's) never does: no person stands behind it to give a reason."""
    return user.is_authenticated and user.role in BREAK_GLASS_ROLES and not user.is_system


def may_break_glass(user: User, patient: Patient) -> bool:
    return (
        may_use_emergency_access(user)
        and user.organization_id == patient.organization_id
        and not can(user, Action.VIEW, patient)
    )


def emergency_patient_ids(user: User, patient_ids: list[int]) -> set[int]:
    """Which of these patients the user sees through an emergency access in force (for marking the audit)."""
    from .models import EmergencyAccess

    if not patient_ids or not may_use_emergency_access(user):
        return set()  # (no query: an ADT feed's account records a few events for every message)
    if _decisions.get() is not None:
        # All of the user's accesses in force, once per request: a handful at most.
        in_force = _decided(
            ("emergency", user.pk),
            lambda: frozenset(
                EmergencyAccess.objects.filter(user=user, expires_at__gt=clock.now()).values_list(
                    "patient_id", flat=True
                )
            ),
        )
        return set(in_force.intersection(patient_ids))
    return set(
        EmergencyAccess.objects.filter(
            user=user, patient_id__in=patient_ids, expires_at__gt=clock.now()
        ).values_list("patient_id", flat=True)
    )


# Who sees sensitive records (42 CFR Part 2, psychotherapy notes) without a consent naming them: the patient's
# case manager and the supervisor of the case's team (`_is_case_staff`), not anyone of those roles with some
# other relationship (a task, a care team place). Everyone else, and anyone on emergency access, needs the
# patient's consent for that recipient; administrators never see them (minimum necessary).
SENSITIVE_WITHOUT_CONSENT = frozenset({Role.CASE_MANAGER, Role.SUPERVISOR})


def allowed_sensitivities(user: User, patient: Patient, *, on_emergency: bool) -> set[str]:
    """The sensitivity labels of this patient's records the user may see ("" = normal records).

    For a patient already fetched through an `access_*` query (so visible); `on_emergency` says whether the
    user sees them only through break-the-glass, which the caller has looked up already."""
    if not user.is_authenticated or user.organization_id != patient.organization_id:
        return set()
    key = ("sensitivities", user.pk, patient.pk, on_emergency)
    return set(_decided(key, lambda: frozenset(_allowed_sensitivities(user, patient, on_emergency))))


def _allowed_sensitivities(user: User, patient: Patient, on_emergency: bool) -> set[str]:
    from .choices import CONSENT_FOR_SENSITIVITY, Sensitivity
    from .models import Consent

    allowed = {Sensitivity.NORMAL.value}
    if not on_emergency and _is_case_staff(user, patient):
        return allowed | {s.value for s in CONSENT_FOR_SENSITIVITY}
    if user.role == Role.ADMIN:
        return allowed
    today = clock.today()
    consents = Consent.objects.filter(
        patient=patient, recipient_user=user, consent_type__in=CONSENT_FOR_SENSITIVITY.values()
    )
    in_force = {c.consent_type for c in consents if c.is_in_force(today)}
    return allowed | {s.value for s, needed in CONSENT_FOR_SENSITIVITY.items() if needed in in_force}


def record_sensitivities(user: User, patient: Patient) -> set[str]:
    """`allowed_sensitivities` for a patient the user sees, deciding itself whether that is only through
    break-the-glass (no standing relationship): the one call a page or query needs."""
    return allowed_sensitivities(user, patient, on_emergency=not has_standing_relationship(user, patient))


def may_read_label(user: User, patient: Patient, label: str) -> bool:
    """Whether `user` may read this patient's records labelled `label` (a normal record: whoever sees the chart).
    Asked before work about a sensitive record is given to someone: no one is handed what they may not read."""
    return not label or label in record_sensitivities(user, patient)


def restrict_sensitive(
    rows: QuerySet[Any],
    user: User,
    patient: Patient,
    field: str = "sensitivity",
    allowed: set[str] | None = None,
) -> QuerySet[Any]:
    """Rows of one patient's, without those whose sensitivity label (`field`, which may follow a relation:
    a plan problem's is `condition__sensitivity`) the user may not see. A page that restricts several lists
    decides once (`allowed`, from `record_sensitivities`)."""
    if allowed is None:
        allowed = record_sensitivities(user, patient)
    return rows.filter(**{f"{field}__in": allowed})


def sensitivity_q(user: User, patient_field: str = "patient", field: str = "sensitivity") -> Q:
    """The rows of many patients whose sensitivity label the user may see, as one filter: the set-wise form of
    `allowed_sensitivities`, for searches across patients (the FHIR API). Normal rows always; sensitive rows
    of the patients whose case the user manages or supervises; otherwise only where a consent in force names
    the user. `field` may follow a relation (a plan problem's label is `condition__sensitivity`)."""
    if not user.is_authenticated:
        return _sensitivity_q(user, patient_field, field)
    return _decided(
        ("sensitivity q", user.pk, patient_field, field), lambda: _sensitivity_q(user, patient_field, field)
    )


def _sensitivity_q(user: User, patient_field: str, field: str) -> Q:
    from .choices import CONSENT_FOR_SENSITIVITY, ConsentStatus, Sensitivity
    from .models import Consent

    allowed = Q(**{field: Sensitivity.NORMAL.value})
    if not user.is_authenticated or user.role in (Role.ADMIN, Role.PATIENT):
        # Patients reach their own sensitive records through the portal's own rules, not through this API.
        return allowed
    case_staff = _case_staff_parts(user)
    if case_staff:
        allowed |= Q(
            **{
                f"{field}__in": [s.value for s in CONSENT_FOR_SENSITIVITY],
                f"{patient_field}__in": case_staff[0].union(*case_staff[1:]),
            }
        )
    today = clock.today()
    for sensitivity, consent_type in CONSENT_FOR_SENSITIVITY.items():
        consented = (
            Consent.objects.filter(
                recipient_user=user,
                consent_type=consent_type,
                status=ConsentStatus.ACTIVE,
                given_on__lte=today,
            )
            .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=today))
            .values("patient_id")
        )
        allowed |= Q(**{field: sensitivity.value, f"{patient_field}__in": consented})
    return allowed


def has_standing_relationship(user: User, patient: Patient) -> bool:
    """A relationship that is not break-the-glass: the user's own emergency access never passes access on (a
    task they give grants nothing, also not to themselves)."""
    if not user.is_authenticated or user.organization_id != patient.organization_id:
        return False
    if user.role == Role.ADMIN:
        return True

    def decide() -> bool:
        related = _relationship_ids(user)
        return related is not None and type(patient).objects.filter(pk=patient.pk, pk__in=related).exists()

    return _decided(("standing", user.pk, patient.pk), decide)


def _is_case_staff(user: User, patient: Patient) -> bool:
    """The patient's case manager, or the supervisor of the team holding the case (a current case: open, or
    closed within the grace period). Only they see sensitive records without a consent naming them; a task, a
    care team membership or another relationship is not enough."""
    staff = sources.registered.case_staff
    if user.organization_id is None or user.role not in SENSITIVE_WITHOUT_CONSENT or staff is None:
        return False
    return _decided(("case staff", user.pk, patient.pk), lambda: staff.of_patient(user, patient))


def _case_staff_parts(user: User) -> list[QuerySet[Any]]:
    """`_is_case_staff` for many patients: the ids of those whose case the user manages or supervises."""
    staff = sources.registered.case_staff
    if user.organization_id is None or user.role not in SENSITIVE_WITHOUT_CONSENT or staff is None:
        return []
    return staff.patient_ids(user)


def _relationship_ids(user: User) -> QuerySet[Any] | None:
    """The patients the user reaches through a relationship, leaving out break-the-glass access."""
    parts = _relationship_parts(user)
    return _union(parts) if parts else None


def _relationship_parts(user: User) -> list[QuerySet[Any]]:
    """Each registered source's lookups (care team places, cases managed and supervised, tasks), then, while the
    user covers for an absent colleague (cases.Cover), the colleague's open cases and tasks: whom the user covers
    for is one lookup, shared by those parts, and nothing for a role that does not cover."""
    if user.organization_id is None or user.role not in CHART_ROLES:
        return []
    parts = [part for source in sources.registered.relationships for part in source(user)]
    covers = sources.registered.covers
    covered = covers(user) if covers is not None else None
    if covered is not None:
        parts += [part for source in sources.registered.covered for part in source(covered)]
    return parts
