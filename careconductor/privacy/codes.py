"""Which diagnosis codes make a record sensitive by what they name: a substance use disorder (ICD-10-CM F10-F19,
nicotine's F17 aside) is a 42 CFR Part 2 record (clinical.md §9.4). Records that come in without a person choosing
their label (a prior-authorisation request, an imported claim's condition) are labelled by this rule; the
sensitivity rules of the policy then decide who reads them. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .choices import Sensitivity

SUBSTANCE_USE = re.compile(r"F1[0-689]")


def label_of_diagnoses(codes: Iterable[str]) -> Sensitivity:
    """PART2 when a code is a substance use disorder, else NORMAL."""
    return (
        Sensitivity.PART2
        if any(SUBSTANCE_USE.match(c.strip().upper()) for c in codes)
        else Sensitivity.NORMAL
    )
