"""Learning preferences: how the patient likes to learn about their health. Not scored — there is no total and
no Score; the result is complete once the required items (ways of learning, language, family present) are
answered, and `details` carries the answers for the patient's record. The codes of the ways of learning are
patients.choices.LearningPreference values."""

from __future__ import annotations

from ..engine import OWN_CODES, Answers, Result

PANEL = (OWN_CODES, "learning-preferences")
WAYS, LANGUAGE, FAMILY, TIME = "learning-ways", "learning-language", "learning-family", "learning-time"
FAMILY_ANSWERS = {"LA33-6": "yes", "LA32-8": "no", "sometimes": "sometimes"}


def score(answers: Answers) -> Result:
    missing = answers.missing(answers.instrument.required)
    if missing:
        return Result.incomplete(missing)
    ways = answers.instrument.questions[WAYS]
    chosen = answers.codes(WAYS)
    chosen_options = [o for o in ways.options if o.code in chosen]  # in the form's order
    preferences = [o.code for o in chosen_options]
    language, family, time = answers.option(LANGUAGE), answers.option(FAMILY), answers.option(TIME)
    parts = ["Prefers to learn by: " + ", ".join(o.display.lower() for o in chosen_options) + "."]
    if language is not None:
        parts.append(f"Health information in {language.display}.")
    if family is not None:
        parts.append(f"Family member or friend present: {family.display.lower()}.")
    if time is not None:
        parts.append(f"Best time: {time.display.lower()}.")
    return Result(
        complete=True,
        summary=" ".join(parts),
        details={
            "preferences": preferences,
            "language": language.code if language else "",
            "family_present": FAMILY_ANSWERS.get(family.code, "") if family else "",
            "best_time": time.code if time else "",
        },
    )
