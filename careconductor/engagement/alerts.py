"""The alerts a patient's own report raises or updates (a flag on the chart and a task for the case manager),
called by the reporting actions inside their transaction. One alert per rule and patient stays open until someone
acknowledges it: a new report past the limit updates it, and tells the owner again when it is worse (a value
further past the limit, a new symptom)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence, Set
from decimal import Decimal

from django.db.models import Max, Min
from django.utils import timezone

from careconductor.accounts.models import User
from careconductor.careplans.choices import ReadingSource
from careconductor.careplans.models import Reading
from careconductor.coordination.actions import do_create_task, do_raise_flag
from careconductor.coordination.alerts import do_update_alert
from careconductor.coordination.choices import FlagCategory, FlagStatus, TaskKind, TaskPriority
from careconductor.coordination.models import Flag
from careconductor.core import clock
from careconductor.patients.models import Patient

from . import rules
from .choices import CheckInKind
from .models import CheckIn, Message
from .queries import case_manager_for


def alert(
    user: User,
    patient: Patient,
    breach: rules.Breach,
    focus: str,
    *,
    readings: Sequence[Reading] = (),
    symptoms: Set[str] = frozenset(),
    report_pk: int | None = None,
) -> None:
    """Raise the breach's alert, or update the open one. `readings`: the report's (saved) readings; `symptoms`:
    what this report says (a check-in's, a message's); `report_pk`: the check-in or message itself, left out of
    what was reported before."""
    values = {r.measure: r.value for r in readings}
    flag = Flag.objects.filter(patient=patient, rule=breach.rule, status=FlagStatus.ACTIVE).first()
    since = min(flag.raised_at, _start_of_today()) if flag is not None else _start_of_today()
    earlier_symptoms = _symptoms_since(patient, breach.rule, since, report_pk)
    if breach.rule == rules.MESSAGE_RULE:
        # The messages' alert names every symptom they mentioned since it opened, the gravest deciding.
        breach = rules.message_breach([s for s in rules.MESSAGE_WORDS if s in earlier_symptoms | symptoms])
        text = breach.staff_text
    else:
        text = rules.alert_text(breach.staff_text, earlier_symptoms | symptoms)
    priority = TaskPriority.ASAP if breach.emergency else TaskPriority.URGENT
    if flag is not None:
        measures, direction = rules.ALERT_MEASURES.get(breach.rule, ((), 1))
        # From just before the alert: the reading that raised it was saved a moment before the flag.
        opened = flag.raised_at - dt.timedelta(minutes=1)
        earlier = _extremes(patient, measures, direction, opened, readings)
        worse = rules.is_worse(direction, earlier, values, earlier_symptoms, symptoms)
        updated = do_update_alert(
            user,
            flag,
            text=text,
            focus=focus,
            title=_title(breach, text),
            note=f"{'Worse: ' if worse else 'Another report: '}{text}.",
            worse=worse,
            priority=priority,
        )
        if updated is not None:
            return
    else:
        flag = do_raise_flag(
            user,
            patient,
            text=text,
            category=FlagCategory.SAFETY if breach.safety else FlagCategory.CLINICAL,
            rule=breach.rule,
            focus=focus,
        )
    manager = case_manager_for(patient)
    if manager is None:
        return  # no one holds the case: the flag shows on the chart and the worklists of the care team
    now = clock.now()
    told = f" The patient was told: {breach.instruction}" if breach.instruction else ""
    do_create_task(
        user,
        patient,
        owner=manager,
        title=_title(breach, text),
        due_at=now + dt.timedelta(hours=1 if breach.emergency else 2),
        kind=TaskKind.SELF_REPORT,
        priority=priority,
        description=f"Reported in the portal by {user.display_name()} at {timezone.localtime(now):%H:%M}.{told}",
        rule=breach.rule,
        focus=focus or f"Flag/{flag.pk}",
    )


def add_symptoms_to_open_alerts(user: User, patient: Patient, check_in: CheckIn, skip_rule: str = "") -> None:
    """A check-in whose symptoms are new while a reading's alert is open (a headache with a blood pressure past
    its limit): the alert says so and its owner hears of it again."""
    if not check_in.symptoms:
        return
    for flag in Flag.objects.filter(patient=patient, status=FlagStatus.ACTIVE, rule__in=rules.ALERT_MEASURES):
        if flag.rule == skip_rule:
            continue
        earlier = _symptoms_since(patient, flag.rule, min(flag.raised_at, _start_of_today()), check_in.pk)
        new = set(check_in.symptoms)
        if not new - earlier:
            continue
        base = flag.text.split("; also reports ")[0]
        text = rules.alert_text(base, earlier | new)
        do_update_alert(
            user,
            flag,
            text=text,
            focus=flag.focus,
            title=f"Call the patient: {text[:150]}",
            note=f"Worse: {text}.",
            worse=True,
        )


def _title(breach: rules.Breach, text: str) -> str:
    if breach.rule == rules.MESSAGE_RULE:
        return f"Read the patient's message now: {text[:150]}"
    return f"Call the patient: {text[:150]}"


def _start_of_today() -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(clock.today(), dt.time(0)))


def _symptoms_since(patient: Patient, rule: str, since: dt.datetime, exclude_pk: int | None) -> set[str]:
    """Symptoms reported since `since`: in check-ins, and for a message alert in the patient's messages."""
    if rule == rules.MESSAGE_RULE:
        messages = Message.objects.filter(patient=patient, from_patient=True, sent_at__gte=since)
        texts = messages.exclude(pk=exclude_pk or 0).values_list("subject", "body")
        return {s for subject, body in texts for s in rules.message_symptoms(f"{subject}\n{body}")}
    check_ins = CheckIn.objects.filter(patient=patient, kind=CheckInKind.WELLBEING, reported_at__gte=since)
    return {
        s for row in check_ins.exclude(pk=exclude_pk or 0).values_list("symptoms", flat=True) for s in row
    }


def _extremes(
    patient: Patient, measures: tuple[str, ...], direction: int, since: dt.datetime, report: Sequence[Reading]
) -> dict[str, Decimal]:
    """The highest (or lowest) self-reported value of each measure since the alert opened, before this report."""
    if not measures:
        return {}
    rows = (
        Reading.objects.filter(
            patient=patient, measure__in=measures, source=ReadingSource.SELF_REPORT, created_at__gte=since
        )
        .exclude(pk__in=[r.pk for r in report])
        .values("measure")
        .annotate(extreme=Max("value") if direction > 0 else Min("value"))
        .order_by()
    )
    return {row["measure"]: row["extreme"] for row in rows}
