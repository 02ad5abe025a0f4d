"""@mentions in chart notes (issue 17 §4): who is told, who is refused and why, all or nothing, through the
action and through the chart's note form. Alice is Paula's case manager, Sam supervises her case, Dana is the
physician on her care team, Bob is on Alice's team with no relationship to Paula, Charlie works elsewhere."""

from __future__ import annotations

import pytest
from django.urls import reverse

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Role
from careconductor.cases.cover import do_record_cover
from careconductor.coordination.choices import NotificationKind
from careconductor.coordination.mentions import do_add_note, mention_candidates
from careconductor.coordination.models import NoteMention, Notification
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.patients.models import Note
from careconductor.privacy.actions import do_record_consent
from careconductor.privacy.choices import ConsentMethod, ConsentType, Sensitivity
from careconductor.privacy.models import AuditEvent

from ..personas import PASSWORD, World

pytestmark = pytest.mark.django_db


def _nothing_changed(world: World) -> None:
    assert not Note.objects.filter(patient=world.paula).exists()
    assert not NoteMention.objects.exists()
    assert not Notification.objects.filter(kind=NotificationKind.MENTION).exists()


def test_each_colleague_named_who_may_read_the_note_is_told(world: World) -> None:
    written = do_add_note(
        world.alice, world.paula, text="A1c 9.1 today. @dana can we step up her insulin? @sam FYI, and @dana."
    )
    assert written.told == [world.dana, world.sam]
    note = written.note
    assert note.text.startswith("A1c 9.1") and note.author == world.alice
    mentions = {m.user: m for m in NoteMention.objects.filter(note=note).select_related("notification")}
    assert set(mentions) == {world.dana, world.sam}
    for person, mention in mentions.items():
        n = mention.notification
        assert n is not None and n.user == person and n.kind == NotificationKind.MENTION
        assert n.title == "Alice Tester mentioned you on P. R.'s chart"
        assert n.body == "" and "A1c" not in n.title  # the note's words stay in the note
        assert n.url == f"/patients/{world.paula.pk}/#note-{note.pk}"
        assert n.patient == world.paula and n.read_at is None
    assert (
        AuditEvent.objects.filter(object_type="NoteMention", user=world.alice, patient=world.paula).count()
        == 2
    )


def test_a_care_team_member_can_mention_the_case_manager(world: World) -> None:
    written = do_add_note(
        world.dana, world.paula, text="Started basal insulin. @alice please check in Friday."
    )
    assert written.told == [world.alice]


def test_someone_without_a_relationship_is_refused_beside_the_field_and_nothing_is_saved(
    world: World,
) -> None:
    with pytest.raises(ActionRefused) as refused:
        do_add_note(world.alice, world.paula, text="@dana and @bob, see her foot")
    assert refused.value.errors == {
        "text": "Bob Tester is not on this patient's care team, so cannot be mentioned here."
    }
    _nothing_changed(world)


@pytest.mark.parametrize("who", ["uma", "adam"])
def test_roles_that_cannot_read_a_sensitive_note_are_refused(world: World, who: str) -> None:
    # The UM reviewer has no chart at all; the administrator sees the chart but never a Part 2 record.
    person = getattr(world, who)
    with pytest.raises(ActionRefused) as refused:
        do_add_note(world.alice, world.paula, text=f"@{who} see this", sensitivity=Sensitivity.PART2)
    expected = (
        "may not read 42 CFR Part 2 notes of this patient"
        if who == "adam"
        else "is not on this patient's care team"
    )
    assert f"{person.display_name()} {expected}" in refused.value.errors["text"]
    _nothing_changed(world)


def test_a_sensitive_note_tells_only_who_may_read_it(world: World) -> None:
    with pytest.raises(ActionRefused) as refused:
        do_add_note(
            world.alice, world.paula, text="Methadone 60 mg. @sam @dana", sensitivity=Sensitivity.PART2
        )
    assert refused.value.errors == {
        "text": "Dana Tester may not read 42 CFR Part 2 notes of this patient, so cannot be mentioned on this one."
    }
    _nothing_changed(world)
    # Her supervisor may; so may Dana once Paula's consent names her.
    written = do_add_note(
        world.alice, world.paula, text="Methadone 60 mg. @sam", sensitivity=Sensitivity.PART2
    )
    assert written.told == [world.sam]
    title = Notification.objects.get(user=world.sam, kind=NotificationKind.MENTION).title
    assert "Methadone" not in title
    do_record_consent(
        world.alice,
        world.paula,
        consent_type=ConsentType.PART2,
        method=ConsentMethod.WRITTEN,
        given_on=clock.today(),
        recipient_user=world.dana,
    )
    assert do_add_note(world.alice, world.paula, text="@dana", sensitivity=Sensitivity.PART2).told == [
        world.dana
    ]


