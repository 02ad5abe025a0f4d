"""The user's notifications and their choice of e-mail and SMS per kind. Only ever the user's own."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.core.requests import StaffRequest
from careconductor.privacy.guards import staff_view

from .choices import NotificationKind
from .inbox import INBOX_KINDS
from .notify import (
    Choice,
    do_mark_all_read,
    do_mark_read,
    do_set_preferences,
    kinds_for,
    preferences,
    recent,
    work_phone,
)

LIST_LIMIT = 100


class NotificationSettingsForm(forms.Form):
    """Two checkboxes per kind the user can get (notify.kinds_for): `<kind>_email` and `<kind>_sms`."""

    def __init__(self, *args: Any, kinds: tuple[NotificationKind, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        for kind in kinds:
            self.fields[f"{kind.value}_email"] = forms.BooleanField(required=False, label="E-mail")
            self.fields[f"{kind.value}_sms"] = forms.BooleanField(required=False, label="Text message (SMS)")

    def rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(kind.label, self[f"{kind.value}_email"], self[f"{kind.value}_sms"]) for kind in self.kinds]

    def choices(self) -> dict[str, Choice]:
        data = self.cleaned_data
        return {
            kind.value: Choice(data[f"{kind.value}_email"], data[f"{kind.value}_sms"]) for kind in self.kinds
        }


@staff_view()
@require_http_methods(["GET"])
def notification_list(request: StaffRequest) -> HttpResponse:
    items = list(recent(request.user, LIST_LIMIT))
    unread = sum(1 for n in items if n.read_at is None)
    in_inbox = sum(1 for n in items if n.read_at is None and n.kind in INBOX_KINDS)
    return render(
        request,
        "coordination/notifications.html",
        {
            "notifications": items,
            "unread": unread,
            "in_inbox": in_inbox,
            "limit": LIST_LIMIT,
            "nav": "notifications",
        },
    )


@staff_view()
@require_POST
def mark_read(request: StaffRequest, notification_id: int) -> HttpResponse:
    """Mark one read; with `next` (the "Open" button) go on to what it is about."""
    do_mark_read(request.user, notification_id)
    return redirect_onward(request, "notifications:list")


def redirect_onward(request: HttpRequest, fallback: str) -> HttpResponse:
    """To the posted `next` (what a notification is about) when it is a path on this site, else `fallback`."""
    target = request.POST.get("next", "")
    # A path on this site only. Not redirect(): it would try a bare word as a URL name and fail.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect(fallback)


@staff_view()
@require_POST
def mark_all_read(request: StaffRequest) -> HttpResponse:
    count = do_mark_all_read(request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("notifications:list")


@staff_view()
@require_http_methods(["GET", "POST"])
def notification_settings(request: StaffRequest) -> HttpResponse:
    user = request.user
    initial: dict[str, bool] = {}
    for kind, choice in preferences(user).items():
        initial[f"{kind}_email"] = choice.email
        initial[f"{kind}_sms"] = choice.sms
    form = NotificationSettingsForm(request.POST or None, initial=initial, kinds=kinds_for(user.role))
    if request.method == "POST" and form.is_valid():
        try:
            do_set_preferences(user, form.choices())
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, "Notification choices saved.")
            return redirect("notifications:settings")
    status = 400 if form.is_bound else 200
    return render(
        request,
        "coordination/notification_settings.html",
        {"form": form, "email": user.email, "phone": work_phone(user), "nav": "notifications"},
        status=status,
    )
