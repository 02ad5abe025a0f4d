"""The administrator's area: the first-run checklist, the organisation, teams and staff. Thin views: each POST
is one action (actions.py, staff.py), refusals show beside their fields."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from careconductor.accounts.choices import Role
from careconductor.accounts.models import Team, User
from careconductor.accounts.rules import Page, roles_for
from careconductor.assessments.rules import DEFAULT_INTERVALS
from careconductor.cases.choices import Program
from careconductor.cases.programs import ProgramRules, do_set_program_rules, rules_by_program
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import post_form, show_refusal
from careconductor.core.languages import language_name
from careconductor.core.requests import StaffRequest
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.guards import public, staff_view

from . import forms, queries
from .actions import OrganizationDetails, TeamDetails, do_save_team, do_update_organization
from .staff import (
    OpenWork,
    StaffDetails,
    do_deactivate_staff,
    do_invite_staff,
    do_reactivate_staff,
    do_resend_invitation,
    do_update_staff,
    open_work,
)

admin_view = staff_view(roles_for(Page.SETUP))


def _page(
    request: StaffRequest, template: str, context: dict[str, Any], *, failed: bool = False
) -> HttpResponse:
    return render(
        request, f"administration/{template}", {"nav": "setup", **context}, status=400 if failed else 200
    )


@admin_view
@require_http_methods(["GET"])
def start(request: StaffRequest) -> HttpResponse:
    org = request.user.organization
    assert org is not None
    steps = queries.checklist(org)
    return _page(request, "start.html", {"steps": steps, "all_done": all(s.done for s in steps), "org": org})


@admin_view
@require_http_methods(["GET", "POST"])
def organization(request: StaffRequest) -> HttpResponse:
    user = request.user
    org = user.organization
    assert org is not None
    form = forms.OrganizationForm(
        request.POST or None,
        initial={
            "name": org.name,
            "phone": org.phone,
            "after_hours_phone": org.after_hours_phone,
            "time_zone": org.time_zone,
            "address": org.address,
        },
    )

    def page() -> HttpResponse:
        context = {"form": form, "country": settings.HOLIDAY_COUNTRY}
        return _page(request, "organization.html", context, failed=request.method == "POST")

    if request.method == "POST":
        return post_form(
            request,
            form,
            lambda data: do_update_organization(user, OrganizationDetails(**data)),
            success="Organisation saved.",
            done_url="administration:start",
            redisplay=page,
        )
    return page()


def _own_team(user: User, team_id: int | None) -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id, organization_id=user.org_id).first()
    if team is None:
        raise Http404
    return team


@admin_view
@require_http_methods(["GET", "POST"])
def teams(request: StaffRequest, team_id: int | None = None) -> HttpResponse:
    """The organisation's teams, and the form for a new team or (with team_id) for changing one."""
    user = request.user
    team = _own_team(user, team_id)
    initial = {"name": team.name, "supervisor": team.supervisor_id, "programs": team.programs} if team else {}
    form = forms.TeamForm(request.POST or None, initial=initial, organization_id=user.org_id)

    def page() -> HttpResponse:
        teams = [(t, [Program(p).label for p in t.programs]) for t in queries.teams_of(user.org_id)]
        context = {"teams": teams, "form": form, "team": team}
        return _page(request, "teams.html", context, failed=request.method == "POST")

    if request.method == "POST":
        return post_form(
            request,
            form,
            lambda data: do_save_team(user, TeamDetails(**data), team),
            success=lambda saved: f"Team {saved.name} saved.",
            done_url="administration:teams",
            redisplay=page,
        )
    return page()


def _details(data: dict[str, Any]) -> StaffDetails:
    fields = {k: v for k, v in data.items() if k != "username"}
    return StaffDetails(**fields)


@admin_view
@require_http_methods(["GET"])
def staff(request: StaffRequest) -> HttpResponse:
    user = request.user
    return _page(
        request,
        "staff.html",
        {
            "staff": [
                (m, [language_name(c) for c in (getattr(m, "profile", None) and m.profile.languages) or []])
                for m in queries.staff_of(user.org_id)
            ],
            "former": queries.staff_of(user.org_id, active=False),
            "invited_link": request.session.pop("invited_link", ""),
        },
    )


@admin_view
@require_http_methods(["GET", "POST"])
def invite(request: StaffRequest) -> HttpResponse:
    user = request.user
    form = forms.InviteForm(request.POST or None, organization_id=user.org_id)

    def invite_and_show_link(data: dict[str, Any]) -> User:
        member, path = do_invite_staff(user, data["username"], _details(data))
        request.session["invited_link"] = request.build_absolute_uri(path)  # the staff page shows it once
        return member

    if request.method == "POST":
        return post_form(
            request,
            form,
            invite_and_show_link,
            success=lambda member: f"{member.display_name()} is invited: the link went to {member.email}.",
            done_url="administration:staff",
            redisplay=lambda: _page(request, "invite.html", {"form": form}, failed=True),
        )
    return _page(request, "invite.html", {"form": form})


