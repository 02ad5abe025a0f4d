"""The patient's printed plan: it carries the version in force in the patient's words and language, in large
type, says plainly when the patient has not agreed to it, and the pages look right (they are rendered to PNG
in the screenshots folder to be looked at)."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import pytest
import time_machine
from django.template.loader import render_to_string
from django.utils import translation
from pypdf import PdfReader

from careconductor.accounts.models import Organization, StaffProfile
from careconductor.careplans import actions, printout, printout_pdf
from careconductor.careplans.choices import (
    AgreedBy,
    AgreementMethod,
    GoalAgreement,
    InterventionKind,
    OwnerType,
    Proposer,
)
from careconductor.careplans.models import CarePlan, Goal, PlanVersion
from careconductor.cases.choices import Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.patients.actions import PatientDetails, do_add_care_team_member
from careconductor.patients.choices import Sex
from careconductor.patients.models import Patient
from tests.browser.conftest import SCREENSHOTS
from tests.personas import World

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/New_York"))
GOAL_DUE = dt.date(2027, 3, 3)
SUGAR = "I want to get my sugar down so I can play with my grandkids."
FOOD = "I want to have enough food at the end of the month."
DECLINED = "Lose 20 pounds by summer."
DECLINED_CLASS = "Go to a weight-loss class"
NO_GOAL = "Help me sign up for food benefits (SNAP)"
STEP_1 = "Check my sugar every morning before breakfast"
STEP_2 = "Walk for 10 minutes after dinner"
MINE = "Write my sugar numbers in my notebook"
CAREGIVER = "Drive me to the lab for my A1c test"
STAFF = "Call me every two weeks to see how I am doing"
EMERGENCY_EN = "In an emergency call 911. If you are thinking about hurting yourself, call or text 988."


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass
class Built:
    plan: CarePlan
    version: PlanVersion
    sugar: Goal


def _phones(world: World) -> None:
    # No action edits these contact numbers yet: set them as an administrator's form would.
    Organization.objects.filter(pk=world.riverside.pk).update(phone="555-0100", after_hours_phone="555-0199")
    StaffProfile.objects.filter(user=world.alice).update(work_phone="555-0142")
    StaffProfile.objects.filter(user=world.dana).update(work_phone="555-0177")


def _patient(world: World, given: str, family: str, language: str) -> Patient:
    from careconductor.cases.actions import do_register_and_refer

    patient = do_register_and_refer(
        world.alice,
        PatientDetails(
            given_name=given,
            family_name=family,
            birth_date=dt.date(1950, 6, 1),
            sex=Sex.FEMALE,
            preferred_language=language,
        ),
        program=Program.COMPLEX,
        referral_source=ReferralSource.PCP,
        referral_reason="Diabetes out of control",
        acuity_tier=3,
    )
    do_add_care_team_member(world.alice, patient, member=world.dana, role="Primary care doctor")
    return patient


def _plan(world: World, patient: Patient, *, words: tuple[str, str] = (SUGAR, FOOD)) -> CarePlan:
    """A draft plan: two goals with steps and things to do, and one goal the patient turned down."""
    case = Case.objects.get(patient=patient)
    plan = actions.do_create_plan(world.alice, case, title="Diabetes and food")
    problem = actions.do_add_problem_by_hand(world.alice, plan, title="High blood sugar")
    sugar = actions.do_add_goal(
        world.alice,
        plan,
        problem_ids=[problem.pk],
        patient_words=words[0],
        statement="HbA1c below 8% within 12 months",
        measure="hba1c",
        target_value=Decimal(8),
        due_on=GOAL_DUE,
        patient_rank=1,
    )
    actions.do_add_step(world.alice, sugar, text=STEP_1, due_on=dt.date(2026, 3, 9))
    actions.do_add_step(world.alice, sugar, text=STEP_2)
    actions.do_add_intervention(
        world.alice,
        plan,
        goal=sugar,
        kind=InterventionKind.MONITORING,
        title=MINE,
        owner_type=OwnerType.PATIENT,
    )
    actions.do_add_intervention(
        world.alice,
        plan,
        goal=sugar,
        kind=InterventionKind.COORDINATION,
        title=CAREGIVER,
        owner_type=OwnerType.CAREGIVER,
        owner_name="Rosa, my daughter",
        due_on=dt.date(2026, 4, 15),
    )
    actions.do_add_intervention(
        world.alice,
        plan,
        goal=sugar,
        kind=InterventionKind.MONITORING,
        title=STAFF,
        owner_type=OwnerType.STAFF,
        owner=world.alice,
    )
    food = actions.do_add_goal(
        world.alice,
        plan,
        patient_words=words[1],
        statement="Food security",
        measure="food",
        target_text="I have food every day",
        patient_rank=2,
    )
    actions.do_add_step(world.alice, food, text="Call the food bank on Monday")
    declined = actions.do_add_goal(
        world.alice,
        plan,
        patient_words=DECLINED,
        statement="Weight loss",
        measure="weight",
        target_value=Decimal(80),
        proposed_by=Proposer.TEAM,
        agreement=GoalAgreement.DECLINED,
    )
    actions.do_add_intervention(
        world.alice,
        plan,
        goal=declined,
        kind=InterventionKind.EDUCATION,
        title=DECLINED_CLASS,
        owner_type=OwnerType.PATIENT,
    )
    actions.do_add_intervention(
        world.alice,
        plan,
        kind=InterventionKind.BENEFITS,
        title=NO_GOAL,
        owner_type=OwnerType.STAFF,
        owner=world.alice,
    )
    return plan


def _in_force(world: World, plan: CarePlan) -> PlanVersion:
    """Publish the plan; the programme needs the supervisor's approval, which Sam gives."""
    reason = "" if not plan.current_version else "Changed with the patient at a visit"
    version = actions.do_publish(world.alice, plan, reason=reason)
    version = actions.do_decide_version(world.sam, version, approve=True)
    plan.refresh_from_db()
    return version


