"""The people who help the patient (proxies), choosing whose record to act for, and the portal's language."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.core.forms import show_refusal
from careconductor.core.requests import PortalRequest
from careconductor.privacy import policy
from careconductor.privacy.guards import public
from careconductor.smart.actions import do_disconnect_app
from careconductor.smart.queries import connections_of

from .. import queries
from ..actions.invitations import do_grant_proxy, do_revoke_proxy
from ..context import render_portal
from ..forms import (
    ProxyForm,
)
from ..guards import LANGUAGE_KEY, LANGUAGES, PATIENT_KEY, portal_view


@portal_view
@require_http_methods(["GET", "POST"])
def people(request: PortalRequest) -> HttpResponse:
    user, patient = request.user, request.portal_patient
    own = policy.is_own_record(user, patient)
    form = ProxyForm(request.POST or None)
    link = ""
    if request.method == "POST":
        if not own:
            raise NotVisible
        if form.is_valid():
            try:
                _grant, made = do_grant_proxy(
                    user,
                    patient,
                    name=form.cleaned_data["name"],
                    relationship=form.cleaned_data["relationship"],
                    email=form.cleaned_data["email"],
                )
            except ActionRefused as exc:
                show_refusal(form, exc)
            else:
                link = request.build_absolute_uri(made.path)
                form = ProxyForm()
    status = 422 if request.method == "POST" and form.errors else 200
    return render_portal(
        request,
        "people.html",
        "home",
        status,
        own=own,
        form=form,
        link=link,
        grants=queries.active_proxies(patient),
        apps=connections_of(user),
    )


@portal_view
@require_POST
def disconnect(request: PortalRequest, app_id: int) -> HttpResponse:
    """Take back what the person allowed an app (their own access through it, whoever's record it reached)."""
    found = next((c.app for c in connections_of(request.user) if c.app.pk == app_id), None)
    if found is None:
        raise NotVisible
    try:
        do_disconnect_app(request.user, found)
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(app)s can no longer use your record.") % {"app": found.client.name})
    return redirect("portal:people")


@portal_view
@require_POST
def revoke(request: PortalRequest, proxy_id: int) -> HttpResponse:
    user, patient = request.user, request.portal_patient
    grant = queries.access_grant(user, proxy_id)
    if grant.patient_id != patient.pk:
        raise NotVisible
    try:
        do_revoke_proxy(user, grant)
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(name)s can no longer use your portal.") % {"name": grant.name})
    if grant.proxy_id == user.pk and not policy.is_own_record(user, patient):
        request.session.pop(PATIENT_KEY, None)
        return redirect("portal:home")
    return redirect("portal:people")


@portal_view
@require_http_methods(["GET", "POST"])
def switch(request: PortalRequest) -> HttpResponse:
    choices = request.portal_choices
    if request.method == "POST":
        wanted = request.POST.get("patient", "")
        chosen = next((p for p in choices if str(p.pk) == wanted), None)
        if chosen is None:
            raise NotVisible
        request.session[PATIENT_KEY] = chosen.pk
        return redirect("portal:home")
    return render_portal(request, "switch.html", "home", choices=choices)


@public
@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """The portal's language for this session (the switch on every page). Works before log-in too."""
    chosen = request.POST.get("language", "")
    if chosen in LANGUAGES:
        request.session[LANGUAGE_KEY] = chosen
    back = request.META.get("HTTP_REFERER", "")
    site = request.build_absolute_uri("/")
    return redirect(back if back.startswith(site) else reverse("portal:home"))
