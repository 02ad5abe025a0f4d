"""The patient's side: the materials their care team gave them, in their language. Wired into the portal's
URLs (engagement/urls.py) as portal:learn and portal:learn_material."""

from __future__ import annotations

import contextlib

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from careconductor.core.errors import ActionRefused
from careconductor.core.requests import PortalRequest
from careconductor.engagement.context import portal_context
from careconductor.engagement.guards import portal_view

from . import actions, library, queries
from .models import Assignment


def _shown(assignment: Assignment) -> dict[str, object]:
    """The assignment as the patient sees it: the material's text in the portal's language when it has one,
    else in the language it was assigned in."""
    material = library.material(assignment.material_slug)
    language = translation.get_language() or assignment.language
    text = None
    if material is not None:
        text = material.text(language if language[:2] in material.languages else assignment.language)
    return {"assignment": assignment, "material": material, "text": text}


@portal_view
@require_http_methods(["GET"])
def learn(request: PortalRequest) -> HttpResponse:
    patient = request.portal_patient
    items = [_shown(a) for a in queries.portal_assignments(patient)]
    return render(request, "education/portal/learn.html", portal_context(request, "learn", items=items))


@portal_view
@require_http_methods(["GET"])
def material(request: PortalRequest, assignment_id: int) -> HttpResponse:
    patient = request.portal_patient
    user = request.user
    assignment = queries.access_portal_assignment(user, patient, assignment_id)
    with contextlib.suppress(ActionRefused):  # reading is never blocked by the record of reading
        actions.do_mark_opened(user, assignment)
    return render(
        request, "education/portal/material.html", portal_context(request, "learn", **_shown(assignment))
    )