def _agree(world: World, plan: CarePlan) -> None:
    actions.do_record_agreement(
        world.alice,
        plan,
        agreed_on=NOW.date(),
        method=AgreementMethod.IN_PERSON,
        agreed_by=AgreedBy.PATIENT,
    )


@pytest.fixture
def english(world: World) -> Built:
    _phones(world)
    patient = _patient(world, "Grace", "Miller", "en")
    plan = _plan(world, patient)
    version = _in_force(world, plan)
    return Built(plan, version, plan.goals.get(patient_words=SUGAR))


def _pdf(plan: CarePlan, version: PlanVersion | None, language: str) -> bytes:
    return printout_pdf.render_pdf(printout.printable(plan, version, language))


def _text(pdf: bytes) -> str:
    """The PDF's text with line breaks and runs of spaces made single spaces, to look for sentences."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def _font_sizes(pdf: bytes) -> list[float]:
    """The effective size of every piece of text drawn (font size times the text matrix's scale)."""
    sizes: list[float] = []

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            sizes.append(round(size * (tm[3] if tm[3] else 1) * (cm[3] if cm[3] else 1), 1))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    return sizes


def _pages_to_png(pdf: bytes, name: str) -> list[str]:
    """Render every page to PNG in the screenshots folder; returns the paths."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob(f"{name}-page*.png"):  # from a longer printout of an earlier run
        old.unlink()
    document = pdfium.PdfDocument(pdf)
    paths = []
    try:
        for number, page in enumerate(document, start=1):
            image = page.render(scale=100 / 72).to_pil()
            path = SCREENSHOTS / f"{name}-page{number}.png"
            image.save(path)
            paths.append(str(path))
            assert image.width == 850 and image.height == 1100  # Letter at 100 dpi
    finally:
        document.close()
    return paths


# --- the language -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("preferred", "language"), [("es", "es"), ("es-MX", "es"), ("en", "en"), ("vi", "en"), ("", "en")]
)
def test_it_prints_in_the_patients_language_where_there_is_a_translation(
    preferred: str, language: str
) -> None:
    assert printout.language_for(Patient(preferred_language=preferred)) == language


def test_the_spanish_translations_are_found(db: None) -> None:
    with translation.override("es"):
        assert translation.gettext("My goals") == "Mis metas"
        assert translation.gettext("Page %(page)s of %(pages)s") == "Página %(page)s de %(pages)s"


# --- what the PDF says ------------------------------------------------------------------------------------------
def test_the_pdf_has_the_goals_steps_and_who_to_call(english: Built) -> None:
    text = _text(_pdf(english.plan, english.version, "en"))
    for expected in (
        "My care plan: Grace Miller",
        "Plan date: March 2, 2026 (version 1)",
        "My goals",
        f"Goal 1: {SUGAR}",
        "How I will know: my A1c blood sugar test is 8% or lower",
        "I want to do this by March 3, 2027.",
        f"Goal 2: {FOOD}",
        "How I will know: I have food every day",
        "My steps",
        STEP_1,
        "By March 9, 2026.",
        STEP_2,
        "Call the food bank on Monday",
        "Things I will do",
        MINE,
        CAREGIVER,
        "Rosa, my daughter will do this. By April 15, 2026.",
        "What my care team will do",
        STAFF,
        "Alice Tester will do this.",
        "More things in my plan",
        NO_GOAL,
        "Who to call",
        "My care manager",
        "Alice Tester (Nurse)",
        "555-0142",
        "Main number",
        "555-0100",
        "Nights and weekends",
        "555-0199",
        "Primary care doctor",
        "Dana Tester (Doctor)",
        "555-0177",
        EMERGENCY_EN,
        "Page 1 of",
    ):
        assert expected in text, expected
    # The patient turned that goal down: it is left out, and what was to be done for it.
    assert DECLINED not in text and DECLINED_CLASS not in text
    assert "DRAFT" not in text


def test_a_plan_with_no_agreement_says_so_and_the_agreement_shows_once_recorded(
    world: World, english: Built
) -> None:
    before = _text(_pdf(english.plan, english.version, "en"))
    assert "This plan has not yet been agreed with you." in before
    _agree(world, english.plan)
    after = _text(_pdf(english.plan, english.version, "en"))
    assert "You agreed to this plan on March 2, 2026." in after
    assert "not yet been agreed" not in after


def test_a_proxys_agreement_names_them(world: World, english: Built) -> None:
    actions.do_record_agreement(
        world.alice,
        english.plan,
        agreed_on=NOW.date(),
        method=AgreementMethod.PHONE,
        agreed_by=AgreedBy.PROXY,
        proxy_name="Rosa Miller",
        proxy_relationship="daughter",
    )
    p = printout.printable(english.plan, english.version, "en")
    assert p.agreed
    assert p.agreement == "Rosa Miller (daughter) agreed to this plan for you on March 2, 2026."


def test_an_agreement_to_an_earlier_version_does_not_count_for_the_next(world: World, english: Built) -> None:
    _agree(world, english.plan)
    actions.do_add_step(world.alice, english.sugar, text="Take my pills with breakfast")
    second = _in_force(world, english.plan)
    p = printout.printable(english.plan, second, "en")
    assert not p.agreed
    assert p.agreement == "This plan has not yet been agreed with you."
    # The first version, now replaced, still shows its agreement, and says it is an older copy.
    english.version.refresh_from_db()
    old = printout.printable(english.plan, english.version, "en")
    assert old.agreed
    assert "older copy" in old.notice


def test_the_pdf_prints_the_version_in_force_not_later_edits(world: World, english: Built) -> None:
    actions.do_update_goal(world.alice, english.sugar, patient_words="I want to feel strong again.")
    english.plan.refresh_from_db()
    in_force = _text(_pdf(english.plan, english.version, "en"))
    assert SUGAR in in_force
    assert "feel strong again" not in in_force
    second = _in_force(world, english.plan)
    assert "I want to feel strong again." in _text(_pdf(english.plan, second, "en"))


def test_a_draft_is_marked_draft_on_every_page(world: World) -> None:
    _phones(world)
    patient = _patient(world, "Grace", "Miller", "en")
    plan = _plan(world, patient)
    pdf = _pdf(plan, None, "en")
    reader = PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        assert "DRAFT" in page.extract_text()
    text = _text(pdf)
    assert "This is a draft. It may still change." in text
    assert "Printed on March 2, 2026" in text
    assert STAFF in text and "What my care team will do" in text
    assert "This plan has not yet been agreed with you." in text
    assert SUGAR in text
    _pages_to_png(pdf, "careplan-pdf-draft")


def test_a_version_awaiting_approval_is_a_draft(world: World) -> None:
    patient = _patient(world, "Grace", "Miller", "en")
    plan = _plan(world, patient)
    pending = actions.do_publish(world.alice, plan, reason="")
    p = printout.printable(plan, pending, "en")
    assert p.draft
    assert p.version_number == 1


def test_a_version_of_another_plan_is_refused(world: World, english: Built) -> None:
    other = _patient(world, "Ann", "Other", "en")
    plan = _plan(world, other)
    with pytest.raises(ValueError):
        printout.printable(plan, english.version, "en")


# --- Spanish ----------------------------------------------------------------------------------------------------
def test_a_spanish_speaker_gets_spanish_headings_dates_and_emergency_line(world: World) -> None:
    _phones(world)
    plan = _plan(
        world,
        world.paula,
        words=("Quiero bajar mi azúcar para jugar con mis nietos.", "Quiero tener comida todo el mes."),
    )
    version = _in_force(world, plan)
    language = printout.language_for(world.paula)
    assert language == "es"
    pdf = _pdf(plan, version, language)
    text = _text(pdf)
    for expected in (
        "Mi plan de cuidado: Paula Reyes",
        "Fecha del plan: 2 de marzo de 2026 (versión 1)",
        "Mis metas",
        "Meta 1: Quiero bajar mi azúcar para jugar con mis nietos.",
        "Cómo sabré que lo logré: mi prueba de azúcar A1c es de 8% o menos",
        "Quiero lograrlo para el 3 de marzo de 2027.",
        "Mis pasos",
        "Lo que yo haré",
        "Lo que hará mi equipo de cuidado",
        "A quién llamar",
        "Quien coordina mi cuidado",
        "Alice Tester (Enfermería)",
        "Este plan todavía no ha sido acordado con usted.",
        "En una emergencia, llame al 911.",
        "llame o envíe un mensaje de texto al 988",
        "Página 1 de",
    ):
        assert expected in text, expected
    assert "My goals" not in text
    assert PdfReader(io.BytesIO(pdf)).root_object["/Lang"] == "es"
    _agree(world, plan)
    assert "Usted aceptó este plan el 2 de marzo de 2026." in _text(_pdf(plan, version, "es"))
    _pages_to_png(_pdf(plan, version, "es"), "careplan-pdf-es")


# --- how the PDF looks ------------------------------------------------------------------------------------------
def test_the_pdf_is_letter_size_with_large_type_and_metadata(english: Built) -> None:
    pdf = _pdf(english.plan, english.version, "en")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 0
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == (612, 792)
    sizes = _font_sizes(pdf)
    assert sizes
    assert min(sizes) >= 14, sorted(set(sizes))
    # Most of the text is body text, at 15pt; headings are 20pt and more.
    assert max(set(sizes), key=sizes.count) == 15
    assert max(sizes) >= 20
    assert reader.metadata is not None
    assert reader.metadata.title == "My care plan: Grace Miller"
    assert reader.root_object["/Lang"] == "en"
    pages = len(reader.pages)
    assert f"Page {pages} of {pages}" in reader.pages[-1].extract_text()


def test_every_page_renders_for_a_look(english: Built) -> None:
    pdf = _pdf(english.plan, english.version, "en")
    paths = _pages_to_png(pdf, "careplan-pdf-en")
    assert len(paths) == len(PdfReader(io.BytesIO(pdf)).pages) >= 1


def test_a_long_plan_runs_over_pages_with_nothing_lost(world: World, english: Built) -> None:
    steps = [f"Step number {n}: a small thing I will do this week to get closer" for n in range(1, 31)]
    for step in steps:
        actions.do_add_step(world.alice, english.sugar, text=step)
    second = _in_force(world, english.plan)
    pdf = _pdf(english.plan, second, "en")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 3
    # The list starts under its goal and breaks between steps, instead of leaving page 1 half empty.
    assert "Check my sugar every morning" in reader.pages[0].extract_text()
    text = _text(pdf)
    for step in steps:
        assert step in text
    assert EMERGENCY_EN in text
    _pages_to_png(pdf, "careplan-pdf-long")


def test_a_name_outside_the_pdf_fonts_does_not_break_it(world: World) -> None:
    patient = _patient(world, "Nguyễn Thị", "Ánh", "vi")
    plan = _plan(world, patient, words=("Tôi muốn khỏe hơn ≤ 8 — “pronto” & <soon>", FOOD))
    p = printout.printable(plan, None, printout.language_for(patient))
    assert p.language == "en"
    pdf = printout_pdf.render_pdf(p)
    text = _text(pdf)
    assert "Nguyen Thi Ánh" in text  # marks outside WinAnsi dropped, Á kept
    assert "<= 8 — “pronto” & <soon>" in text
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata is not None
    assert metadata.title == "My care plan: Nguyễn Thị Ánh"  # PDF metadata is Unicode


def test_text_outside_winansi_is_folded_or_replaced() -> None:
    assert printout_pdf.pdf_text("Ñandú señora ¿Cómo?") == "Ñandú señora ¿Cómo?"
    assert printout_pdf.pdf_text("Nguyễn ≥ 5") == "Nguyen >= 5"
    assert printout_pdf.pdf_text("王 😀") == "? ?"


# --- the web page -----------------------------------------------------------------------------------------------
def _html(p: printout.Printable) -> str:
    return render_to_string(
        "careplans/print.html",
        {
            "p": p,
            "pdf_url": "/careplans/1/plan.pdf?version=1",
            "language_links": [("en", "English", "?lang=en"), ("es", "Español", "?lang=es")],
        },
    )


def test_the_web_page_says_what_the_pdf_says(english: Built) -> None:
    p = printout.printable(english.plan, english.version, "en")
    html = _html(p)
    assert '<html lang="en">' in html
    for expected in (
        "My care plan: Grace Miller",
        f"Goal 1: {SUGAR}",
        STEP_1,
        MINE,
        CAREGIVER,
        STAFF,
        "555-0142",
        EMERGENCY_EN,
        "This plan has not yet been agreed with you.",
        "Download PDF",
        'href="/careplans/1/plan.pdf?version=1"',
        "careplans/print.css",
        "careplans/print.js",
    ):
        assert expected in html, expected
    assert "<script>" not in html and "style=" not in html and "onclick" not in html  # the CSP allows neither
    assert DECLINED not in html and DECLINED_CLASS not in html
    assert NO_GOAL in html


def test_the_web_page_in_spanish(world: World) -> None:
    plan = _plan(world, world.paula, words=("Quiero bajar mi azúcar.", "Quiero tener comida."))
    html = _html(printout.printable(plan, None, "es"))
    assert '<html lang="es">' in html
    for expected in (
        "Mi plan de cuidado: Paula Reyes",
        "Mis metas",
        "Quiero bajar mi azúcar.",
        "BORRADOR",
        "Este plan todavía no ha sido acordado con usted.",
        "En una emergencia, llame al 911.",
        "Descargar PDF",
        "Imprimir",
    ):
        assert expected in html, expected
    # The page's own language is left as it was.
    assert translation.get_language() in ("en-us", "en")


def test_the_web_page_escapes_the_patients_words(world: World) -> None:
    plan = _plan(world, world.paula, words=("<b>mine</b> & yours", FOOD))
    html = _html(printout.printable(plan, None, "en"))
    assert "&lt;b&gt;mine&lt;/b&gt; &amp; yours" in html
