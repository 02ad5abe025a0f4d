"""Merging two records of one person (issue 17 §3): an administrator keeps one record and merges the duplicate
into it. Everything that points at the duplicate moves to the kept record, found generically from
`Patient._meta` so a model added later cannot be forgotten (tests/patients/test_merge.py fails if a relation is
neither moved nor listed in STAYS). The duplicate is never deleted: it is marked `merged_into` the kept record,
so old links, searches by its old MRN and FHIR reads of it lead to the kept one. All or nothing, audited, and
recorded as a PatientMerge that the administrator and the privacy officer can review.

Rules (docs/administration.md "Merging duplicate records"):
  - both records must be of the administrator's organisation and not merged already; a reason is required;
  - two open cases in the same programme: refused, naming the programme; close one first (the merge never
    closes a case itself);
  - a unique rule the moved rows would break (two personal alert limits for one measure, one education
    material waiting twice): refused, naming it; a portal visit logged on both records by the same person on
    the same day is one visit, and the duplicate's copy is dropped;
  - the duplicate's identifiers (its MRN too) move and are marked old;
  - staff on both care teams: the duplicate's membership is ended on the day of the merge; one lead;
  - portal log-ins: the duplicate's moves when the kept record has none; when both have one, the kept
    record's stays and the duplicate's is closed (the patient signs in with the kept record's);
  - the kept record's own details win; blank contact details are filled from the duplicate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models import Count, F, Q, Value

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.models import TimestampedModel
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .choices import IdentifierUse
from .models import CareTeamMember, Patient, PatientIdentifier, PatientMerge
from .rules import blanks_to_fill, merge_refusal

# Relations to Patient whose rows stay with the duplicate, and why. Everything else moves.
STAYS: dict[tuple[str, str], str] = {
    ("privacy.AuditEvent", "patient"): "the audit trail says what happened to the record as it was then",
    ("patients.PatientMerge", "kept"): "earlier merges into the duplicate stay as they happened",
    ("patients.PatientMerge", "duplicate"): "the merge history itself",
}
# Unique rules on logs of one fact, where the duplicate's copy of a row the kept record already has is
# the same fact, and is dropped rather than refusing the merge.
SAME_FACT = frozenset({"engagement.PortalUse"})
# Rows one per patient that a batch computes again from the records (a member's risk tier: the next stratification
# reads the merged record): when both records have one, the duplicate's is dropped rather than refusing the merge.
DERIVED = frozenset({"population.MemberRisk"})
# Plain words for the kinds of record whose model names would read oddly on the review page.
LABELS = {
    "patients.PatientIdentifier": "Identifiers",
    "patients.PatientContact": "Caregivers and emergency contacts",
    "patients.CareTeamMember": "Care team places",
    "patients.Patient": "Records merged into it before",
    "coordination.Contact": "Contacts logged",
    "coordination.TimeEntry": "Time entries",
    "engagement.PortalUse": "Days the portal was used",
    "engagement.CheckIn": "Goal check-ins",
    "engagement.Threshold": "Personal alert limits",
    "education.Assignment": "Education assigned",
    "education.Delivery": "Education delivered",
    "medications.DoseReport": "Dose reports",
    "careplans.Intervention": "Care plan interventions",
}


@dataclass(frozen=True)
class Relation:
    """A foreign key to Patient: rows of `model` point at a patient through `field`."""

    model: type[models.Model]
    field: str

    @property
    def key(self) -> str:
        return f"{self.model._meta.label}.{self.field}"

    @property
    def label(self) -> str:
        name = self.model._meta.label
        if name in LABELS:
            return LABELS[name]
        return str(self.model._meta.verbose_name_plural).capitalize()


def relations() -> tuple[list[Relation], list[Relation]]:
    """Every foreign key to Patient in every app, hidden ones (related_name="+") too: (moving, staying)."""
    moving: list[Relation] = []
    staying: list[Relation] = []
    for rel in Patient._meta.get_fields(include_hidden=True):
        if not (rel.is_relation and rel.auto_created and not rel.concrete):
            continue
        relation = Relation(rel.related_model, rel.field.name)  # type: ignore[arg-type, union-attr]
        (staying if (relation.model._meta.label, relation.field) in STAYS else moving).append(relation)
    moving.sort(key=lambda r: r.label)
    return moving, staying


def counts(user: User, patient_ids: list[int]) -> dict[tuple[str, int], int]:
    """How many rows of each moving kind point at each of the patients: (relation key, patient id) → n, in one
    query (a UNION ALL of one small grouped count per kind). Rows with a sensitivity label the user may not read
    are not counted: even a number says a patient has 42 CFR Part 2 records."""
    moving, _ = relations()
    parts = [
        r.model._default_manager.filter(**{f"{r.field}__in": patient_ids})
        .filter(_readable(user, r))
        .order_by()
        .values(pid=F(r.field))
        .annotate(n=Count("pk"), kind=Value(r.key, output_field=models.CharField()))
        .values("kind", "pid", "n")
        for r in moving
    ]
    found: dict[tuple[str, int], int] = {}
    for row in parts[0].union(*parts[1:], all=True):
        found[(row["kind"], row["pid"])] = row["n"]
    return found


def _readable(user: User, relation: Relation) -> Q:
    fields = {f.name for f in relation.model._meta.get_fields()}
    if "sensitivity" not in fields:
        return Q()
    return policy.sensitivity_q(user, patient_field=relation.field)


@dataclass(frozen=True)
class Review:
    """What the administrator sees before merging: who each record is, and how many records of each kind each
    has (never their content), what the merge will do besides moving them, and why it would be refused."""

    kept: Patient
    duplicate: Patient
    rows: list[tuple[str, int, int]]  # kind, kept's count, duplicate's count
    filled: dict[str, str]
    will: list[str]
    refusals: dict[str, str]

    @property
    def pair(self) -> tuple[Patient, Patient]:
        return self.kept, self.duplicate

    @property
    def filled_words(self) -> list[tuple[str, str]]:
        return [(name.replace("_", " "), value) for name, value in self.filled.items()]


def _open_programmes(patient: Patient) -> dict[str, str]:
    case = apps.get_model("cases", "Case")  # cases sits above patients in the import graph
    return {
        c.program: c.get_program_display() for c in case.objects.open().filter(patient=patient).order_by("pk")
    }


def _details(patient: Patient) -> dict[str, str]:
    return {name: getattr(patient, name) for name in ("preferred_name", *_CONTACT)}


_CONTACT = ("phone", "email", "address_line", "city", "state", "postal_code")


def _unique_clashes(kept: Patient, duplicate: Patient) -> tuple[dict[str, str], list[tuple[Relation, Q]]]:
    """Unique rules the moved rows would break: refusals, and the duplicate's rows of one fact to drop."""
    refusals: dict[str, str] = {}
    drop: list[tuple[Relation, Q]] = []
    for r in relations()[0]:
        for constraint in r.model._meta.constraints:
            fields = list(getattr(constraint, "fields", ()) or ())
            if not isinstance(constraint, models.UniqueConstraint) or r.field not in fields:
                continue
            others = [f for f in fields if f != r.field]
            rows = r.model._default_manager.filter(constraint.condition or Q())
            if others:
                kept_values = set(rows.filter(**{r.field: kept.pk}).values_list(*others))
                both = [
                    v for v in rows.filter(**{r.field: duplicate.pk}).values_list(*others) if v in kept_values
                ]
            else:  # one row per patient (under the condition), e.g. one reconciliation in progress
                on_both = (
                    rows.filter(**{r.field: kept.pk}).exists()
                    and rows.filter(**{r.field: duplicate.pk}).exists()
                )
                both = [()] if on_both else []
            if not both:
                continue
            if r.model._meta.label in SAME_FACT:
                for value in both:
                    drop.append((r, Q(**{r.field: duplicate.pk}, **dict(zip(others, value, strict=True)))))
                continue
            shown = ", ".join(" ".join(str(x) for x in value) for value in both if value)
            refusals[""] = (
                f"Both records have {r.label.lower()}{f' for {shown}' if shown else ''}, and a person has only "
                "one: remove the duplicate's first, then merge."
            )
    return refusals, drop


