"""Review criteria for prior authorisation (issue 21): per service, the questions a nurse reviewer answers and which
answers meet the criteria. Met, the nurse may approve; not met, only a physician decides (um/rules.py).

Criteria sets are TOML files, kept like the care-plan templates (core/file_library.py): the shipped ones in
`criteria/` beside this module are **examples written for CareConductor, not InterQual or MCG text and not clinical
guidance** (each says so in its title); a plan puts its own in `<CARECONDUCTOR_HOME>/um-criteria/`, where a file
with the same name replaces the shipped one. A file:

    id = "example-knee-mri"                    # the file's name without .toml
    title = "MRI of the knee (example criteria)"
    services = ["73721", "73722", "73723"]     # CPT (5 digits) or HCPCS (a letter and 4 digits) codes
    rule = "all"                               # every question met ("all"), or one is enough ("any")

    [[questions]]
    id = "six-weeks"
    text = "Have the symptoms lasted six weeks or more despite treatment?"
    answers = ["yes", "no"]
    meets = ["yes"]                            # the answers that meet this question
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from careconductor.core.errors import ActionRefused
from careconductor.core.file_library import FileLibrary, Source

SHIPPED_DIR = Path(__file__).parent / "criteria"
MAX_FILE_BYTES = 100_000
MAX_TEXT = 500
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SERVICE = re.compile(r"[0-9]{4}[0-9A-Z]|[A-V][0-9]{4}")  # CPT (incl. category II/III) or HCPCS level II


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    answers: tuple[str, ...]
    meets: frozenset[str]


@dataclass(frozen=True)
class CriteriaSet:
    id: str
    title: str
    services: tuple[str, ...]
    rule: str  # "all" or "any"
    questions: tuple[Question, ...]
    source: str = "shipped"
    path: Path | None = None


@dataclass(frozen=True)
class Evaluation:
    met: bool | None  # None while an answer that could decide it is missing
    not_met: tuple[Question, ...]  # answered, and not meeting
    unanswered: tuple[Question, ...]


def evaluate(criteria: CriteriaSet, answers: dict[str, str]) -> Evaluation:
    """Whether the answers meet the set. With "all", one unmet question decides (not met) even while others are
    unanswered; with "any", one met question decides (met)."""
    not_met = tuple(q for q in criteria.questions if q.id in answers and answers[q.id] not in q.meets)
    met_ones = [q for q in criteria.questions if answers.get(q.id) in q.meets]
    unanswered = tuple(q for q in criteria.questions if q.id not in answers)
    if criteria.rule == "all":
        met: bool | None = False if not_met else (None if unanswered else True)
    else:
        met = True if met_ones else (None if unanswered else False)
    return Evaluation(met, not_met, unanswered)


def parse_criteria(text: str, name: str) -> CriteriaSet:
    """The set in a file's text; ActionRefused names the file and every problem found."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ActionRefused(f"{name}: not valid TOML ({exc}).") from exc
    problems: list[str] = []
    set_id = data.get("id")
    if not isinstance(set_id, str) or not _SLUG.fullmatch(set_id):
        problems.append('id must be lower-case words joined by "-"')
    elif name.endswith(".toml") and set_id != name.removesuffix(".toml"):
        problems.append(f'id "{set_id}" must be the file\'s name without .toml')
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_TEXT:
        problems.append(f"title must be text of 1 to {MAX_TEXT} characters")
    services = data.get("services")
    if not isinstance(services, list) or not services or not all(isinstance(s, str) for s in services):
        problems.append("services must list the CPT or HCPCS codes the set applies to")
        services = []
    problems += [f"service {s!r} is not a CPT or HCPCS code" for s in services if not _SERVICE.fullmatch(s)]
    rule = data.get("rule", "all")
    if rule not in ("all", "any"):
        problems.append('rule must be "all" or "any"')
    questions = _questions(data.get("questions"), problems)
    if problems:
        raise ActionRefused(f"{name}: " + "; ".join(problems) + ".")
    return CriteriaSet(str(set_id), str(title).strip(), tuple(services), str(rule), questions)


def _questions(raw: object, problems: list[str]) -> tuple[Question, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append("questions must list at least one [[questions]] table")
        return ()
    found: list[Question] = []
    for n, q in enumerate(raw, start=1):
        where = f"question {n}"
        if not isinstance(q, dict):
            problems.append(f"{where} must be a table")
            continue
        qid, text, answers, meets = q.get("id"), q.get("text"), q.get("answers"), q.get("meets")
        if not isinstance(qid, str) or not _SLUG.fullmatch(qid):
            problems.append(f'{where}: id must be lower-case words joined by "-"')
        elif any(other.id == qid for other in found):
            problems.append(f'{where}: id "{qid}" is used twice')
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            problems.append(f"{where}: text must be 1 to {MAX_TEXT} characters")
        if (
            not isinstance(answers, list)
            or len(answers) < 2
            or not all(isinstance(a, str) and a for a in answers)
        ):
            problems.append(f"{where}: answers must list two or more answers")
            answers = []
        if not isinstance(meets, list) or not meets or not set(meets) <= set(answers):
            problems.append(f"{where}: meets must list one or more of its answers")
            meets = []
        found.append(Question(str(qid), str(text).strip(), tuple(answers), frozenset(meets)))
    return tuple(found)


def deployer_dir() -> Path:
    """Where a plan puts its own criteria sets; read again on every change, no restart needed."""
    return Path(settings.DATA_HOME) / "um-criteria"


_LIBRARY: FileLibrary[CriteriaSet] = FileLibrary(
    shipped_dir=lambda: SHIPPED_DIR,
    deployer_dir=lambda: deployer_dir(),
    parse=lambda text, name: parse_criteria(text, name),
    order=lambda kv: (kv[1].title.casefold(), kv[0]),
    max_bytes=MAX_FILE_BYTES,
)


def read_criteria(path: Path, source: Source = "deployer") -> CriteriaSet:
    return _LIBRARY.read(path, source)


def all_criteria() -> dict[str, CriteriaSet]:
    """Every usable set by id, by title: the shipped examples, replaced or added to by the plan's own."""
    return dict(_LIBRARY.load()[0])


def criteria_errors() -> list[str]:
    """Why each broken file of the plan's was left out."""
    return list(_LIBRARY.load()[1])


def criteria_for(service_code: str) -> list[CriteriaSet]:
    """The sets that apply to a service code (exact code, case and spaces aside)."""
    code = service_code.strip().upper()
    return [c for c in all_criteria().values() if code in c.services]
