"""The patient's own copy of their care plan, in plain words and large type, as a web page and a PDF.

`printable()` turns one version of the plan (what is in force, so the paper matches what the team works from)
into plain texts in the patient's language; the template careplans/print.html and
`printout_pdf.render_pdf()` only lay those texts out, so the page and the PDF never say different things. Fixed texts are written for someone who
reads at about a 6th-grade level: short sentences, "I" for the patient's own parts, no clinical terms.
A plan that has no recorded agreement for the version shown says so, in a box near the top."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

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
