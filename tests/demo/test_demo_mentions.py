"""The demo shows mentions and the inbox (issue 17 §4): casemanager opens her inbox to unread notes from the
pharmacist and her supervisor, one read, and a task handed over to her; the pharmacist and the supervisor were
mentioned back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from careconductor.accounts.models import User
from careconductor.coordination.inbox import access_inbox
from careconductor.coordination.models import NoteMention
from careconductor.privacy import chain

pytestmark = pytest.mark.django_db


def test_casemanagers_inbox_has_unread_mentions_and_a_hand_over(demo: str) -> None:
    manager = User.objects.get(username="casemanager")
    items = access_inbox(manager)
    assert [(i.kind_label, i.unread, i.writer) for i in items] == [
        ("Hand-over", True, ""),  # just now
        ("Mention", True, "Sandra Whitfield"),  # an hour and a half ago
        ("Mention", True, "Kevin Tran"),
        ("Mention", False, "Sandra Whitfield"),  # yesterday, read
    ]
    assert sum(i.unread for i in items) == 3
    assert all(i.patient_name and (i.line or i.kind_label == "Hand-over") for i in items)
    assert "Mentions and hand-overs: 5" in demo
    assert chain.verify().ok


def test_the_pharmacist_and_the_supervisor_were_mentioned_back(demo: str) -> None:
    told = set(
        NoteMention.objects.filter(note__author__username="casemanager").values_list(
            "user__username", flat=True
        )
    )
    pharmacist = User.objects.get(role="care_team", profile__discipline="pharmacist")
    assert told == {pharmacist.username, "supervisor"}


def test_casemanager_opens_her_inbox(demo: str, client) -> None:  # type: ignore[no-untyped-def]
    from careconductor.demo.generator import PASSWORD

    assert client.post(reverse("login"), {"username": "casemanager", "password": PASSWORD}).status_code == 302
    body = client.get(reverse("coordination:inbox")).content.decode()
    assert "3 unread" in body and "Kevin Tran mentioned you" in body
    assert "@3</span>" in client.get(reverse("coordination:notification_badge")).content.decode()
