"""An organisation sets itself up on screens (issue 17 §2): the first-run checklist, the organisation, teams,
programme rules; refusals beside their fields with nothing changed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Role
from careconductor.accounts.models import Organization, StaffProfile, Team
from careconductor.administration.actions import do_set_team
from careconductor.administration.queries import checklist
from careconductor.assessments.rules import intervals_for
from careconductor.careplans.actions import do_create_plan
from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.cases.models import Case, ProgramSetting
from careconductor.cases.programs import program_rules
from careconductor.coordination.actions import closure_needs_approval
from careconductor.core.errors import ActionRefused
from careconductor.patients.actions import PatientDetails
from careconductor.patients.choices import Sex
from careconductor.privacy.models import AuditEvent

from ..personas import World, make_staff

pytestmark = pytest.mark.django_db

SETUP_PAGES = ["start", "organization", "teams", "staff", "invite", "programs"]


def _patient(given: str) -> PatientDetails:
    return PatientDetails(
        given_name=given, family_name="Okafor", birth_date=dt.date(1950, 5, 2), sex=Sex.MALE
    )


def test_a_new_organisation_starts_on_the_checklist_not_on_an_error(login) -> None:
    org = Organization.objects.create(name="Hillside Care")
    ada = make_staff("ada", Role.ADMIN, org)
    with pytest.raises(ActionRefused, match="no team to receive referrals"):
        do_register_and_refer(
            ada, _patient("Ike"), program=Program.CCM, referral_source=ReferralSource.PCP, referral_reason="x"
        )
    client = login(ada)
    home = client.get("/")
    assert home.status_code == 302 and home["Location"] == reverse("administration:start")
    page = client.get(home["Location"]).content.decode()
    assert "Three steps before the first patient" in page
    assert [s.done for s in checklist(org)] == [False, False, False]


def test_each_set_up_page_answers_the_administrator_and_refuses_everyone_else(world: World, login) -> None:
    admin = login(world.adam)
    for name in SETUP_PAGES:
        assert admin.get(reverse(f"administration:{name}")).status_code == 200, name
    supervisor = login(world.sam)
    for name in SETUP_PAGES:
        assert supervisor.get(reverse(f"administration:{name}")).status_code == 403, name


def test_the_organisation_is_renamed_and_a_blank_name_changes_nothing(world: World, login) -> None:
    client = login(world.adam)
    url = reverse("administration:organization")
    refused = client.post(url, {"name": "  ", "phone": "555-0199"})
    assert refused.status_code == 400 and 'id="id_name_error"' in refused.content.decode()
    world.riverside.refresh_from_db()
    assert (world.riverside.name, world.riverside.phone) == ("Riverside Health", "")
    taken = client.post(url, {"name": "lakeside clinic", "phone": ""})
    assert "Another organisation on this installation has that name." in taken.content.decode()
    saved = client.post(
        url, {"name": "Riverside Health System", "phone": "555-0199", "after_hours_phone": "555-0198"}
    )
    assert saved.status_code == 302
    world.riverside.refresh_from_db()
    assert (world.riverside.name, world.riverside.phone, world.riverside.after_hours_phone) == (
        "Riverside Health System", "555-0199", "555-0198"
    )  # fmt: skip
    assert AuditEvent.objects.filter(user=world.adam, object_type="Organization", action="update").exists()


def test_a_team_is_created_with_its_supervisor_and_programmes_and_receives_those_referrals(
    world: World, login
) -> None:
    client = login(world.adam)
    url = reverse("administration:teams")
    response = client.post(url, {"name": "Transitions", "supervisor": world.sam.pk, "programs": ["tcm"]})
    assert response.status_code == 302
    team = Team.objects.get(organization=world.riverside, name="Transitions")
    assert (team.supervisor, team.programs) == (world.sam, ["tcm"])
    # Someone on no team registers: the referral goes to the team that receives its programme.
    do_register_and_refer(
        world.adam,
        _patient("Ike"),
        program=Program.TCM,
        referral_source=ReferralSource.HOSPITAL,
        referral_reason="x",
    )
    assert Case.objects.get(patient__given_name="Ike").team == team
    listing = client.get(url).content.decode()
    assert "Transitional care" in listing and "Transitions" in listing
    # Sam already leads North, so he stays on it; a supervisor on no team joins the team they are given.
    assert StaffProfile.objects.get(user=world.sam).team == world.north
    lena = do_create_user("lena.sup", Role.SUPERVISOR, world.riverside, "A long pass phrase 42!")
    assert not StaffProfile.objects.filter(user=lena).exists()
    assert client.post(url, {"name": "Community", "supervisor": lena.pk}).status_code == 302
    assert StaffProfile.objects.get(user=lena).team == Team.objects.get(name="Community")


def test_a_person_without_a_profile_can_be_put_on_a_team(world: World) -> None:
    newcomer = do_create_user("nia", Role.CASE_MANAGER, world.riverside, "A long pass phrase 42!")
    assert do_set_team(world.adam, newcomer, world.north).team == world.north


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"name": "north", "supervisor": ""}, "name", "Another team has that name."),
        ({"name": "West", "supervisor": "alice"}, "supervisor", "Select a valid choice"),
        ({"name": "West", "supervisor": "lena"}, "supervisor", "Select a valid choice"),
        ({"name": "", "supervisor": ""}, "name", "This field is required."),
        ({"name": "West", "programs": ["hospice"]}, "programs", "Select a valid choice"),
    ],
)
def test_a_refused_team_shows_why_beside_the_field_and_adds_nothing(
    world: World, login, data: dict, field: str, words: str
) -> None:
    people = {"alice": world.alice.pk, "lena": Team.objects.get(name="Lake").supervisor_id}
    data = {k: people.get(v, v) if isinstance(v, str) else v for k, v in data.items()}
    before = Team.objects.count()
    response = login(world.adam).post(reverse("administration:teams"), data)
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode() and words in response.content.decode()
    assert Team.objects.count() == before


def test_a_team_of_another_organisation_is_not_found(world: World, login) -> None:
    lake = Team.objects.get(name="Lake")
    assert login(world.adam).get(reverse("administration:team", args=[lake.pk])).status_code == 404


def test_programme_rules_replace_the_installation_defaults_for_this_organisation(world: World, login) -> None:
    assert program_rules(world.riverside.pk, Program.COMPLEX).plan_approval  # the default (settings)
    client = login(world.adam)
    url = reverse("administration:programs")
    form = {"program": "complex_cm", "phq_9": 14, "icm_complexity_grid": 60, "ahc_hrsn": 180}
    too_short = client.post(url, {**form, "phq_9": 3})
    assert too_short.status_code == 400 and 'id="id_phq_9_error"' in too_short.content.decode()
    assert not ProgramSetting.objects.exists()
    assert client.post(url, form).status_code == 302  # both approvals unticked
    rules = program_rules(world.riverside.pk, Program.COMPLEX)
    assert (rules.plan_approval, rules.closure_approval) == (False, False)
    assert {i.slug: i.days for i in intervals_for(Program.COMPLEX, rules.reassessment_days)} == {
        "phq-9": 14, "icm-complexity-grid": 60, "ahc-hrsn": 180
    }  # fmt: skip
    plan = do_create_plan(world.alice, world.paula_case)
    assert plan.requires_approval is False
    assert closure_needs_approval(world.alice, world.paula_case) is False
    # Another organisation keeps the defaults.
    assert program_rules(world.lakeside.pk, Program.COMPLEX).plan_approval
