"""Pure decisions for the portal: which limits apply to a patient's readings, whether a reading or a check-in
crosses one, and what the patient is told at once. No ORM here.

Default limits (issue 8, and the usual home-monitoring action points): blood pressure at or above 180/120
mmHg; blood sugar below 70 or above 300 mg/dL; in heart failure, a weight gain of 2 kg or more within 3 days.
Peak flow has no default: its action point is a share of the patient's personal best, which the team sets.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .choices import Symptom, ThresholdMeasure

WEIGHT_WINDOW = dt.timedelta(days=3)
# The rules of the alerts a reading or check-in past its limit raises all start so (the chart's card lists them).
ALERT_PREFIX = "self-report:"


@dataclass(frozen=True)
class Limit:
    """`low`: alert when the value is below it. `high`: alert when the value reaches it (at or above) or,
    for measures in ABOVE_ONLY, when it goes past it."""

    measure: str
    low: Decimal | None = None
    high: Decimal | None = None
    source: str = "default"  # "default", "programme" or "patient"


ABOVE_ONLY = frozenset({ThresholdMeasure.GLUCOSE.value})

DEFAULT_LIMITS: dict[str, Limit] = {
    ThresholdMeasure.BP_SYSTOLIC: Limit(ThresholdMeasure.BP_SYSTOLIC, high=Decimal(180)),
    ThresholdMeasure.BP_DIASTOLIC: Limit(ThresholdMeasure.BP_DIASTOLIC, high=Decimal(120)),
    ThresholdMeasure.GLUCOSE: Limit(ThresholdMeasure.GLUCOSE, low=Decimal(70), high=Decimal(300)),
}
# Only for patients with heart failure on the problem list (ICD-10-CM I50.*), unless the team sets one.
HEART_FAILURE_WEIGHT = Limit(ThresholdMeasure.WEIGHT_GAIN, high=Decimal(2))

# Which reading measure (careplans.measures key) each threshold measure watches.
READING_MEASURE = {
    ThresholdMeasure.BP_SYSTOLIC: "bp-systolic",
    ThresholdMeasure.BP_DIASTOLIC: "bp-diastolic",
    ThresholdMeasure.GLUCOSE: "glucose",
    ThresholdMeasure.WEIGHT_GAIN: "weight",
    ThresholdMeasure.PEAK_FLOW: "peak-flow",
}


# Heart failure (ICD-10-CM I50.*) tightens the weight-gain limit. Stored codes are validated and upper-case
# (patients.rules.ICD10_CM), so the queries match it as a prefix of the code (queries.limits_for).
HEART_FAILURE_ICD10 = "I50"


def has_heart_failure(icd10_codes: Iterable[str]) -> bool:
    return any(code.upper().replace(".", "").startswith(HEART_FAILURE_ICD10) for code in icd10_codes)


def effective_limits(
    *,
    heart_failure: bool,
    programme_rows: Sequence[Limit] = (),
    patient_rows: Sequence[Limit] = (),
) -> dict[str, Limit]:
    """The limit per measure: the patient's own, else the programme's, else the default."""
    limits: dict[str, Limit] = dict(DEFAULT_LIMITS)
    if heart_failure:
        limits[ThresholdMeasure.WEIGHT_GAIN] = HEART_FAILURE_WEIGHT
    for row in programme_rows:
        limits[row.measure] = Limit(row.measure, row.low, row.high, "programme")
    for row in patient_rows:
        limits[row.measure] = Limit(row.measure, row.low, row.high, "patient")
    return limits


def check_limit_values(measure: str, low: Decimal | None, high: Decimal | None) -> dict[str, str]:
    """Errors for a threshold a person sets, by field."""
    errors: dict[str, str] = {}
    if low is None and high is None:
        errors["high"] = str(_("Give a low limit, a high limit, or both."))
    for name, value in (("low", low), ("high", high)):
        if value is not None and not Decimal(0) < value < Decimal(1000):
            errors[name] = str(_("Give a number between 0 and 1000."))
    if low is not None and high is not None and low >= high and not errors:
        errors["high"] = str(_("The high limit must be above the low limit."))
    if measure == ThresholdMeasure.WEIGHT_GAIN and low is not None:
        errors["low"] = str(_("Weight gain has only a high limit."))
    if measure == ThresholdMeasure.PEAK_FLOW and high is not None:
        errors["high"] = str(_("Peak flow has only a low limit (the red zone)."))
    return errors


@dataclass(frozen=True)
class Breach:
    """A self-report that needs the team now. `rule` names the flag (one active per rule and patient);
    `staff_text` goes on the alert; `instruction` is what the patient reads at once."""

    rule: str
    staff_text: str
    instruction: str
    emergency: bool = False  # the instruction starts with calling emergency services
    safety: bool = False  # a safety alert (thoughts of self-harm), not a clinical one


def _past_high(measure: str, value: Decimal, limit: Limit) -> bool:
    if limit.high is None:
        return False
    return value > limit.high if measure in ABOVE_ONLY else value >= limit.high


def check_blood_pressure(
    systolic: Decimal, diastolic: Decimal, limits: Mapping[str, Limit], phone: str
) -> Breach | None:
    sys_limit = limits.get(ThresholdMeasure.BP_SYSTOLIC, Limit("x"))
    dia_limit = limits.get(ThresholdMeasure.BP_DIASTOLIC, Limit("x"))
    high = _past_high("bp", systolic, sys_limit) or _past_high("bp", diastolic, dia_limit)
    low = (sys_limit.low is not None and systolic < sys_limit.low) or (
        dia_limit.low is not None and diastolic < dia_limit.low
    )
    if not (high or low):
        return None
    reading = f"{systolic:.0f}/{diastolic:.0f} mmHg"
    if high:
        return Breach(
            "self-report:bp-high",
            f"Patient-reported blood pressure {reading} at or above the alert limit",
            str(
                _(
                    "Your blood pressure is very high. Sit quietly for 5 minutes, then measure it again. If it "
                    "is still this high, call your care team now at %(phone)s. If you have chest pain, "
                    "shortness of breath, weakness or numbness, trouble speaking, or a sudden very bad "
                    "headache, call 911."
                )
            )
            % {"phone": phone},
        )
    return Breach(
        "self-report:bp-low",
        f"Patient-reported blood pressure {reading} below the alert limit",
        str(
            _(
                "Your blood pressure is lower than your team asked you to watch for. Sit or lie down and call "
                "your care team now at %(phone)s. If you faint or feel confused, someone should call 911."
            )
        )
        % {"phone": phone},
    )


def check_glucose(value: Decimal, limits: Mapping[str, Limit], phone: str) -> Breach | None:
    limit = limits.get(ThresholdMeasure.GLUCOSE)
    if limit is None:
        return None
    if limit.low is not None and value < limit.low:
        return Breach(
            "self-report:glucose-low",
            f"Patient-reported blood sugar {value:.0f} mg/dL below {limit.low:.0f}",
            str(
                _(
                    "Your blood sugar is low. Eat or drink 15 grams of fast sugar now: 4 glucose tablets or "
                    "half a cup of juice. Check again in 15 minutes and do it again if it is still under "
                    "%(low)s. Your care team has been told and will call you (%(phone)s). If you feel "
                    "confused or cannot eat or drink, someone should call 911."
                )
            )
            % {"phone": phone, "low": f"{limit.low:.0f}"},
        )
    if _past_high(ThresholdMeasure.GLUCOSE, value, limit):
        return Breach(
            "self-report:glucose-high",
            f"Patient-reported blood sugar {value:.0f} mg/dL above {limit.high:.0f}",
            str(
                _(
                    "Your blood sugar is very high. Drink water, take your medicines as usual, and call your "
                    "care team now at %(phone)s. If you are vomiting, very drowsy or breathing fast, call 911."
                )
            )
            % {"phone": phone},
        )
    return None


def weight_gain(
    value: Decimal, taken_at: dt.datetime, earlier: Iterable[tuple[dt.datetime, Decimal]]
) -> Decimal:
    """How much the new weight is above the lowest weight of the 3 days before it (0 if none)."""
    window = [w for at, w in earlier if taken_at - WEIGHT_WINDOW <= at < taken_at]
    return max(Decimal(0), value - min(window)) if window else Decimal(0)


def check_weight(
    value: Decimal,
    taken_at: dt.datetime,
    earlier: Iterable[tuple[dt.datetime, Decimal]],
    limits: Mapping[str, Limit],
    phone: str,
) -> Breach | None:
    limit = limits.get(ThresholdMeasure.WEIGHT_GAIN)
    if limit is None or limit.high is None:
        return None
    gain = weight_gain(value, taken_at, earlier)
    if gain < limit.high:
        return None
    return Breach(
        "self-report:weight-gain",
        f"Patient-reported weight up {gain:.1f} kg in 3 days (alert at {limit.high:.1f} kg)",
        str(
            _(
                "Your weight went up %(gain)s kg (%(pounds)s lb) in 3 days. This can mean your body is holding "
                "extra fluid. "
                "Call your care team today at %(phone)s. If you are very short of breath or have chest pain, "
                "call 911."
            )
        )
        % {"phone": phone, "gain": f"{gain:.1f}", "pounds": f"{gain / Decimal('0.45359237'):.1f}"},
    )


def check_peak_flow(value: Decimal, limits: Mapping[str, Limit], phone: str) -> Breach | None:
    limit = limits.get(ThresholdMeasure.PEAK_FLOW)
    if limit is None or limit.low is None or value >= limit.low:
        return None
    return Breach(
        "self-report:peak-flow-low",
        f"Patient-reported peak flow {value:.0f} L/min below {limit.low:.0f}",
        str(
            _(
                "Your peak flow is in the red zone. Use your quick-relief inhaler as your asthma plan says and "
                "call your care team now at %(phone)s. If you are struggling to breathe, or your lips or nails "
                "look blue or grey, call 911."
            )
        )
        % {"phone": phone},
    )


def check_wellbeing(mood: int | None, symptoms: Iterable[str], phone: str) -> Breach | None:
    """Chest pain needs emergency services; a very low mood needs a person to call back."""
    symptoms = set(symptoms)
    if Symptom.CHEST_PAIN in symptoms:
        return Breach(
            "self-report:chest-pain",
            "Patient reports chest pain or pressure",
            str(_("Chest pain can be serious. Call 911 now. Do not drive yourself.")),
            emergency=True,
        )
    if mood == 1:
        return Breach(
            "self-report:low-mood",
            "Patient reports a very low mood",
            str(
                _(
                    "Thank you for telling us. Someone from your care team will call you (%(phone)s). If you "
                    "are thinking about harming yourself, call or text 988 now, or call 911."
                )
            )
            % {"phone": phone},
        )
    return None


def check_reading_value(measure: str, value: Decimal) -> str:
    """An error for a value no meter gives (a typo), or ''. Wide on purpose: limits are for alerts, not here."""
    ranges = {
        "bp-systolic": (Decimal(50), Decimal(300)),
        "bp-diastolic": (Decimal(20), Decimal(200)),
        "glucose": (Decimal(10), Decimal(800)),
        "weight": (Decimal(20), Decimal(350)),
        "peak-flow": (Decimal(50), Decimal(900)),
    }
    low, high = ranges[measure]
    if not low <= value <= high:
        return str(_("That does not look right. Check the number (%(low)s to %(high)s).")) % {
            "low": low,
            "high": high,
        }
    return ""


# --- An alert already open: a new report past the limit, or new symptoms -------------------------------------------
# The readings each rule watches, and which way is worse (+1: higher, -1: lower).
ALERT_MEASURES: dict[str, tuple[tuple[str, ...], int]] = {
    "self-report:bp-high": (("bp-systolic", "bp-diastolic"), 1),
    "self-report:bp-low": (("bp-systolic", "bp-diastolic"), -1),
    "self-report:glucose-high": (("glucose",), 1),
    "self-report:glucose-low": (("glucose",), -1),
    "self-report:weight-gain": (("weight",), 1),
    "self-report:peak-flow-low": (("peak-flow",), -1),
}

# Symptoms in the staff's words (alerts and tasks are read by staff, whatever the patient's language).
SYMPTOM_WORDS = {
    Symptom.SHORT_OF_BREATH.value: "short of breath",
    Symptom.SWELLING.value: "swollen feet or legs",
    Symptom.CHEST_PAIN.value: "chest pain",
    Symptom.DIZZY.value: "dizzy",
    Symptom.SHAKY.value: "shaky or confused",
    Symptom.THIRSTY.value: "very thirsty",
    Symptom.HEADACHE.value: "bad headache",
    Symptom.WHEEZING.value: "wheezing",
    Symptom.PAIN.value: "pain",
    Symptom.TIRED.value: "very tired",
    Symptom.POOR_SLEEP.value: "poor sleep",
    "bleeding": "bleeding",
    "self-harm": "thoughts of suicide or self-harm",
}


def is_worse(
    direction: int,
    earlier: Mapping[str, Decimal],
    new: Mapping[str, Decimal],
    earlier_symptoms: Set[str] = frozenset(),
    new_symptoms: Set[str] = frozenset(),
) -> bool:
    """Whether a report on an open alert is worse than what the alert already holds: a value further past the
    limit than every earlier one since the alert opened (`earlier`: the highest, or lowest, per measure), or a
    symptom not reported before."""
    if set(new_symptoms) - set(earlier_symptoms):
        return True
    for measure, value in new.items():
        before = earlier.get(measure)
        if before is not None and (value > before if direction > 0 else value < before):
            return True
    return False


def alert_text(staff_text: str, symptoms: Iterable[str]) -> str:
    """The alert's words: the latest report, and the symptoms reported with it (at most 200 characters)."""
    words = [SYMPTOM_WORDS.get(s, s) for s in sorted(set(symptoms))]
    text = f"{staff_text}; also reports {', '.join(words)}" if words else staff_text
    return text if len(text) <= 200 else text[:199] + "…"