def review(user: User, kept: Patient, duplicate: Patient, reason: str = "-") -> Review:
    """The side-by-side review of two records the administrator fetched through `access_merge_pair`."""
    found = counts(user, [kept.pk, duplicate.pk])
    rows = [
        (r.label, found.get((r.key, kept.pk), 0), found.get((r.key, duplicate.pk), 0))
        for r in relations()[0]
        if found.get((r.key, kept.pk)) or found.get((r.key, duplicate.pk))
    ]
    return Review(
        kept=kept,
        duplicate=duplicate,
        rows=rows,
        filled=blanks_to_fill(_details(kept), _details(duplicate)),
        will=_what_else(kept, duplicate),
        refusals=_refusals(user, kept, duplicate, reason),
    )


def _refusals(user: User, kept: Patient, duplicate: Patient, reason: str) -> dict[str, str]:
    kept_open, dup_open = _open_programmes(kept), _open_programmes(duplicate)
    errors = merge_refusal(
        same_record=kept.pk == duplicate.pk,
        same_organization=kept.organization_id == duplicate.organization_id == user.organization_id,
        kept_merged=kept.is_merged,
        duplicate_merged=duplicate.is_merged,
        reason=reason,
        both_open=[label for program, label in kept_open.items() if program in dup_open],
    )
    if not errors:
        errors = _unique_clashes(kept, duplicate)[0]
    return errors


