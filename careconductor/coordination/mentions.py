"""@mentions in chart notes: the colleagues a note form offers, and writing a note with its mentions in one step.

A note names colleagues as @username in its text (or ticked on the form). Each one who is active staff of the
patient's organisation and may read that very note is told: a NoteMention and a MENTION notification, made in
the note's transaction. Anyone named who may not read it (no relationship with the patient, or a sensitive note
they may not see) refuses the whole note, with the reason beside the field, so nobody is told about a note they
cannot open and nothing is saved. A notification names the writer and the patient's initials, never the note's
words: the inbox shows its first line, through the policy, when it is opened (coordination/inbox.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.cases.models import Case, Cover
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients import actions as patient_actions
from careconductor.patients.models import CareTeamMember, Note, Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction, Sensitivity

from .choices import NotificationKind
from .mention_rules import (
    MAX_MENTIONS,
    SENSITIVITY_WORDS,
    mention_handles,
    mention_refusal,
    parse_mentions,
)
from .models import NoteMention
from .notify import do_notify, initials

# More strings after @ than this in one note is not a note naming colleagues; it is not looked up.
MAX_HANDLES = 10 * MAX_MENTIONS


@dataclass(frozen=True)
class WrittenNote:
    note: Note
    told: list[User]  # the colleagues mentioned and notified, in the order named


def mention_candidates(user: User, patient: Patient) -> list[User]:
    """Whom the note form offers (one query): the patient's case managers and their teams' supervisors, whoever
    covers for those case managers today, and staff on the care team today; active staff of the patient's
    organisation, not the writer. Only people with a standing relationship are offered, so no one offered is
    refused (a team-mate who is not on the case is not offered; they can still be named as @username and are
    then refused with the reason)."""
    today = clock.today()
    on_care_team = (
        CareTeamMember.objects.filter(patient=patient, user__isnull=False, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .values("user_id")
    )
    cases = Case.objects.filter(patient=patient, closed_at__isnull=True)
    covering = Cover.objects.in_force(today).filter(absent_id__in=cases.values("primary_case_manager_id"))
    return list(
        User.objects.filter(
            Q(pk__in=on_care_team)
            | Q(pk__in=cases.values("primary_case_manager_id"))
            | Q(pk__in=cases.values("team__supervisor_id"))
            | Q(pk__in=covering.values("delegate_id")),
            organization_id=patient.organization_id,
            is_active=True,
        )
        .exclude(pk=user.pk)
        .exclude(role=Role.PATIENT)
        .select_related("profile")
        .order_by("first_name", "last_name", "username")
    )


def do_add_note(
    user: User,
    patient: Patient,
    *,
    text: str,
    sensitivity: Sensitivity = Sensitivity.NORMAL,
    mention: Sequence[str] = (),
) -> WrittenNote:
    """Write a chart note (patients.actions.do_add_note) and tell the colleagues it names, all or nothing.

    `mention`: usernames ticked on the form, besides those written as @username in `text`. The writer naming
    themselves is ignored; an @word that is nobody's username is ordinary text. Refusals name the field: `text`
    for names written in the note, `mention` for names ticked."""
    policy.require(user, policy.Action.WRITE_NOTE, patient)
    handles = mention_handles(text)
    if len(handles) > MAX_HANDLES:
        raise ActionRefused({"text": f"Mention at most {MAX_MENTIONS} colleagues in one note."})
    staff = _staff_named(patient, handles | {name.lower() for name in mention})
    by_name = {u.username: u for u in staff}
    from_text = parse_mentions(text, by_name)
    errors: dict[str, list[str]] = {}
    unknown = [name for name in mention if name not in by_name]
    if unknown:
        errors["mention"] = [f"No active colleague is called {', '.join(unknown)}."]
    named: dict[str, tuple[str, User]] = {}  # username -> (field, user), in the order named
    for field, names in (("text", from_text), ("mention", [n for n in mention if n in by_name])):
        for name in names:
            if name not in named and by_name[name].pk != user.pk:
                named[name] = (field, by_name[name])
    if len(named) > MAX_MENTIONS:
        raise ActionRefused({"text": f"Mention at most {MAX_MENTIONS} colleagues in one note."})
    for field, person in named.values():
        refusal = _refusal(person, patient, sensitivity)
        if refusal:
            errors.setdefault(field, []).append(refusal)
    if errors:
        raise ActionRefused({field: " ".join(messages) for field, messages in errors.items()})
    told = [person for _field, person in named.values()]
    with transaction.atomic():
        note = patient_actions.do_add_note(user, patient, text=text, sensitivity=sensitivity)
        if told:
            _tell(user, patient, note, told)
    return WrittenNote(note, told)


def _staff_named(patient: Patient, handles: Collection[str]) -> list[User]:
    """Active staff of the patient's organisation whose username (any case) is one of `handles`. Nobody
    outside it, and no patient's log-in, can be named: their names are never looked at."""
    if not handles:
        return []
    return list(
        User.objects.annotate(lower_name=Lower("username"))
        .filter(lower_name__in=list(handles), organization_id=patient.organization_id, is_active=True)
        .exclude(role=Role.PATIENT)
    )


def _refusal(person: User, patient: Patient, sensitivity: Sensitivity) -> str | None:
    """Why this colleague may not be told about a note of this sensitivity on this patient, if they may not.
    A standing relationship is needed: break-the-glass access is for an emergency, not for being asked."""
    related = policy.has_standing_relationship(person, patient)
    may_read = related and (
        sensitivity == Sensitivity.NORMAL
        or sensitivity in policy.allowed_sensitivities(person, patient, on_emergency=False)
    )
    return mention_refusal(
        person.display_name(),
        related=related,
        may_read=may_read,
        label=SENSITIVITY_WORDS.get(sensitivity, ""),
    )


def _tell(user: User, patient: Patient, note: Note, told: list[User]) -> None:
    """The mentions and their notifications, in the caller's transaction, each audited. The title names the
    writer and the patient's initials only: a notification outlives the reader's access, the note's words must
    not (the inbox shows them through the policy)."""
    url = reverse("patients:chart", args=[patient.pk]) + f"#note-{note.pk}"
    title = f"{user.display_name()} mentioned you on {initials(patient)}'s chart"
    notifications = {
        n.user_id: n for n in do_notify(told, NotificationKind.MENTION, title, url=url, patient=patient)
    }
    now = clock.now()
    for person in told:
        mention = NoteMention.objects.create(
            note=note, user=person, notification=notifications.get(person.pk), notified_at=now
        )
        audit.record(
            user,
            AuditAction.CREATE,
            patient=patient,
            obj=mention,
            detail=f"note {note.pk} mentions user {person.pk}",
        )
