"""What admissions and discharges start (issue 19, docs/hl7v2.md "What admissions and discharges start").

`actions._apply` calls `start_work` after a message has changed a stay, in the same transaction (and the FHIR
Encounter mapper after a create or update): the work exists exactly when the stay does, and a message applied
again starts nothing; an A11 withdraws what the admission raised (`undo_admission`). The work is done as the
account that changed the stay (a feed's own account), through the other apps' actions:

- an admission or ED visit of a patient with an open case notifies at once the case managers of the open cases
  and the care team's staff members (NotificationKind.HOSPITAL). The chart's "In hospital since" and the pause
  of outreach are read from the open stay itself (coordination.worklist.in_hospital_q): nothing to store.
- a discharge from an inpatient stay computes the risk scores (LACE with them) as the chart's button does
  (assessments.actions.do_compute_risk_scores). Then, for a discharge in the last 30 days: an active case's
  people are notified (its transitional-care row is the worklist's own, read from the stay); a referred,
  screening or on-hold case's case manager (or its team's supervisor) is told to reactivate it or say why not;
  a patient with no open case whom a programme's rule takes (cases.programs.discharge_referral_program: LACE at
  least its threshold, by default transitional care at 10) is referred into that programme at intake, and the
  receiving team's supervisor is told. A patient who died is referred nowhere.
- an admission (inpatient or observation) within 30 days of a discharge from another (readmissions.py) raises an
  alert on the patient (a coordination Flag, rule "readmission-30d") naming both stays: the chart's header and
  the case manager's worklist show it until someone acknowledges it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.assessments.actions import do_compute_risk_scores
from careconductor.cases.actions import do_refer_case, do_transition_case
from careconductor.cases.choices import CaseStatus, ReferralSource
from careconductor.cases.models import Case
from careconductor.cases.programs import discharge_referral_program, program_rules
from careconductor.cases.rules import TransitionRequest
from careconductor.coordination.actions import do_acknowledge_flag, do_raise_flag
from careconductor.coordination.choices import FlagCategory, FlagStatus, NotificationKind
from careconductor.coordination.models import Flag
from careconductor.coordination.notify import do_notify
from careconductor.coordination.rules import TCM_PERIOD_DAYS
from careconductor.coordination.worklist import (
    COMMUNITY_DISCHARGES,
    OPEN_ADMISSION_DAYS,
    OPEN_ED_VISIT_HOURS,
)
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.choices import DischargeDisposition, EncounterClass
from careconductor.patients.models import Encounter, Patient
from careconductor.privacy.choices import Sensitivity

from . import readmissions

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


QUEUED = "discharge work queued"  # in a message's effect until `discharge_work` has run (tasks.py)


def start_work(account: User, encounter: Encounter, before: Stay | None, *, defer: bool = False) -> str:
    """Start what the change to `encounter` calls for; the words the message's effect adds ("" for none).

    With `defer` (the MLLP listener) a recent discharge's work (risk scores, notices, referral) is not done here:
    the words say QUEUED, and the caller has `discharge_work` run after the commit (transitions.tasks)."""
    after = Stay.of(encounter)
    assert after is not None
    event = stay_event(before, after)
    if event in (ADMISSION, ED_VISIT) and _recent(encounter):
        readmission = _readmission(account, encounter) if event == ADMISSION else ""
        return _admitted(account, encounter, event, readmission) + (f"; {readmission}" if readmission else "")
    if event == DISCHARGE:
        told_late = before is None and encounter.start >= clock.now() - dt.timedelta(days=OPEN_ADMISSION_DAYS)
        readmission = _readmission(account, encounter) if told_late else ""
        if defer and not _old_news(encounter):
            return f"; {QUEUED}" + (f"; {readmission}" if readmission else "")
        return (f"; {readmission}" if readmission else "") + _discharged(account, encounter)
    return ""


def discharge_work(account: User, encounter: Encounter) -> str:
    """A discharge's work, deferred by `start_work(defer=True)`: done as it would have been then, if the stay is
    still ended (an A13 may have cancelled the discharge meanwhile); its words, or why there is none."""
    if encounter.end is None:
        return "; discharge cancelled before its work was done"
    return _discharged(account, encounter)


def _readmission(account: User, encounter: Encounter) -> str:
    """Raise the readmission alert when this admission follows a discharge within 30 days; its words, or ""."""
    patient = encounter.patient
    start = timezone.localdate(encounter.start)
    earlier = (
        Encounter.objects.filter(
            patient=patient,
            encounter_class__in=ADMITTED,
            end__isnull=False,
            end__lte=encounter.start,
            end__gte=encounter.start - dt.timedelta(days=readmissions.READMISSION_DAYS + 1),
        )
        .exclude(pk=encounter.pk)
        .values_list("start", "end", "facility", "discharge_disposition")
    )
    admission = readmissions.Stay(start, None, encounter.facility)
    index = readmissions.index_discharge(
        admission,
        [
            readmissions.Stay(timezone.localdate(s), timezone.localdate(e) if e else None, f, d)
            for s, e, f, d in earlier
        ],
    )
    if index is None:
        return ""
    text = readmissions.flag_text(admission, index)
    do_raise_flag(
        account,
        patient,
        text=text,
        category=FlagCategory.CLINICAL,
        rule=readmissions.RULE,
        focus=f"Encounter/{encounter.pk}",
    )
    return text


def undo_admission(account: User, encounter: Encounter) -> str:
    """The admission did not happen (A11): the readmission alert it raised is withdrawn, in the hospital's words
    (acknowledged, so it leaves the chart and the worklist with the reason kept). The notices already sent stay."""
    withdrawn = 0
    for flag in Flag.objects.filter(
        patient_id=encounter.patient_id,
        rule=readmissions.RULE,
        status=FlagStatus.ACTIVE,
        focus=f"Encounter/{encounter.pk}",
    ).select_related("patient"):
        do_acknowledge_flag(account, flag, note="The hospital cancelled the admission (ADT A11).")
        withdrawn += 1
    return "; readmission alert withdrawn" if withdrawn else ""


def undo_discharge(account: User, encounter: Encounter) -> str:
    """The discharge did not happen (A13), called before the stay is reopened: a referral it made that nobody has
    taken up yet (still referred, no case manager) is declined in the hospital's words, so intake does not work
    a patient who is still in hospital. A referral someone has started on stays, as do the notices sent."""
    if encounter.end is None:
        return ""
    made = Case.objects.filter(
        patient_id=encounter.patient_id,
        status=CaseStatus.REFERRED,
        referral_source=ReferralSource.INTERFACE,
        primary_case_manager__isnull=True,
        referred_at__gte=encounter.end,
        referral_reason__startswith=f"Discharged from {hospital(encounter)} on ",
    ).select_related("patient")
    withdrawn = 0
    for case in made:
        note = "The hospital cancelled the discharge (ADT A13): the referral it made is withdrawn."
        do_transition_case(account, case, TransitionRequest(CaseStatus.DECLINED, note=note))
        withdrawn += 1
    return "; its transitional-care referral withdrawn" if withdrawn else ""


def hospital(encounter: Encounter) -> str:
    return encounter.facility or "hospital"


def _recent(encounter: Encounter) -> bool:
    """A stay still open by the worklist's reading (in_hospital_q): older news starts no work."""
    ed = encounter.encounter_class == EncounterClass.EMERGENCY
    horizon = dt.timedelta(hours=OPEN_ED_VISIT_HOURS) if ed else dt.timedelta(days=OPEN_ADMISSION_DAYS)
    return encounter.start >= clock.now() - horizon


