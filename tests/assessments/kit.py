"""Building answers for instrument tests from the shipped Questionnaire files (no database needed)."""

from __future__ import annotations

import json
from functools import cache

from careconductor.assessments import engine
from careconductor.assessments.catalogue import SHIPPED_DIR


@cache
def instrument(name: str) -> engine.Instrument:
    """The shipped instrument in `instruments/<name>.json`."""
    return engine.parse_questionnaire(json.loads((SHIPPED_DIR / f"{name}.json").read_text(encoding="utf-8")))


def code_for(inst: engine.Instrument, link_id: str, ordinal: int) -> str:
    """The answer code of the option with this ordinal value."""
    found = [o.code for o in inst.questions[link_id].options_with_ordinal(ordinal)]
    assert len(found) == 1, f"{link_id} has {len(found)} options with ordinal {ordinal}"
    return found[0]


def by_ordinals(inst: engine.Instrument, ordinals: dict[str, int], *, sex: str = "") -> engine.Result:
    """Score the answers whose options have these ordinals (linkId → ordinal)."""
    values = {k: [code_for(inst, k, v)] for k, v in ordinals.items()}
    return engine.score(inst, values, sex=sex)


def by_codes(inst: engine.Instrument, codes: dict[str, str | list[str]], *, sex: str = "") -> engine.Result:
    """Score answers given as option codes (a list for a repeating item)."""
    values = {k: v if isinstance(v, list) else [v] for k, v in codes.items()}
    return engine.score(inst, values, sex=sex)
