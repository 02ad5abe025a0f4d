"""The instrument engine. An instrument is two things:

  - a FHIR R4 Questionnaire (a JSON file in `assessments/instruments/`, or a deployer's file), whose `code` is
    the instrument's panel (LOINC where one exists), whose items carry their LOINC codes and whose answer
    options carry LOINC answer codes with their ordinal values (extension `ordinalValue`);
  - one pure scoring function in a module of `assessments/instruments/` that declares the same panel:
    `PANEL = (system, code)` and `def score(answers: Answers) -> Result`.

Top-level items are groups, one screen each ("sections"); questions sit inside them. Translations of item
text and option labels use FHIR's `translation` extension on `_text` / `_display`.

Nothing here touches the database: answers in, a Result out. `catalogue.py` keeps the loaded Questionnaires.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from functools import cached_property
from types import ModuleType
from typing import Any

from careconductor.core.errors import ActionRefused

LOINC = "http://loinc.org"
OWN_CODES = "https://careconductor.org/fhir/CodeSystem/assessment"
CANONICAL_BASE = "https://careconductor.org/fhir/Questionnaire/"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
QUESTION_TYPES = frozenset({"choice", "integer", "decimal", "boolean", "string", "text", "date"})
VALUE_KEYS = {
    "integer": "valueInteger",
    "decimal": "valueDecimal",
    "boolean": "valueBoolean",
    "string": "valueString",
    "text": "valueString",
    "date": "valueDate",
}
MAX_TEXT_ANSWER = 2000

AnswerValue = str | int | float | bool
Values = dict[str, list[AnswerValue]]


def _translations(element: Mapping[str, Any] | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for ext in (element or {}).get("extension") or []:
        if ext.get("url") != TRANSLATION:
            continue
        parts = {e.get("url"): e for e in ext.get("extension") or []}
        lang, content = parts.get("lang", {}).get("valueCode"), parts.get("content", {}).get("valueString")
        if lang and content:
            found[lang] = content
    return found


def _ordinal(element: Mapping[str, Any]) -> int | None:
    for ext in element.get("extension") or []:
        if ext.get("url") == ORDINAL:
            value = ext.get("valueDecimal", ext.get("valueInteger"))
            return int(value) if value is not None else None
    return None


@dataclass(frozen=True)
class Option:
    code: str
    system: str
    display: str
    ordinal: int | None = None
    translations: Mapping[str, str] = field(default_factory=dict)

    def label(self, language: str = "en") -> str:
        return self.translations.get(language, self.display)


@dataclass(frozen=True)
class Item:
    link_id: str
    text: str
    type: str
    code: tuple[str, str] | None = None  # (system, code), e.g. its LOINC item code
    options: tuple[Option, ...] = ()
    required: bool = True
    repeats: bool = False
    translations: Mapping[str, str] = field(default_factory=dict)

    def label(self, language: str = "en") -> str:
        return self.translations.get(language, self.text)

    def option(self, code: str) -> Option | None:
        return next((o for o in self.options if o.code == code), None)

    def options_with_ordinal(self, ordinal: int) -> list[Option]:
        return [o for o in self.options if o.ordinal == ordinal]

    @property
    def is_question(self) -> bool:
        return self.type in QUESTION_TYPES


@dataclass(frozen=True)
class Section:
    link_id: str
    title: str
    items: tuple[Item, ...]
    translations: Mapping[str, str] = field(default_factory=dict)

    def label(self, language: str = "en") -> str:
        return self.translations.get(language, self.title)

    @property
    def questions(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.is_question)


@dataclass(frozen=True)
class Instrument:
    slug: str  # the Questionnaire's id
    url: str
    version: str
    title: str
    panel: tuple[str, str]  # Questionnaire.code: (system, code)
    copyright: str
    sections: tuple[Section, ...]
    resource: Mapping[str, Any] = field(repr=False, compare=False, default_factory=dict)
    languages: frozenset[str] = frozenset({"en"})

    @cached_property
    def questions(self) -> dict[str, Item]:
        return {i.link_id: i for s in self.sections for i in s.questions}

    @cached_property
    def by_code(self) -> dict[tuple[str, str], Item]:
        return {i.code: i for i in self.questions.values() if i.code is not None}

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(i.link_id for i in self.questions.values() if i.required)

    def label(self, language: str = "en") -> str:
        return _translations(self.resource.get("_title")).get(language, self.title)


# --- parsing a Questionnaire ----------------------------------------------------------------------------------


def _item(raw: Mapping[str, Any]) -> Item:
    codes = raw.get("code") or []
    code = (codes[0].get("system", ""), codes[0]["code"]) if codes and codes[0].get("code") else None
    options = []
    for opt in raw.get("answerOption") or []:
        coding = opt.get("valueCoding")
        if coding is None:
            raise ValueError(f"item {raw.get('linkId')}: answer options must be codings")
        options.append(
            Option(
                code=coding["code"],
                system=coding.get("system", ""),
                display=coding.get("display", coding["code"]),
                ordinal=_ordinal(opt) if _ordinal(opt) is not None else _ordinal(coding),
                translations=_translations(coding.get("_display")),
            )
        )
    return Item(
        link_id=raw["linkId"],
        text=raw.get("text", ""),
        type=raw["type"],
        code=code,
        options=tuple(options),
        required=bool(raw.get("required", False)),
        repeats=bool(raw.get("repeats", False)),
        translations=_translations(raw.get("_text")),
    )


def parse_questionnaire(resource: Mapping[str, Any]) -> Instrument:
    """An Instrument from a Questionnaire's JSON. ValueError names what is wrong."""
    if resource.get("resourceType") != "Questionnaire":
        raise ValueError("not a Questionnaire")
    for key in ("id", "url", "version"):
        if not resource.get(key):
            raise ValueError(f"a Questionnaire here needs {key}")
    codes = resource.get("code") or []
    if not codes or not codes[0].get("code"):
        raise ValueError("a Questionnaire here needs code: its panel (LOINC where one exists)")
    sections = []
    for group in resource.get("item") or []:
        if group.get("type") != "group":
            raise ValueError(f"top-level item {group.get('linkId')} must be a group (one screen per section)")
        items = tuple(_item(i) for i in group.get("item") or [])
        sections.append(
            Section(group["linkId"], group.get("text", ""), items, _translations(group.get("_text")))
        )
    instrument = Instrument(
        slug=resource["id"],
        url=resource["url"],
        version=resource["version"],
        title=resource.get("title") or resource.get("name") or resource["id"],
        panel=(codes[0].get("system", ""), codes[0]["code"]),
        copyright=resource.get("copyright", ""),
        sections=tuple(sections),
        resource=resource,
    )
    link_ids = [i.link_id for s in instrument.sections for i in s.items] + [s.link_id for s in sections]
    if len(link_ids) != len(set(link_ids)):
        raise ValueError("linkIds must be unique")
    languages = {"en"}
    for item in instrument.questions.values():
        languages |= set(item.translations)
    return replace(instrument, languages=frozenset(languages))


