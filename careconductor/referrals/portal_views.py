"""The patient's referrals in the portal: where they were referred, when (the date the organisation proposed),
what to bring, and where things stand, in the portal's language. Wired into the portal's URLs as
portal:referrals."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from careconductor.core.requests import PortalRequest
from careconductor.engagement.context import portal_context
from careconductor.engagement.guards import portal_view

from . import queries


@portal_view
@require_GET
def referrals(request: PortalRequest) -> HttpResponse:
    shown = queries.portal_referrals(request.portal_patient)
    return render(
        request, "referrals/portal/referrals.html", portal_context(request, "referrals", referrals=shown)
    )
