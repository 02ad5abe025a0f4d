"""`careconductor demo` on an empty database: the same seed builds the same organisation, a second run adds
nothing, and a database whose user names are taken is refused untouched. (The demo's content is checked once
per module in test_demo.py.)

The demo app is not in INSTALLED_APPS of the test settings, so the command is passed to call_command as an
instance.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from careconductor.accounts.models import StaffProfile, User
from careconductor.cases.models import Case, CaseAssignment, CaseStatusChange
from careconductor.demo.fhir import token_path
from careconductor.demo.generator import ORGANIZATION_NAME, PASSWORD, DemoError, build_demo, write_logins
from careconductor.demo.management.commands.demo import Command
from careconductor.demo.population import MEMBERS_PER_PATIENT
from careconductor.patients.choices import MRN_SYSTEM
from careconductor.patients.models import (
    CareTeamMember,
    Condition,
    Coverage,
    Encounter,
    Patient,
    PatientContact,
    PatientIdentifier,
)
from careconductor.privacy.models import AuditEvent, Consent
from tests.demo.people import demo_patients, plan_members

pytestmark = pytest.mark.django_db

ROW_MODELS = (
    User, StaffProfile, Patient, PatientIdentifier, PatientContact, Coverage, Condition, Encounter, CareTeamMember,
    Case, CaseStatusChange, CaseAssignment, Consent, AuditEvent,
)  # fmt: skip


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in ROW_MODELS}


class _Rollback(Exception):
    pass


def _fingerprint(seed: int) -> list[tuple[object, ...]]:
    """What a run builds from a fresh database, which is then rolled back."""
    rows: list[tuple[object, ...]] = []
    try:
        with transaction.atomic():
            build_demo(patients=60, seed=seed)
            rows = list(
                Patient.objects.order_by("identifiers__value")
                .filter(identifiers__system=MRN_SYSTEM)
                .values_list("given_name", "family_name", "birth_date", "preferred_language", "city")
            )
            rows += list(
                Case.objects.order_by("patient__identifiers__value")
                .filter(patient__identifiers__system=MRN_SYSTEM)
                .values_list("program", "status", "acuity_tier", "primary_case_manager__username")
            )
            raise _Rollback
    except _Rollback:
        return rows


def test_the_same_seed_builds_the_same_organisation_and_another_seed_does_not() -> None:
    first = _fingerprint(3)
    assert Patient.objects.count() == 0
    assert _fingerprint(3) == first
    assert _fingerprint(4) != first


def test_a_second_run_adds_nothing_and_still_prints_the_logins() -> None:
    call_command(Command(), "--patients", "60", "--seed", "5", stdout=io.StringIO())
    before = row_counts()
    out = io.StringIO()
    call_command(Command(), "--patients", "90", stdout=out)
    assert row_counts() == before
    assert "demo data already present" in out.getvalue()
    assert f"password: {PASSWORD}" in out.getvalue() and "casemanager" in out.getvalue()
    assert demo_patients().filter(organization__name=ORGANIZATION_NAME).count() == 60
    assert plan_members().count() == 60 * MEMBERS_PER_PATIENT


def test_it_refuses_a_database_where_its_user_names_are_taken_and_leaves_it_untouched() -> None:
    User.objects.create_user("admin", password="x-long-password-1")
    with pytest.raises(DemoError, match="admin"):
        build_demo(patients=10)
    assert not Patient.objects.exists() and User.objects.count() == 1


def test_the_curl_line_names_the_address_the_site_is_served_at(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Issue 17 §5: it said port 8000 whatever port `PORT=8765 ./scripts/start` served on.
    settings.DATA_HOME = tmp_path
    settings.SITE_URL = "http://127.0.0.1:8765"
    token_path().write_text("demo-secret")
    out = io.StringIO()
    write_logins(out, [])
    assert '"http://127.0.0.1:8765/fhir/r4/Patient?_count=5"' in out.getvalue()
    assert "8000" not in out.getvalue()
