"""The words of UM notices (issue 21): the decision letter to the member in their language (English or Spanish)
with the specific reason and their appeal rights, the same decision to the provider, the request for information
to the provider, and the appeal's outcome. Pure: the actions pass the facts, these return the subject and body
kept with the notice (the page and the PDF show what was kept)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from careconductor.letters.rules import long_date

from .rules import DenialReason, Status

LANGUAGES = ("en", "es")

REASONS_ES = {
    DenialReason.CRITERIA_NOT_MET: "No se cumplen los criterios de necesidad médica",
    DenialReason.INFORMATION_MISSING: "No se envió la información necesaria para decidir",
    DenialReason.NOT_A_BENEFIT: "El servicio no es un beneficio de su plan",
    DenialReason.NOT_ELIGIBLE: "Usted no tenía cobertura en la fecha del servicio",
    DenialReason.OUT_OF_NETWORK: "El proveedor está fuera de la red y no aplica ninguna excepción",
    DenialReason.SITE_OF_CARE: "Un lugar de atención menos intensivo cubre la necesidad",
    DenialReason.EXPERIMENTAL: "El servicio es experimental o de investigación",
    DenialReason.DUPLICATE: "El mismo servicio ya está autorizado para esas fechas",
}


@dataclass(frozen=True)
class Decision:
    """What a decision notice says."""

    reference: str
    member_name: str
    services: str  # "MRI knee (73721) x 1"
    status: Status
    reason_en: str  # the coded reason's words, English ("" for an approval)
    reason_code: str
    note: str  # the reviewer's own words, given as they wrote them
    auth_number: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    appeal_by: dt.date | None
    organisation: str
    phone: str


def notice_language(wanted: str) -> str:
    return wanted if wanted in LANGUAGES else "en"


def decision_to_member(d: Decision, language: str) -> tuple[str, str]:
    """The member's letter: plain words, their language, the reason and how to appeal."""
    if notice_language(language) == "es":
        return _decision_es(d)
    approved = d.status == Status.APPROVED
    subject = f"Your request {d.reference} was {'approved' if approved else _adverse_en(d.status)}"
    parts = [f"Dear {d.member_name},", f"We looked at the request for: {d.services}."]
    if approved or d.status == Status.PARTIAL:
        parts.append(_approval_en(d))
    if not approved:
        reason = f"Why: {d.reason_en}." + (f" {d.note}" if d.note else "")
        parts += [
            f"We {'approved only part of' if d.status == Status.PARTIAL else 'did not approve'} it.",
            reason,
            (
                "You have the right to appeal. Ask us to look again by "
                f"{long_date(d.appeal_by, 'en') if d.appeal_by else 'the date in your plan documents'}: call "
                f"{d.phone or 'the number on your member card'} or write to us. A doctor who did not make this "
                "decision will review it. If waiting could seriously harm your health, ask for a fast (expedited) "
                "appeal: we answer within 72 hours. You may send us new information, and you may ask for a copy "
                "of the rules we used, free of charge."
            ),
        ]
    parts.append(f"{d.organisation}")
    return subject, "\n\n".join(parts)


def _approval_en(d: Decision) -> str:
    dates = ""
    if d.valid_from and d.valid_until:
        dates = f" It is valid from {long_date(d.valid_from, 'en')} to {long_date(d.valid_until, 'en')}."
    return f"Authorization number {d.auth_number}.{dates}"


def _adverse_en(status: Status) -> str:
    return "partly approved" if status == Status.PARTIAL else "not approved"


def _decision_es(d: Decision) -> tuple[str, str]:
    approved = d.status == Status.APPROVED
    word = "aprobada" if approved else "aprobada en parte" if d.status == Status.PARTIAL else "no aprobada"
    subject = f"Su solicitud {d.reference} fue {word}"
    parts = [f"Estimado/a {d.member_name}:", f"Revisamos la solicitud de: {d.services}."]
    if approved or d.status == Status.PARTIAL:
        dates = ""
        if d.valid_from and d.valid_until:
            dates = f" Es válida del {long_date(d.valid_from, 'es')} al {long_date(d.valid_until, 'es')}."
        parts.append(f"Número de autorización {d.auth_number}.{dates}")
    if not approved:
        reason = REASONS_ES.get(DenialReason(d.reason_code), d.reason_en) if d.reason_code else d.reason_en
        parts += [
            "Aprobamos solo una parte." if d.status == Status.PARTIAL else "No la aprobamos.",
            f"Motivo: {reason}." + (f" {d.note}" if d.note else ""),
            (
                "Usted tiene derecho a apelar. Pídanos que la revisemos de nuevo antes del "
                f"{long_date(d.appeal_by, 'es') if d.appeal_by else 'plazo de los documentos de su plan'}: llame al "
                f"{d.phone or 'número de su tarjeta de miembro'} o escríbanos. La revisará un médico que no tomó "
                "esta decisión. Si esperar pudiera dañar gravemente su salud, pida una apelación rápida (acelerada): "
                "le respondemos en 72 horas. Puede enviarnos información nueva y pedir sin costo una copia de las "
                "reglas que usamos."
            ),
        ]
    parts.append(d.organisation)
    return subject, "\n\n".join(parts)


