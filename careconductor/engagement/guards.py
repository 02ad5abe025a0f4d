"""The portal's view guard: a patient's (or a proxy's) log-in, past their second factor when they set one up,
with the page in their language and the record they are acting for on `request.portal_patient`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.accounts.queries import has_confirmed_device
from careconductor.privacy.guards import refuse

from .actions.invitations import do_note_portal_use
from .queries import choose_portal_patient, record_portal_read

View = TypeVar("View", bound=Callable[..., HttpResponseBase])

PATIENT_KEY = "portal_patient_id"
LANGUAGE_KEY = "portal_language"
LANGUAGES = ("en", "es")
USE_KEY = "portal_use_noted"


def portal_language(request: HttpRequest, preferred: str) -> str:
    """The language the person chose in the portal, else the patient's preferred language, else English."""
    chosen = request.session.get(LANGUAGE_KEY, "")
    if chosen in LANGUAGES:
        return str(chosen)
    preferred = (preferred or "").lower()
    return "es" if preferred.startswith("es") else "en"


def _needs_second_factor(user: User) -> bool:
    """`is_verified` is django-otp's: its middleware adds it to the signed-in user."""
    if user.is_verified():  # type: ignore[attr-defined]
        return False
    return bool(user.mfa_required) or has_confirmed_device(user)


def portal_view(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user.role != Role.PATIENT:
            return refuse(request, "The portal is for patients and the people they choose to help them.")
        if _needs_second_factor(user):
            return redirect_to_login(request.get_full_path(), login_url="second_factor")
        patient, choices = choose_portal_patient(user, request.session.get(PATIENT_KEY))
        request.portal_patient = patient  # type: ignore[attr-defined]
        request.portal_choices = choices  # type: ignore[attr-defined]
        noted = f"{patient.pk}:{patient.organization_id}"
        if request.session.get(USE_KEY) != noted:
            do_note_portal_use(user, patient)
            request.session[USE_KEY] = noted
        language = portal_language(request, patient.preferred_language)
        with translation.override(language):
            request.LANGUAGE_CODE = language
            response = view(request, *args, **kwargs)
            render = getattr(response, "render", None)
            if callable(render) and not getattr(response, "is_rendered", True):
                render()  # a lazy response must be rendered while the language is still active
        if not 300 <= response.status_code < 400:
            # The page shows the record: its read is audited before it is sent. A redirect shows nothing (the
            # action a POST ran audited what it changed), so a check-in's POST writes no read event.
            record_portal_read(user, patient)
        add_never_cache_headers(response)
        patch_vary_headers(response, ["Cookie"])
        return response

    wrapper.access_policy = "portal"  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
