"""DocumentReference: one time staff went through a piece of patient education with the patient
(education.Delivery). Read-only here: education is assigned and recorded on the screens.

- `status` current, `docStatus` final: the delivery is a finished record.
- `type.text` "Patient education: <topic>" and `category[0].text` "Patient education" (no code is claimed:
  the LOINC code for education documents was not verified, so only text is given).
- `subject` the Patient; `author` the member of staff (Practitioner); `date` when it was gone through.
- `description` the material's title as assigned; `content[0].attachment`: title, language (en, es …),
  contentType text/plain, url the staff preview of the material in the library, creation when it was assigned.
- `context.period` start and end: when it was delivered.
- Extensions (valueCode): EXT + "education-format" the format it was given in (print, video, audio, visual,
  interactive, teach-back), EXT + "education-teach-back" the teach-back result (confirmed, not-confirmed,
  not-done; clinical.md §6.5), and EXT + "education-print-prompt-acknowledged" (valueBoolean) when print was
  handed over alone to someone who prefers another way of learning after the prompt was shown."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from careconductor.education.choices import MaterialFormat, TeachBackResult, Topic
from careconductor.education.models import Delivery

from .. import params
from ..registry import READ_ONLY, Mapper, register
from .common import EXT, compact, moment, period, ref

FORMAT_EXT = EXT + "education-format"
TEACH_BACK_EXT = EXT + "education-teach-back"
PROMPT_EXT = EXT + "education-print-prompt-acknowledged"


@register
class DocumentReferenceMapper(Mapper):
    resource_type = "DocumentReference"
    model = Delivery
    interactions = READ_ONLY
    patient_field = "patient"
    description = (
        "Patient education given to the patients the caller may see, one per time staff went through a "
        "material with the patient: type and category text 'Patient education', description and "
        "content.attachment.title the material's title, attachment.language its language, attachment.url the "
        "staff preview of the material, context.period when it was delivered, author the member of staff. "
        f"{FORMAT_EXT} (valueCode) the format used: {', '.join(MaterialFormat.values)}; {TEACH_BACK_EXT} "
        f"(valueCode) the teach-back result: {', '.join(TeachBackResult.values)}; {PROMPT_EXT} (valueBoolean) "
        "print was handed over alone to someone who prefers another way of learning, after a prompt."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient educated"),
        "subject": params.reference("patient_id", "Patient", "The patient educated"),
        "date": params.date("delivered_at", "When the material was gone through with the patient"),
        "author": params.reference("delivered_by_id", "Practitioner", "Who went through it"),
    }
    sorts = {"date": "delivered_at"}

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient", "delivered_by", "assignment")

    def to_fhir(self, row: Delivery) -> dict[str, Any]:
        assignment = row.assignment
        topic = Topic(assignment.topic).label if assignment.topic in Topic.values else assignment.topic
        extensions: list[dict[str, Any]] = [
            {"url": FORMAT_EXT, "valueCode": row.format_used},
            {"url": TEACH_BACK_EXT, "valueCode": row.teach_back},
        ]
        if row.print_prompt_acknowledged:
            extensions.append({"url": PROMPT_EXT, "valueBoolean": True})
        preview = settings.SITE_URL + reverse("education:material", args=[assignment.material_slug])
        return compact(
            {
                "extension": extensions,
                "status": "current",
                "docStatus": "final",
                "type": {"text": f"Patient education: {topic}"},
                "category": [{"text": "Patient education"}],
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "date": moment(row.delivered_at),
                "author": [ref("Practitioner", row.delivered_by_id, row.delivered_by.display_name())],
                "description": assignment.title,
                "content": [
                    {
                        "attachment": compact(
                            {
                                "contentType": "text/plain",
                                "language": assignment.language,
                                "url": preview,
                                "title": assignment.title,
                                "creation": moment(assignment.assigned_at),
                            }
                        )
                    }
                ],
                "context": {"period": period(row.delivered_at, row.delivered_at)},
            }
        )
