"""The OAuth endpoints people and apps meet: /oauth/authorize (the consent screen, with a patient picker) and
/oauth/token. django-oauth-toolkit does the protocol (PKCE, codes, tokens); this module decides who may allow
what, for which patient, and says so in plain words."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.views import TokenView as ToolkitTokenView
from oauth2_provider.views.mixins import OAuthLibMixin

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.core.errors import ActionRefused
from careconductor.core.ids import whole_number
from careconductor.engagement.guards import portal_language
from careconductor.patients.models import Patient
from careconductor.patients.queries import search_patients
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction, AuditOutcome
from careconductor.privacy.guards import needs_second_factor, public, refuse
from careconductor.privacy.middleware import content_security_policy

from . import actions, rules, scopes
from .discovery import fhir_base, origin
from .models import SmartApp
from .validator import called_token_url

PICKER_SIZE = 20


# Where an answer may be redirected: https, or http for the loopback apps registration allows (rules.py).
REDIRECT_SCHEMES = ["https", "http"]


def _oauth_error(redirect_uri: str, state: str | None, error: str, words: str) -> HttpResponse:
    query = {"error": error, "error_description": words, **({"state": state} if state else {})}
    joiner = "&" if "?" in redirect_uri else "?"
    return OAuth2ResponseRedirect(f"{redirect_uri}{joiner}{urlencode(query)}", REDIRECT_SCHEMES)


class Authorize(OAuthLibMixin, View):
    """GET shows what the app asks for and for whom; POST (the same address) gives the person's answer."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if needs_second_factor(request):
            return redirect_to_login(request.get_full_path(), login_url="second_factor")
        if user.role not in rules.AUTHORISING_ROLES:
            return refuse(request, "Your role does not connect apps to records.")
        try:
            scopes_asked, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self._protocol_error(request, error)
        app: SmartApp = SmartApp.objects.select_related("client", "registered_by").get(
            client__client_id=credentials["client_id"]
        )
        if app.organization_id != user.organization_id:
            return refuse(request, "This app is not registered with your organisation.")
        redirect_uri, state = credentials["redirect_uri"], credentials.get("state")
        audience = request.GET.get("aud", "").rstrip("/")
        if audience != fhir_base(request):
            return _oauth_error(redirect_uri, state, "invalid_request", f"aud must be {fhir_base(request)}")
        language = portal_language(request, self._own_language(user)) if user.role == Role.PATIENT else None
        with translation.override(language or translation.get_language()):
            return self._answer(request, user, app, list(scopes_asked), credentials)

    def _own_language(self, user: User) -> str:
        own = (
            policy.visible_patients(user)
            .filter(portal_user=user)
            .values_list("preferred_language", flat=True)
        )
        return own.first() or "en"

    def _protocol_error(self, request: HttpRequest, error: OAuthToolkitError) -> HttpResponse:
        redirect, response = self.error_response(error)
        if redirect:
            return OAuth2ResponseRedirect(response["url"], REDIRECT_SCHEMES)
        return render(request, "smart/error.html", {"error": response.get("error")}, status=400)

    def _answer(
        self, request: HttpRequest, user: User, app: SmartApp, asked: list[str], credentials: dict[str, Any]
    ) -> HttpResponse:
        launch_key = request.GET.get("launch", "")
        patient, candidates, problem = self._patient(request, user, app, asked, launch_key)
        if problem:
            return render(request, "smart/error.html", {"error": problem, "app": app}, status=400)
        wants_patient = "launch/patient" in asked or bool(launch_key) or user.role == Role.PATIENT
        granted = rules.role_scopes(user.role, asked, has_patient=wants_patient)
        if not scopes.resource_scopes(granted):
            return _oauth_error(
                credentials["redirect_uri"], credentials.get("state"), "invalid_scope",
                "None of the scopes asked for can be granted to this user.",
            )  # fmt: skip
        context = {
            "app": app,
            "scopes": [(s, scopes.describe(s, own=user.role == Role.PATIENT)) for s in granted],
            "patient": patient,
            "candidates": candidates,
            "query": request.GET.get("q", ""),
            "needs_choice": wants_patient and patient is None,
            "for_patient": user.role == Role.PATIENT,
        }
        allow_redirect = content_security_policy([origin(credentials["redirect_uri"])])
        if request.method != "POST":
            page = render(request, "smart/authorize.html", context)
            page["Content-Security-Policy"] = allow_redirect  # the answer goes back to the app's address
            return page
        allowed = request.POST.get("allow") == "yes"
        if allowed and wants_patient and patient is None:
            chosen = whole_number(request.POST.get("patient", ""))
            patient = policy.visible_patients(user).filter(pk=chosen).first() if chosen else None
            if patient is None:
                context["choice_error"] = _("Choose the patient the app will work with.")
                page = render(request, "smart/authorize.html", context, status=400)
                page["Content-Security-Policy"] = allow_redirect
                return page
        actions.do_record_authorisation(user, app, granted, patient, allowed=allowed, launch_key=launch_key)
        credentials["smart_patient_id"] = patient.pk if patient and wants_patient else None
        try:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=request, scopes=" ".join(granted), credentials=credentials, allow=allowed
            )
        except OAuthToolkitError as error:
            return self._protocol_error(request, error)
        return OAuth2ResponseRedirect(uri, REDIRECT_SCHEMES)

    def _patient(
        self, request: HttpRequest, user: User, app: SmartApp, asked: list[str], launch_key: str
    ) -> tuple[Patient | None, list[Patient], str]:
        """The patient the app will work with (from the launch, or a patient's own record), the candidates to
        choose from otherwise, and a problem to show instead."""
        if launch_key:
            if "launch" not in asked:
                return None, [], _("The app sent a launch but did not ask for the launch scope.")
            try:
                return actions.launch_patient(user, app, launch_key), [], ""
            except ActionRefused as refusal:
                return None, [], str(refusal)
        seen = policy.visible_patients(user).order_by("family_name", "given_name", "pk")
        if user.role == Role.PATIENT:
            own = list(seen[:PICKER_SIZE])
            return (own[0] if len(own) == 1 else None), own, ""
        if "launch/patient" not in asked:
            return None, [], ""
        text = request.GET.get("q", "").strip()
        if not text:
            return None, [], ""
        found = list(search_patients(user, text[:100])[:PICKER_SIZE])
        audit.record_reads(user, found)
        return None, found, ""


authorize = never_cache(Authorize.as_view())
authorize.access_policy = "signed_in"  # type: ignore[attr-defined]


@method_decorator(never_cache, name="dispatch")
class TokenView(ToolkitTokenView):
    """django-oauth-toolkit's token endpoint; a refused request is audited (a wrong key or a replayed assertion
    is how an attack on a system client shows)."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        called = called_token_url.set(request.build_absolute_uri(request.path))
        try:
            response = super().post(request, *args, **kwargs)
        finally:
            called_token_url.reset(called)
        if response.status_code != 200:
            audit.record(
                None,
                AuditAction.LOGIN_FAILED,
                object_type="SmartApp",
                object_id=str(request.POST.get("client_id", ""))[:64],
                outcome=AuditOutcome.MINOR_FAILURE,
                detail=f"token request refused: {request.POST.get('grant_type', '')}"[:200],
            )
        return response


token = public(TokenView.as_view())
