"""The patient's own copy of their care plan, in plain words and large type, as a web page and a PDF.

`printable()` turns one version of the plan (what is in force, so the paper matches what the team works from)
into plain texts in the patient's language; the template careplans/print.html and `render_pdf()` only lay
those texts out, so the page and the PDF never say different things. Fixed texts are written for someone who
reads at about a 6th-grade level: short sentences, "I" for the patient's own parts, no clinical terms.
A plan that has no recorded agreement for the version shown says so, in a box near the top."""

from __future__ import annotations

import datetime as dt
import functools
import io
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.sax.saxutils import escape

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from careconductor.accounts.models import StaffProfile, User
from careconductor.core import clock
from careconductor.patients.models import CareTeamMember, Patient

from . import queries, snapshot
from .choices import AgreedBy, GoalAgreement, GoalLifecycle, OwnerType, VersionStatus
from .measures import measure
from .models import CarePlan, PlanAgreement, PlanVersion

LANGUAGES = ("en", "es")  # the languages the printout has a translation for (settings.LANGUAGES)
# Dates written out the way each language says them ("March 3, 2027", "3 de marzo de 2027").
DATE_FORMATS = {"en": "F j, Y", "es": r"j \d\e F \d\e Y"}
LEFT_OUT = frozenset({GoalLifecycle.REJECTED, GoalLifecycle.CANCELLED, GoalLifecycle.ENTERED_IN_ERROR})

# The target of a measured goal, said plainly ("my A1c blood sugar test is 8% or lower"), after "How I will
# know:". Measures not listed use the target as the case manager wrote it.
TARGETS = {
    "phq9": gettext_noop("my mood check score (PHQ-9) is %(n)s or lower"),
    "gad7": gettext_noop("my worry check score (GAD-7) is %(n)s or lower"),
    "hba1c": gettext_noop("my A1c blood sugar test is %(n)s%% or lower"),
    "bp-systolic": gettext_noop("the top number of my blood pressure is %(n)s or lower"),
    "bp-diastolic": gettext_noop("the bottom number of my blood pressure is %(n)s or lower"),
    "weight": gettext_noop("I weigh %(n)s kg (about %(lb)s pounds) or less"),
    "steps": gettext_noop("I walk %(n)s steps a day or more"),
}
# What the people on the team do, in everyday words (accounts.choices.Discipline).
DISCIPLINES = {
    "nurse": gettext_noop("Nurse"),
    "social_work": gettext_noop("Social worker"),
    "chw": gettext_noop("Community health worker"),
    "physician": gettext_noop("Doctor"),
    "pharmacist": gettext_noop("Pharmacist"),
    "therapist": gettext_noop("Therapist"),
    "administration": gettext_noop("Office staff"),
    "privacy": gettext_noop("Privacy office"),
}


# --- what is printed --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Item:
    """One line of the plan: a step or a thing someone will do, with who and when in `note`."""

    text: str
    note: str = ""


@dataclass(frozen=True)
class GoalPart:
    heading: str  # "Goal 1"
    words: str  # the goal in the patient's words
    target: str  # "How I will know: …"
    due: str  # "I want to do this by …"
    reached: str  # "I reached this goal!" for a completed goal
    steps: tuple[Item, ...]
    mine: tuple[Item, ...]  # done by the patient or a caregiver
    team: tuple[Item, ...]  # done by staff


@dataclass(frozen=True)
class Contact:
    role: str  # "My care manager", "Nights and weekends", a care-team role
    name: str
    detail: str  # "Nurse"
    phone: str


@dataclass(frozen=True)
class Words:
    """The fixed texts, in the printout's language."""

    title: str
    intro: str
    goals: str
    no_goals: str
    steps: str
    mine: str
    team: str
    other: str
    call: str
    questions: str
    phone: str
    draft_mark: str
    page: str  # "Page %(page)s of %(pages)s"


