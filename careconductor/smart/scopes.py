"""Pure rules for SMART scopes: what may be granted, and what a scope means in words.

A scope is `<context>/<type or *>.<letters>` (v2 letters from `cruds`, v1 `read`/`write`/`*`), or one of the
launch and identity scopes. What the server grants is the request narrowed three ways: to what the app was
registered for, to the contexts the person or client may use, and to what the product understands. Scopes only
narrow: what a token's user may see is still decided by privacy.policy.
"""

from __future__ import annotations

from collections.abc import Iterable

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


_VERBS = {"c": "add", "r": "read", "u": "change", "d": "delete", "s": "search"}
_WHOSE = {"patient": "of the chosen patient", "user": "you can see", "system": "of the whole organisation"}
_NAMES = {
    "*": "all records",
    "AllergyIntolerance": "allergies",
    "Appointment": "appointments",
    "CarePlan": "care plans",
    "CareTeam": "care teams",
    "Communication": "messages",
    "Condition": "conditions and problems",
    "Consent": "consents",
    "Coverage": "insurance coverage",
    "DocumentReference": "documents",
    "Encounter": "visits and hospital stays",
    "EpisodeOfCare": "case management episodes",
    "Flag": "alerts and flags",
    "Goal": "goals",
    "Group": "patient groups",
    "MedicationRequest": "prescriptions",
    "MedicationStatement": "medications",
    "Observation": "readings, results and scores",
    "Patient": "identity and contact details",
    "QuestionnaireResponse": "questionnaire answers",
    "ServiceRequest": "referrals",
    "Task": "tasks",
}
_CONTEXT_WORDS = {
    "launch": "Know which patient's chart you opened it from",
    "launch/patient": "Ask you which patient to work with",
    "offline_access": "Stay connected after you log out, until you revoke it",
    "online_access": "Stay connected while you are logged in",
}


def describe(scope: str, *, own: bool = False) -> str:
    """A scope in plain words for the consent screen, e.g. `patient/Observation.rs` → "Read and search
    readings, results and scores of the chosen patient"."""
    if scope in _CONTEXT_WORDS:
        return _CONTEXT_WORDS[scope]
    parsed = parse_scope(scope)
    if parsed is None:
        return scope
    context, resource, letters = parsed
    verbs = [_VERBS[c] for c in LETTERS if c in letters]
    said = ", ".join(verbs[:-1]) + (" and " if len(verbs) > 1 else "") + verbs[-1]
    name = _NAMES.get(resource, resource)
    whose = "in your record" if own and context == "patient" else _WHOSE[context]
    return f"{said[0].upper()}{said[1:]} {name} {whose}"