def _own_staff(user: User, staff_id: int) -> User:
    member = (
        User.objects.filter(pk=staff_id, organization_id=user.org_id)
        .exclude(role=Role.PATIENT)
        .select_related("profile")
        .first()
    )
    if member is None:
        raise Http404
    return member


def _profile_initial(member: User) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "role": member.role,
    }
    profile = getattr(member, "profile", None)
    if profile is not None:
        for name in (
            "discipline",
            "credentials",
            "experience_level",
            "caseload_capacity",
            "languages",
            "work_phone",
        ):
            initial[name] = getattr(profile, name)
        initial["team"] = profile.team_id
    return initial


@admin_view
@require_http_methods(["GET", "POST"])
def staff_member(request: StaffRequest, staff_id: int) -> HttpResponse:
    """One person: their profile (form "profile"), a new invitation link ("resend"), deactivation with the
    hand-over of their open work ("deactivate") and reactivation ("reactivate")."""
    user = request.user
    member = _own_staff(user, staff_id)
    which = request.POST.get("form", "")
    form = forms.StaffForm(
        request.POST if which == "profile" else None,
        initial=_profile_initial(member),
        organization_id=user.org_id,
    )
    leave = forms.DeactivateForm(request.POST if which == "deactivate" else None, member=member)

    def page() -> HttpResponse:
        context = {"member": member, "form": form, "leave": leave, "work": open_work(member)}
        return _page(request, "staff_member.html", context, failed=request.method == "POST")

    def deactivated(work: OpenWork) -> str:
        handed = f" {len(work.cases)} cases and {len(work.tasks)} tasks handed over." if work else ""
        return f"{member.display_name()} is deactivated.{handed}"

    if which == "profile":
        return post_form(
            request,
            form,
            lambda data: do_update_staff(user, member, _details(data)),
            success="Saved.",
            done_url="administration:staff",
            redisplay=page,
        )
    if which == "deactivate":
        return post_form(
            request,
            leave,
            lambda data: do_deactivate_staff(user, member, **data),
            success=deactivated,
            done_url="administration:staff",
            redisplay=page,
        )
    # The two buttons without a form: a refusal shows above the profile form.
    try:
        if which == "resend":
            request.session["invited_link"] = request.build_absolute_uri(do_resend_invitation(user, member))
            messages.success(request, f"A new link went to {member.email}.")
            return redirect("administration:staff")
        if which == "reactivate":
            do_reactivate_staff(user, member)
            messages.success(request, f"{member.display_name()} can log in again.")
            return redirect("administration:staff")
    except ActionRefused as exc:
        show_refusal(form, exc)
    return page()


def _rules_initial(rules: ProgramRules) -> dict[str, Any]:
    defaults = {i.slug: i.days for i in DEFAULT_INTERVALS}
    initial: dict[str, Any] = {
        "program": rules.program,
        "plan_approval": rules.plan_approval,
        "closure_approval": rules.closure_approval,
        "discharge_referral_lace": rules.discharge_referral_lace,
    }
    for slug, name in forms.ProgramRulesForm.SLUG_FIELDS.items():
        initial[name] = rules.reassessment_days.get(slug, defaults[slug])
    return initial


@admin_view
@require_http_methods(["GET", "POST"])
def programs(request: StaffRequest) -> HttpResponse:
    """Each programme's rules for this organisation: approvals and reassessment intervals."""
    user = request.user
    posted = request.POST.get("program") if request.method == "POST" else None
    cards, bound = [], {}
    for program, rules in rules_by_program(user.org_id).items():
        form = forms.ProgramRulesForm(
            request.POST if posted == program else None, initial=_rules_initial(rules), prefix=None
        )
        if posted == program:
            bound[program] = form
        cards.append((Program(program).label, rules.customised, form))

    def page() -> HttpResponse:
        return _page(request, "programs.html", {"cards": cards}, failed=posted is not None)

    if posted is None or posted not in bound:
        return page()
    form = bound[posted]
    return post_form(
        request,
        form,
        lambda data: do_set_program_rules(
            user,
            posted,
            plan_approval=data["plan_approval"],
            closure_approval=data["closure_approval"],
            reassessment_days=form.reassessment_days(),
            discharge_referral_lace=data["discharge_referral_lace"],
        ),
        success=f"{Program(posted).label}: saved.",
        done_url="administration:programs",
        redisplay=page,
    )


class WelcomeView(auth_views.PasswordResetConfirmView):
    """A new staff member follows the one-time link and chooses a password (Django's password-reset view:
    the token ends when a password is set or after STAFF_INVITATION_DAYS)."""

    template_name = "administration/welcome.html"
    success_url = reverse_lazy("login")
    post_reset_login = False

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        audit.record(
            form.user, AuditAction.UPDATE, obj=form.user, object_type="User", detail="password chosen"
        )
        messages.success(self.request, "Your password is set. Log in with your user name and it.")
        return response


welcome = public(WelcomeView.as_view())