@dataclass(frozen=True)
class Printable:
    language: str
    patient_name: str
    organization: str
    plan_title: str
    version_number: int | None  # None for a draft printed from the working plan
    dated: str  # "Plan date: March 3, 2027 (version 2)" or "Printed on …"
    draft: bool
    notice: str  # why this is not the plan in force, when it is not
    agreed: bool
    agreement: str
    goals: tuple[GoalPart, ...]
    other_mine: tuple[Item, ...]  # things to do that belong to no goal
    other_team: tuple[Item, ...]
    contacts: tuple[Contact, ...]
    emergency: str
    words: Words

    @property
    def heading(self) -> str:
        """The document's title: "My care plan: Paula Reyes"."""
        return f"{self.words.title}: {self.patient_name}"


def language_for(patient: Patient) -> str:
    """The patient's language where the printout has it, else English."""
    preferred = (patient.preferred_language or "").lower()
    return "es" if preferred.startswith("es") else "en"


def printable(
    plan: CarePlan,
    version: PlanVersion | None,
    language: str,
    hidden_problems: set[int] | frozenset[int] = frozenset(),
) -> Printable:
    """The printout of `version` (a draft of the working plan when None), in `language` ("en" or "es"), without
    what is made only for `hidden_problems` (sensitive records the member of staff printing may not see)."""
    if version is not None and version.plan_id != plan.pk:
        raise ValueError("That version belongs to another plan.")
    language = language if language in LANGUAGES else "en"
    content = version.content if version is not None else snapshot.build(plan)
    content = snapshot.without_problems(content, hidden_problems)
    standing = queries.standing(plan)
    with translation.override(language):
        return _printable(plan, version, content, standing, language)


def _printable(
    plan: CarePlan,
    version: PlanVersion | None,
    content: dict[str, Any],
    standing: queries.Standing,
    language: str,
) -> Printable:
    draft = version is None or version.status in (VersionStatus.PENDING, VersionStatus.RETURNED)
    if version is None:
        dated = _("Printed on %(date)s") % {"date": _long_date(clock.today(), language)}
    else:
        dated = _("Plan date: %(date)s (version %(number)s)") % {
            "date": _long_date(timezone.localdate(version.made_at), language),
            "number": version.number,
        }
    if draft:
        notice = _("This is a draft. It may still change.")
    elif version is not None and version.status == VersionStatus.SUPERSEDED:
        notice = _("This is an older copy of your plan. Ask your care manager for the newest one.")
    else:
        notice = ""
    agreement = _agreement_of(version, standing)
    interventions = content.get("interventions", [])
    goals = [g for g in content.get("goals", []) if _shown(g)]
    # What belongs to no goal of the version is listed on its own; what belongs to a goal left out goes too.
    all_goals = {g["id"] for g in content.get("goals", [])}
    loose = [i for i in interventions if i.get("goal_id") not in all_goals]
    return Printable(
        language=language,
        patient_name=plan.patient.full_name,
        organization=plan.organization.name,
        plan_title=str(content.get("title") or plan.title),
        version_number=version.number if version is not None else None,
        dated=dated,
        draft=draft,
        notice=notice,
        agreed=agreement is not None,
        agreement=_agreement_line(agreement, language),
        goals=tuple(
            _goal(n, g, [i for i in interventions if i.get("goal_id") == g["id"]], language)
            for n, g in enumerate(goals, start=1)
        ),
        other_mine=tuple(_item(i, language) for i in loose if i.get("owner_type") != OwnerType.STAFF),
        other_team=tuple(_item(i, language) for i in loose if i.get("owner_type") == OwnerType.STAFF),
        contacts=tuple(_contacts(plan)),
        emergency=_(
            "In an emergency call 911. If you are thinking about hurting yourself, call or text 988."
        ),
        words=Words(
            title=_("My care plan"),
            intro=_(
                "This is your care plan. It shows your goals, the steps to get there, and who to call. "
                "Keep it where you can see it. Bring it to your visits."
            ),
            goals=_("My goals"),
            no_goals=_("There are no goals in this plan yet."),
            steps=_("My steps"),
            mine=_("Things I will do"),
            team=_("What my care team will do"),
            other=_("More things in my plan"),
            call=_("Who to call"),
            questions=_("If you have questions about this plan, call your care manager."),
            phone=_("Phone"),
            draft_mark=_("DRAFT"),
            page=_("Page %(page)s of %(pages)s"),
        ),
    )


