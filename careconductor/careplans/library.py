"""The care-plan template library: for common problems (uncontrolled diabetes, depression, food insecurity…),
suggested goals with steps, interventions and barriers that a case manager picks and then edits into the
patient's own words.

Templates are TOML files. The shipped ones live in `library/` next to this module. An admin edits a template
by copying its file to `deployer_dir()` (`<CARECONDUCTOR_HOME>/careplan-templates/`) and changing it there: a
deployer file with the same `id` replaces the shipped template, a file with a new `id` adds one. Files are read
again whenever one changes (the cache is keyed on their modification times), so no restart is needed. Check a
file first with `careconductor careplan_templates check FILE`.

A broken deployer file never breaks the product: it is left out and `template_errors()` says why. A broken
shipped file is a bug, and raises.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings

from careconductor.assessments.choices import FindingDomain
from careconductor.core.errors import ActionRefused
from careconductor.core.file_library import FileLibrary, Source

from .choices import BarrierKind, InterventionKind
from .measures import MEASURES

SHIPPED_DIR = Path(__file__).parent / "library"
MAX_FILE_BYTES = 200_000
MAX_DUE_IN_DAYS = 730  # two years: a care plan is reviewed well before then
OWNERS = ("case-manager", "patient", "caregiver", "physician", "pharmacist", "social-worker")
OWNER_WORDS = {owner: owner.replace("-", " ") for owner in OWNERS}  # "case manager": for the screens
# Lengths of the fields a picked template is copied into (models.Goal.template, Goal.target_text, GoalStep.text,
# Barrier.description); free text (patient words, statements) is capped so a paste by mistake is caught.
MAX_ID = 60
MAX_TITLE = 200
MAX_LINE = 300
MAX_TEXT = 1000
# Goal.target_value is a DecimalField(max_digits=9, decimal_places=2)
TARGET_PLACES = Decimal("0.01")
TARGET_LIMIT = Decimal(10) ** 7

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_ICD10 = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?")
_ICD10_PREFIX = re.compile(r"[A-Z][0-9A-Z]{0,2}(?:\.?[0-9A-Z]{1,4})?")


@dataclass(frozen=True, kw_only=True)
class StepTemplate:
    """A small action in the patient's words ("I will …")."""

    text: str
    text_es: str = ""
    due_in_days: int | None = None


@dataclass(frozen=True, kw_only=True)
class InterventionTemplate:
    kind: str  # InterventionKind
    title: str  # staff-facing, also shown to the patient
    owner: str  # one of OWNERS
    title_es: str = ""
    due_in_days: int | None = None

    @property
    def owner_words(self) -> str:
        return OWNER_WORDS.get(self.owner, self.owner)


@dataclass(frozen=True, kw_only=True)
class BarrierTemplate:
    kind: str  # BarrierKind
    text: str
    text_es: str = ""
    response: str = ""  # staff-facing: what usually helps