# --- answers ----------------------------------------------------------------------------------------------------


class Answers:
    """A response's answers, keyed by linkId. A choice answer is its option's code."""

    def __init__(
        self, instrument: Instrument, values: Mapping[str, list[AnswerValue]], *, sex: str = ""
    ) -> None:
        self.instrument = instrument
        self.values = {k: list(v) for k, v in values.items() if v}
        # The patient's administrative sex (FHIR: female, male, other, unknown), for sex-specific cut-offs.
        self.sex = sex

    def has(self, link_id: str) -> bool:
        return bool(self.values.get(link_id))

    def missing(self, link_ids: Iterable[str]) -> tuple[str, ...]:
        return tuple(i for i in link_ids if not self.has(i))

    def option(self, link_id: str) -> Option | None:
        found = self.values.get(link_id)
        if not found:
            return None
        return self.instrument.questions[link_id].option(str(found[0]))

    def options(self, link_id: str) -> tuple[Option, ...]:
        item = self.instrument.questions[link_id]
        return tuple(o for v in self.values.get(link_id, []) if (o := item.option(str(v))) is not None)

    def code(self, link_id: str) -> str | None:
        option = self.option(link_id)
        return option.code if option else None

    def codes(self, link_id: str) -> frozenset[str]:
        return frozenset(o.code for o in self.options(link_id))

    def ordinal(self, link_id: str) -> int | None:
        option = self.option(link_id)
        return option.ordinal if option else None