def decision_to_provider(d: Decision, criteria_title: str) -> tuple[str, str]:
    """The provider's copy: the codes, the coded reason and the criteria cited, and how to ask for a
    peer-to-peer conversation."""
    status = {
        Status.APPROVED: "approved",
        Status.PARTIAL: "partially approved",
        Status.DENIED: "denied",
    }.get(d.status, d.status.value)
    subject = f"Prior authorization {d.reference}: {status}"
    parts = [f"Member: {d.member_name}", f"Services: {d.services}", f"Decision: {status}."]
    if d.auth_number:
        parts.append(_approval_en(d))
    if d.status != Status.APPROVED:
        parts.append(f"Reason ({d.reason_code}): {d.reason_en}." + (f" {d.note}" if d.note else ""))
        parts.append(
            "You may ask for a peer-to-peer conversation with the reviewing physician, or appeal on the "
            f"member's behalf, by calling {d.phone or 'the plan'}."
        )
    if criteria_title:
        parts.append(f"Criteria used: {criteria_title}.")
    parts.append(d.organisation)
    return subject, "\n\n".join(parts)


def information_request(
    reference: str, member_name: str, asked: str, reply_by: dt.date, phone: str
) -> tuple[str, str]:
    subject = f"Prior authorization {reference}: information needed"
    body = "\n\n".join(
        [
            f"Member: {member_name}",
            "We cannot decide this request yet. Please send:",
            asked,
            f"Reply by {long_date(reply_by, 'en')} (fax or call {phone or 'the plan'}, quoting {reference}).",
        ]
    )
    return subject, body


def appeal_outcome(
    reference: str, member_name: str, overturned: bool, note: str, language: str
) -> tuple[str, str]:
    if notice_language(language) == "es":
        result = (
            "cambiamos la decisión: el servicio queda aprobado" if overturned else "la decisión se mantiene"
        )
        subject = f"Su apelación de la solicitud {reference}"
        body = f"Estimado/a {member_name}:\n\nUn médico que no tomó la primera decisión revisó su apelación: {result}."
        if not overturned:
            body += "\n\nSi no está de acuerdo, puede pedir una revisión independiente: llámenos y le explicamos cómo."
    else:
        result = "we changed the decision: the service is approved" if overturned else "the decision stands"
        subject = f"Your appeal of request {reference}"
        body = f"Dear {member_name},\n\nA doctor who did not make the first decision reviewed your appeal: {result}."
        if not overturned:
            body += (
                "\n\nIf you disagree, you may ask for an independent review: call us and we will explain how."
            )
    if note:
        body += f"\n\n{note}"
    return subject, body


def extension_notice(
    reference: str, member_name: str, new_due: dt.date, reason: str, phone: str, language: str
) -> tuple[str, str]:
    """The member is told the plan takes more time, why, until when, and that they may complain fast."""
    call = phone or ("el plan" if notice_language(language) == "es" else "the plan")
    if notice_language(language) == "es":
        subject = f"Necesitamos más tiempo para decidir su solicitud {reference}"
        body = "\n\n".join(
            [
                f"Estimado/a {member_name}:",
                f"Necesitamos más tiempo para decidir su solicitud {reference}. La decidiremos a más tardar el "
                f"{long_date(new_due, 'es')}.",
                f"Por qué: {reason}",
                f"Si no está de acuerdo con esta demora, puede presentar una queja rápida: llame al {call}. "
                "Le contestaremos en 24 horas.",
            ]
        )
    else:
        subject = f"We need more time to decide your request {reference}"
        body = "\n\n".join(
            [
                f"Dear {member_name},",
                f"We need more time to decide your request {reference}. We will decide it by "
                f"{long_date(new_due, 'en')}.",
                f"Why: {reason}",
                f"If you disagree with this delay, you may make a fast complaint: call {call}. We will answer "
                "within 24 hours.",
            ]
        )
    return subject, body