def _current_staff(patient: Patient) -> Q:
    today = clock.today()
    return Q(patient=patient, user__isnull=False, start_date__lte=today) & (
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    )


def _what_else(kept: Patient, duplicate: Patient) -> list[str]:
    """What the merge does besides moving rows, in plain words (shown before, and kept in the history)."""
    will = [
        "The duplicate's identifiers, its MRN too, move to the kept record and are marked old.",
        "Records you may not read (42 CFR Part 2, psychotherapy notes) move too; they are not counted here.",
    ]
    on_both = CareTeamMember.objects.filter(_current_staff(duplicate)).filter(
        user_id__in=CareTeamMember.objects.filter(_current_staff(kept)).values("user_id")
    )
    for member in on_both.select_related("user"):
        will.append(f"{member.display_name} is on both care teams: the duplicate's place ends today.")
    if duplicate.portal_user_id and kept.portal_user_id:
        will.append(
            "Both records have a portal log-in: the kept record's stays, the duplicate's is closed "
            "(the patient signs in with the kept record's)."
        )
    elif duplicate.portal_user_id:
        will.append("The duplicate's portal log-in moves to the kept record.")
    return will


def do_merge_patients(user: User, kept: Patient, duplicate: Patient, reason: str) -> PatientMerge:
    """Merge the duplicate into the kept record: all or nothing, audited, reviewable (see the module)."""
    policy.require_admin(user, "Only an administrator may merge patient records.")
    policy.require(user, policy.Action.CHANGE, kept)
    policy.require(user, policy.Action.CHANGE, duplicate)
    with transaction.atomic():
        locked = {p.pk: p for p in Patient.objects.select_for_update().filter(pk__in=[kept.pk, duplicate.pk])}
        kept, duplicate = locked[kept.pk], locked[duplicate.pk]
        if errors := _refusals(user, kept, duplicate, reason):
            raise ActionRefused(errors)
        merge = _merge(user, kept, duplicate, reason.strip()[:500])
    return merge


