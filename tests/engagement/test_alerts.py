"""An alert that is still open when the patient reports again (issue 17 §5): a worse reading or a new symptom
updates the alert and its task and tells the owner again; a portal message that mentions symptoms is not routine."""

from __future__ import annotations

from decimal import Decimal

import pytest

from careconductor.coordination.choices import FlagCategory, TaskKind, TaskPriority
from careconductor.coordination.models import Flag, Notification, Task
from careconductor.engagement import actions, rules
from careconductor.engagement.choices import Symptom

from .conftest import Portal

pytestmark = pytest.mark.django_db
D = Decimal


def alert_and_task(portal: Portal, rule: str) -> tuple[Flag, Task]:
    paula = portal.world.paula
    return Flag.objects.get(patient=paula, rule=rule), Task.objects.get(patient=paula, rule=rule)


def told(portal: Portal, task: Task) -> list[str]:
    return list(
        Notification.objects.filter(user=portal.world.alice, url=f"/tasks/{task.pk}/")
        .order_by("pk")
        .values_list("title", flat=True)
    )


def test_a_worse_reading_and_a_new_symptom_update_the_open_alert_and_tell_the_owner_again(
    portal: Portal,
) -> None:
    paula, login = portal.world.paula, portal.paula_login
    actions.do_report_blood_pressure(login, paula, systolic=D(184), diastolic=D(102))
    flag, task = alert_and_task(portal, "self-report:bp-high")
    assert "184/102" in flag.text and len(told(portal, task)) == 1

    # The headache, reported while the alert is open: a new symptom is worse.
    actions.do_report_wellbeing(login, paula, mood=3, symptoms=[Symptom.HEADACHE])
    # Then a higher reading: the alert and the task say the new value, with the headache.
    first = actions.do_report_blood_pressure(login, paula, systolic=D(185), diastolic=D(110))
    flag, task = alert_and_task(portal, "self-report:bp-high")
    text = (
        "Patient-reported blood pressure 185/110 mmHg at or above the alert limit; also reports bad headache"
    )
    assert (flag.text, flag.focus) == (text, f"Observation/reading-{first.readings[0].pk}")
    assert task.title == f"Call the patient: {text}"
    assert f"Worse: {text}." in task.note
    headache = f"Worse: Call the patient: {text.replace('185/110', '184/102')}"
    assert told(portal, task)[1:] == [headache, f"Worse: {task.title}"]

    # Lower again but still past the limit: the alert says so, the owner is not told again.
    actions.do_report_blood_pressure(login, paula, systolic=D(182), diastolic=D(104))
    flag, task = alert_and_task(portal, "self-report:bp-high")
    assert "182/104" in flag.text and "Another report: Patient-reported blood pressure 182/104" in task.note
    assert len(told(portal, task)) == 3
    assert Task.objects.filter(patient=paula, kind=TaskKind.SELF_REPORT).count() == 1


def test_a_symptom_reported_earlier_today_is_on_the_alert_a_reading_opens(portal: Portal) -> None:
    paula, login = portal.world.paula, portal.paula_login
    actions.do_report_wellbeing(login, paula, mood=3, symptoms=[Symptom.DIZZY])
    actions.do_report_reading(login, paula, measure="glucose", value=D(55))
    flag, task = alert_and_task(portal, "self-report:glucose-low")
    assert flag.text.endswith("; also reports dizzy") and task.title.endswith("; also reports dizzy")