@dataclass(frozen=True, kw_only=True)
class GoalTemplate:
    key: str
    patient_words: str
    statement: str  # clinical, staff-facing
    measure: str  # a key of MEASURES
    due_in_days: int
    patient_words_es: str = ""
    target_value: Decimal | None = None  # only for numeric measures
    target_text: str = ""
    target_text_es: str = ""
    steps: tuple[StepTemplate, ...] = ()
    interventions: tuple[InterventionTemplate, ...] = ()
    barriers: tuple[BarrierTemplate, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ProblemTemplate:
    title: str
    title_es: str = ""
    icd10: str = ""
    finding_domains: tuple[str, ...] = ()
    icd10_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Template:
    id: str
    title: str
    summary: str
    problem: ProblemTemplate
    goals: tuple[GoalTemplate, ...]
    source: Source = "shipped"
    path: Path | None = field(default=None, compare=False)

    def goal(self, key: str) -> GoalTemplate | None:
        return next((g for g in self.goals if g.key == key), None)


def localized(obj: object, field_name: str, language: str) -> str:
    """The Spanish text of `field_name` when the language is Spanish and a translation exists, else English."""
    english: str = getattr(obj, field_name)
    if language.lower().startswith("es"):
        spanish = getattr(obj, f"{field_name}_es", "")
        if isinstance(spanish, str) and spanish.strip():
            return spanish
    return english


def staff_title(template_id: str, title: str) -> str:
    """The English title of a template's intervention, given the title in any of its languages: a task made from
    it is for staff, who read English, while the plan keeps the patient's words for the printout. A title the
    template does not have (staff typed or edited it) is returned as it is."""
    found = template(template_id) if template_id else None
    if found is None:
        return title
    for goal in found.goals:
        for action in goal.interventions:
            if title in (action.title, action.title_es):
                return action.title
    return title


# --- Parsing -------------------------------------------------------------------------------------------------


class _Reader:
    """Reads one table of the file, checking each field; every refusal names the file and the field."""

    def __init__(self, data: object, where: str, name: str, allowed: Iterable[str]) -> None:
        self.name = name
        self.where = where
        if not isinstance(data, dict):
            raise self.refuse("must be a table", self.where)
        self.data: dict[str, Any] = data
        known = tuple(allowed)
        for key in data:
            if key not in known:
                raise self.refuse(f"is not a known field (known: {', '.join(known)})", self.at(str(key)))

    def at(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def refuse(self, problem: str, where: str) -> ActionRefused:
        return ActionRefused(f"{self.name}: {where} {problem}.")

    def text(self, key: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
        value = self.data.get(key, "")
        if not isinstance(value, str):
            raise self.refuse("must be text in quotes", self.at(key))
        value = value.strip()
        if required and not value:
            raise self.refuse("is required", self.at(key))
        if len(value) > limit:
            raise self.refuse(f"is longer than {limit} characters", self.at(key))
        return value

    def choice(self, key: str, values: Iterable[str], *, required: bool = True) -> str:
        value = self.text(key, required=required, limit=MAX_TITLE)
        allowed = list(values)
        if value and value not in allowed:
            raise self.refuse(f"must be one of {', '.join(allowed)} (not {value!r})", self.at(key))
        return value

    def days(self, key: str, *, required: bool) -> int | None:
        if key not in self.data:
            if required:
                raise self.refuse("is required", self.at(key))
            return None
        value = self.data[key]
        # bool is an int in Python; `due_in_days = true` is a mistake, not 1 day
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_DUE_IN_DAYS:
            raise self.refuse(f"must be a whole number of days from 1 to {MAX_DUE_IN_DAYS}", self.at(key))
        return value

    def strings(self, key: str, check: Callable[[str], bool], what: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list):
            raise self.refuse('must be a list, e.g. ["a", "b"]', self.at(key))
        for i, item in enumerate(value):
            if not isinstance(item, str) or not check(item):
                raise self.refuse(f"must be {what} (not {item!r})", f"{self.at(key)}[{i}]")
        return tuple(value)

    def tables(self, key: str, *, required: bool = False) -> list[tuple[object, str]]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or any(not isinstance(item, dict) for item in value):
            raise self.refuse(f"must be a list of tables, written [[{key}]]", self.at(key))
        if required and not value:
            raise self.refuse(f"needs at least one entry, written [[{key}]]", self.at(key))
        return [(item, f"{self.at(key)}[{i}]") for i, item in enumerate(value)]


_TEMPLATE_KEYS = ("id", "title", "summary", "problem", "goals")
_PROBLEM_KEYS = ("title", "title_es", "icd10", "finding_domains", "icd10_prefixes")
_GOAL_KEYS = (
    "key", "patient_words", "patient_words_es", "statement", "measure", "target_value", "target_text",
    "target_text_es", "due_in_days", "steps", "interventions", "barriers",
)  # fmt: skip
_STEP_KEYS = ("text", "text_es", "due_in_days")
_INTERVENTION_KEYS = ("kind", "title", "title_es", "owner", "due_in_days")
_BARRIER_KEYS = ("kind", "text", "text_es", "response")


def parse_template(text: str, name: str = "") -> Template:
    """The template in `text` (the content of the file `name`), checked. ActionRefused names the file and the
    field that is wrong. When a name is given, the template's id must be its stem."""
    label = name or "the template"
    # Count characters first: encoding a huge string just to refuse it would waste memory.
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise ActionRefused(f"{label} is larger than {MAX_FILE_BYTES // 1000} kB.")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ActionRefused(f"{label} is not valid TOML: {exc}") from exc
    except RecursionError as exc:  # absurdly deep nesting of arrays or inline tables
        raise ActionRefused(f"{label} is nested too deeply to be a template.") from exc
    return template_from_data(data, name)


def template_from_data(data: object, name: str = "") -> Template:
    """A template from already-parsed TOML data (a dict), checked like `parse_template`."""
    label = name or "the template"
    top = _Reader(data, "", label, _TEMPLATE_KEYS)
    template_id = top.text("id", limit=MAX_ID)
    if not _SLUG.fullmatch(template_id):
        raise top.refuse("must be lowercase letters, digits and hyphens, e.g. food-insecurity", "id")
    if name and Path(name).stem != template_id:
        raise top.refuse(
            f"must be {Path(name).stem!r}, the file's name without .toml (not {template_id!r})", "id"
        )
    title = top.text("title", limit=MAX_TITLE)
    summary = top.text("summary")
    if "problem" not in top.data:
        raise top.refuse("is required: add a [problem] table", "problem")
    problem = _problem(_Reader(top.data["problem"], "problem", label, _PROBLEM_KEYS))
    goals: list[GoalTemplate] = []
    for goal_data, where in top.tables("goals", required=True):
        goal = _goal(_Reader(goal_data, where, label, _GOAL_KEYS))
        if any(g.key == goal.key for g in goals):
            raise top.refuse(f"repeats the key {goal.key!r}; each goal needs its own key", f"{where}.key")
        goals.append(goal)
    return Template(id=template_id, title=title, summary=summary, problem=problem, goals=tuple(goals))


def _problem(r: _Reader) -> ProblemTemplate:
    icd10 = r.text("icd10", required=False, limit=MAX_TITLE).upper()
    if icd10 and not _ICD10.fullmatch(icd10):
        raise r.refuse(f"must be an ICD-10-CM code such as E11.65 (not {icd10!r})", r.at("icd10"))
    return ProblemTemplate(
        title=r.text("title", limit=MAX_TITLE),
        title_es=r.text("title_es", required=False, limit=MAX_TITLE),
        icd10=icd10,
        finding_domains=r.strings(
            "finding_domains",
            lambda v: v in FindingDomain.values,
            f"one of {', '.join(FindingDomain.values)}",
        ),
        icd10_prefixes=r.strings(
            "icd10_prefixes",
            lambda v: bool(_ICD10_PREFIX.fullmatch(v)),
            "the start of an ICD-10 code, e.g. E11",
        ),
    )


def _goal(r: _Reader) -> GoalTemplate:
    key = r.text("key", limit=MAX_ID)
    if not _SLUG.fullmatch(key):
        raise r.refuse("must be lowercase letters, digits and hyphens, e.g. enough-food", r.at("key"))
    measure_key = r.choice("measure", MEASURES)
    measure = MEASURES[measure_key]
    target_text = r.text("target_text", required=measure_key == "other", limit=MAX_TITLE)
    return GoalTemplate(
        key=key,
        patient_words=r.text("patient_words"),
        patient_words_es=r.text("patient_words_es", required=False),
        statement=r.text("statement"),
        measure=measure_key,
        target_value=_target_value(r, measure.numeric, measure_key),
        target_text=target_text,
        target_text_es=r.text("target_text_es", required=False, limit=MAX_TITLE),
        due_in_days=r.days("due_in_days", required=True) or 0,
        steps=tuple(
            StepTemplate(
                text=s.text("text", limit=MAX_LINE),
                text_es=s.text("text_es", required=False, limit=MAX_LINE),
                due_in_days=s.days("due_in_days", required=False),
            )
            for s in (_Reader(d, where, r.name, _STEP_KEYS) for d, where in r.tables("steps"))
        ),
        interventions=tuple(
            InterventionTemplate(
                kind=i.choice("kind", InterventionKind.values),
                title=i.text("title", limit=MAX_TITLE),
                title_es=i.text("title_es", required=False, limit=MAX_TITLE),
                owner=i.choice("owner", OWNERS),
                due_in_days=i.days("due_in_days", required=False),
            )
            for i in (_Reader(d, where, r.name, _INTERVENTION_KEYS) for d, where in r.tables("interventions"))
        ),
        barriers=tuple(
            BarrierTemplate(
                kind=b.choice("kind", BarrierKind.values),
                text=b.text("text", limit=MAX_LINE),
                text_es=b.text("text_es", required=False, limit=MAX_LINE),
                response=b.text("response", required=False),
            )
            for b in (_Reader(d, where, r.name, _BARRIER_KEYS) for d, where in r.tables("barriers"))
        ),
    )


def _target_value(r: _Reader, numeric: bool, measure_key: str) -> Decimal | None:
    raw = r.data.get("target_value", "")
    if raw == "":
        return None
    if not numeric:
        raise r.refuse(
            f"must be empty: {measure_key} is not measured by a number (describe the target in target_text)",
            r.at("target_value"),
        )
    # A bare number (7.5) is what people type; read it through str so 7.5 stays 7.5, not a binary float.
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise r.refuse('must be a number in quotes, e.g. "7.5"', r.at("target_value"))
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise r.refuse(f'must be a number, e.g. "7.5" (not {raw!r})', r.at("target_value"))
    if abs(value) >= TARGET_LIMIT or value != value.quantize(TARGET_PLACES):
        raise r.refuse("must be below 10 million with at most 2 decimal places", r.at("target_value"))
    return value


def deployer_dir() -> Path:
    """Where an admin puts edited or added templates; read on every change, no restart needed."""
    return Path(settings.DATA_HOME) / "careplan-templates"


_LIBRARY: FileLibrary[Template] = FileLibrary(
    shipped_dir=lambda: SHIPPED_DIR,
    deployer_dir=lambda: deployer_dir(),
    parse=lambda text, name: parse_template(text, name),
    order=lambda kv: (kv[1].title.casefold(), kv[0]),
    max_bytes=MAX_FILE_BYTES,
)


def read_template(path: Path, source: Source = "deployer") -> Template:
    """The template in the file at `path`. ActionRefused says what is wrong, naming the file."""
    return _LIBRARY.read(path, source)


def _load() -> tuple[dict[str, Template], tuple[str, ...]]:
    return _LIBRARY.load()


def all_templates() -> dict[str, Template]:
    """Every usable template by id, sorted by title: the shipped ones, replaced or added to by the deployer's."""
    return dict(_load()[0])


def template_errors() -> list[str]:
    """Why each broken deployer file was left out (empty when all are fine)."""
    return list(_load()[1])


def template(template_id: str) -> Template | None:
    return _load()[0].get(template_id)


def _icd_key(code: str) -> str:
    return code.replace(".", "").strip().upper()


def suggested_for(finding_domains: set[str], icd10_codes: set[str]) -> list[Template]:
    """Templates that answer one of the patient's assessment findings or suit a code on the problem list
    (E11.65 matches the prefix E11; dots and case do not matter)."""
    codes = {_icd_key(c) for c in icd10_codes if c}
    return [
        t
        for t in _load()[0].values()
        if set(t.problem.finding_domains) & finding_domains
        or any(code.startswith(_icd_key(p)) for p in t.problem.icd10_prefixes for code in codes)
    ]
