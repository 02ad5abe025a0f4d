"""Where the apps that hold a patient's relationships tell the access policy (policy.py) about them.

privacy sits below patients, cases, coordination and engagement, so the policy neither imports nor names their
models: each app registers, from its AppConfig.ready() (as the worklist hooks in coordination/hooks.py are
registered), the part of the policy that is its own:

  - patients: where patients are kept (`patient_model`), a patient's own portal log-in (`portal_source`), care
    team places (`relationship_source`) and the discipline of a care team member (`care_team_discipline`);
  - cases: the cases a user manages or whose team they supervise (`relationship_source`), whom a delegate covers
    for (`cover_source`) and the covered colleague's open cases (`covered_source`); who is "case staff" for
    sensitive records (`case_staff`);
  - coordination: open tasks that carry access, the user's own (`relationship_source`) and the covered
    colleague's (`covered_source`);
  - engagement: the patients who made the log-in their proxy (`portal_source`);
  - um: where prior-authorisation requests are kept (`um_source`), which the policy narrows per user;
  - population: risk tiers, registries and their members (`population_source`), narrowed per user likewise.

Each also names the models a relationship is made of (`relationship_models`): saving or deleting one forgets the
request's decisions (policy.forget). Sources answer with small indexed lookups, `.values("patient_id")` (or
`"pk"`), which the policy joins into one UNION; they are called only for users the policy already decided may
have that kind of relationship (staff of an organisation in CHART_ROLES, a patient's log-in), and decide the
rest by role themselves (only supervisors lead teams, only COVERING_ROLES cover)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Model, QuerySet
from django.db.models.signals import post_delete, post_save

if TYPE_CHECKING:
    from careconductor.accounts.models import User
    from careconductor.patients.models import Patient

# The ids of the patients a staff user reaches through one kind of standing relationship: a list of
# `.values("patient_id")` lookups, each on its own index ([] when the user's role has none of this kind).
RelationshipSource = Callable[["User"], list[QuerySet[Any]]]
# The ids of the patients a patient's or proxy's log-in reports for: one `.values(...)` lookup.
PortalSource = Callable[["User"], QuerySet[Any]]
# Whom the user covers for today (an absent colleague's cases.Cover in force): a `.values("absent_id")` lookup,
# or None when the user's role does not cover. Asked once; the covered sources below share its lookup.
CoverSource = Callable[["User"], QuerySet[Any] | None]
# The ids of the patients the covered colleagues reach through one kind of relationship (their open cases, their
# open tasks), given the cover source's lookup of who they are.
CoveredSource = Callable[[QuerySet[Any]], list[QuerySet[Any]]]
# The discipline of the user when they are on the patient's care team today, else None.
DisciplineSource = Callable[["User", "Patient"], str | None]
# What a receiving organisation's log-in may read (the referrals sent to it), as rows of the registering app.
PartnerSource = Callable[["User"], QuerySet[Any]]
# Every prior-authorisation request (um): the policy narrows them to what a user may read (policy.um_rows).
UmSource = Callable[[], QuerySet[Any]]
# Population health's rows (population): "members" (risk tiers), "registries", "stays" (registry members); each
# has an organisation, directly or through its registry, by which the policy narrows it (policy.population_rows).
PopulationSource = Callable[[str], QuerySet[Any]]


@dataclass(frozen=True)
class CaseStaff:
    """Who sees sensitive records without a consent naming them (the case manager and the supervisor of the
    case's team): set-wise for searches (`patient_ids`, lookups to UNION) and for one patient (`of_patient`, one
    query). Called only for roles in policy.SENSITIVE_WITHOUT_CONSENT."""

    patient_ids: RelationshipSource
    of_patient: Callable[[User, Patient], bool]


@dataclass
class _Registry:
    patient: type[Patient] | None = None
    relationships: tuple[RelationshipSource, ...] = ()
    covers: CoverSource | None = None
    covered: tuple[CoveredSource, ...] = ()
    portal: tuple[PortalSource, ...] = ()
    case_staff: CaseStaff | None = None
    discipline: DisciplineSource | None = None
    partner: PartnerSource | None = None
    um: UmSource | None = None
    population: PopulationSource | None = None


registered = _Registry()


def patient_model(model: type[Patient]) -> None:
    """The model patients are kept in. A changed patient (not a new one) may have a new portal log-in, so saving
    one forgets the request's decisions."""
    registered.patient = model
    post_save.connect(_forget_changed_patient, sender=model, weak=False, dispatch_uid="policy-patient")


def relationship_source(fn: RelationshipSource) -> RelationshipSource:
    if fn not in registered.relationships:
        registered.relationships = (*registered.relationships, fn)
    return fn


def cover_source(fn: CoverSource) -> CoverSource:
    registered.covers = fn
    return fn


def covered_source(fn: CoveredSource) -> CoveredSource:
    if fn not in registered.covered:
        registered.covered = (*registered.covered, fn)
    return fn


def portal_source(fn: PortalSource) -> PortalSource:
    if fn not in registered.portal:
        registered.portal = (*registered.portal, fn)
    return fn


def case_staff(staff: CaseStaff) -> None:
    registered.case_staff = staff


def care_team_discipline(fn: DisciplineSource) -> DisciplineSource:
    registered.discipline = fn
    return fn


def relationship_models(*models: type[Model] | str) -> None:
    """Saving or deleting a row of these models forgets the request's decisions: a relationship may have changed."""
    for model in models:
        label = model if isinstance(model, str) else model._meta.label
        post_save.connect(_forget, sender=model, weak=False, dispatch_uid=f"policy-saved-{label}")
        post_delete.connect(_forget, sender=model, weak=False, dispatch_uid=f"policy-deleted-{label}")


def _forget(*args: Any, **kwargs: Any) -> None:
    from .policy import forget

    forget()


def _forget_changed_patient(sender: Any, created: bool = False, **kwargs: Any) -> None:
    if not created:
        _forget()


def patients() -> type[Patient]:
    if registered.patient is None:
        raise LookupError("No app has registered the patient model (patients.apps registers it in ready())")
    return registered.patient


def partner_source(source: PartnerSource) -> None:
    """referrals: the referrals a partner organisation's log-in may read (policy.partner_rows)."""
    registered.partner = source


def um_source(source: UmSource) -> None:
    """um: where prior-authorisation requests are kept (policy.um_rows narrows them per user)."""
    registered.um = source


def population_source(source: PopulationSource) -> None:
    """population: risk tiers, registries and registry members (policy.population_rows narrows them per user)."""
    registered.population = source