def _shown(goal: dict[str, Any]) -> bool:
    # A goal the patient turned down is still "proposed" in the version (it becomes rejected only as the
    # version comes into force), so the agreement is checked as well as the lifecycle.
    return goal.get("lifecycle") not in LEFT_OUT and goal.get("agreement") != GoalAgreement.DECLINED


def _long_date(day: dt.date, language: str) -> str:
    return formats.date_format(day, DATE_FORMATS.get(language, DATE_FORMATS["en"]))


def _iso_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _agreement_of(version: PlanVersion | None, standing: queries.Standing) -> PlanAgreement | None:
    if version is None:
        return None
    if standing.in_force is not None and standing.in_force.pk == version.pk:
        return standing.agreement
    if standing.pending is not None and standing.pending.pk == version.pk:
        return standing.pending_agreement
    return version.agreements.order_by("recorded_at", "pk").last()


def _agreement_line(agreement: PlanAgreement | None, language: str) -> str:
    if agreement is None:
        return _("This plan has not yet been agreed with you.")
    day = _long_date(agreement.agreed_on, language)
    if agreement.agreed_by == AgreedBy.PROXY:
        return _("%(name)s (%(relationship)s) agreed to this plan for you on %(date)s.") % {
            "name": agreement.proxy_name,
            "relationship": agreement.proxy_relationship,
            "date": day,
        }
    return _("You agreed to this plan on %(date)s.") % {"date": day}


