"""Pure decisions of medication reconciliation: when two lines are the same medicine, the discrepancy of each
line, what a decision needs, whether a reconciliation may be completed and who is given a discrepancy to
look at. No database here; actions/reconciliation.py applies these.

Discrepancies, checked in this order (the first that holds is the line's):
  duplication        another line is the same medicine (same name once normalised and without its strength
                     and form, or same RxNorm code);
  stopped-but-taken  the patient says they take it, and the discharge list says to stop it or (a discharge
                     list having been entered) does not name it;
  dose mismatch      both lists name it, with doses that differ once normalised;
  omission           on the patient's own list, and a discharge list has been entered that does not name it.
Until a discharge list has been entered (a reconciliation outside a discharge, or one just started), a
medicine's absence from it says nothing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from careconductor.careplans.choices import BarrierKind

from .choices import Decision, Discrepancy

_NOT_WORD = re.compile(r"[^0-9a-z]+")
_SPACE = re.compile(r"\s+")
_RXCUI = re.compile(r"^\d{1,12}$")

# Who is given a discrepancy to look at: the first of these disciplines on the care team, else the case manager.
TASK_DISCIPLINES = ("pharmacist", "physician")
# Two of a medicine, or one the hospital stopped still taken, can harm within days: those are urgent.
URGENT = frozenset({Discrepancy.DUPLICATION, Discrepancy.STOPPED_BUT_TAKEN})
BARRIER_KINDS = frozenset(BarrierKind.values)


def normalise_name(name: str) -> str:
    """ "Metformin", " METFORMIN " and "metformin." alike: lower case, words only, single spaces."""
    return _NOT_WORD.sub(" ", name.casefold()).strip()


def normalise_dose(dose: str) -> str:
    """ "500 mg", "500mg" and "500 MG" alike (case and spaces do not count)."""
    return _SPACE.sub("", dose.casefold())


@dataclass(frozen=True)
class Line:
    """What the rules need of a line: the medicine, the two lists and what the patient says."""

    name: str
    rxnorm: str = ""
    on_own_list: bool = False
    own_dose: str = ""
    on_discharge_list: bool = False
    discharge_dose: str = ""
    discharge_says_stop: bool = False
    patient_takes: bool | None = None


def medicine_name(name: str) -> str:
    """The name without its strength and form: the normalised words before the first one with a digit, so a
    hospital's "Metformin 500 MG Oral Tablet" (RxNorm's way) is the patient's "Metformin" and "Theophylline ER
    300 mg" is "Theophylline ER". A name that starts with a digit is kept whole."""
    words = normalise_name(name).split()
    for i, word in enumerate(words):
        if any(c.isdigit() for c in word):
            return " ".join(words[:i]) if i else " ".join(words)
    return " ".join(words)


def same_medicine(a_name: str, a_rxnorm: str, b_name: str, b_rxnorm: str) -> bool:
    """The same medicine: the same RxNorm code, or the same name once normalised and without its strength and
    form (medicine_name; a brand and its generic match only by code)."""
    if a_rxnorm.strip() and a_rxnorm.strip() == b_rxnorm.strip():
        return True
    return bool(medicine_name(a_name)) and medicine_name(a_name) == medicine_name(b_name)


def discrepancy(line: Line, *, duplicated: bool, discharge_list_given: bool) -> Discrepancy:
    """The discrepancy of one line (see the module's docstring)."""
    if duplicated:
        return Discrepancy.DUPLICATION
    absent = discharge_list_given and not line.on_discharge_list
    says_stop = line.on_discharge_list and line.discharge_says_stop
    if line.patient_takes and (says_stop or absent):
        return Discrepancy.STOPPED_BUT_TAKEN
    if (
        line.on_own_list
        and line.on_discharge_list
        and not says_stop
        and line.discharge_dose.strip()
        and normalise_dose(line.own_dose) != normalise_dose(line.discharge_dose)
    ):
        return Discrepancy.DOSE_MISMATCH
    if line.on_own_list and absent:
        return Discrepancy.OMISSION
    return Discrepancy.NONE


def discrepancies(lines: Sequence[Line]) -> list[Discrepancy]:
    """The discrepancy of every line of a reconciliation, in order: each line against the others (duplication)
    and against its two lists."""
    given = any(line.on_discharge_list for line in lines)
    found = []
    for i, line in enumerate(lines):
        duplicated = any(
            same_medicine(line.name, line.rxnorm, other.name, other.rxnorm)
            for j, other in enumerate(lines)
            if j != i
        )
        found.append(discrepancy(line, duplicated=duplicated, discharge_list_given=given))
    return found


