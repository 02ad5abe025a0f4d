"""The administrator's page of a directory organisation's partner log-ins: who has one, invite someone, end one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.choices import Role
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.core.forms import post_form
from careconductor.core.requests import StaffRequest
from careconductor.directory.models import Provider
from careconductor.privacy.guards import staff_view

from . import actions
from .models import PartnerAccount


class InviteForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(label="E-mail", help_text="The one-time link to choose a password goes here.")
    username = forms.CharField(label="User name", max_length=150)


def _provider(request: StaffRequest, provider_id: int) -> Provider:
    provider = Provider.objects.filter(organization_id=request.user.org_id, pk=provider_id).first()
    if provider is None:
        raise NotVisible
    return provider


@staff_view([Role.ADMIN])
@require_http_methods(["GET", "POST"])
def partner_logins(request: StaffRequest, provider_id: int) -> HttpResponse:
    provider = _provider(request, provider_id)
    form = InviteForm(request.POST or None)

    def page() -> HttpResponse:
        accounts = (
            PartnerAccount.objects.filter(provider=provider).select_related("user").order_by("user__username")
        )
        return render(
            request,
            "referrals/partner_logins.html",
            {"provider": provider, "accounts": accounts, "form": form, "nav": "resources"},
            status=400 if form.is_bound else 200,
        )

    if request.method == "GET":
        return page()
    return post_form(
        request,
        form,
        lambda d: actions.do_invite_partner(request.user, provider, **d),
        success=lambda result: (
            f"{result[0].username} is invited: the link to choose a password was e-mailed."
        ),
        done_url=reverse("referrals:partner_logins", args=[provider.pk]),
        redisplay=page,
    )


@staff_view([Role.ADMIN])
@require_POST
def end_partner_login(request: StaffRequest, provider_id: int, account_id: int) -> HttpResponse:
    provider = _provider(request, provider_id)
    account = (
        PartnerAccount.objects.filter(provider=provider, pk=account_id)
        .select_related("user", "provider")
        .first()
    )
    if account is None:
        raise NotVisible
    try:
        actions.do_end_partner_login(request.user, account)
    except ActionRefused as refused:
        messages.error(request, " ".join(refused.errors.values()))
    else:
        messages.success(request, f"{account.user.username} can no longer log in.")
    return redirect("referrals:partner_logins", provider.pk)
