"""Pure rules for SMART scopes: what may be granted, and what a scope means in words.

A scope is `<context>/<type or *>.<letters>` (v2 letters from `cruds`, v1 `read`/`write`/`*`), or one of the
launch and identity scopes. What the server grants is the request narrowed three ways: to what the app was
registered for, to the contexts the person or client may use, and to what the product understands. Scopes only
narrow: what a token's user may see is still decided by privacy.policy.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from careconductor.accounts.tokens import parse_scope

# Granted when asked for and registered; they name no data.
CONTEXT_SCOPES = ("launch", "launch/patient", "offline_access", "online_access")
LETTERS = "cruds"


def normalise(text: str) -> str | None:
    """The v2 spelling of a resource scope (`patient/Observation.read` → `patient/Observation.rs`), the context
    scope itself, or None for what the product does not understand (ignored, as SMART allows)."""
    if text in CONTEXT_SCOPES:
        return text
    parsed = parse_scope(text)
    if parsed is None:
        return None
    context, resource, letters = parsed
    return f"{context}/{resource}.{''.join(c for c in LETTERS if c in letters)}"


def _covers(allowed: str, wanted: str) -> bool:
    if allowed == wanted:
        return True
    a, w = parse_scope(allowed), parse_scope(wanted)
    if a is None or w is None:
        return False
    return a[0] == w[0] and a[1] in ("*", w[1]) and set(w[2]) <= set(a[2])


def grantable(requested: Iterable[str], registered: Iterable[str], contexts: frozenset[str]) -> list[str]:
    """The scopes to grant, in the order asked, each once: requested ∩ registered, in the allowed `contexts`
    (`patient`, `user`, `system`). Unknown scopes are dropped, as is `launch/patient` outside the patient or
    user contexts."""
    registered = [n for n in (normalise(s) for s in registered) if n]
    granted: list[str] = []
    for text in requested:
        scope = normalise(text)
        if scope is None or scope in granted:
            continue
        if scope in CONTEXT_SCOPES:
            if scope in registered and (scope != "launch/patient" or contexts & {"patient", "user"}):
                granted.append(scope)
            continue
        parsed = parse_scope(scope)
        if parsed and parsed[0] in contexts and any(_covers(r, scope) for r in registered):
            granted.append(scope)
    return granted


def resource_scopes(scopes: Iterable[str]) -> list[str]:
    return [s for s in scopes if parse_scope(s) is not None]


def valid_registration(scopes: Iterable[str]) -> list[str]:
    """The scopes of a registration the product does not understand (empty when all are fine)."""
    return [s for s in scopes if normalise(s) is None]


# The consent screen's words, translated (a patient sees them in their language: smart/locale).
_VERBS = {"c": _("add"), "r": _("read"), "u": _("change"), "d": _("delete"), "s": _("search")}
_WHOSE = {
    "patient": _("of the chosen patient"),
    "user": _("you can see"),
    "system": _("of the whole organisation"),
}
_NAMES = {
    "*": _("all records"),
    "AllergyIntolerance": _("allergies"),
    "Appointment": _("appointments"),
    "CarePlan": _("care plans"),
    "CareTeam": _("care teams"),
    "Communication": _("messages"),
    "Condition": _("conditions and problems"),
    "Consent": _("consents"),
    "Coverage": _("insurance coverage"),
    "DocumentReference": _("documents"),
    "Encounter": _("visits and hospital stays"),
    "EpisodeOfCare": _("case management episodes"),
    "Flag": _("alerts and flags"),
    "Goal": _("goals"),
    "Group": _("patient groups"),
    "MedicationRequest": _("prescriptions"),
    "MedicationStatement": _("medications"),
    "Observation": _("readings, results and scores"),
    "Patient": _("identity and contact details"),
    "QuestionnaireResponse": _("questionnaire answers"),
    "ServiceRequest": _("referrals"),
    "Task": _("tasks"),
}
_CONTEXT_WORDS = {
    "launch": _("Know which patient's chart you opened it from"),
    "launch/patient": _("Ask you which patient to work with"),
    "offline_access": _("Stay connected after you log out, until you revoke it"),
    "online_access": _("Stay connected while you are logged in"),
}


def describe(scope: str, *, own: bool = False) -> str:
    """A scope in plain words for the consent screen, in the active language, e.g. `patient/Observation.rs` →
    "Read and search readings, results and scores of the chosen patient"."""
    if scope in _CONTEXT_WORDS:
        return str(_CONTEXT_WORDS[scope])
    parsed = parse_scope(scope)
    if parsed is None:
        return scope
    context, resource, letters = parsed
    verbs = [str(_VERBS[c]) for c in LETTERS if c in letters]
    said = ", ".join(verbs[:-1]) + (f" {gettext('and')} " if len(verbs) > 1 else "") + verbs[-1]
    name = str(_NAMES.get(resource, resource))
    whose = gettext("in your record") if own and context == "patient" else str(_WHOSE[context])
    return f"{said[0].upper()}{said[1:]} {name} {whose}"
