"""QuestionnaireResponse: one completion of an instrument for a patient (assessments.Assessment).

A response is created through assessments.actions.do_record_response, the path the screens use: it is scored
exactly as one entered on screen and the safety rules (a PHQ-9 item 9 above 0 raises a Flag and urgent Tasks)
apply. Items are matched by linkId or, for another system's form, by their LOINC item code. A response that
says it is completed but lacks answers the score needs is kept in progress and never scored; the missing
items are named by one `missing-answer` extension each."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce

from careconductor.accounts.choices import Role
from careconductor.assessments import catalogue, engine
from careconductor.assessments.actions import do_record_response
from careconductor.assessments.choices import AssessmentSource, AssessmentStatus
from careconductor.assessments.models import Assessment, Questionnaire

from .. import params
from ..auth import Caller
from ..registry import CREATE, READ_ONLY, Mapper, SearchParam, register
from .common import EXT, compact, moment, parse_moment, ref, refused, visible_patient

MISSING_ANSWER = EXT + "missing-answer"
# The time a response was authored: when it was completed, else when it was started.
AUTHORED = "fhir_authored"
ACCEPTED_STATUSES = (AssessmentStatus.COMPLETED.value, AssessmentStatus.IN_PROGRESS.value)
LOINC_CODE = re.compile(r"^\d{1,8}-\d$")


def canonical(row: Questionnaire) -> str:
    return f"{row.url}|{row.business_version}"


def _loinc_code(node: dict[str, Any]) -> str | None:
    """The LOINC item code another system's item carries: in its linkId as LHC-Forms writes it ("/44250-9",
    "/44249-1/44250-9") or at the end of a LOINC `definition`."""
    candidates = [str(node.get("linkId", "")).rstrip("/").rsplit("/", 1)[-1]]
    definition = str(node.get("definition", ""))
    if "loinc.org" in definition:
        candidates.append(re.split(r"[#/]", definition.rstrip("/"))[-1])
    return next((c for c in candidates if LOINC_CODE.match(c)), None)


def with_item_codes(items: Any) -> list[Mapping[str, Any]]:
    """R4 response items carry no `code`: give each item whose linkId or definition names a LOINC code that
    code, so the engine can match another system's items to ours (it matches by linkId first)."""
    found: list[Mapping[str, Any]] = []
    for node in items if isinstance(items, list) else []:
        if not isinstance(node, dict):
            continue
        node = dict(node)
        code = _loinc_code(node)
        if code is not None:
            node["code"] = [{"system": engine.LOINC, "code": code}]
        if "item" in node:
            node["item"] = with_item_codes(node["item"])
        found.append(node)
    return found


def _questionnaire_q(modifier: str, value: str, caller: Caller) -> Q:
    """A canonical url (`url` or `url|version`), or a reference to the Questionnaire by id (its slug)."""
    if modifier and modifier != "Questionnaire":
        return Q(pk__in=[])
    if "://" in value or value.startswith("urn:"):
        url, bar, version = value.partition("|")
        found = Q(questionnaire__url=url)
        return found & Q(questionnaire__business_version=version) if bar else found
    parts = value.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] != "Questionnaire":
        return Q(pk__in=[])
    return Q(questionnaire__slug=parts[-1])


