"""The administrator's Connected apps pages (register, see last use, revoke) and the chart's app launcher.
Thin views: each POST is one action (actions.py)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from careconductor.accounts.rules import Page, roles_for
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.core.requests import StaffRequest
from careconductor.patients.queries import access_patient
from careconductor.privacy.guards import staff_view
from careconductor.privacy.middleware import content_security_policy

from . import actions, queries
from .discovery import fhir_base, origin
from .forms import RegisterAppForm

admin_view = staff_view(roles_for(Page.SETUP))


@admin_view
@require_http_methods(["GET", "POST"])
def apps(request: StaffRequest) -> HttpResponse:
    """Every app and system feed of the organisation with its last use, and the form to register one."""
    user = request.user
    assert user.organization_id is not None
    form = RegisterAppForm(request.POST or None, organization_id=user.organization_id)
    if request.method == "POST" and form.is_valid():
        try:
            registered = actions.do_register_app(user, actions.AppDetails(**form.cleaned_data))
        except ActionRefused as refusal:
            show_refusal(form, refusal)
        else:
            if registered.client_secret:
                # Shown once, on the next page; only its hash is kept.
                request.session["smart_secret"] = [registered.app.pk, registered.client_secret]
            messages.success(request, f"{registered.app.client.name} registered.")
            return redirect("smart:app", app_id=registered.app.pk)
    context = {"nav": "setup", "apps": queries.apps_of(user), "form": form}
    return render(request, "smart/apps.html", context, status=400 if request.method == "POST" else 200)


@admin_view
@require_http_methods(["GET", "POST"])
def app(request: StaffRequest, app_id: int) -> HttpResponse:
    user = request.user
    found = queries.app_of(user, app_id)
    if found is None:
        raise Http404
    if request.method == "POST":
        try:
            actions.do_revoke_app(user, found)
        except ActionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, f"{found.client.name} revoked: its tokens no longer work.")
        return redirect("smart:app", app_id=found.pk)
    shown = request.session.pop("smart_secret", None)
    secret = shown[1] if shown and shown[0] == found.pk else ""
    context = {
        "nav": "setup",
        "app": found,
        "secret": secret,
        "tokens": queries.tokens_in_force(found),
        "fhir_base": fhir_base(request),
        "configuration": request.build_absolute_uri("/fhir/r4/.well-known/smart-configuration"),
    }
    return render(request, "smart/app.html", context)


@staff_view()
@require_http_methods(["GET", "POST"])
def launcher(request: StaffRequest, patient_id: int) -> HttpResponse:
    """The apps that can be opened for this patient; POST opens one (an EHR launch)."""
    user = request.user
    patient = access_patient(user, patient_id)
    choices = queries.launchable(user)
    if request.method == "POST":
        chosen = next((a for a in choices if str(a.pk) == request.POST.get("app", "")), None)
        if chosen is None:
            messages.error(request, "Choose an app.")
            return redirect("smart:launcher", patient_id=patient.pk)
        launch = actions.do_launch(user, chosen, patient)
        query = urlencode({"iss": fhir_base(request), "launch": launch.key})
        joiner = "&" if "?" in chosen.launch_url else "?"
        return redirect(f"{chosen.launch_url}{joiner}{query}")
    page = render(request, "smart/launcher.html", {"nav": "patients", "patient": patient, "apps": choices})
    # Opening an app leaves for its launch address: browsers hold a form's redirect to form-action.
    page["Content-Security-Policy"] = content_security_policy(origin(a.launch_url) for a in choices)
    return page
