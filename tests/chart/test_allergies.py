"""Allergies on the chart and through FHIR AllergyIntolerance (issue 17 §3: there was no allergy field
anywhere): recorded by case staff and care-team pharmacists, "no known allergies" distinct from "not asked",
status changes with a reason, refusals beside their fields with nothing kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from careconductor.accounts.choices import Discipline, Role
from careconductor.core import clock
from careconductor.patients.actions import do_add_care_team_member
from careconductor.patients.allergies import AllergyDetails, do_record_allergy
from careconductor.patients.models import Allergy
from careconductor.privacy.models import AuditEvent

from ..fhir.conftest import api  # noqa: F401  (the fixture)
from ..personas import World, make_staff

pytestmark = pytest.mark.django_db

PENICILLIN = {
    "form": "allergy",
    "substance": "Penicillin",
    "category": "medication",
    "reaction": "Hives and swollen lips",
    "severity": "severe",
    "criticality": "high",
    "verification": "confirmed",
}


def _page(world: World) -> str:
    return reverse("patients:allergies", args=[world.paula.pk])


def test_the_header_says_not_recorded_until_someone_asks_then_shows_the_allergy(world: World, login) -> None:
    client = login(world.alice)
    chart = reverse("patients:chart", args=[world.paula.pk])
    assert "Not recorded" in client.get(chart).content.decode()
    assert client.post(_page(world), PENICILLIN).status_code == 302
    allergy = Allergy.objects.get(patient=world.paula)
    assert (allergy.substance, allergy.criticality, allergy.recorded_by) == (
        "Penicillin",
        "high",
        world.alice,
    )
    header = client.get(chart).content.decode()
    assert '<span class="allergy-high">Penicillin (Hives and swollen lips)</span>' in header
    assert AuditEvent.objects.filter(patient=world.paula, object_type="Allergy", action="create").exists()


def test_no_known_allergies_is_distinct_from_not_asked_and_ends_when_an_allergy_is_recorded(
    world: World, login
) -> None:
    client = login(world.alice)
    assert client.post(_page(world), {"form": "none"}).status_code == 302
    assert "None known" in client.get(reverse("patients:chart", args=[world.paula.pk])).content.decode()
    assert client.post(_page(world), PENICILLIN).status_code == 302
    statuses = dict(Allergy.objects.values_list("substance", "clinical_status"))
    assert statuses == {"No known allergies": "inactive", "Penicillin": "active"}
    refused = client.post(_page(world), {"form": "none"})
    assert refused.status_code == 400 and "has an active allergy" in refused.content.decode()
    assert Allergy.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"substance": "  "}, "substance"),
        ({"reaction": ""}, "reaction"),  # a severity needs the reaction it describes
        ({"onset_date": "2999-01-01"}, "onset_date"),
        ({"category": "weather"}, "category"),
    ],
)
def test_a_refused_allergy_says_why_beside_the_field_and_keeps_nothing(
    world: World, login, change: dict, field: str
) -> None:
    response = login(world.alice).post(_page(world), {**PENICILLIN, **change})
    assert response.status_code == 400 and f'id="id_{field}_error"' in response.content.decode()
    assert not Allergy.objects.exists()


def test_an_allergy_is_resolved_or_refuted_with_a_reason(world: World, login) -> None:
    allergy = do_record_allergy(world.alice, world.paula, AllergyDetails(substance="Sulfa", reaction="Rash"))
    client = login(world.alice)
    no_reason = client.post(
        _page(world), {"form": "status", "allergy": allergy.pk, "status": "refuted", "reason": ""}
    )
    assert no_reason.status_code == 400
    assert Allergy.objects.get(pk=allergy.pk).verification == "unconfirmed"
    done = client.post(
        _page(world),
        {"form": "status", "allergy": allergy.pk, "status": "refuted", "reason": "Patch test negative"},
    )
    assert done.status_code == 302
    allergy.refresh_from_db()
    assert (allergy.verification, allergy.clinical_status) == ("refuted", "inactive")
    assert "Patch test negative" in allergy.note
    assert "Not recorded" in client.get(reverse("patients:chart", args=[world.paula.pk])).content.decode()


def test_a_care_team_pharmacist_keeps_the_list_a_physician_reads_it_a_stranger_sees_nothing(
    world: World, login
) -> None:
    kevin = make_staff("kevin", Role.CARE_TEAM, world.riverside, discipline=Discipline.PHARMACIST)
    do_add_care_team_member(world.alice, world.paula, member=kevin, role="Pharmacist")
    assert login(kevin).post(_page(world), {**PENICILLIN, "substance": "Codeine"}).status_code == 302
    dana = login(world.dana)  # physician on the care team: reads
    page = dana.get(_page(world)).content.decode()
    assert "Codeine" in page and "Record an allergy" not in page
    assert dana.post(_page(world), PENICILLIN).status_code == 400
    assert list(Allergy.objects.values_list("substance", flat=True)) == ["Codeine"]
    assert login(world.bob).get(_page(world)).status_code == 404


def test_allergies_through_fhir_create_search_and_stay_private(world: World, api) -> None:  # noqa: F811
    alice = api(world.alice)
    body = {
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "verificationStatus": {"coding": [{"code": "confirmed"}]},
        "category": ["food"],
        "criticality": "high",
        "code": {
            "coding": [{"system": "http://snomed.info/sct", "code": "91935009", "display": "Peanut"}],
            "text": "Peanuts",
        },
        "patient": {"reference": f"Patient/{world.paula.pk}"},
        "reaction": [{"manifestation": [{"text": "Throat swelling"}], "severity": "severe"}],
        "onsetDateTime": str(clock.today() - dt.timedelta(days=3650)),
    }
    created = alice.post("AllergyIntolerance", body)
    assert created.status == 201, created.body
    (found,) = alice.search(f"AllergyIntolerance?patient=Patient/{world.paula.pk}&clinical-status=active")
    assert found["code"]["text"] == "Peanuts" and found["reaction"][0]["severity"] == "severe"
    assert found["code"]["coding"][0]["code"] == "91935009"
    bad = alice.post("AllergyIntolerance", {**body, "code": {"text": ""}})
    assert bad.status == 422 and any(p.startswith("AllergyIntolerance.code") for p in bad.issue_paths())
    assert api(world.bob).search("AllergyIntolerance") == []
    assert Allergy.objects.count() == 1
