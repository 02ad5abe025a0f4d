"""A programme's outcomes for a period (issue 22): the facts read through the policy's counting rows (narrow reads,
one per kind), counted by the database (contacts), summed by patient and month with Polars (minutes) and decided by
outcomes_rules per case.

The cohort is the cases of the programme (or of every programme) referred in the period; the contacts, minutes and
goals counted are those of its enrolled patients."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field

import polars as pl
from django.db.models import Min, OuterRef, Subquery

from careconductor.accounts.models import User
from careconductor.cases.choices import Program
from careconductor.core import clock
from careconductor.privacy import policy

from . import outcomes_rules as rules

PHQ9_TOTAL = "44261-6"  # clinical.md §1: PHQ-9 total score (LOINC)


@dataclass
class Outcomes:
    programme: str  # "" for every programme
    start: dt.date
    end: dt.date  # inclusive
    funnel: rules.Funnel
    identified: list[int]  # members who entered a registry in the period
    from_registries: list[int]  # of the referred, those a registry referral opened
    median_days_to_contact: float | None
    contacts: int
    enrolled_days: float
    phq9_baseline: list[int] = field(default_factory=list)
    phq9_follow_up: list[int] = field(default_factory=list)
    phq9_response: list[int] = field(default_factory=list)
    phq9_remission: list[int] = field(default_factory=list)
    goals_met: int = 0
    goals_counted: int = 0
    ccm_minutes: int = 0
    ccm_billable_months: int = 0
    months: list[tuple[dt.date, int, int]] = field(default_factory=list)  # month, referred, enrolled
    use: dict[str, rules.Utilisation] = field(default_factory=dict)  # hospital use by group (USE_GROUPS)

    @property
    def contacts_per_case_month(self) -> float | None:
        return rules.per_case_month(self.contacts, self.enrolled_days)

    @property
    def label(self) -> str:
        return Program(self.programme).label if self.programme else "Every programme"


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def programme_outcomes(user: User, programme: str, start: dt.date, end: dt.date) -> Outcomes:
    since, until = clock.local_midnight(start), clock.local_midnight(end + dt.timedelta(days=1))
    cases = policy.outcome_counted_rows(user, "cases").filter(referred_at__gte=since, referred_at__lt=until)
    if programme:
        cases = cases.filter(program=programme)
    contacts = policy.outcome_counted_rows(user, "contacts")
    first_reached = (
        contacts.filter(patient=OuterRef("patient_id"), reached=True, contact_at__gte=OuterRef("referred_at"))
        .values("patient")
        .annotate(first=Min("contact_at"))
        .values("first")
    )
    facts = [
        rules.CaseFacts(*row)
        for row in cases.annotate(first_reached=Subquery(first_reached))
        .order_by("referred_at", "pk")
        .values_list(
            "pk",
            "patient_id",
            "referred_at",
            "enrolled_at",
            "closed_at",
            "status",
            "closure_reason",
            "first_reached",
        )
    ]
    found = rules.funnel(facts)
    referred_ids = {f.case_id for f in facts}
    registry_cases = set(
        policy.outcome_counted_rows(user, "referrals")
        .filter(case_id__in=referred_ids)
        .values_list("case_id", flat=True)
    )
    identified = sorted(
        set(
            policy.outcome_counted_rows(user, "stays")
            .filter(entered_on__gte=start, entered_on__lte=end)
            .values_list("patient_id", flat=True)
        )
    )
    outcomes = Outcomes(
        programme=programme,
        start=start,
        end=end,
        funnel=found,
        identified=identified,
        from_registries=[f.patient_id for f in facts if f.case_id in registry_cases],
        median_days_to_contact=rules.median(rules.days_to_first_contact(facts)),
        contacts=0,
        enrolled_days=0.0,
    )
    enrolled = [f for f in facts if f.enrolled_at is not None]
    _activity(user, outcomes, enrolled, since, until)
    _phq9(user, outcomes, enrolled)
    met, counted = rules.goal_counts(
        policy.outcome_counted_rows(user, "goals")
        .filter(patient_id__in=[f.patient_id for f in enrolled])
        .values_list("lifecycle", "achievement")
    )
    outcomes.goals_met, outcomes.goals_counted = met, counted
    months: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    for f in facts:
        months[_month(clock.localdate(f.referred_at))][0] += 1
        if f.enrolled_at is not None:
            months[_month(clock.localdate(f.referred_at))][1] += 1
    outcomes.months = [(m, r, e) for m, (r, e) in sorted(months.items())]
    _hospital_use(user, outcomes, enrolled, until)
    return outcomes


def _activity(
    user: User, outcomes: Outcomes, enrolled: list[rules.CaseFacts], since: dt.datetime, until: dt.datetime
) -> None:
    """The contacts with the enrolled patients in the period, and the CCM minutes by patient and month: the time
    entries and the contacts' own minutes on chronic care management cases (both count toward the month's time)."""
    outcomes.enrolled_days = sum(rules.enrolled_days(f, since, until) for f in enrolled)
    outcomes.contacts = (
        policy.outcome_counted_rows(user, "contacts")
        .filter(patient_id__in=[f.patient_id for f in enrolled], contact_at__gte=since, contact_at__lt=until)
        .count()
    )
    ccm = [f.case_id for f in enrolled] if outcomes.programme in ("", Program.CCM) else []
    entries = list(
        policy.outcome_counted_rows(user, "time")
        .filter(case_id__in=ccm, case__program=Program.CCM, on__gte=outcomes.start, on__lte=outcomes.end)
        .values_list("patient_id", "on", "minutes")
    )
    entries += [
        (patient_id, clock.localdate(at), spent)
        for patient_id, at, spent in policy.outcome_counted_rows(user, "contacts")
        .filter(
            case_id__in=ccm,
            case__program=Program.CCM,
            contact_at__gte=since,
            contact_at__lt=until,
            minutes__gt=0,
        )
        .values_list("patient_id", "contact_at", "minutes")
    ]
    minutes = pl.DataFrame(
        entries, schema={"patient_id": pl.Int64, "on": pl.Date, "minutes": pl.Int64}, orient="row"
    )
    by_month = minutes.group_by("patient_id", pl.col("on").dt.truncate("1mo").alias("month")).agg(
        pl.col("minutes").sum()
    )
    outcomes.ccm_minutes = int(minutes["minutes"].sum() or 0)
    outcomes.ccm_billable_months = rules.billable_months(
        {(p, m): t for p, m, t in by_month.select("patient_id", "month", "minutes").iter_rows()}
    )


# The hospital use table's columns and rows: key → words (the page writes its own, translatable, in this order).
USE_GROUPS = {
    "before": "before enrolment",
    "after": "after enrolment",
    "not_enrolled": "referred, not enrolled",
    "registry": "in a registry, not referred",
}
USE_EVENTS = {
    "admissions": "Hospital admissions",
    "readmissions": "30-day readmissions",
    "ed_visits": "ED visits",
}
ONE_EVENT = {
    "admissions": "a hospital admission",
    "readmissions": "a 30-day readmission",
    "ed_visits": "an ED visit",
}


def _hospital_use(
    user: User, outcomes: Outcomes, enrolled: list[rules.CaseFacts], until: dt.datetime
) -> None:
    """Admissions, readmissions and ED visits per 1,000 member-months of the enrolled before and after enrolment (the
    first enrolment of a patient in the cohort), of the referred who were not enrolled, and of the members who
    entered a registry in the period and had no case referred by its end; the comparison groups over the 365 days
    up to the period's end (or now, if sooner). Two reads: who was referred, and the encounters."""
    now = clock.now()
    first: dict[int, tuple[dt.datetime, dt.datetime | None]] = {}  # patient → their first enrolment, its end
    for f in enrolled:
        if f.enrolled_at is not None and (
            f.patient_id not in first or f.enrolled_at < first[f.patient_id][0]
        ):
            first[f.patient_id] = (f.enrolled_at, f.ended_at)
    around = [rules.windows_around_enrolment(p, at, ended, now) for p, (at, ended) in first.items()]
    ever_referred = set(
        policy.outcome_counted_rows(user, "cases")
        .filter(patient_id__in=outcomes.identified, referred_at__lt=until)
        .values_list("patient_id", flat=True)
    )
    compared_to = min(until, now)
    groups = {
        "before": [before for before, _ in around],
        "after": [after for _, after in around],
        "not_enrolled": [
            rules.window_before(p, compared_to) for p in sorted(set(outcomes.funnel.referred) - set(first))
        ],
        "registry": [
            rules.window_before(p, compared_to) for p in outcomes.identified if p not in ever_referred
        ],
    }
    windows = [w for group in groups.values() for w in group]
    visits = (
        [
            rules.Visit(*row)
            for row in policy.outcome_counted_rows(user, "encounters")
            .filter(
                patient_id__in={w.patient_id for w in windows},
                encounter_class__in=(rules.INPATIENT, rules.EMERGENCY),
                start__gte=min(w.start for w in windows) - rules.STAY_LOOKBACK,
                start__lt=max(w.end for w in windows),
            )
            .values_list("patient_id", "encounter_class", "start", "end")
        ]
        if windows
        else []
    )
    outcomes.use = {key: rules.utilisation(group, visits) for key, group in groups.items()}


