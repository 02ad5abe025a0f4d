"""The invitation link: making a portal log-in for the patient or a proxy they chose."""

from __future__ import annotations

from django.contrib.auth import login as auth_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.privacy.guards import public

from ..actions.invitations import do_accept_invitation, open_invitation
from ..forms import (
    JoinForm,
)
from ..guards import LANGUAGE_KEY, PATIENT_KEY, portal_language


@public
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, secret: str) -> HttpResponse:
    """Make a portal log-in from an invitation: the patient (who proves it with their date of birth) or a
    proxy the patient chose. A proxy who already has a portal log-in can use it instead."""
    from django.utils import translation

    invitation = open_invitation(secret)
    language_code = portal_language(request, invitation.patient.preferred_language if invitation else "")
    with translation.override(language_code):
        if invitation is None:
            return render(request, "engagement/portal/join_expired.html", {}, status=404)
        for_patient = invitation.kind == "patient"
        user = request.user
        # A proxy who already has a portal log-in, signed in, takes on the invitation with it.
        existing = user if user.is_authenticated and user.role == "patient" and not for_patient else None
        signed_in = existing is not None
        form = JoinForm(request.POST or None, for_patient=for_patient)
        if request.method == "POST" and (signed_in or form.is_valid()):
            data = form.cleaned_data if not signed_in else {}
            try:
                login = do_accept_invitation(
                    secret,
                    username=data.get("username", ""),
                    password=data.get("password", ""),
                    birth_date=data.get("birth_date"),
                    first_name=data.get("first_name", ""),
                    last_name=data.get("last_name", ""),
                    existing=existing,
                )
            except ActionRefused as exc:
                show_refusal(form, exc)
            else:
                if not signed_in:
                    auth_login(request, login, backend="careconductor.core.zones.UserWithOrganizationBackend")
                request.session[PATIENT_KEY] = invitation.patient_id
                request.session[LANGUAGE_KEY] = language_code
                return redirect("portal:home")
        status = 422 if request.method == "POST" else 200
        return render(
            request,
            "engagement/portal/join.html",
            {
                "form": form,
                "for_patient": for_patient,
                "signed_in": signed_in,
                "proxy_name": invitation.grant.name if invitation.grant else "",
                "patient_first": invitation.patient.given_name,
                "expires": invitation.expires_at,
            },
            status=status,
        )