def _number(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _target(goal: dict[str, Any]) -> str:
    key = str(goal.get("measure") or "")
    phrase = TARGETS.get(key)
    try:
        value = Decimal(goal["target_value"]) if goal.get("target_value") else None
    except InvalidOperation:
        value = None
    if phrase is not None and value is not None and measure(key).numeric:
        pounds = (value * Decimal("2.20462")).quantize(Decimal(1))
        text = _(phrase) % {"n": _number(value), "lb": _number(pounds)}
    else:
        text = str(goal.get("target") or "").strip()
    return _("How I will know: %(target)s") % {"target": text} if text else ""


def _goal(n: int, goal: dict[str, Any], interventions: list[dict[str, Any]], language: str) -> GoalPart:
    due = _iso_date(goal.get("due_on"))
    return GoalPart(
        heading=_("Goal %(number)s") % {"number": n},
        words=str(goal.get("patient_words") or goal.get("statement") or ""),
        target=_target(goal),
        due=_("I want to do this by %(date)s.") % {"date": _long_date(due, language)} if due else "",
        reached=_("I reached this goal!") if goal.get("lifecycle") == GoalLifecycle.COMPLETED else "",
        steps=tuple(
            Item(str(s.get("text") or ""), _when(_iso_date(s.get("due_on")), language))
            for s in goal.get("steps", [])
        ),
        mine=tuple(_item(i, language) for i in interventions if i.get("owner_type") != OwnerType.STAFF),
        team=tuple(_item(i, language) for i in interventions if i.get("owner_type") == OwnerType.STAFF),
    )


def _when(day: dt.date | None, language: str) -> str:
    return _("By %(date)s.") % {"date": _long_date(day, language)} if day else ""


def _item(intervention: dict[str, Any], language: str) -> Item:
    """A thing someone will do: who does it (unless it is the patient) and by when."""
    day = _iso_date(intervention.get("due_on"))
    owner_type = intervention.get("owner_type")
    name = str(intervention.get("owner") or "").strip()
    if owner_type == OwnerType.CAREGIVER and name in ("", "A caregiver"):  # models.Intervention.owner_label
        who = _("My caregiver will do this.")
    elif owner_type == OwnerType.STAFF and intervention.get("owner_id") is None:
        who = _("My care team will do this.")
    elif owner_type in (OwnerType.CAREGIVER, OwnerType.STAFF):
        who = _("%(name)s will do this.") % {"name": name}
    else:
        who = ""
    note = " ".join(part for part in (who, _when(day, language)) if part)
    return Item(str(intervention.get("title") or ""), note)


def _discipline(user: User, profiles: dict[int, StaffProfile]) -> str:
    profile = profiles.get(user.pk)
    label = DISCIPLINES.get(profile.discipline, "") if profile is not None else ""
    return _(label) if label else ""


def _contacts(plan: CarePlan) -> list[Contact]:
    """Who to call today (not when the version was made): the care manager, the organisation, the team."""
    manager = plan.case.primary_case_manager
    today = clock.today()
    members = [
        m
        for m in CareTeamMember.objects.filter(
            patient_id=plan.patient_id, user__is_active=True, user__isnull=False
        )
        .select_related("user")
        .order_by("start_date", "pk")
        if (m.end_date is None or m.end_date >= today) and (manager is None or m.user_id != manager.pk)
    ]
    people = [m.user_id for m in members if m.user_id] + ([manager.pk] if manager is not None else [])
    profiles = {p.user_id: p for p in StaffProfile.objects.filter(user_id__in=people)}
    contacts: list[Contact] = []
    if manager is not None and manager.is_active:
        profile = profiles.get(manager.pk)
        contacts.append(
            Contact(
                _("My care manager"),
                manager.display_name(),
                _discipline(manager, profiles),
                profile.work_phone if profile is not None else "",
            )
        )
    org = plan.organization
    if org.phone:
        contacts.append(Contact(_("Main number"), org.name, "", org.phone))
    if org.after_hours_phone:
        contacts.append(Contact(_("Nights and weekends"), org.name, "", org.after_hours_phone))
    for member in members:
        if member.user is None:  # people outside the system are on the chart, not on the patient's copy
            continue
        profile = profiles.get(member.user.pk)
        contacts.append(
            Contact(
                member.role,
                member.user.display_name(),
                _discipline(member.user, profiles),
                profile.work_phone if profile is not None else "",
            )
        )
    return contacts


# --- the PDF ----------------------------------------------------------------------------------------------------
INK = colors.HexColor("#111111")
BRAND = colors.HexColor("#0b4f78")  # app.css --brand, a shade darker for print: 8:1 on white
RULE = colors.HexColor("#8a99a8")
MARGIN = 0.75 * inch
BODY = 15
FOOTER_Y = 0.4 * inch

# Helvetica (a PDF standard font, so nothing is embedded) covers WinAnsi (cp1252): every Spanish letter and
# sign, but not, say, Vietnamese "ễ". Characters outside it would print as black boxes, so they are folded to
# their base letter ("Nguyễn" → "Nguyen", as such names are often written in US records) or, failing that,
# replaced by "?". The web page shows the real text.
_REPLACEMENTS = {"≤": "<=", "≥": ">=", "→": "->", "−": "-", "✓": "*", "☐": "[ ]"}


def pdf_text(text: str) -> str:
    out: list[str] = []
    for ch in text:
        if _encodable(ch):
            out.append(ch)
        elif ch in _REPLACEMENTS:
            out.append(_REPLACEMENTS[ch])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base and _encodable(base) else "?")
    return "".join(out)


def _encodable(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _p(text: str) -> str:
    """Text for a Paragraph: WinAnsi only, markup characters escaped."""
    return escape(pdf_text(text))


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "body", fontName="Helvetica", fontSize=BODY, leading=21, textColor=INK, alignment=TA_LEFT
    )
    return {
        "body": base,
        "note": ParagraphStyle("note", parent=base, spaceBefore=2),
        "title": ParagraphStyle(
            "title", parent=base, fontName="Helvetica-Bold", fontSize=24, leading=30, textColor=BRAND
        ),
        "plan": ParagraphStyle("plan", parent=base, fontSize=16, leading=22, spaceBefore=2),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName="Helvetica-Bold",
            fontSize=22,
            leading=28,
            textColor=BRAND,
            spaceBefore=18,
            spaceAfter=6,
            keepWithNext=1,
        ),
        "goal": ParagraphStyle(
            "goal", parent=base, fontName="Helvetica-Bold", fontSize=20, leading=26, keepWithNext=1
        ),
        "h3": ParagraphStyle(
            "h3",
            parent=base,
            fontName="Helvetica-Bold",
            fontSize=17,
            leading=23,
            spaceBefore=10,
            spaceAfter=2,
            keepWithNext=1,
        ),
        "bullet": ParagraphStyle(
            "bullet", parent=base, leftIndent=24, bulletIndent=6, bulletFontSize=BODY, spaceAfter=6
        ),
        "box": ParagraphStyle("box", parent=base, fontName="Helvetica-Bold", fontSize=16, leading=22),
        "contact": ParagraphStyle("contact", parent=base, leading=20),
        "phone": ParagraphStyle(
            "phone", parent=base, fontName="Helvetica-Bold", fontSize=18, leading=24, alignment=TA_LEFT
        ),
    }