def test_names_that_are_not_colleagues_are_ordinary_text(world: World) -> None:
    paula_login = do_create_user("paulareyes", Role.PATIENT, world.riverside, PASSWORD)
    world.dana.is_active = False
    world.dana.save()
    written = do_add_note(
        world.alice,
        world.paula,
        text="@charlie @paulareyes @nobody @alice @dana e-mail sam@riverside.example; @Sam",
    )
    # Another organisation's staff, a patient's log-in, nobody, the writer herself and someone who left are not
    # told, and not refused either (nothing says who exists elsewhere); case does not matter.
    assert written.told == [world.sam]
    assert not Notification.objects.filter(user__in=[world.charlie, paula_login, world.alice]).exists()


def test_ticked_colleagues_are_told_like_written_ones_and_refused_beside_their_field(world: World) -> None:
    assert do_add_note(world.alice, world.paula, text="Call went well.", mention=["dana"]).told == [
        world.dana
    ]
    with pytest.raises(ActionRefused) as refused:
        do_add_note(world.alice, world.paula, text="@sam", mention=["bob", "ghost"])
    assert set(refused.value.errors) == {"mention"}
    assert "No active colleague is called ghost." in refused.value.errors["mention"]
    assert "Bob Tester is not on this patient's care team" in refused.value.errors["mention"]


def test_only_people_who_may_write_notes_write_them(world: World) -> None:
    with pytest.raises(NotVisible):
        do_add_note(world.bob, world.paula, text="@alice")
    assert not Notification.objects.filter(kind=NotificationKind.MENTION).exists()


def test_too_many_names_are_refused(world: World) -> None:
    with pytest.raises(ActionRefused) as refused:
        do_add_note(world.alice, world.paula, text=" ".join(f"@n{i}.a.b.c" for i in range(100)))
    assert "at most 20" in refused.value.errors["text"]


def test_the_form_offers_only_colleagues_who_may_be_told(world: World) -> None:
    # Bob is on Alice's team but not on Paula's case: offering him would only earn a refusal.
    assert {u.username for u in mention_candidates(world.alice, world.paula)} == {"sam", "dana"}
    assert {u.username for u in mention_candidates(world.dana, world.paula)} == {"alice", "sam"}
    today = clock.today()
    do_record_cover(world.sam, absent=world.alice, delegate=world.bob, start_date=today, end_date=today)
    # Covering for Alice today, Bob may see Paula, so he is offered, and naming him is accepted.
    assert {u.username for u in mention_candidates(world.dana, world.paula)} == {"alice", "sam", "bob"}
    assert do_add_note(world.dana, world.paula, text="Foot looks better @bob").told == [world.bob]


# --- the chart's note form ------------------------------------------------------------------------------------
def test_the_chart_offers_colleagues_to_mention(world: World, login) -> None:
    body = login(world.alice).get(reverse("patients:chart", args=[world.paula.pk])).content.decode()
    assert "Mention colleagues" in body
    assert "Dana Tester (@dana), physician" in body and "Sam Tester (@sam), supervisor" in body


def test_the_note_form_refuses_beside_the_field_and_saves_nothing(world: World, login) -> None:
    client = login(world.alice)
    url = reverse("patients:add_note", args=[world.paula.pk])
    response = client.post(url, {"text": "See her foot @bob"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_text_error"' in body
    assert "Bob Tester is not on this patient&#x27;s care team" in body
    _nothing_changed(world)
    response = client.post(url, {"text": "See her foot @dana", "mention": ["sam"]}, follow=True)
    assert response.status_code == 200
    assert "Mentioned in their inbox: Dana Tester, Sam Tester." in response.content.decode()
    assert NoteMention.objects.filter(user__in=[world.dana, world.sam]).count() == 2
    assert client.post(url, {"text": "x", "mention": ["charlie"]}).status_code == 400  # not offered
