"""Typed requests. Django hands every view a plain HttpRequest whose `user` may be anonymous; the view guards
make sure of more than that, and these classes tell the type checker so (as healthchecks'
AuthenticatedHttpRequest and Zulip's typed views do). They are annotations only: no request is ever built
from them, so a view must sit behind the guard its annotation names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:  # core sits below the apps: their models are named for the type checker only
    from django_htmx.middleware import HtmxDetails

    from careconductor.accounts.models import User
    from careconductor.patients.models import Patient


class StaffRequest(HttpRequest):
    """What a view behind `staff_view` receives: `user` is the signed-in member of staff. (The few
    `signed_in_view` pages, the second factor's, take it too: their `user` is signed in, staff or patient.)
    `htmx` is django-htmx's middleware's, on every request: is this an htmx request, and what it asks."""

    user: User
    htmx: HtmxDetails


class PortalRequest(HttpRequest):
    """What a view behind `portal_view` receives: `user` is the patient or proxy signed in, `portal_patient` the
    record they are acting for, `portal_choices` every record they may act for (their own first)."""

    user: User
    portal_patient: Patient
    portal_choices: list[Patient]