def _phq9(user: User, outcomes: Outcomes, enrolled: list[rules.CaseFacts]) -> None:
    scores: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for patient_id, at, value in (
        policy.outcome_counted_rows(user, "scores")
        .filter(patient_id__in=[f.patient_id for f in enrolled], code=PHQ9_TOTAL)
        .values_list("patient_id", "effective_at", "value")
    ):
        scores[patient_id].append((at, value))
    for f in enrolled:
        assert f.enrolled_at is not None
        result = rules.phq9_at_12_weeks(f.enrolled_at, scores.get(f.patient_id, []))
        if result.baseline is None:
            continue
        outcomes.phq9_baseline.append(f.patient_id)
        if result.follow_up is not None:
            outcomes.phq9_follow_up.append(f.patient_id)
        if result.response:
            outcomes.phq9_response.append(f.patient_id)
        if result.remission:
            outcomes.phq9_remission.append(f.patient_id)


# The numbers a person can open to see the patients behind them: measure → (words, the patient ids).
def measures(outcomes: Outcomes) -> dict[str, tuple[str, list[int]]]:
    f = outcomes.funnel
    found = {
        "identified": ("Identified by a registry", outcomes.identified),
        "referred": ("Referred", f.referred),
        "from_registries": ("Referred from a registry", outcomes.from_registries),
        "reached": ("Reached", f.reached),
        "enrolled": ("Enrolled", f.enrolled),
        "ended": ("Ended", f.ended),
        "phq9_baseline": ("PHQ-9 of 10 or more at enrolment", outcomes.phq9_baseline),
        "phq9_follow_up": ("PHQ-9 again at 12 weeks", outcomes.phq9_follow_up),
        "phq9_response": ("PHQ-9 response (50 % lower)", outcomes.phq9_response),
        "phq9_remission": ("PHQ-9 remission (under 5)", outcomes.phq9_remission),
    }
    for reason, ids in sorted(f.reasons.items()):
        found[f"ended:{reason}"] = (f"Ended: {reason_words(reason)}", ids)
    for group, group_words in USE_GROUPS.items():
        use = outcomes.use.get(group, rules.Utilisation())
        found[f"members:{group}"] = (f"Members counted {group_words}", use.members)
        for event, one in ONE_EVENT.items():
            found[f"{event}:{group}"] = (f"With {one} {group_words}", sorted(set(getattr(use, event))))
    return found