class _CheckBox(Flowable):
    """An empty square to tick a step off with a pen."""

    def __init__(self, size: float) -> None:
        super().__init__()
        self.size = size

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.size, self.size

    def draw(self) -> None:
        self.canv.setStrokeColor(INK)
        self.canv.setLineWidth(1.6)
        self.canv.rect(0, 0, self.size, self.size, stroke=1, fill=0)


def _boxed(rows: list[list[Any]], *, border: Any, background: Any, width: float) -> Table:
    table = Table(rows, colWidths=[width])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 2, border),
                ("BACKGROUND", (0, 0), (-1, -1), background),
                ("LEFTPADDING", (0, 0), (-1, -1), 12),
                ("RIGHTPADDING", (0, 0), (-1, -1), 12),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
            ]
        )
    )
    return table


def _item_text(item: Item) -> str:
    return _p(item.text) + (f"<br/>{_p(item.note)}" if item.note else "")


def _steps(items: tuple[Item, ...], s: dict[str, ParagraphStyle], width: float) -> list[Flowable]:
    """One small table per step, so a long list breaks between steps and its heading keeps only the first
    step with it (one table for all would be moved whole to the next page, leaving a gap)."""
    box = 15.0
    style = TableStyle(
        [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (0, -1), 4),
            ("LEFTPADDING", (1, 0), (1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            # The square sits on the first line of text (15pt type, 21pt leading).
            ("TOPPADDING", (0, 0), (0, -1), 4),
            ("TOPPADDING", (1, 0), (1, -1), 0),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
        ]
    )
    return [
        Table(
            [[_CheckBox(box), Paragraph(_item_text(i), s["body"])]],
            colWidths=[box + 16, width - box - 16],
            style=style,
        )
        for i in items
    ]


def _bullets(items: tuple[Item, ...], s: dict[str, ParagraphStyle]) -> list[Flowable]:
    return [Paragraph(_item_text(i), s["bullet"], bulletText="•") for i in items]


def _story(p: Printable, width: float) -> list[Flowable]:
    s = _styles()
    w = p.words
    story: list[Flowable] = [
        Paragraph(_p(p.heading), s["title"]),
        Paragraph(_p(p.plan_title), s["plan"]),
        Paragraph(_p(p.dated), s["plan"]),
        Spacer(1, 10),
    ]
    if p.notice:
        story += [
            _boxed(
                [[Paragraph(_p(p.notice), s["box"])]],
                border=colors.HexColor("#a3231f"),
                background=colors.HexColor("#fde8e7"),
                width=width,
            ),
            Spacer(1, 8),
        ]
    if p.agreed:
        agreement = _boxed(
            [[Paragraph(_p(p.agreement), s["box"])]],
            border=colors.HexColor("#1f7a3d"),
            background=colors.HexColor("#e6f4ea"),
            width=width,
        )
    else:
        agreement = _boxed(
            [[Paragraph(_p(p.agreement), s["box"])]],
            border=colors.HexColor("#8a5a00"),
            background=colors.HexColor("#fff4d6"),
            width=width,
        )
    story += [agreement, Spacer(1, 10), Paragraph(_p(w.intro), s["body"])]

    story.append(Paragraph(_p(w.goals), s["h2"]))
    if not p.goals:
        story.append(Paragraph(_p(w.no_goals), s["body"]))
    for goal in p.goals:
        head: list[Flowable] = [
            Spacer(1, 6),
            Paragraph(f"{_p(goal.heading)}: {_p(goal.words)}", s["goal"]),
        ]
        for line in (goal.reached, goal.target, goal.due):
            if line:
                head.append(Paragraph(_p(line), s["note"]))
        story.append(KeepTogether(head))
        if goal.steps:
            story += [Paragraph(_p(w.steps), s["h3"]), *_steps(goal.steps, s, width)]
        if goal.mine:
            story += [Paragraph(_p(w.mine), s["h3"]), *_bullets(goal.mine, s)]
        if goal.team:
            story += [Paragraph(_p(w.team), s["h3"]), *_bullets(goal.team, s)]
        story.append(Spacer(1, 8))
    if p.other_mine or p.other_team:
        story.append(Paragraph(_p(w.other), s["h2"]))
        if p.other_mine:
            story += [Paragraph(_p(w.mine), s["h3"]), *_bullets(p.other_mine, s)]
        if p.other_team:
            story += [Paragraph(_p(w.team), s["h3"]), *_bullets(p.other_team, s)]

    calls: list[Flowable] = [Paragraph(_p(w.call), s["h2"]), Paragraph(_p(w.questions), s["body"])]
    rows = []
    for c in p.contacts:
        who = f"<b>{_p(c.role)}</b><br/>{_p(c.name)}" + (f" ({_p(c.detail)})" if c.detail else "")
        rows.append([Paragraph(who, s["contact"]), Paragraph(_p(c.phone), s["phone"])])
    if rows:
        table = Table(rows, colWidths=[width * 0.62, width * 0.38])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.75, RULE),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("TOPPADDING", (0, 0), (-1, -1), 8),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
                ]
            )
        )
        calls += [Spacer(1, 6), table]
    calls += [
        Spacer(1, 14),
        _boxed(
            [[Paragraph(_p(p.emergency), s["box"])]],
            border=colors.HexColor("#a3231f"),
            background=colors.HexColor("#fde8e7"),
            width=width,
        ),
    ]
    # Who to call stays on one page where it fits, so that page can be kept by the phone.
    story.append(KeepTogether(calls))
    return story


