"""DocumentReference through the FHIR API: one per delivery of education, valid R4, with the teach-back
result and the format used as extensions; only the patients the caller may see."""

from __future__ import annotations

import pytest

from careconductor.education import actions
from careconductor.education.models import Assignment
from careconductor.fhir.mappers.document_reference import FORMAT_EXT, PROMPT_EXT, TEACH_BACK_EXT
from careconductor.privacy.models import AuditEvent
from tests.fhir.conftest import api  # noqa: F401  (the fixture)

from ..personas import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(world: World, assignment: Assignment):  # type: ignore[no-untyped-def]
    return actions.do_record_delivery(
        world.alice, assignment, format_used="print", teach_back="not-done", acknowledge_print_prompt=True
    )


def test_a_delivery_is_a_valid_document_reference(world: World, api, delivered) -> None:  # noqa: F811
    reply = api(world.alice).get(f"DocumentReference/{delivered.pk}")
    assert reply.status == 200, reply.body  # the client validates every resource with fhir.resources R4B
    body = reply.body
    assert body["status"] == "current" and body["docStatus"] == "final"
    assert body["type"] == {"text": "Patient education: Heart failure"}
    assert body["category"] == [{"text": "Patient education"}]
    assert body["subject"]["reference"] == f"Patient/{world.paula.pk}"
    assert body["author"][0]["reference"] == f"Practitioner/{world.alice.pk}"
    attachment = body["content"][0]["attachment"]
    assert attachment["title"] == "Pésese todos los días" and attachment["language"] == "es"
    assert attachment["url"].endswith("/education/materials/heart-failure-daily-weights/")
    assert body["context"]["period"]["start"] == delivered.delivered_at.isoformat()
    extensions = {e["url"]: e for e in body["extension"]}
    assert extensions[FORMAT_EXT]["valueCode"] == "print"
    assert extensions[TEACH_BACK_EXT]["valueCode"] == "not-done"
    assert extensions[PROMPT_EXT]["valueBoolean"] is True
    assert AuditEvent.objects.filter(
        user=world.alice, action="read", object_type="DocumentReference", object_id=str(delivered.pk)
    ).exists()


def test_search_by_patient_and_strangers_see_nothing(world: World, api, delivered) -> None:  # noqa: F811
    found = api(world.alice).search(f"DocumentReference?patient={world.paula.pk}")
    assert [r["id"] for r in found] == [str(delivered.pk)]
    assert api(world.charlie).search(f"DocumentReference?patient={world.paula.pk}") == []
    assert api(world.bob).get(f"DocumentReference/{delivered.pk}").status == 404
