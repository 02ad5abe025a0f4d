"""Cover for leave on screens: the covers running or to come, recording one, ending one."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.accounts.rules import Page, roles_for
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.core.ids import whole_number
from careconductor.core.requests import StaffRequest
from careconductor.privacy.guards import staff_view

from .cover import cover_people, current_covers, do_end_cover, do_record_cover
from .forms import CoverForm
from .models import Cover

CASE_STAFF = [Role.CASE_MANAGER, Role.SUPERVISOR, Role.ADMIN]


def may_end(user: User, cover: Cover) -> bool:
    """`cover.may_arrange_cover` on a cover read with its absent person's team (no query)."""
    if user.role == Role.ADMIN or cover.absent_id == user.pk:
        return True
    profile = getattr(cover.absent, "profile", None)
    return (
        user.role == Role.SUPERVISOR
        and profile is not None
        and profile.team is not None
        and (profile.team.supervisor_id == user.pk)
    )


def _person(user: User, pk: int | None) -> User | None:
    return User.objects.filter(pk=pk or 0, organization_id=user.org_id).first()


@staff_view(CASE_STAFF)
@require_http_methods(["GET", "POST"])
def covers_view(request: StaffRequest) -> HttpResponse:
    user = request.user
    absent, delegates = cover_people(user)
    form = CoverForm(
        request.POST or None,
        absent=absent,
        delegates=[d for d in delegates if d[0] != user.pk] if user.role == Role.CASE_MANAGER else delegates,
        initial={"absent": user.pk if user.role != Role.ADMIN else None, "start_date": clock.today()},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                cover = do_record_cover(
                    user,
                    absent=_person(user, data["absent"]),
                    delegate=_person(user, data["delegate"]),
                    start_date=data["start_date"],
                    end_date=data["end_date"],
                    note=data["note"],
                )
            except ActionRefused as exc:
                show_refusal(form, exc)
            else:
                messages.success(
                    request,
                    f"{cover.delegate.display_name()} covers for {cover.absent.display_name()} "
                    f"from {cover.start_date:%d %b} to {cover.end_date:%d %b %Y}.",
                )
                return redirect("cases:covers")
    return render(
        request,
        "cases/covers.html",
        {
            "nav": "caseloads" if user.role in roles_for(Page.CASELOADS) else "cases",
            "covers": [(c, may_end(user, c)) for c in current_covers(user)],
            "form": form,
            "today": clock.today(),
        },
        status=status,
    )


@staff_view(CASE_STAFF)
@require_POST
def cover_end_view(request: StaffRequest) -> HttpResponse:
    user = request.user
    raw = request.POST.get("cover", "")
    cover = current_covers(user).filter(pk=pk).first() if (pk := whole_number(raw)) is not None else None
    if cover is None:
        raise Http404("No such cover")
    try:
        do_end_cover(user, cover)
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The cover for {cover.absent.display_name()} has ended.")
    return redirect("cases:covers")
