"""What admissions and discharges start (issue 19, docs/hl7v2.md "What admissions and discharges start").

`actions._apply` calls `start_work` after a message has changed a stay, in the same transaction: the work
exists exactly when the stay does, and a message applied again (or cancelled before it applied) starts
nothing. The work is done as the feed's own account, through the other apps' actions:

- an admission or ED visit of a patient with an open case notifies at once the case managers of the open cases
  and the care team's staff members (NotificationKind.HOSPITAL). The chart's "In hospital since" and the pause
  of outreach are read from the open stay itself (coordination.worklist.in_hospital_q): nothing to store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.cases.models import Case
from careconductor.coordination.choices import NotificationKind
from careconductor.coordination.notify import do_notify
from careconductor.coordination.worklist import OPEN_ADMISSION_DAYS, OPEN_ED_VISIT_HOURS
from careconductor.core import clock
from careconductor.patients.choices import EncounterClass
from careconductor.patients.models import Encounter, Patient

from .models import Feed

ADMITTED = (EncounterClass.INPATIENT, EncounterClass.OBSERVATION)
HOSPITAL = (*ADMITTED, EncounterClass.EMERGENCY)

ADMISSION, ED_VISIT, DISCHARGE = "admission", "ed-visit", "discharge"


@dataclass(frozen=True)
class Stay:
    """What a stay was before a message changed it (None: the message made it)."""

    encounter_class: str
    ended: bool

    @classmethod
    def of(cls, encounter: Encounter | None) -> Stay | None:
        return None if encounter is None else cls(encounter.encounter_class, encounter.end is not None)


def stay_event(before: Stay | None, after: Stay) -> str:
    """What a change to a stay starts: an admission (a new inpatient or observation stay, or an ED visit that
    becomes one), an ED visit (a new one), a discharge (an admission that ends, or one the hospital tells of
    only when it ends), or nothing ("")."""
    if after.encounter_class not in HOSPITAL:
        return ""
    if after.ended:
        opened_here = before is None or not before.ended
        return DISCHARGE if opened_here and after.encounter_class in ADMITTED else ""
    if before is None:
        return ADMISSION if after.encounter_class in ADMITTED else ED_VISIT
    if not before.ended and before.encounter_class not in ADMITTED and after.encounter_class in ADMITTED:
        return ADMISSION  # from the ED (or a registration) to a bed
    return ""


def start_work(feed: Feed, encounter: Encounter, before: Stay | None) -> str:
    """Start what the change to `encounter` calls for; the words the message's effect adds ("" for none)."""
    after = Stay.of(encounter)
    assert after is not None
    event = stay_event(before, after)
    if event in (ADMISSION, ED_VISIT) and _recent(encounter):
        return _admitted(feed, encounter, event)
    return ""


def _recent(encounter: Encounter) -> bool:
    """A stay still open by the worklist's reading (in_hospital_q): older news starts no work."""
    ed = encounter.encounter_class == EncounterClass.EMERGENCY
    horizon = dt.timedelta(hours=OPEN_ED_VISIT_HOURS) if ed else dt.timedelta(days=OPEN_ADMISSION_DAYS)
    return encounter.start >= clock.now() - horizon


def _admitted(feed: Feed, encounter: Encounter, event: str) -> str:
    patient = encounter.patient
    cases = list(Case.objects.open().filter(patient=patient).select_related("primary_case_manager"))
    if not cases:
        return ""
    people = [c.primary_case_manager for c in cases if c.primary_case_manager is not None]
    people += care_team_staff(patient)
    start = timezone.localtime(encounter.start)
    what = "admitted to" if event == ADMISSION else "in the emergency department of"
    kind = encounter.get_encounter_class_display().lower()
    sent = do_notify(
        people,
        NotificationKind.HOSPITAL,
        f"{patient.given_name} {patient.family_name} {what} {feed.name}",
        body=f"Since {start:%a %b} {start.day} at {start:%H:%M} ({kind}"
        + (f", {encounter.reason}" if encounter.reason else "")
        + "). Outreach is paused while the patient is in hospital.",
        url=reverse("patients:chart", args=[patient.pk]),
        patient=patient,
    )
    return f"; {len(sent)} notified" if sent else ""


def care_team_staff(patient: Patient) -> list[User]:
    """The care team's current members who are staff with a log-in."""
    today = clock.today()
    return [
        m.user
        for m in patient.care_team.filter(user__isnull=False, user__is_active=True, start_date__lte=today)
        .exclude(end_date__lt=today)
        .exclude(user__role=Role.PATIENT)
        .select_related("user")
        if m.user is not None
    ]
