"""Flag: an alert on a patient's chart (coordination.Flag), raised by a rule such as the PHQ-9 item-9 rule or a
self-report in the portal past its alert limit (rule `self-report:…`, category clinical), active until a person
acknowledges it on the screens.

Written by a partner as on the screens: a create raises an alert on a chart the caller may change (the caller is
its author; status active); an update can only acknowledge it (status inactive, with what was done in the
extension ACKNOWLEDGEMENT), as the chart's Acknowledge button does. Nothing else of a flag changes.

`author` is whose action set it off: a member of staff (Practitioner), or for a self-report the Patient (their
own portal log-in) or a proxy by name (Flag.author allows no RelatedPerson). What raised it (the Observation of
the reading or check-in, the QuestionnaireResponse) is the R4 extension flag-detail: R4's Flag has no focus."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import F, Q, QuerySet

from careconductor.accounts.choices import Role
from careconductor.coordination.actions.flags import do_acknowledge_flag, do_raise_flag
from careconductor.coordination.choices import FlagCategory, FlagStatus
from careconductor.coordination.models import Flag
from careconductor.core.ids import whole_number
from careconductor.privacy import policy

from .. import params
from ..auth import Caller
from ..registry import READ_WRITE, Mapper, SearchParam, register
from .common import EXT, compact, concept, period, ref, reference_id, refused, visible_patient
from .reporters import person

CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
STATUS = "http://hl7.org/fhir/flag-status"
DETAIL = "http://hl7.org/fhir/StructureDefinition/flag-detail"
# What raised a flag, as kept in Flag.focus: a reference to a resource of this server.
FOCUS = re.compile(r"^[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")
# What was done about an alert, said when acknowledging it (the chart's acknowledgement note).
ACKNOWLEDGEMENT = f"{EXT}flag-acknowledgement"


def _author(modifier: str, value: str, caller: Caller) -> Q:
    """Practitioner/N: raised by that member of staff; Patient/N: raised by patient N on their own log-in."""
    parts = value.rstrip("/").split("/")
    number = whole_number(parts[-1])
    kind = parts[-2] if len(parts) >= 2 else modifier
    if (modifier and kind != modifier) or number is None:
        return Q(pk__in=[])
    key = str(number)
    found = Q(pk__in=[])
    if kind in ("", "Practitioner"):
        found |= Q(raised_by_id=int(key)) & ~Q(raised_by__role=Role.PATIENT)
    if kind in ("", "Patient"):
        found |= Q(patient_id=int(key), raised_by_id=F("patient__portal_user_id"))
    return found


@register
class FlagMapper(Mapper):
    resource_type = "Flag"
    model = Flag
    interactions = READ_WRITE
    patient_field = "patient"
    description = (
        "Alerts on the charts of the patients the caller may see, raised by the safety rules (e.g. thoughts "
        "of self-harm on a PHQ-9) and by self-reports in the portal past their alert limits (category "
        f"clinical). category is coded in {CATEGORY}; code.text says what the alert is; period.start is when it "
        "was raised and period.end when a person acknowledged it (status inactive); author whose action set it "
        "off (Practitioner, or the Patient for their own self-report, a proxy by name); the extension "
        f"{DETAIL} refers to what raised it (Observation/reading-N, Observation/check-in-N, "
        "QuestionnaireResponse/N)."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient flagged"),
        "subject": params.reference("patient_id", "Patient", "The patient flagged"),
        "status": params.token(
            "status",
            f"active, inactive (acknowledged) or entered-in-error ({STATUS})",
            system=STATUS,
            codes={s: s for s in FlagStatus.values},
        ),
        "date": params.date("raised_at", "When the flag was raised"),
        "author": SearchParam(
            "reference",
            "Whose action set it off: Practitioner/N, or Patient/N for the patient's own self-reports",
            _author,
            target="Practitioner",
            path="raised_by_id",
            modifiers=frozenset({"Practitioner", "Patient"}),
        ),
    }
    sorts = {"date": "raised_at", "status": "status"}

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient", "raised_by")

    def to_fhir(self, row: Flag) -> dict[str, Any]:
        category = FlagCategory(row.category)
        extensions = (
            [{"url": DETAIL, "valueReference": {"reference": row.focus}}] if FOCUS.match(row.focus) else []
        )
        if row.acknowledgement:
            extensions.append({"url": ACKNOWLEDGEMENT, "valueString": row.acknowledgement})
        return compact(
            {
                "extension": extensions,
                "status": row.status,
                "category": [concept(CATEGORY, category.value, category.label)],
                "code": {"text": row.text},
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "period": period(row.raised_at, row.acknowledged_at),
                "author": person(row.raised_by, row.patient, proxy_type=None),
            }
        )

    # --- writing ---------------------------------------------------------------------------------------------
    def _text(self, resource: dict[str, Any]) -> str:
        found = resource.get("code")
        code: dict[str, Any] = found if isinstance(found, dict) else {}
        codings: list[Any] = code["coding"] if isinstance(code.get("coding"), list) else []
        text = code.get("text") or next((c.get("display") for c in codings if isinstance(c, dict)), "")
        if not isinstance(text, str) or not text.strip():
            raise refused("Flag.code", "Say what the alert is in Flag.code.text.")
        if len(text) > 200:
            raise refused("Flag.code.text", "An alert is at most 200 characters.")
        return text.strip()

    def create(self, caller: Caller, resource: dict[str, Any]) -> Flag:
        patient = visible_patient(caller, resource.get("subject"), "Flag.subject")
        policy.require(caller.user, policy.Action.CHANGE, patient)
        if resource.get("status") != FlagStatus.ACTIVE:
            raise refused("Flag.status", "A new flag is active; acknowledge it afterwards with an update.")
        categories = resource.get("category") if isinstance(resource.get("category"), list) else []
        category = FlagCategory.CLINICAL
        if categories:
            codes = [c for c in (categories[0] or {}).get("coding") or [] if isinstance(c, dict)]
            found = next((c.get("code") for c in codes if c.get("system") == CATEGORY), None)
            if found not in FlagCategory.values:
                raise refused(
                    "Flag.category", f"Flag.category is one of {', '.join(FlagCategory.values)} ({CATEGORY})."
                )
            category = FlagCategory(found)
        focus = next(
            (
                str((e.get("valueReference") or {}).get("reference", ""))
                for e in resource.get("extension") or []
                if isinstance(e, dict) and e.get("url") == DETAIL
            ),
            "",
        )
        if focus and not FOCUS.match(focus):
            raise refused(
                "Flag.extension", "flag-detail refers to a resource of this server, e.g. Observation/12."
            )
        return do_raise_flag(caller.user, patient, text=self._text(resource), category=category, focus=focus)

    def update(self, caller: Caller, row: Flag, resource: dict[str, Any]) -> Flag:
        """Only acknowledging: status inactive with the note of what was done; the rest must stay as it is."""
        if reference_id(resource.get("subject"), "Patient", "Flag.subject") != row.patient_id:
            raise refused("Flag.subject", "A flag cannot move to another patient.")
        if self._text(resource) != row.text:
            raise refused("Flag.code", "What an alert says cannot be changed; raise a new one.")
        if resource.get("status") == row.status:
            return row
        if resource.get("status") != FlagStatus.INACTIVE or row.status != FlagStatus.ACTIVE:
            raise refused("Flag.status", "An active flag can only be acknowledged (status inactive).")
        note = next(
            (
                e.get("valueString", "")
                for e in resource.get("extension") or []
                if isinstance(e, dict) and e.get("url") == ACKNOWLEDGEMENT
            ),
            "",
        )
        if not isinstance(note, str) or not note.strip():
            raise refused(
                "Flag.extension", f"Say what was done about the alert in the extension {ACKNOWLEDGEMENT}."
            )
        return do_acknowledge_flag(caller.user, row, note=note)
