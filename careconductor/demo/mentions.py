"""Mentions and hand-overs for the demo (issue 17 §4), made through the real actions so they carry real audit
events: the care team's pharmacist and the North supervisor mention `casemanager` in chart notes, she mentions
them back, and the supervisor hands her a colleague's task, so her inbox opens with unread items (one already
read) and the top bar counts them. The notes are dated over the last two days, as the actions would have dated
them then."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from careconductor.accounts.choices import Discipline, Role
from careconductor.accounts.models import Organization, User
from careconductor.coordination.actions import do_create_task, do_reassign_task
from careconductor.coordination.mentions import do_add_note
from careconductor.coordination.models import NoteMention, Notification
from careconductor.coordination.notify import do_mark_read
from careconductor.core import clock
from careconductor.patients.actions import do_add_care_team_member
from careconductor.patients.models import Note, Patient


class Out(Protocol):
    def write(self, text: str, /) -> object: ...


def add_mention_scenarios(org: Organization, out: Out) -> int:
    """Returns how many notes and hand-overs were made (0 when the staff they need are missing) and says so."""
    made = _add(org)
    if made:
        out.write(
            f"Mentions and hand-overs: {made} (notes naming casemanager, the pharmacist and the supervisor; "
            "a task handed over; casemanager's inbox at /inbox/ has unread items).\n"
        )
    return made


def _add(org: Organization) -> int:
    manager = User.objects.filter(organization=org, username="casemanager").first()
    supervisor = User.objects.filter(organization=org, username="supervisor").first()
    pharmacist = User.objects.filter(
        organization=org, role=Role.CARE_TEAM, profile__discipline=Discipline.PHARMACIST
    ).first()
    if manager is None or supervisor is None or pharmacist is None:
        return 0
    colleague = (
        User.objects.filter(organization=org, role=Role.CASE_MANAGER, is_active=True)
        .filter(profile__team=manager.profile.team)
        .exclude(pk=manager.pk)
        .order_by("username")
        .first()
    )
    if colleague is None:
        return 0
    # Her active patients on cases her supervisor's team holds, leaving out those with sensitive notes (the
    # privacy scenarios'), so every note here is one the pharmacist and the supervisor may read.
    patients = list(
        Patient.objects.filter(
            cases__primary_case_manager=manager, cases__status="active", cases__team__supervisor=supervisor
        )
        .exclude(notes__sensitivity__in=["part2", "psychotherapy"])
        .distinct()
        .order_by("pk")[:3]
    )
    if len(patients) < 3:
        return 0
    knee, meals, cardiology = patients
    if not knee.care_team.filter(user=pharmacist).exists():
        do_add_care_team_member(manager, knee, member=pharmacist, role="Clinical pharmacist")
    now = clock.now()

    def note(writer: User, patient: Patient, text: str, hours_ago: float) -> Note:
        written = do_add_note(writer, patient, text=text).note
        _backdate(written, now - dt.timedelta(hours=hours_ago))
        return written

    # Read yesterday: a word of thanks from the supervisor.
    thanks = note(
        supervisor,
        cardiology,
        f"Saw she made it to cardiology with the ride you booked. Nice work, @{manager.username}.",
        hours_ago=26,
    )
    note(
        manager,
        knee,
        "Home visit: she takes ibuprofen 400 mg most days for her knee, on top of lisinopril and furosemide. "
        f"@{pharmacist.username} could you look at her list before Thursday? @{supervisor.username} FYI.",
        hours_ago=20,
    )
    note(
        pharmacist,
        knee,
        "Medication review: daily ibuprofen with lisinopril and furosemide risks her kidneys (creatinine 1.4 in "
        f"March). Suggest acetaminophen 650 mg up to three times a day. @{manager.username} can you ask her "
        "PCP and check she has a pill box?",
        hours_ago=3,
    )
    note(
        supervisor,
        meals,
        "Case conference: she qualifies for home-delivered meals now that her daughter works nights. "
        f"@{manager.username} please refer her this week.",
        hours_ago=1.5,
    )
    for mention in NoteMention.objects.filter(note=thanks, user=manager):
        if mention.notification_id is not None:
            do_mark_read(manager, mention.notification_id)

    # The colleague's follow-up call goes back to the patient's own case manager.
    task = do_create_task(
        supervisor,
        cardiology,
        owner=colleague,
        title="Call about the new heart-failure medicine",
        due_at=now + dt.timedelta(days=1),
    )
    do_reassign_task(
        supervisor,
        task,
        owner=manager,
        reason=f"{manager.first_name} knows her best and is back from training",
    )
    return 5


def _backdate(note: Note, when: dt.datetime) -> None:
    """The demo's past: the note, its mentions and their notifications as if written at `when` (bulk
    rewrites of demo rows, as the generator does; the audit trail keeps the time it was built)."""
    Note.objects.filter(pk=note.pk).update(written_at=when)
    mentions = NoteMention.objects.filter(note=note)
    Notification.objects.filter(pk__in=mentions.values("notification_id")).update(created_at=when)
    mentions.update(notified_at=when)