def _admitted(account: User, encounter: Encounter, event: str, readmission: str = "") -> str:
    patient = encounter.patient
    cases = list(Case.objects.open().filter(patient=patient).select_related("primary_case_manager"))
    if not cases:
        return ""
    people = [c.primary_case_manager for c in cases if c.primary_case_manager is not None]
    people += care_team_staff(patient)
    start = timezone.localtime(encounter.start)
    what = "admitted to" if event == ADMISSION else "in the emergency department of"
    kind = encounter.get_encounter_class_display().lower()
    sent = _notify(
        account,
        people,
        f"{patient.given_name} {patient.family_name} {what} {hospital(encounter)}",
        f"Since {start:%a %b} {start.day} at {start:%H:%M} ({kind}"
        + (f", {encounter.reason}" if encounter.reason else "")
        + "). Outreach is paused while the patient is in hospital."
        + (f" {readmission}." if readmission else ""),
        reverse("patients:chart", args=[patient.pk]),
        patient,
    )
    return f"; {sent} notified" if sent else ""


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


@dataclass(frozen=True)
class Lace:
    """LACE of the stay as recorded (RiskScore): the value, or at least this much when an input was missing; and
    whether it counted records some staff may not see (then the words name only the programme's threshold)."""

    points: int
    complete: bool
    sensitive: bool

    def words(self, threshold: int | None = None) -> str:
        if self.sensitive:
            return f"LACE at least {threshold}" if threshold is not None else ""
        return f"LACE {self.points}" if self.complete else f"LACE at least {self.points}"