# --- Portal messages that mention symptoms --------------------------------------------------------------------------
# Words that make a message more than routine, English and Spanish, matched without case or accents at the start of
# a word ("suicid" finds suicide, suicidal, suicida). Small on purpose: a person reads every message; these only
# decide that someone reads this one now. Negations ("no chest pain") still match: better read early than late.
MESSAGE_WORDS: dict[str, tuple[str, ...]] = {
    "chest-pain": (
        "chest pain",
        "chest pressure",
        "pain in my chest",
        "dolor de pecho",
        "dolor en el pecho",
        "presion en el pecho",
    ),
    "short-of-breath": (
        "short of breath",
        "shortness of breath",
        "can't breathe",
        "cannot breathe",
        "trouble breathing",
        "falta de aire",
        "me falta el aire",
        "no puedo respirar",
    ),
    "headache": ("headache", "dolor de cabeza"),
    "dizzy": ("dizz", "light-headed", "lightheaded", "faint", "mareo", "mareada", "mareado", "desmay"),
    "bleeding": ("bleeding", "blood in", "sangrado", "sangrando", "sangre en"),
    "self-harm": (
        "suicid",
        "kill myself",
        "end my life",
        "want to die",
        "hurt myself",
        "matarme",
        "quitarme la vida",
        "no quiero vivir",
        "hacerme dano",
    ),
}
MESSAGE_RULE = "message:symptoms"
MESSAGE_EMERGENCIES = frozenset({"chest-pain", "short-of-breath", "self-harm"})


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    return "".join(c for c in folded if not unicodedata.combining(c))


def message_symptoms(text: str) -> list[str]:
    """The symptoms a message mentions (keys of MESSAGE_WORDS), in the table's order."""
    plain = _plain(text)
    return [
        symptom
        for symptom, words in MESSAGE_WORDS.items()
        if any(re.search(rf"\b{re.escape(word)}", plain) for word in words)
    ]


def message_breach(symptoms: Sequence[str]) -> Breach:
    """What a message mentioning symptoms raises: an alert and a task more urgent than routine (as soon as possible
    for chest pain, breathing and self-harm). The patient was told nothing new: the portal already says to call
    911 or 988 in an emergency."""
    words = ", ".join(SYMPTOM_WORDS.get(s, s) for s in symptoms)
    return Breach(
        MESSAGE_RULE,
        f"Portal message mentions {words}",
        "",
        emergency=bool(MESSAGE_EMERGENCIES & set(symptoms)),
        safety="self-harm" in symptoms,
    )
