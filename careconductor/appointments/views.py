"""The staff's appointment screens: a patient's appointments with the booking form, one appointment (change it,
record what happened, book the ride, follow up a missed one), the calendar of a person or a team by day or week,
and the administrator's reminder times. Thin: parse the form, fetch through access_*, change through do_*, show
refusals beside their fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.choices import Role
from careconductor.accounts.models import Team, User
from careconductor.accounts.rules import Page, roles_for
from careconductor.chart.summary import chart_summary
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import post_form, set_choices
from careconductor.core.ids import whole_number
from careconductor.core.requests import StaffRequest
from careconductor.patients.models import Patient
from careconductor.patients.queries import access_patient
from careconductor.privacy import policy
from careconductor.privacy.guards import staff_view

from . import actions, queries
from .choices import WithKind
from .forms import AppointmentForm, OutcomeForm, ReminderSettingsForm
from .models import Appointment


def _require_change(user: User, patient: Patient) -> None:
    """Posts that change appointments refuse (403) a role that may only read the record."""
    if not policy.may(user, policy.Action.CHANGE, patient):
        raise PermissionDenied("Your role may look at these appointments but not change them.")


def _choices(user: User, patient: Patient, form: AppointmentForm) -> tuple[dict[int, User], dict[int, Any]]:
    staff = {u.pk: u for u in queries.bookable_staff(user)}
    referrals = {r.pk: r for r in queries.patient_referrals(user, patient)}
    set_choices(form, "staff", [("", "—")] + [(pk, u.display_name()) for pk, u in staff.items()])
    set_choices(
        form,
        "referral",
        [("", "—")]
        + [(pk, f"{r.recipient or r.need} ({r.get_status_display()})") for pk, r in referrals.items()],
    )
    return staff, referrals


def _initial(patient: Patient, params: Mapping[str, str], referrals: dict[int, Any]) -> dict[str, Any]:
    """What the booking form starts with: the patient's interpreter need and, from a referral's page
    (?referral=<id>), the date its service proposed, where, what for and what to bring."""
    initial: dict[str, Any] = {"interpreter_needed": patient.interpreter_needed}
    value = params.get("referral", "")
    referral = referrals.get(int(value)) if value.isascii() and value.isdigit() and len(value) < 12 else None
    if referral is not None:
        place = next(iter(referral.service.locations.all()), None) if referral.service else None
        initial |= {
            "with_kind": WithKind.SERVICE,
            "referral": referral.pk,
            "purpose": f"{referral.get_need_display()}: {referral.recipient}"[:200],
            "location": ", ".join(p for p in (place.address_1, place.city) if p) if place else "",
            "what_to_bring": referral.patient_instructions,
        }
        if referral.proposed_at:
            initial["starts_at"] = timezone.localtime(referral.proposed_at).strftime("%Y-%m-%dT%H:%M")
    return initial


def _list_url(patient_id: int) -> str:
    return reverse("appointments:list", kwargs={"patient_id": patient_id})


def _detail_url(appointment: Appointment) -> str:
    return reverse("appointments:detail", kwargs={"appointment_id": appointment.pk})


@staff_view()
@require_http_methods(["GET", "POST"])
def appointment_list(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    form = AppointmentForm(request.POST or None)
    staff, referrals = _choices(user, patient, form)
    form.initial = _initial(patient, request.GET, referrals)

    def page(status: int = 200) -> HttpResponse:
        coming, past = queries.patient_appointments(patient)
        return render(
            request,
            "appointments/list.html",
            {
                "patient": patient,
                "summary": chart_summary(patient),
                "coming": coming,
                "past": past,
                "form": form,
                "can_change": policy.may(user, policy.Action.CHANGE, patient),
                "nav": "patients",
            },
            status=status,
        )

    if request.method != "POST":
        return page()
    _require_change(user, patient)
    return post_form(
        request,
        form,
        lambda _: actions.do_book_appointment(user, patient, **form.action_fields(staff, referrals)),
        success=lambda a: f"Booked for {timezone.localtime(a.starts_at):%a %d %b at %H:%M}.",
        done_url=_detail_url,
        redisplay=lambda: page(400),
    )


def _detail_page(
    request: StaffRequest,
    appointment: Appointment,
    *,
    form: AppointmentForm | None = None,
    outcome: OutcomeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    patient = appointment.patient
    if form is None:
        form = AppointmentForm(
            initial={
                "starts_at": timezone.localtime(appointment.starts_at),
                "minutes": int((appointment.ends_at - appointment.starts_at).total_seconds() // 60),
                "staff": appointment.staff_id,
                "referral": appointment.referral_id,
                **{
                    name: getattr(appointment, name)
                    for name in actions.DETAILS
                    if name not in ("staff", "referral")
                },
            }
        )
        _choices(user, patient, form)
    now = clock.now()
    return render(
        request,
        "appointments/detail.html",
        {
            "patient": patient,
            "summary": chart_summary(patient),
            "a": appointment,
            "form": form,
            "outcome": outcome or OutcomeForm(),
            "reminders": queries.reminders_of(appointment),
            "can_change": policy.may(user, policy.Action.CHANGE, patient),
            "booked": appointment.status == "booked",
            "started": appointment.starts_at <= now,
            "ride_url": reverse("referrals:new", kwargs={"patient_id": patient.pk})
            + f"?need=transport&appointment={appointment.pk}",
            "counts_as_visit": actions.counts_as_visit(appointment),
            "nav": "patients",
        },
        status=status,
    )


@staff_view()
@require_http_methods(["GET", "POST"])
def appointment_detail(request: StaffRequest, appointment_id: int) -> HttpResponse:
    user = request.user
    appointment = queries.access_appointment(user, appointment_id)
    if request.method != "POST":
        return _detail_page(request, appointment)
    patient = appointment.patient
    _require_change(user, patient)
    form = AppointmentForm(request.POST)
    staff, referrals = _choices(user, patient, form)

    def act(_: dict[str, Any]) -> Appointment:
        fields = form.action_fields(staff, referrals)
        return actions.do_change_appointment(user, appointment, **fields)

    return post_form(
        request,
        form,
        act,
        success="The appointment is changed.",
        done_url=_detail_url,
        redisplay=lambda: _detail_page(request, appointment, form=form, status=400),
    )


@staff_view()
@require_POST
def outcome(request: StaffRequest, appointment_id: int) -> HttpResponse:
    user = request.user
    appointment = queries.access_appointment(user, appointment_id)
    _require_change(user, appointment.patient)
    form = OutcomeForm(request.POST)
    return post_form(
        request,
        form,
        lambda data: actions.do_record_outcome(
            user, appointment, status=data["status"], reason=data["reason"]
        ),
        success=lambda a: f"Recorded: {a.get_status_display().lower()}.",
        done_url=_detail_url,
        redisplay=lambda: _detail_page(request, appointment, outcome=form, status=400),
    )


@staff_view()
@require_POST
def follow_up(request: StaffRequest, appointment_id: int) -> HttpResponse:
    """The missed appointment is followed up: its worklist row goes."""
    user = request.user
    appointment = queries.access_appointment(user, appointment_id)
    _require_change(user, appointment.patient)
    try:
        actions.do_follow_up_missed(user, appointment)
    except ActionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "Followed up: it is off the worklist.")
    return redirect(_detail_url(appointment))


# --- the calendar -------------------------------------------------------------------------------------------------
def _zone(user: User) -> ZoneInfo:
    org = user.organization
    return ZoneInfo(org.time_zone if org is not None and org.time_zone else settings.TIME_ZONE)


def _parse_day(text: str) -> dt.date | None:
    """A day of a calendar worth showing (years 1900 to 2999: a week around 9999-12-31 cannot be counted)."""
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2999 else None


def _parse_id(text: str) -> int | None:
    return whole_number(text)


@staff_view(roles_for(Page.CALENDAR))
def calendar(request: StaffRequest) -> HttpResponse:
    """?view=day|week, ?day=YYYY-MM-DD, and ?staff=<id> or ?team=<id> (the viewer's own calendar by default).
    A bad value is the default (no error page for a link typed by hand)."""
    user = request.user
    zone = _zone(user)
    week = request.GET.get("view") != "day"
    day = _parse_day(request.GET.get("day", "")) or clock.now().astimezone(zone).date()
    first = day - dt.timedelta(days=day.weekday()) if week else day
    days = [first + dt.timedelta(days=n) for n in range(7 if week else 1)]
    team: Team | None = None
    team_id = _parse_id(request.GET.get("team", ""))
    teams = list(Team.objects.filter(organization_id=user.org_id).order_by("name"))
    people = list(queries.bookable_staff(user).exclude(role=Role.ADMIN))
    if team_id is not None:
        team = next((t for t in teams if t.pk == team_id), None)
    if team is not None:
        shown = [p for p in people if getattr(getattr(p, "profile", None), "team_id", None) == team.pk]
    else:
        person_id = _parse_id(request.GET.get("staff", "")) or user.pk
        shown = [p for p in people if p.pk == person_id] or [user]
    start = dt.datetime.combine(days[0], dt.time(), tzinfo=zone)
    end = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    slots = queries.calendar(user, [p.pk for p in shown], start, end)
    grid = [
        {
            "person": person,
            "days": [
                (d, [s for s in slots[person.pk] if s.appointment.starts_at.astimezone(zone).date() == d])
                for d in days
            ],
        }
        for person in shown
    ]
    step = dt.timedelta(days=7 if week else 1)
    return render(
        request,
        "appointments/calendar.html",
        {
            "grid": grid,
            "days": days,
            "week": week,
            "team": team,
            "teams": teams,
            "people": people,
            "person": shown[0] if team is None else None,
            "day": day,
            "before": first - step,
            "after": first + step,
            "today": clock.now().astimezone(zone).date(),
            "nav": "calendar",
        },
    )


# --- reminder times (administrators) ------------------------------------------------------------------------------
@staff_view(roles_for(Page.SETUP))
@require_http_methods(["GET", "POST"])
def reminder_settings(request: StaffRequest) -> HttpResponse:
    user = request.user
    current = actions.reminder_offsets(user.org_id)
    form = ReminderSettingsForm(request.POST or None, initial={"offsets": ", ".join(o.code for o in current)})

    def page(status: int = 200) -> HttpResponse:
        return render(
            request,
            "appointments/reminder_settings.html",
            {"form": form, "current": current, "default": settings.APPOINTMENT_REMINDERS, "nav": "setup"},
            status=status,
        )

    if request.method != "POST":
        return page()
    return post_form(
        request,
        form,
        lambda data: actions.do_set_reminder_offsets(user, data["offsets"].split(",")),
        success="Reminder times saved.",
        done_url=reverse("appointments:reminder_settings"),
        redisplay=lambda: page(400),
    )
