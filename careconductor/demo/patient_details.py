"""Demo patients' coverage, family contacts and care team."""

from __future__ import annotations

import datetime as dt

from careconductor.patients.choices import MRN_SYSTEM, ContactRelationship, CoverageKind, Sex

from . import data
from .builder import BuilderBase
from .data import Weighted, medicare_id, member_number

MEDICARE_SYSTEM = "http://hl7.org/fhir/sid/us-mbi"
MEDICAID_SYSTEM = "urn:careconductor:demo:medicaid"
OLD_COVERAGE = Weighted({"medicare": 30, "medicare_advantage": 40, "dual": 18, "commercial": 12})
YOUNG_COVERAGE = Weighted({"medicaid": 55, "commercial": 37, "dual": 8})
CONTACT_COUNT = Weighted({0: 30, 1: 50, 2: 20})
RELATIONSHIP = Weighted(data.RELATIONSHIPS)
FAMILY = (ContactRelationship.SPOUSE, ContactRelationship.CHILD)


class PatientDetails(BuilderBase):
    def _coverage(
        self, patient_id: int, index: int, age: int, birth: dt.date, deceased: dt.date | None
    ) -> None:
        rng = self.rng
        kind = OLD_COVERAGE(rng) if age >= 65 else YOUNG_COVERAGE(rng)
        payer, plan = rng.choice(data.PAYERS[kind])
        mbi, medicaid = medicare_id(index), f"RM{member_number(index, 7_919)}"
        identifiers = [(MRN_SYSTEM, f"D{index + 1:07d}", "MRN")]
        if kind in ("medicare", "medicare_advantage", "dual"):
            identifiers.append((MEDICARE_SYSTEM, mbi, "Medicare ID"))
            if age >= 65:
                start = max(dt.date(birth.year + 65, birth.month, min(birth.day, 28)), self.day(9000))
            else:  # on Medicare through disability
                start = self.day(rng.randint(200, 2000))
        else:
            start = self.day(rng.randint(200, 3000)).replace(day=1)
        if kind in ("medicaid", "dual"):
            identifiers.append((MEDICAID_SYSTEM, medicaid, "Medicaid ID"))
        if kind == "medicare_advantage":  # plan years start on 1 January
            start = max(start, self.day(rng.randint(30, 3650)).replace(month=1, day=1))
        if deceased is not None:
            start = min(start, deceased - dt.timedelta(days=30))
        plans = [(kind, payer, plan)]
        if kind == "medicare" and rng.random() < 0.4:
            plans.append((CoverageKind.COMMERCIAL, *data.MEDIGAP))
        member_ids = {
            "medicare": mbi,
            "medicaid": medicaid,
            "medicare_advantage": f"BWA{member_number(index, 7_001)}",
            "dual": f"BWD{member_number(index, 7_001)}",
            "commercial": f"NS{member_number(index, 6_007)}",
        }
        for i, (kind_, payer_, plan_) in enumerate(plans):
            self.tables.coverages.add(
                patient_id=patient_id,
                kind=kind_,
                payer=payer_,
                plan_name=plan_,
                member_id=member_ids[kind_] if i == 0 else f"KMS{member_number(index, 6_007)}",
                start_date=start,
                end_date=deceased,
            )
        for system, value, label in identifiers:
            self.tables.identifiers.add(
                patient_id=patient_id, organization_id=self.org_id, system=system, value=value, label=label
            )

    def _contacts(self, patient_id: int, family: str, sex: Sex, group: str, age: int) -> None:
        rng = self.rng
        used: set[str] = set()
        for n in range(CONTACT_COUNT(rng)):
            relationship = RELATIONSHIP(rng)
            if relationship in used or (relationship == ContactRelationship.SPOUSE and age > 88):
                is_child = relationship == ContactRelationship.CHILD
                relationship = ContactRelationship.FRIEND if is_child else ContactRelationship.CHILD
            used.add(relationship)
            female = sex == Sex.MALE if relationship == ContactRelationship.SPOUSE else rng.random() < 0.6
            first, last = data.person_name(rng, group, female)
            if relationship in FAMILY and rng.random() < 0.75:
                last = family
            self.tables.contacts.add(
                patient_id=patient_id,
                name=f"{first} {last}",
                relationship=relationship,
                phone=f"(541) 555-{rng.randint(0, 9999):04d}",
                is_caregiver=relationship in FAMILY and rng.random() < 0.5,
                is_emergency_contact=n == 0 or rng.random() < 0.5,
            )

    def _care_team(self, patient_id: int, categories: list[str]) -> None:
        rng = self.rng
        members = []
        if rng.random() < self.p_physician:
            members.append((self.staff.physician_id, "Primary care physician", rng.randint(60, 3000)))
        if len(categories) >= 3 and rng.random() < self.p_pharmacist:
            members.append((self.staff.pharmacist_id, "Clinical pharmacist", rng.randint(7, 700)))
        if "depression" in categories and rng.random() < self.p_social_worker:
            members.append((self.staff.social_worker_id, "Social worker", rng.randint(7, 700)))
        for user_id, role, since in members:
            self.tables.care_team.add(
                patient_id=patient_id, user_id=user_id, role=role, start_date=self.day(since)
            )