@register
class QuestionnaireResponseMapper(Mapper):
    resource_type = "QuestionnaireResponse"
    model = Assessment
    interactions = READ_ONLY | {CREATE}
    patient_field = "patient"
    description = (
        "Assessments of the patients the caller may see. questionnaire is the instrument's canonical url|version "
        "(see Questionnaire). Create scores the response exactly as the screens do and applies the safety "
        "rules; items are matched by linkId or by their LOINC item code. status must be completed or "
        "in-progress; a completed response that lacks answers the score needs is kept in-progress, never "
        f"scored, and each unanswered item is named by an extension {MISSING_ANSWER} (valueString: its linkId). "
        "Responses are not updated through the API."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient the response is about"),
        "subject": params.reference("patient_id", "Patient", "The patient the response is about"),
        "questionnaire": SearchParam(
            "reference",
            "The instrument: its canonical url (any version), url|version, or Questionnaire/<id>",
            _questionnaire_q,
            target="Questionnaire",
            path="questionnaire_id",
            modifiers=frozenset({"Questionnaire"}),
        ),
        "authored": params.date(AUTHORED, "When the response was completed (or, in progress, started)"),
        "status": params.token(
            "status",
            "completed, in-progress, amended, entered-in-error or stopped",
            system="http://hl7.org/fhir/questionnaire-answers-status",
            codes={s: s for s in AssessmentStatus.values},
        ),
        "author": params.reference("author_id", "Practitioner", "The member of staff who recorded it"),
    }
    sorts = {"authored": AUTHORED, "status": "status"}
    error_paths = {
        "authored": "QuestionnaireResponse.authored",
        "case": "QuestionnaireResponse.basedOn",
    }

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient", "questionnaire", "author").annotate(
            **{AUTHORED: Coalesce(F("completed_at"), F("started_at"))}
        )

    def to_fhir(self, row: Assessment) -> dict[str, Any]:
        instrument = catalogue.instrument_for(row.questionnaire)
        author = row.author
        in_progress = row.status == AssessmentStatus.IN_PROGRESS
        return compact(
            {
                "extension": [{"url": MISSING_ANSWER, "valueString": link_id} for link_id in row.missing]
                if in_progress
                else [],
                "language": row.language,
                "questionnaire": canonical(row.questionnaire),
                "status": row.status,
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "authored": moment(row.authored_at),
                # A patient's own log-in is not a Practitioner; who answered is then `source`.
                "author": ref("Practitioner", author.pk, author.display_name())
                if author.role != Role.PATIENT
                else None,
                "source": ref("Patient", row.patient_id, row.patient.full_name)
                if row.source == AssessmentSource.PATIENT or author.role == Role.PATIENT
                else None,
                "item": engine.response_items(instrument, row.answers),
            }
        )

    # --- writing ---------------------------------------------------------------------------------------------
    def _questionnaire(self, resource: dict[str, Any]) -> Questionnaire:
        path = "QuestionnaireResponse.questionnaire"
        given = resource.get("questionnaire")
        if not isinstance(given, str) or not given:
            raise refused(path, f"{path} must name the instrument by its canonical url (url or url|version).")
        url, bar, version = given.partition("|")
        rows = Questionnaire.objects.filter(url=url)
        found = rows.filter(business_version=version).first() if bar else rows.filter(current=True).first()
        if found is None:
            known = "that version of it is not" if bar and rows.exists() else "it is not"
            raise refused(path, f"{path} {given!r}: {known} loaded here (see GET Questionnaire).")
        return found

    def create(self, caller: Caller, resource: dict[str, Any]) -> Assessment:
        status = resource.get("status")
        if status not in ACCEPTED_STATUSES:
            raise refused(
                "QuestionnaireResponse.status",
                f"QuestionnaireResponse.status must be completed or in-progress here, not {status!r}: a response "
                "is recorded as it is given, and amended or stopped responses are not taken in.",
            )
        questionnaire = self._questionnaire(resource)
        instrument = catalogue.instrument_for(questionnaire)
        values = engine.values_from_response_items(instrument, with_item_codes(resource.get("item")))
        authored = parse_moment(resource.get("authored"), "QuestionnaireResponse.authored")
        language = str(resource.get("language") or "en").split("-")[0].lower()
        patient = visible_patient(caller, resource.get("subject"), "QuestionnaireResponse.subject")
        return do_record_response(
            caller.user,
            patient,
            questionnaire,
            values,
            completed=status == AssessmentStatus.COMPLETED,
            language=language,
            authored=authored,
        )