# --- results ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """One number a result reports, stored as an Observation."""

    code: tuple[str, str]  # (system, code): a LOINC total-score code where one exists
    display: str
    value: int
    minimum: int
    maximum: int
    band: str = ""  # e.g. "moderate"; the Observation's interpretation
    positive: bool | None = None  # for screens with a positive rule
    bands: tuple[tuple[int, str], ...] = ()  # (lowest value, band) — the band lines on the trend chart

    @property
    def interpretation(self) -> str:
        return interpretation(self.band, self.positive)


def interpretation(band: str, positive: bool | None) -> str:
    """What a score says in one word or two: its band, else positive or negative for a screen."""
    if band:
        return band
    if positive is None:
        return ""
    return "positive" if positive else "negative"


@dataclass(frozen=True)
class Finding:
    """A need the result shows, to become a health concern on the patient."""

    domain: str  # a choices.FindingDomain value
    detail: str = ""  # e.g. the grid item behind a complexity barrier


@dataclass(frozen=True)
class Result:
    complete: bool
    missing: tuple[str, ...] = ()  # linkIds of the unanswered items that stop the score
    scores: tuple[Score, ...] = ()
    findings: tuple[Finding, ...] = ()
    signals: frozenset[str] = frozenset()  # choices.Signal values; safety rules act on them
    summary: str = ""  # what the result means, in plain words
    details: Mapping[str, Any] = field(default_factory=dict)  # e.g. the items of dependence

    @staticmethod
    def incomplete(missing: Iterable[str]) -> Result:
        missing = tuple(missing)
        return Result(complete=False, missing=missing, summary="Not scored: some answers are missing.")


def band_for(value: int, bands: tuple[tuple[int, str], ...]) -> str:
    """The band of the highest lower bound at or below `value`; bands are (lowest value, name), ascending."""
    found = bands[0][1]
    for low, name in bands:
        if value >= low:
            found = name
    return found


# --- scorers ----------------------------------------------------------------------------------------------------

Scorer = Callable[[Answers], Result]


def _scorer_modules() -> Iterable[ModuleType]:
    from . import instruments

    for info in pkgutil.iter_modules(instruments.__path__):
        yield importlib.import_module(f"{instruments.__name__}.{info.name}")


_SCORERS: dict[tuple[str, str], Scorer] | None = None


def scorers() -> dict[tuple[str, str], Scorer]:
    """Every scoring function, by the panel code it scores."""
    global _SCORERS
    if _SCORERS is None:
        found: dict[tuple[str, str], Scorer] = {}
        for module in _scorer_modules():
            panel, score = getattr(module, "PANEL", None), getattr(module, "score", None)
            if panel is None or score is None:
                continue
            if tuple(panel) in found:
                raise RuntimeError(f"two scoring functions for panel {panel}")
            found[tuple(panel)] = score
        _SCORERS = found
    return _SCORERS


def score(instrument: Instrument, values: Mapping[str, list[AnswerValue]], *, sex: str = "") -> Result:
    """Score a response. Without a scoring function (an instrument a deployer loaded for which none is
    shipped) the answers are kept and the result only says whether every required item is answered."""
    scorer = scorers().get(instrument.panel)
    answers = Answers(instrument, values, sex=sex)
    if scorer is None:
        missing = answers.missing(instrument.required)
        if missing:
            return Result.incomplete(missing)
        return Result(complete=True, summary="Answers recorded. This instrument has no score.")
    return scorer(answers)


# --- checking answers at the edge -------------------------------------------------------------------------------


def clean_values(instrument: Instrument, raw: Mapping[str, Any]) -> Values:
    """Answers given by linkId, checked against the instrument. ActionRefused names each bad item."""
    errors: dict[str, str] = {}
    values: Values = {}
    for link_id, given in raw.items():
        item = instrument.questions.get(link_id)
        if item is None:
            errors[link_id] = f"{instrument.title} has no question {link_id!r}."
            continue
        answers = given if isinstance(given, list) else [given]
        answers = [a for a in answers if a not in (None, "")]
        if len(answers) > 1 and not item.repeats:
            errors[link_id] = "Choose one answer."
            continue
        cleaned = []
        for answer in answers:
            value, problem = _clean_one(item, answer)
            if problem:
                errors[link_id] = problem
                break
            cleaned.append(value)
        else:
            if cleaned:
                values[link_id] = cleaned
    if errors:
        raise ActionRefused(errors)
    return values