def _merge(user: User, kept: Patient, duplicate: Patient, reason: str) -> PatientMerge:
    now = clock.now()
    will = _what_else(kept, duplicate)
    as_was = {
        "name": duplicate.full_name,
        "preferred_name": duplicate.preferred_name,
        "birth_date": duplicate.birth_date.isoformat(),
        "identifiers": [
            {"label": i.label or i.system, "value": i.value} for i in duplicate.identifiers.order_by("pk")
        ],
        **{name: getattr(duplicate, name) for name in _CONTACT},
    }
    for relation, same_fact in _unique_clashes(kept, duplicate)[1]:
        relation.model._default_manager.filter(same_fact).delete()
    for relation in relations()[0]:
        if (
            relation.model._meta.label in DERIVED
            and relation.model._default_manager.filter(**{relation.field: kept.pk}).exists()
        ):
            relation.model._default_manager.filter(**{relation.field: duplicate.pk}).delete()
    # The places of staff on both teams end before the rows move; one lead.
    CareTeamMember.objects.filter(_current_staff(duplicate)).filter(
        user_id__in=CareTeamMember.objects.filter(_current_staff(kept)).values("user_id")
    ).update(
        end_date=clock.today(),
        end_reason="On the care team of the record kept when the records were merged",
        is_lead=False,
        updated_at=now,
        version=F("version") + 1,
    )
    if kept.care_team.filter(is_lead=True).exists():
        duplicate.care_team.filter(is_lead=True).update(is_lead=False)
    PatientIdentifier.objects.filter(patient=duplicate).update(use=IdentifierUse.OLD)
    login_moves = _portal_login(kept, duplicate)
    moved: dict[str, int] = {}
    for r in relations()[0]:
        rows = r.model._default_manager.filter(**{r.field: duplicate.pk})
        changes: dict[str, Any] = {r.field: kept.pk}
        if issubclass(r.model, TimestampedModel):
            changes |= {"updated_at": now, "version": F("version") + 1}
        if n := rows.update(**changes):
            moved[r.label] = n
    for name, value in blanks_to_fill(_details(kept), _details(duplicate)).items():
        setattr(kept, name, value)
        will.append(f"The kept record's empty {name.replace('_', ' ')} was filled from the duplicate.")
    duplicate.merged_into = kept
    duplicate.save(update_fields=["merged_into", "portal_user"])
    if login_moves:
        kept.portal_user_id = login_moves
    kept.save()
    # The contact log moved with the rows above, so the kept record was last reached when either record was.
    if reached := [t for t in (kept.last_reached_at, duplicate.last_reached_at) if t is not None]:
        kept.last_reached_at = max(reached)
        Patient.objects.filter(pk=kept.pk).update(last_reached_at=kept.last_reached_at)
    merge = PatientMerge.objects.create(
        organization_id=kept.organization_id,
        kept=kept,
        duplicate=duplicate,
        merged_by=user,
        merged_at=now,
        reason=reason,
        duplicate_as_was=as_was,
        moved=moved,
        notes=will,
    )
    audit.record(
        user, AuditAction.UPDATE, patient=duplicate, obj=merge, detail=f"merged into patient {kept.pk}"
    )
    for label, n in moved.items():
        audit.record(
            user,
            AuditAction.UPDATE,
            patient=kept,
            obj=merge,
            detail=f"{label}: {n} moved from patient {duplicate.pk}",
        )
    return merge


def _portal_login(kept: Patient, duplicate: Patient) -> int | None:
    """The duplicate's portal log-in: the log-in to give the kept record, or None. When both have one, the
    duplicate's is closed (unlinked and deactivated)."""
    login = duplicate.portal_user_id
    duplicate.portal_user = None
    if login is None:
        return None
    if kept.portal_user_id is not None:
        User.objects.filter(pk=login).update(is_active=False)
        return None
    return login
