"""Questionnaire: the loaded instruments (assessments.Questionnaire), each version its own resource. The id is
the row's slug (`Questionnaire/phq-9`), not its pk; the body is the stored Questionnaire JSON as it was
loaded. Instruments are not patient data: any valid token with a read scope may read them."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from careconductor.assessments.models import Questionnaire

from .. import params
from ..auth import Caller
from ..errors import not_found
from ..registry import READ_ONLY, Mapper, SearchParam, register

# Set by render (the row's own id and version), never taken from the stored file.
NOT_SERVED = ("resourceType", "id", "meta")


def coded_token(system_field: str, code_field: str, description: str) -> SearchParam:
    """A token over a (system, code) pair kept in two columns: `system|code`, `code` or `|code`."""

    def build(modifier: str, value: str, caller: Caller) -> Q:
        system, bar, code = value.rpartition("|") if "|" in value else ("", "", value)
        matched = Q(**{code_field: code})
        if bar and system:
            matched &= Q(**{system_field: system})
        return ~matched if modifier == "not" else matched

    return SearchParam("token", description, build, modifiers=frozenset({"not"}))


def _url(modifier: str, value: str, caller: Caller) -> Q:
    return Q(url=value)


@register
class QuestionnaireMapper(Mapper):
    resource_type = "Questionnaire"
    model = Questionnaire
    interactions = READ_ONLY
    patient_field = None
    description = (
        "The instruments this server scores (PHQ-9, GAD-7, AHC HRSN …) and those a deployer loaded, one "
        "resource per version: the id is the instrument's slug (Questionnaire/phq-9), url and version its "
        "canonical. A QuestionnaireResponse names one as questionnaire = url|version."
    )
    params = {
        "_id": params.token("slug", "The resource's logical id (the instrument's slug, e.g. phq-9)"),
        "code": coded_token(
            "panel_system",
            "panel_code",
            "The instrument's panel code (Questionnaire.code), e.g. LOINC 44249-1",
        ),
        "url": SearchParam("uri", "The canonical url, exactly", _url),
        "version": params.token("business_version", "The business version (Questionnaire.version)"),
        "name": params.string(["resource__name"], "The computable name (e.g. PHQ9), starts with"),
        "title": params.string(["title"], "The title, starts with"),
        "status": params.token(
            "resource__status", "The publication status (active for every instrument used)"
        ),
    }
    sorts = {"_id": "slug", "title": "title", "url": "url,business_version", "version": "business_version"}

    def get(self, caller: Caller, resource_id: str) -> Any:
        found = self.visible(caller).filter(slug=resource_id).first()
        if found is None:
            raise not_found(self.resource_type, resource_id)
        return found

    def pk_from_id(self, resource_id: str) -> Any:
        # versions.keep looks rows up by pk.
        return Questionnaire.objects.filter(slug=resource_id).values_list("pk", flat=True).first()

    def resource_id(self, row: Questionnaire) -> str:
        return row.slug

    def to_fhir(self, row: Questionnaire) -> dict[str, Any]:
        return {k: v for k, v in row.resource.items() if k not in NOT_SERVED}