def _lace(account: User, encounter: Encounter) -> Lace | None:
    """The risk scores computed and recorded now, as the chart's button does; LACE when it is this stay's."""
    if encounter.encounter_class != EncounterClass.INPATIENT:
        return None  # LACE reads inpatient stays (assessments.chart_facts.latest_stay)
    rows = do_compute_risk_scores(account, encounter.patient)
    row = next((r for r in rows if r.model == "lace" and r.encounter_id == encounter.pk), None)
    if row is None:
        return None
    points = row.value if row.value is not None else sum(int(p.get("points", 0)) for p in row.basis)
    return Lace(points, row.value is not None, row.sensitivity not in ("", Sensitivity.NORMAL))


def _old_news(encounter: Encounter) -> bool:
    assert encounter.end is not None
    return encounter.end < clock.now() - dt.timedelta(days=TCM_PERIOD_DAYS)


def _discharged(account: User, encounter: Encounter) -> str:
    if _old_news(encounter):
        return ""  # old news (a backlog replayed, a stay loaded from history): no work
    assert encounter.end is not None
    lace = _lace(account, encounter)
    words = [lace.words()] if lace is not None and lace.words() else []
    patient = encounter.patient
    cases = list(
        Case.objects.open()
        .filter(patient=patient)
        .select_related("primary_case_manager", "team__supervisor")
        .order_by("referred_at")
    )
    day = timezone.localdate(encounter.end)
    name = f"{patient.given_name} {patient.family_name}"
    died = encounter.discharge_disposition == DischargeDisposition.EXPIRED
    home = encounter.discharge_disposition in COMMUNITY_DISCHARGES
    to = encounter.get_discharge_disposition_display().lower() if encounter.discharge_disposition else ""
    head = (
        f"Died at {hospital(encounter)} on {day:%a %b} {day.day}"
        if died
        else f"Discharged from {hospital(encounter)} on {day:%a %b} {day.day}" + (f" ({to})" if to else "")
    )
    head += f", {lace.words()}" if lace is not None and lace.words() else ""
    url = reverse("patients:chart", args=[patient.pk])
    active = [c for c in cases if c.status == CaseStatus.ACTIVE]
    if active:
        people = [c.primary_case_manager for c in active if c.primary_case_manager is not None]
        then = (
            "Transitional care: an interactive contact within 2 business days, on the worklist."
            if home
            else ""
        )
        sent = _notify(account, people + care_team_staff(patient), f"{name} discharged from {hospital(encounter)}",
                       f"{head}. {then}", url, patient)  # fmt: skip
        words.append(f"{sent} notified")
    elif cases:
        for case in cases:
            who = case.primary_case_manager or (case.team.supervisor if case.team else None)
            status = case.get_status_display().lower()
            program = case.get_program_display().lower()
            then = f"The {program} case is {status}: " + (
                "close it." if died else "reactivate it for the weeks after discharge, or record why not."
            )
            _notify(account, [who] if who else [], f"{name} discharged from {hospital(encounter)}: case {status}",
                    f"{head}. {then}", url, patient)  # fmt: skip
        words.append(f"{len(cases)} open case(s) flagged")
    elif home and not died:
        words += _refer(account, encounter, lace, day)
    return "".join(f"; {w}" for w in words)


def _refer(account: User, encounter: Encounter, lace: Lace | None, day: dt.date) -> list[str]:
    patient = encounter.patient
    program = discharge_referral_program(patient.organization_id, lace.points if lace else None)
    if program is None or lace is None:
        return []
    threshold = program_rules(patient.organization_id, program).discharge_referral_lace
    reason = (
        f"Discharged from {hospital(encounter)} on {day:%b} {day.day}, {day.year}, {lace.words(threshold)}"
    )
    try:
        with transaction.atomic():
            case = do_refer_case(
                account,
                patient,
                program=program,
                referral_source=ReferralSource.INTERFACE,
                referral_reason=reason,
            )
    except ActionRefused as exc:  # no team to receive it: the discharge itself still applies
        return [f"not referred: {exc}"]
    supervisor = case.team.supervisor if case.team else None
    _notify(
        account,
        [supervisor] if supervisor else [],
        f"{program.label} referral: {patient.given_name} {patient.family_name}",
        f"{reason}. Referred on the hospital's news: assign a case manager.",
        reverse("patients:chart", args=[patient.pk]),
        patient,
    )
    return [f"referred to {program.label.lower()}"]


def _notify(account: User, people: list[User], title: str, body: str, url: str, patient: Patient) -> int:
    """Tell the people (not the one who recorded the news: a person posting an Encounter knows it)."""
    others = [p for p in people if p.pk != account.pk]
    return len(
        do_notify(others, NotificationKind.HOSPITAL, title, body=body.strip(), url=url, patient=patient)
    )
