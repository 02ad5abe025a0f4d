"""Staff on screens (issue 17 §2): invite by e-mail with a one-time link, change a profile, deactivate with
the open work handed over, all or nothing."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from careconductor.accounts.actions import do_create_token
from careconductor.accounts.choices import Role
from careconductor.accounts.models import ApiToken, StaffProfile, User
from careconductor.cases.models import Case
from careconductor.coordination.actions import do_create_task
from careconductor.coordination.models import Task
from careconductor.core import clock
from careconductor.patients.models import CareTeamMember
from careconductor.privacy.models import AuditEvent

from ..personas import World

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "tulip-harbour-lantern-47"


def _invite(**changes: object) -> dict[str, object]:
    return {
        "first_name": "Maria",
        "last_name": "López",
        "username": "maria.lopez",
        "email": "maria@riverside.example",
        "role": "case_manager",
        "discipline": "social_work",
        "credentials": "LCSW",
        "experience_level": "proficient",
        "caseload_capacity": 60,
        "languages": ["en", "es"],
        "work_phone": "555-0140",
        **changes,
    }


def test_an_invited_person_chooses_a_password_once_and_logs_in(
    world: World, login, settings, client: Client, django_capture_on_commit_callbacks
) -> None:
    settings.STAFF_INVITATION_DAYS = 3
    admin = login(world.adam)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(reverse("administration:invite"), _invite(team=world.north.pk))
    assert response.status_code == 302
    maria = User.objects.get(username="maria.lopez")
    assert (maria.role, maria.organization, maria.has_usable_password()) == (
        "case_manager",
        world.riverside,
        False,
    )
    profile = StaffProfile.objects.get(user=maria)
    assert (profile.team, profile.languages, profile.caseload_capacity) == (world.north, ["en", "es"], 60)
    (message,) = mail.outbox
    assert message.to == ["maria@riverside.example"] and "for 3 days" in message.body
    path = re.search(r"https?://[^/]+(/setup/welcome/\S+)", message.body).group(1)  # type: ignore[union-attr]

    client.logout()
    form_page = client.get(path, follow=True)
    assert (
        "Choose your password" in form_page.content.decode() and "maria.lopez" in form_page.content.decode()
    )
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("login")
    assert (
        client.post(reverse("login"), {"username": "maria.lopez", "password": NEW_PASSWORD}).status_code
        == 302
    )
    client.logout()
    again = client.get(path, follow=True).content.decode()
    assert "This link no longer works" in again
    assert AuditEvent.objects.filter(user=maria, object_type="User", detail="password chosen").exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"username": "alice"}, "username"),
        ({"username": "a b"}, "username"),
        ({"email": ""}, "email"),
        ({"role": "patient"}, "role"),
        ({"caseload_capacity": 9999}, "caseload_capacity"),
        ({"languages": ["xx"]}, "languages"),
    ],
)
def test_a_refused_invitation_creates_no_one_and_sends_nothing(
    world: World, login, changes: dict, field: str
) -> None:
    before = User.objects.count()
    response = login(world.adam).post(reverse("administration:invite"), _invite(**changes))
    assert response.status_code == 400 and f'id="id_{field}_error"' in response.content.decode()
    assert User.objects.count() == before and not mail.outbox


def test_a_profile_change_is_saved_and_a_supervisor_of_a_team_keeps_a_leading_role(
    world: World, login
) -> None:
    client = login(world.adam)
    data = _invite(first_name="Alice", last_name="Tester", email="alice@x.example", experience_level="expert")
    data.pop("username")
    assert (
        client.post(
            reverse("administration:staff_member", args=[world.alice.pk]), {"form": "profile", **data}
        ).status_code
        == 302
    )
    assert StaffProfile.objects.get(user=world.alice).experience_level == "expert"
    demote = {**data, "role": "case_manager", "form": "profile", "first_name": "Sam"}
    refused = client.post(reverse("administration:staff_member", args=[world.sam.pk]), demote)
    assert "give the team another supervisor first" in refused.content.decode()
    world.sam.refresh_from_db()
    assert world.sam.role == Role.SUPERVISOR


def test_deactivating_hands_the_open_cases_and_tasks_over_and_ends_access(world: World, login) -> None:
    task = do_create_task(
        world.alice, world.paula, owner=world.alice, title="Call Paula about the refill", due_at=clock.now()
    )
    do_create_token(world.alice)
    client = login(world.adam)
    url = reverse("administration:staff_member", args=[world.alice.pk])
    page = client.get(url).content.decode()
    assert "1 case and 1 task" in page

    refused = client.post(url, {"form": "deactivate", "reason": "Left the organisation"})
    assert refused.status_code == 400 and "choose who takes it over" in refused.content.decode()
    world.alice.refresh_from_db()
    assert world.alice.is_active

    done = client.post(
        url, {"form": "deactivate", "reason": "Left the organisation", "hand_over_to": world.bob.pk}
    )
    assert done.status_code == 302
    world.alice.refresh_from_db()
    assert not world.alice.is_active
    assert Case.objects.get(pk=world.paula_case.pk).primary_case_manager == world.bob
    assert Task.objects.get(pk=task.pk).owner == world.bob
    assert not ApiToken.objects.filter(user=world.alice, revoked_at__isnull=True).exists()
    assert not CareTeamMember.objects.filter(user=world.alice, end_date__isnull=True).exists()
    assert (
        Client()
        .post(reverse("login"), {"username": "alice", "password": "correct-horse-battery-staple"})
        .status_code
        == 200
    )
    assert AuditEvent.objects.filter(
        user=world.adam, object_type="User", detail__startswith="deactivated"
    ).exists()


def test_a_hand_over_to_someone_who_cannot_carry_the_case_changes_nothing(world: World, login) -> None:
    """Dana (a physician with no capacity) cannot take Paula's case: nothing moves, Alice stays active."""
    task = do_create_task(world.alice, world.paula, owner=world.alice, title="Call Paula", due_at=clock.now())
    url = reverse("administration:staff_member", args=[world.alice.pk])
    response = login(world.adam).post(
        url, {"form": "deactivate", "reason": "Leave", "hand_over_to": world.dana.pk}
    )
    assert response.status_code == 400 and 'id="id_hand_over_to_error"' in response.content.decode()
    world.alice.refresh_from_db()
    assert world.alice.is_active and Task.objects.get(pk=task.pk).owner == world.alice
    assert Case.objects.get(pk=world.paula_case.pk).primary_case_manager == world.alice


def test_an_administrator_cannot_deactivate_themselves_nor_reach_another_organisations_staff(
    world: World, login
) -> None:
    client = login(world.adam)
    own = client.post(
        reverse("administration:staff_member", args=[world.adam.pk]), {"form": "deactivate", "reason": "x"}
    )
    assert own.status_code == 400 and "You cannot deactivate yourself" in own.content.decode()
    assert client.get(reverse("administration:staff_member", args=[world.charlie.pk])).status_code == 404
