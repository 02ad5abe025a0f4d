"""CareConductor's URLs plus one bare Django view that reads the same patient row as `GET Patient/<id>` and answers
it as JSON, through the same middleware, gunicorn and database, with no token, policy, audit or FHIR rendering:
the framework's floor for bench/fhir_api.py."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from careconductor.patients.models import Patient


def bare_read(request: HttpRequest, pk: int) -> JsonResponse:
    row = Patient.objects.filter(pk=pk).values("id", "family_name", "given_name", "birth_date").first()
    return JsonResponse({"resourceType": "Patient", **(row or {})}, json_dumps_params={"default": str})


bare_read.access_policy = "public"  # type: ignore[attr-defined]

urlpatterns = [path("bench/bare/<int:pk>", bare_read), path("", include("careconductor.urls"))]
