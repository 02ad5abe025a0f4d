"""The demo has a duplicate pair for the administrator to merge (issue 17 §3): Guadalupe Ortiz and "Lupe
Ortiz", the same birth date and phone, Lupe's record with an old hospital MRN."""

from __future__ import annotations

import pytest
from django.urls import reverse

from careconductor.accounts.models import User
from careconductor.patients.actions import possible_duplicates
from careconductor.patients.merge import do_merge_patients
from careconductor.patients.models import Patient
from careconductor.patients.queries import search_patients
from careconductor.privacy import chain
from tests.conftest import log_in
from tests.personas import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_administrator_finds_the_pair_under_the_nickname_and_merges_it(demo: str, client) -> None:
    assert "Duplicate records to merge: Guadalupe Ortiz and Lupe Ortiz" in demo
    admin = User.objects.get(username="admin")
    admin.set_password(PASSWORD)  # the tests' password, for the log-in page
    admin.save(update_fields=["password"])
    guadalupe = Patient.objects.get(given_name="Guadalupe", family_name="Ortiz")
    lupe = Patient.objects.get(given_name="Lupe", family_name="Ortiz")
    assert {p.pk for p in possible_duplicates(admin, "Lupe", "Ortiz", guadalupe.birth_date)} == {
        guadalupe.pk,
        lupe.pk,
    }
    page = log_in(client, admin).get(reverse("administration:merge"), {"q": "Lupe Ortiz"}).content.decode()
    assert "Guadalupe Ortiz" in page and "Lupe Ortiz" in page

    review = client.get(reverse("administration:merge_review"), {"kept": guadalupe.pk, "duplicate": lupe.pk})
    assert review.status_code == 200 and "SH-448812" in review.content.decode()
    assert "Close the duplicate" not in review.content.decode()  # another programme: no clash

    do_merge_patients(admin, guadalupe, lupe, "Same birth date and phone; Lupe is Guadalupe")
    assert [p.pk for p in search_patients(admin, "SH-448812")] == [guadalupe.pk]
    assert Patient.objects.get(pk=guadalupe.pk).contacts.filter(name="Marisol Ortiz").exists()
    assert chain.verify().ok
