"""Where apps built on cases act on its changes without an import cycle: when a case's tier rises or a case
manager takes a case themselves, the checks registered here run inside the same transaction (the experience
rule's task for the supervisor, cases/experience.py, registered from CasesConfig.ready())."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from careconductor.accounts.models import User

    from .models import Case

# A check gets the acting user, the case as just written (patient and team loaded) and the tier before the
# change (None for a case just taken: at intake or self-assigned).
HolderCheck = Callable[["User", "Case", "int | None"], object]

HOLDER_CHECKS: list[HolderCheck] = []


def holder_check(fn: HolderCheck) -> HolderCheck:
    if fn not in HOLDER_CHECKS:
        HOLDER_CHECKS.append(fn)
    return fn


def run_holder_checks(user: User, case: Case, old_tier: int | None) -> None:
    for check in HOLDER_CHECKS:
        check(user, case, old_tier)