def match(name: str, rxnorm: str, lines: Sequence[Line]) -> int | None:
    """Which line a discharge-list entry belongs to: the first line of the same medicine the discharge list does
    not name yet (its index), else None (a new line; a second entry of one medicine is a duplication)."""
    for i, line in enumerate(lines):
        if not line.on_discharge_list and same_medicine(name, rxnorm, line.name, line.rxnorm):
            return i
    return None


def decision_problems(
    decision: str, *, on_own_list: bool, new_dose: str, discharge_dose: str
) -> dict[str, str]:
    """What is wrong with a decision on a line (empty when it may be kept). Continuing, stopping and changing
    the dose act on the patient's list, so the medicine must be on it; a new medicine must not be, and needs a
    dose (the new dose, else the discharge list's)."""
    if decision not in Decision.values:
        return {"decision": "Choose continue, stop, change dose or new."}
    if decision in (Decision.CONTINUE, Decision.CHANGE_DOSE) and not on_own_list:
        return {"decision": "It is not on the patient's list: choose New to add it."}
    if decision == Decision.CHANGE_DOSE and not new_dose.strip():
        return {"new_dose": "Give the new dose."}
    if decision == Decision.NEW and on_own_list:
        return {"decision": "It is already on the patient's list: continue it, or change its dose."}
    if decision == Decision.NEW and not (new_dose.strip() or discharge_dose.strip()):
        return {"new_dose": "Give the dose to add it with."}
    return {}


def completion_problems(decisions: Sequence[str], participants: str) -> dict[str, str]:
    """A reconciliation is completed when it has lines, every line is decided, and it says who took part."""
    problems: dict[str, str] = {}
    if not decisions:
        problems[""] = "There is nothing to reconcile: add the discharge list's medicines first."
    undecided = sum(1 for d in decisions if not d)
    if undecided:
        problems[""] = (
            f"{undecided} line{'s are' if undecided > 1 else ' is'} not decided yet: decide every line first."
        )
    if not participants.strip():
        problems["participants"] = "Say who took part (e.g. the patient, her daughter, the pharmacist)."
    return problems


def order_problems(name: str, dose: str, rxnorm: str, *, says_stop: bool) -> dict[str, str]:
    """What is wrong with a medicine on a discharge list, however it came (typed, FHIR, the feed): a name, and
    a dose unless the list says to stop it; an RxNorm code, when given, is a number."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Name the medication."
    if not dose.strip() and not says_stop:
        errors["dose"] = "Give the dose on the discharge list, or say it says to stop the medicine."
    problem = rxnorm_problem(rxnorm)
    if problem:
        errors["rxnorm"] = problem
    return errors


def barrier_problems(barrier: str, kind: str, *, goal_found: bool) -> dict[str, str]:
    """What is wrong with putting a line's barrier on a goal of the care plan: the goal must be one of the
    patient's open plan, and the barrier needs words and a kind."""
    errors: dict[str, str] = {}
    if not goal_found:
        errors["goal"] = "Choose a goal of the patient's care plan (a draft or active plan)."
    if not barrier.strip():
        errors["barrier"] = "Say what gets in the way, to put it on the care plan."
    if kind not in BARRIER_KINDS:
        errors["barrier_kind"] = "Choose what kind of barrier it is."
    return errors


def joins(order_encounter: int | None, reconciliation_encounter: int | None) -> bool:
    """Whether a discharge-list medicine arriving now joins the reconciliation in progress: one of its stay, or
    one not tied to a stay (started before the list came); not one of another stay."""
    return order_encounter is None or reconciliation_encounter in (None, order_encounter)


def task_title(name: str, found: Discrepancy) -> str:
    """The task a discrepancy raises names the line."""
    return f"Medication reconciliation: {found.label.lower()}, {name}"[:200]


def rxnorm_problem(code: str) -> str | None:
    """An RxNorm code is an RXCUI, a number; empty is allowed (free text always is)."""
    if code.strip() and not _RXCUI.match(code.strip()):
        return "An RxNorm code is a number (the RXCUI, e.g. 860975); leave it empty if you do not have one."
    return None


def task_due(now: dt.datetime) -> dt.datetime:
    """A discrepancy is looked at by the end of the next day (in the time zone of `now`): the first days after
    a discharge are when a wrong list does harm."""
    return dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(23, 59), tzinfo=now.tzinfo)