class _PagedCanvas(Canvas):
    """Holds every page back until the end, so the footer can say "Page 1 of 3"."""

    def __init__(self, *args: Any, printout: Printable, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._printout = printout
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._decorate(number, total)
            super().showPage()
        super().save()

    def _decorate(self, number: int, total: int) -> None:
        p = self._printout
        width, height = self._pagesize
        self.saveState()
        self.setFillColor(INK)
        self.setFont("Helvetica", 14)
        self.drawString(MARGIN, FOOTER_Y, pdf_text(p.patient_name))
        self.drawRightString(
            width - MARGIN, FOOTER_Y, pdf_text(p.words.page % {"page": number, "pages": total})
        )
        self.setStrokeColor(RULE)
        self.setLineWidth(0.75)
        self.line(MARGIN, FOOTER_Y + 20, width - MARGIN, FOOTER_Y + 20)
        if p.draft:
            # In the top margin of every page, so a loose page still says it is not the plan in force.
            label = pdf_text(p.words.draft_mark)
            self.setFont("Helvetica-Bold", 18)
            text_width = self.stringWidth(label, "Helvetica-Bold", 18)
            x, y = width - MARGIN - text_width - 16, height - MARGIN + 10
            self.setStrokeColor(colors.HexColor("#a3231f"))
            self.setLineWidth(2)
            self.rect(x, y, text_width + 16, 28, stroke=1, fill=0)
            self.setFillColor(colors.HexColor("#a3231f"))
            self.drawString(x + 8, y + 8, label)
        self.restoreState()


def render_pdf(p: Printable) -> bytes:
    """The printout as a Letter-size PDF in large type."""
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=p.heading,
        subject=p.plan_title,
        author=p.organization,
        creator="CareConductor",
        lang=p.language,
        displayDocTitle=True,
    )
    # No frame padding: boxes and tables as wide as the text, all within the 0.75in margins.
    frame = Frame(
        doc.leftMargin,
        doc.bottomMargin,
        doc.width,
        doc.height,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
        id="text",
    )
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    doc.build(_story(p, doc.width), canvasmaker=functools.partial(_PagedCanvas, printout=p))
    return buffer.getvalue()