def test_a_portal_message_that_mentions_symptoms_is_an_alert_not_routine(portal: Portal) -> None:
    paula = portal.world.paula
    actions.do_send_message(
        portal.paula_login, paula, subject="Pastillas", body="¿Me pueden renovar la receta?"
    )
    assert not Flag.objects.filter(patient=paula).exists() and not Task.objects.filter(patient=paula).exists()

    actions.do_send_message(
        portal.daughter, paula, subject="Mamá", body="Desde anoche tiene dolor de cabeza y está mareada."
    )
    flag, task = alert_and_task(portal, "message:symptoms")
    assert (
        flag.text == "Portal message mentions bad headache, dizzy" and flag.category == FlagCategory.CLINICAL
    )
    assert (task.owner, task.priority, task.kind) == (
        portal.world.alice,
        TaskPriority.URGENT,
        TaskKind.SELF_REPORT,
    )
    assert task.title == "Read the patient's message now: Portal message mentions bad headache, dizzy"

    # Chest pain in a second message: worse, the task becomes as soon as possible and its owner is told again.
    actions.do_send_message(portal.paula_login, paula, subject="Chest", body="Now I have chest pain too")
    flag, task = alert_and_task(portal, "message:symptoms")
    assert flag.text == "Portal message mentions chest pain, bad headache, dizzy"
    assert task.priority == TaskPriority.ASAP
    assert told(portal, task)[-1].startswith("Worse: Read the patient's message now")


def test_thoughts_of_self_harm_in_a_message_are_a_safety_alert_due_within_the_hour(portal: Portal) -> None:
    actions.do_send_message(
        portal.paula_login, portal.world.paula, subject="Hola", body="A veces pienso en el suicidio"
    )
    flag, task = alert_and_task(portal, "message:symptoms")
    assert flag.category == FlagCategory.SAFETY and task.priority == TaskPriority.ASAP


# --- The rules, as tables ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Can you refill my pills?", []),
        ("I have had a headache since Monday", ["headache"]),
        ("CHEST PAIN when I walk, and short of breath", ["chest-pain", "short-of-breath"]),
        ("I can’t breathe well at night", ["short-of-breath"]),
        ("Felt dizzy and nearly fainted", ["dizzy"]),
        ("There was blood in my urine", ["bleeding"]),
        ("Some days I want to die", ["self-harm"]),
        ("Tengo dolor de pecho", ["chest-pain"]),
        ("Me falta el aire al subir la escalera", ["short-of-breath"]),
        ("Dolor de cabeza y mareos", ["headache", "dizzy"]),
        ("Está sangrando de la nariz", ["bleeding"]),
        ("Pensé en quitarme la vida", ["self-harm"]),
        ("Pienso en hacerme daño", ["self-harm"]),
        ("The headboard of my bed broke", []),  # words, not parts of words
    ],
)
def test_the_symptoms_a_message_mentions(text: str, found: list[str]) -> None:
    assert rules.message_symptoms(text) == found


@pytest.mark.parametrize(
    ("direction", "earlier", "new", "earlier_symptoms", "new_symptoms", "worse"),
    [
        (
            1,
            {"bp-systolic": D(184), "bp-diastolic": D(102)},
            {"bp-systolic": D(185), "bp-diastolic": D(110)},
            (),
            (),
            True,
        ),
        (
            1,
            {"bp-systolic": D(184), "bp-diastolic": D(102)},
            {"bp-systolic": D(184), "bp-diastolic": D(102)},
            (),
            (),
            False,
        ),
        (
            1,
            {"bp-systolic": D(184), "bp-diastolic": D(102)},
            {"bp-systolic": D(182), "bp-diastolic": D(104)},
            (),
            (),
            True,
        ),
        (
            1,
            {"bp-systolic": D(190), "bp-diastolic": D(110)},
            {"bp-systolic": D(182), "bp-diastolic": D(104)},
            (),
            (),
            False,
        ),
        (-1, {"glucose": D(58)}, {"glucose": D(52)}, (), (), True),
        (-1, {"glucose": D(58)}, {"glucose": D(64)}, (), (), False),
        (1, {}, {"glucose": D(320)}, (), (), False),  # nothing before to compare with
        (1, {}, {}, {"headache"}, {"headache"}, False),
        (1, {}, {}, {"headache"}, {"headache", "dizzy"}, True),
    ],
)
def test_a_report_is_worse_when_further_past_the_limit_or_with_a_new_symptom(
    direction: int,
    earlier: dict[str, Decimal],
    new: dict[str, Decimal],
    earlier_symptoms: set[str],
    new_symptoms: set[str],
    worse: bool,
) -> None:
    assert rules.is_worse(direction, earlier, new, set(earlier_symptoms), set(new_symptoms)) is worse