def _clean_one(item: Item, answer: Any) -> tuple[AnswerValue, str]:
    if item.type == "choice":
        if isinstance(answer, str) and item.option(answer) is not None:
            return answer, ""
        return "", "Choose one of the answers offered."
    if item.type == "boolean":
        if isinstance(answer, bool):
            return answer, ""
        return False, "Answer yes or no."
    if item.type == "integer":
        if isinstance(answer, bool) or not isinstance(answer, int | str):
            return 0, "Give a whole number."
        try:
            return int(str(answer).strip()), ""
        except ValueError:
            return 0, "Give a whole number."
    if item.type == "decimal":
        try:
            return float(Decimal(str(answer).strip())), ""
        except (InvalidOperation, ValueError):
            return 0.0, "Give a number."
    if isinstance(answer, str) and len(answer) <= MAX_TEXT_ANSWER:
        return answer.strip(), ""
    return "", f"Give text of at most {MAX_TEXT_ANSWER} characters."


# --- QuestionnaireResponse items ⇄ values -----------------------------------------------------------------------


def values_from_response_items(instrument: Instrument, items: list[Mapping[str, Any]]) -> Values:
    """Answers from a QuestionnaireResponse's items, from this server or another system. An item is matched by
    its linkId or, failing that, by its code (LOINC); a coded answer by its code. ActionRefused names the
    element of anything that cannot be matched."""
    raw: dict[str, list[Any]] = {}
    errors: dict[str, str] = {}

    def walk(nodes: list[Mapping[str, Any]], path: str) -> None:
        for index, node in enumerate(nodes):
            here = f"{path}.item[{index}]"
            item = instrument.questions.get(node.get("linkId", ""))
            if item is None:
                for coding in (node.get("code") or []) if isinstance(node.get("code"), list) else []:
                    item = instrument.by_code.get((coding.get("system", ""), coding.get("code", "")))
                    if item:
                        break
            answers = node.get("answer") or []
            if item is None:
                if answers:
                    errors[here] = f"{instrument.title} has no question {node.get('linkId')!r}."
                walk(node.get("item") or [], here)
                continue
            for a_index, answer in enumerate(answers):
                value, problem = _answer_value(item, answer)
                if problem:
                    errors[f"{here}.answer[{a_index}]"] = problem
                else:
                    raw.setdefault(item.link_id, []).append(value)
            walk(node.get("item") or [], here)

    walk(items, "QuestionnaireResponse")
    if errors:
        raise ActionRefused(errors)
    try:
        return clean_values(instrument, raw)
    except ActionRefused as exc:
        raise ActionRefused({f"QuestionnaireResponse.item({k})": v for k, v in exc.errors.items()}) from exc


def _answer_value(item: Item, answer: Mapping[str, Any]) -> tuple[Any, str]:
    if item.type == "choice":
        coding = answer.get("valueCoding")
        if not isinstance(coding, dict):
            return None, f"{item.link_id} is answered with a valueCoding."
        for option in item.options:
            same_system = coding.get("system") in (None, "", option.system)
            if coding.get("code") == option.code and same_system:
                return option.code, ""
        return (
            None,
            f"{coding.get('system', '')}|{coding.get('code', '')} is not an answer to {item.link_id}.",
        )
    key = VALUE_KEYS[item.type]
    if key not in answer:
        return None, f"{item.link_id} is answered with {key}."
    return answer[key], ""


def response_items(instrument: Instrument, values: Mapping[str, list[AnswerValue]]) -> list[dict[str, Any]]:
    """QuestionnaireResponse.item for the stored answers, grouped as the Questionnaire is."""
    groups = []
    for section in instrument.sections:
        items = []
        for item in section.questions:
            answers: list[dict[str, Any]] = []
            for value in values.get(item.link_id, []):
                if item.type == "choice":
                    option = item.option(str(value))
                    if option is None:
                        continue
                    coding = {"system": option.system, "code": option.code, "display": option.display}
                    answers.append({"valueCoding": {k: v for k, v in coding.items() if v}})
                else:
                    answers.append({VALUE_KEYS[item.type]: value})
            if answers:
                entry: dict[str, Any] = {"linkId": item.link_id, "text": item.text, "answer": answers}
                items.append({k: v for k, v in entry.items() if v})
        if items:
            groups.append({"linkId": section.link_id, "text": section.title, "item": items})
    return groups
