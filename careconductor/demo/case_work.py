"""The work on an open demo case over the last months: contact log, unable-to-reach steps, time entries, tasks."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from careconductor.cases.choices import CaseStatus, Program
from careconductor.coordination.choices import (
    ContactDirection,
    ContactMode,
    ContactParty,
    MedsTaken,
    OutreachStep,
    TaskKind,
    TaskPriority,
    TaskStatus,
    TimeActivity,
)
from careconductor.coordination.rules import DEFAULT_CADENCE_DAYS

from .builder import BuilderBase, OpenCase
from .clinical import History, Timeline
from .data import Weighted

# The work on open cases (contact log, time entries, tasks) covers about four months.
HISTORY_DAYS = 120
# Days between reached contacts: coordination.rules.DEFAULT_CADENCE_DAYS, and the behavioural programme's own
# tier-3 row that coordination.py adds.
CADENCE_OVERRIDES = {(Program.BEHAVIOURAL, 3): 10}
UNREACHABLE, OVERDUE = 0.05, 0.10  # of active cases: 3+ failed attempts since the last success; simply late
MISSED_FIRST = 0.25  # a reached contact that took one or two failed attempts first
OPEN_TASK, DONE_TASK, QUEUE_TASK = 0.13, 0.3, 0.0008  # per active or on-hold case
MINUTES = (0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55)
BANDS = ((8, 11), (12, 16), (17, 19))  # morning, afternoon, evening (coordination.rules.time_of_day)
REACHED_MODE = Weighted(
    {ContactMode.PHONE: 80, ContactMode.IN_PERSON: 10, ContactMode.VIDEO: 5, ContactMode.PORTAL: 5}
)
MEDS = Weighted({MedsTaken.ALL: 55, MedsTaken.NOT_DISCUSSED: 25, MedsTaken.SOME: 17, MedsTaken.NONE: 3})
OPEN_TASK_STATUS = Weighted({TaskStatus.REQUESTED: 55, TaskStatus.ACCEPTED: 10, TaskStatus.IN_PROGRESS: 35})
URGENT_PRIORITY = Weighted({TaskPriority.URGENT: 80, TaskPriority.ASAP: 20})
TIME_ACTIVITY = tuple(TimeActivity.values)
PATIENT_WORDS = (
    "About the same as last time.",
    "My sugars are better since I eat breakfast.",
    "I ran out of the water pill for two days.",
    "The new inhaler helps at night.",
    "I'm tired of all these appointments.",
    "My son drives me to the clinic now.",
    "I weigh myself every morning like you said.",
    "The pharmacy mixed up my refill again.",
    "I've been walking after dinner.",
    "I don't sleep well; my knees hurt.",
)
GOAL_PROGRESS = ("On track.", "Some progress; keeps trying.", "No progress this time.", "This step is met.")
NEXT_STEPS = (
    "Call again at the usual time.",
    "Check the refill went through.",
    "Confirm the PCP appointment.",
    "Mail the low-salt recipes.",
    "Ask the pharmacist about the pill times.",
    "Review the weight log on the next call.",
)
NOT_REACHED = (
    "Left a voicemail with the call-back number.",
    "No answer, no voicemail.",
    "Line busy.",
    "A relative answered; the patient was out.",
)
CAREGIVERS = ("Daughter", "Son", "Wife", "Husband", "Granddaughter", "Neighbour")
TIME_NOTES = (
    "Reviewed the discharge papers and labs",
    "Called the pharmacy about refills",
    "Updated the care plan",
    "Sent records to the specialist",
    "Arranged transport for an appointment",
    "",
)
ROUTINE_TASKS = (
    (TaskKind.FOLLOW_UP, "Confirm the PCP follow-up appointment"),
    (TaskKind.FOLLOW_UP, "Check the lab results came back"),
    (TaskKind.FOLLOW_UP, "Follow up on the home-health referral"),
    (TaskKind.OTHER, "Call the pharmacy about the refill"),
    (TaskKind.OTHER, "Arrange transport to the cardiology visit"),
    (TaskKind.OTHER, "Send the blood-pressure log to the PCP"),
    (TaskKind.OTHER, "Request the hospital records"),
    (TaskKind.OTHER, "Check the scale was delivered"),
)
URGENT_TASKS = (
    "Swelling and weight gain reported: confirm the PCP saw the message",
    "Out of insulin since yesterday: get an emergency supply",
    "Caregiver says the patient is confused: arrange a same-day review",
)


class CaseWork(BuilderBase):
    def _work(self, w: OpenCase, status: CaseStatus, days: Timeline, history: History) -> None:
        """About four months of work on an open case, drawn from `self.activity`. Active cases are called at
        their tier's cadence (tier 4 weekly, 3 every 2 weeks, 2 monthly, 1 every 2 months, with jitter), some
        calls only at the second or third try; 5% have not been reached after 3-5 tries on different days and
        at different times since the last success (some with the letter sent), another 10% are simply late.
        A patient just discharged was called within two business days (80%)."""
        a = self.activity
        if status == CaseStatus.REFERRED:
            if a.random() < 0.5:
                self._missed(w, a.randint(0, days.referred), a.randint(9, 16))
            return
        if status == CaseStatus.SCREENING:
            assert days.screening is not None
            if a.random() < 0.3:
                self._missed(w, days.screening + 1, a.randint(9, 16))
            self._reached(w, days.screening, days.screening)
            return
        assert days.enrolled is not None
        window = min(days.enrolled, HISTORY_DAYS)
        if status == CaseStatus.ON_HOLD:
            assert days.on_hold is not None
            self._calls(w, days.on_hold + a.randint(0, 5), window)
        elif history.recent_discharge is not None and w.program == Program.TCM:
            if a.random() < 0.8:
                called = max(0, history.recent_discharge - a.randint(1, 2))
                if a.random() < 0.3:
                    self._missed(w, called, a.randint(8, 11))
                self._reached(w, called, window)
        else:
            self._cadence(w, window)
            for _ in range(a.choice((0, 1, 1, 2, 2, 3))):
                on = a.randint(0, min(window, 62))
                self.tables.time_entries.add(
                    organization_id=self.org_id,
                    patient_id=w.patient_id,
                    case_id=w.case_id,
                    staff_id=w.staff_id,
                    on=self.day(on),
                    activity=a.choice(TIME_ACTIVITY),
                    minutes=a.choice((5, 10, 10, 15, 15, 20, 30, 45)),
                    note=a.choice(TIME_NOTES),
                )
        self._tasks(w, window)

    def _cadence(self, w: OpenCase, window: int) -> None:
        a = self.activity
        interval = CADENCE_OVERRIDES.get((w.program, w.tier)) or DEFAULT_CADENCE_DAYS[w.tier]
        r = a.random()
        if r < UNREACHABLE:
            last = interval + a.randint(4, interval + 8)
        elif r < UNREACHABLE + OVERDUE:
            last = interval + a.randint(1, max(3, interval // 2))
        else:
            last = a.randint(0, interval)  # due today at the latest
        self._calls(w, last, window, interval)
        since = min(last, window)  # days since the last success (or enrolment)
        if r < UNREACHABLE and since >= 3:
            tries = sorted(a.sample(range(since), min(since, a.randint(3, 5))))
            bands = [*BANDS]
            a.shuffle(bands)
            for i, d in enumerate(tries):
                self._missed(w, d, a.randint(*bands[i % 3]))
            if a.random() < 0.4:  # the first step of the protocol, after the latest try
                self.tables.outreach.add(
                    case_id=w.case_id,
                    step=OutreachStep.LETTER,
                    done_at=self._moment(tries[0], 17, 30),
                    done_by_id=w.staff_id,
                    note="Letter asking the patient to call us",
                )
        elif r < UNREACHABLE + OVERDUE and since >= 1 and a.random() < 0.4:
            for d in a.sample(range(since), min(since, a.randint(1, 2))):
                self._missed(w, d, a.randint(9, 18))

    def _calls(self, w: OpenCase, last: int, window: int, interval: int = 0) -> None:
        """Reached contacts from `last` days ago back to the start of the window, at the case's cadence."""
        a = self.activity
        interval = interval or DEFAULT_CADENCE_DAYS[w.tier]
        jitter = interval // 5
        t = last
        while t <= window:
            if a.random() < MISSED_FIRST:
                for _ in range(1 if a.random() < 0.7 else 2):
                    if (before := t + a.randint(1, 3)) <= window:
                        self._missed(w, before, a.randint(8, 19))
            self._reached(w, t, window)
            t += interval + a.randint(-jitter, jitter)

    def _reached(self, w: OpenCase, days_ago: int, window: int) -> None:
        a = self.activity
        weekday = self.day(days_ago).weekday()
        if weekday >= 5 and days_ago + weekday - 4 <= window:
            days_ago += weekday - 4  # the Friday before
        caregiver = a.random() < 0.15
        inbound = a.random() < 0.12
        noted = a.random() < 0.6
        moment = self._moment(days_ago, a.randint(9, 16), a.choice(MINUTES))
        if (last := self.last_reached.get(w.patient_id)) is None or moment > last:
            self.last_reached[w.patient_id] = moment
        self.tables.contact_log.add(
            organization_id=self.org_id,
            patient_id=w.patient_id,
            case_id=w.case_id,
            staff_id=w.staff_id,
            contact_at=moment,
            mode=ContactMode.PHONE if inbound else REACHED_MODE(a),
            direction=ContactDirection.INBOUND if inbound else ContactDirection.OUTBOUND,
            party=ContactParty.CAREGIVER if caregiver else ContactParty.PATIENT,
            party_name=a.choice(CAREGIVERS) if caregiver else "",
            reached=True,
            minutes=a.randint(8, 40),
            patient_words=a.choice(PATIENT_WORDS) if noted and not caregiver else "",
            meds_taken=MEDS(a) if noted else "",
            goal_progress=a.choice(GOAL_PROGRESS) if noted else "",
            next_steps=a.choice(NEXT_STEPS),
        )

    def _missed(self, w: OpenCase, days_ago: int, hour: int) -> None:
        a = self.activity
        self.tables.contact_log.add(
            organization_id=self.org_id,
            patient_id=w.patient_id,
            case_id=w.case_id,
            staff_id=w.staff_id,
            contact_at=self._moment(days_ago, hour, a.choice(MINUTES)),
            mode=ContactMode.PHONE,
            direction=ContactDirection.OUTBOUND,
            party=ContactParty.PATIENT,
            party_name="",
            reached=False,
            minutes=a.randint(1, 3),
            patient_words="",
            meds_taken="",
            goal_progress="",
            next_steps=a.choice(NOT_REACHED),
        )

    def _tasks(self, w: OpenCase, window: int) -> None:
        """Open tasks (a few urgent, a quarter overdue, escalated as the worker's sweep would have done), done
        tasks, and now and then one waiting in the team's queue."""
        a = self.activity
        if a.random() < OPEN_TASK:
            if a.random() < 0.15:
                kind, title, priority = TaskKind.OTHER, a.choice(URGENT_TASKS), URGENT_PRIORITY(a)
                due = a.randint(1, 4) if a.random() < 0.3 else -a.randint(0, 1)
            else:
                (kind, title), priority = a.choice(ROUTINE_TASKS), TaskPriority.ROUTINE
                due = a.randint(1, 14) if a.random() < 0.25 else -a.randint(0, 21)
            urgent = priority != TaskPriority.ROUTINE
            self._task(w, kind, title, OPEN_TASK_STATUS(a), priority, due, w.staff_id, urgent=urgent)
        if a.random() < DONE_TASK:
            kind, title = a.choice(ROUTINE_TASKS)
            self._task(w, kind, title, TaskStatus.COMPLETED, TaskPriority.ROUTINE, a.randint(3, window + 3))
        if w.staff_id != self.casemanager.user_id and a.random() < QUEUE_TASK:
            kind, title = a.choice(ROUTINE_TASKS)
            self._task(w, kind, title, TaskStatus.REQUESTED, TaskPriority.ROUTINE, -a.randint(0, 5), None)

    def _task(
        self,
        w: OpenCase,
        kind: TaskKind,
        title: str,
        status: TaskStatus,
        priority: TaskPriority,
        due_days_ago: int,
        owner_id: int | None = -1,
        *,
        urgent: bool = False,
    ) -> None:
        a = self.activity
        owner = w.staff_id if owner_id == -1 else owner_id
        due_at = dt.datetime.combine(
            self.today - dt.timedelta(days=due_days_ago), dt.time(a.randint(9, 17)), tzinfo=self.tz
        )
        # Drawn whatever the branch: which branch depends on the time of day, the draws must not.
        early, sweep = dt.timedelta(hours=a.randint(0, 72)), dt.timedelta(minutes=a.randint(1, 15))
        completed_at = escalated_at = escalated_to = None
        note = ""
        if status == TaskStatus.COMPLETED:
            completed_at = min(due_at - early, self.now)
        elif due_at + self.escalation[priority] <= self.now:
            # What coordination.escalation.do_escalate_overdue_tasks would have done by now.
            escalated_at = due_at + self.escalation[priority] + sweep
            escalated_to = w.supervisor_id
            late = escalated_at - due_at
            note = (
                f"{timezone.localtime(escalated_at):%Y-%m-%d %H:%M} escalated to "
                f"{self.supervisor_names[w.supervisor_id]}: overdue by {late.days * 24 + late.seconds // 3600} h"
            )
        self.tables.tasks.add(
            organization_id=self.org_id,
            patient_id=w.patient_id,
            case_id=w.case_id,
            kind=kind,
            title=title,
            status=status,
            priority=priority,
            owner_id=owner,
            team_id=self.staff.team_ids[w.team] if owner is None else None,
            requester_id=w.supervisor_id if urgent else w.staff_id,
            due_at=due_at,
            completed_at=completed_at,
            escalated_at=escalated_at,
            escalated_to_id=escalated_to,
            note=note,
        )
