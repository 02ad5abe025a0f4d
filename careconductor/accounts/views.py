from __future__ import annotations

import base64
import io

import django_otp
import qrcode
import qrcode.image.svg
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from careconductor.core.errors import ActionRefused
from careconductor.core.forms import post_form
from careconductor.core.requests import StaffRequest
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.guards import public, signed_in_view, staff_view

from .actions import (
    do_begin_totp_enrolment,
    do_confirm_totp,
    do_regenerate_recovery_codes,
    do_set_mfa_roles,
    do_verify_second_factor,
)
from .choices import Role
from .forms import AuthenticatorSetupForm, LoginForm, SecondFactorForm, SecurityPolicyForm
from .rules import Page, roles_for

login_view = public(
    auth_views.LoginView.as_view(redirect_authenticated_user=True, authentication_form=LoginForm)
)
logout_view = public(auth_views.LogoutView.as_view())


def _next(request: StaffRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    # A path on this site only: redirect() would take a bare word ("cases") for a view name and fail.
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return "/"


@signed_in_view
@require_GET
def home(request: StaffRequest) -> HttpResponse:
    """Only sends each person to where their day starts; each page there has its own guard."""
    from careconductor.administration.queries import setup_incomplete  # the set-up app sits above accounts

    if setup_incomplete(request.user):
        return redirect("administration:start")  # a new organisation's first morning: the checklist
    if request.user.role in (Role.CASE_MANAGER, Role.SUPERVISOR, Role.ADMIN, Role.CARE_TEAM):
        return redirect("coordination:worklist")  # the day starts on the worklist
    if request.user.role == Role.PATIENT:
        return redirect("portal:home")
    if request.user.role == Role.PARTNER:
        return redirect("referrals:partner_home")
    if request.user.role == Role.POPULATION_HEALTH:
        return redirect("population:home")
    return redirect("patients:list")


@signed_in_view
@require_http_methods(["GET", "POST"])
def second_factor(request: StaffRequest) -> HttpResponse:
    """After the password: the authenticator code (or a recovery code). Sends to set-up if there is none."""
    user = request.user
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(_next(request))
    if not any(devices_for_user(user, confirmed=True)):
        return redirect(f"{reverse('second_factor_setup')}?{urlencode({'next': _next(request)})}")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = do_verify_second_factor(user, form.cleaned_data["token"])
        except ActionRefused as exc:
            form.add_error("token", exc.errors.get("token", str(exc)))
        else:
            django_otp.login(request, device)
            return redirect(_next(request))
    return render(request, "registration/second_factor.html", {"form": form, "next": _next(request)})


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


@signed_in_view
@require_http_methods(["GET", "POST"])
def second_factor_setup(request: StaffRequest) -> HttpResponse:
    user = request.user
    has_authenticator = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    if has_authenticator and not user.is_verified():  # type: ignore[attr-defined]
        # Replacing an authenticator needs the current one first, or a stolen password would be enough.
        audit.record(
            user, AuditAction.REFUSED, object_type="MfaDevice", detail="set-up without second factor"
        )
        return redirect(f"{reverse('second_factor')}?{urlencode({'next': _next(request)})}")
    device = do_begin_totp_enrolment(user)
    form = AuthenticatorSetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = do_confirm_totp(user, device, form.cleaned_data["token"])
        except ActionRefused as exc:
            form.add_error("token", exc.errors.get("token", str(exc)))
        else:
            django_otp.login(request, device)
            return render(
                request, "registration/recovery_codes.html", {"codes": codes, "next": _next(request)}
            )
    return render(
        request,
        "registration/second_factor_setup.html",
        {
            "form": form,
            "qr": mark_safe(_qr_svg(device.config_url)),  # our own SVG, no user input in it
            "secret": _base32(device.bin_key),
            "next": _next(request),
            "replacing": has_authenticator,
        },
    )


def _base32(key: bytes) -> str:
    """The key as people type it into an app without a camera: base32 in groups of four."""
    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@staff_view()
@require_POST
def new_recovery_codes(request: StaffRequest) -> HttpResponse:
    codes = do_regenerate_recovery_codes(request.user)
    return render(request, "registration/recovery_codes.html", {"codes": codes, "next": "/"})


@staff_view(roles_for(Page.SETUP))
@require_http_methods(["GET", "POST"])
def security_settings(request: StaffRequest) -> HttpResponse:
    organization = request.user.organization
    assert organization is not None
    form = SecurityPolicyForm(
        request.POST or None, initial={"mfa_required_roles": organization.mfa_required_roles}
    )

    def page() -> HttpResponse:
        status = 400 if form.is_bound else 200  # a refused change answers like the other forms' refusals
        return render(
            request, "accounts/security_settings.html", {"form": form, "nav": "security"}, status=status
        )

    if request.method != "POST":
        return page()
    return post_form(
        request,
        form,
        lambda data: do_set_mfa_roles(request.user, organization, data["mfa_required_roles"]),
        success="Second-factor requirements saved.",
        done_url="security_settings",
        redisplay=page,
    )