def reason_words(reason: str) -> str:
    from careconductor.cases.choices import CaseStatus, ClosureReason

    if reason in ClosureReason.values:
        return str(ClosureReason(reason).label)
    return str(CaseStatus(reason).label) if reason in CaseStatus.values else reason


def _blank(value: float | None) -> float | str:
    return "" if value is None else value


def outcomes_csv(outcomes: Outcomes) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["programme", "from", "to", "measure", "value", "of"])
    base = [outcomes.label, outcomes.start.isoformat(), outcomes.end.isoformat()]
    referred = len(outcomes.funnel.referred)
    for key, (words, ids) in measures(outcomes).items():
        whole = {"phq9_follow_up": len(outcomes.phq9_baseline), "phq9_response": len(outcomes.phq9_follow_up),
                 "phq9_remission": len(outcomes.phq9_follow_up), "identified": ""}.get(key, referred)  # fmt: skip
        kind, _, group = key.partition(":")
        if kind in USE_EVENTS or kind == "members":  # patients with an event, of the group's members
            whole = "" if kind == "members" else len(outcomes.use[group].members)
        writer.writerow([*base, words, len(ids), whole])
    writer.writerow([*base, "Median days to first contact", outcomes.median_days_to_contact or "", ""])
    writer.writerow([*base, "Contacts per case per month", outcomes.contacts_per_case_month or "", ""])
    writer.writerow([*base, "Goals met", outcomes.goals_met, outcomes.goals_counted])
    writer.writerow([*base, "CCM minutes", outcomes.ccm_minutes, ""])
    writer.writerow([*base, "CCM billable months (20 minutes or more)", outcomes.ccm_billable_months, ""])
    for group, group_words in USE_GROUPS.items():
        use = outcomes.use[group]
        writer.writerow([*base, f"Member-months {group_words}", use.member_months, ""])
        for event, event_words in USE_EVENTS.items():
            rate = getattr(use, f"{event}_rate")
            writer.writerow(
                [*base, f"{event_words} {group_words}", len(getattr(use, event)), use.member_months]
            )
            writer.writerow([*base, f"{event_words} per 1,000 member-months {group_words}", _blank(rate), ""])
    return out.getvalue()
