"""How an assessment finding reads as a health concern on the plan (FHIR Condition, category health-concern),
with an ICD-10-CM Z code only where one plainly fits the need (codes checked against the FY2026 tabular list).
Screening results that are not diagnoses (a positive PHQ-9, a positive AUDIT-C) get no diagnosis code."""

from __future__ import annotations

from dataclasses import dataclass

from careconductor.assessments.choices import FindingDomain


@dataclass(frozen=True)
class Concern:
    title: str
    icd10: str = ""


D = FindingDomain
CONCERNS: dict[str, Concern] = {
    D.FOOD_INSECURITY: Concern("Food insecurity", "Z59.41"),
    D.TRANSPORTATION: Concern("Transportation insecurity", "Z59.82"),
    D.HOUSING_INSTABILITY: Concern("Housing instability", "Z59.819"),
    D.HOUSING_QUALITY: Concern("Inadequate housing", "Z59.10"),
    D.UTILITIES: Concern("Difficulty paying for or keeping utilities", "Z59.12"),
    D.DEPRESSION: Concern("Depression symptoms"),
    D.SELF_HARM_RISK: Concern("Thoughts of self-harm"),
    D.ANXIETY: Concern("Anxiety symptoms"),
    D.INTERPERSONAL_SAFETY: Concern("Safety at home"),
    D.ALCOHOL_MISUSE: Concern("Unhealthy alcohol use"),
    D.LIMITED_LITERACY: Concern("Difficulty reading health information"),
    D.ADL_DEPENDENCE: Concern("Needs help with daily activities"),
    D.IADL_DEPENDENCE: Concern("Needs help with household tasks"),
    D.COMPLEXITY: Concern("Complex health and social needs"),
    D.COMPLEXITY_BARRIER: Concern("Severe risk on the complexity grid"),
}


def concern_for(domain: str) -> Concern:
    return CONCERNS.get(domain) or Concern(FindingDomain(domain).label if domain in D.values else domain)
