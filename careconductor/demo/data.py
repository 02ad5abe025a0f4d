"""The vocabulary of the demo organisation: names, places, codes, payers and phrases.

Everything here is invented except the code systems: ICD-10-CM codes and displays are real, towns, payers,
facilities and people are not. Phone numbers use the 555 exchange and e-mail the reserved `.example` domain.
"""

from __future__ import annotations

import bisect
import itertools
import random
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from careconductor.patients.choices import ContactMethod, ContactRelationship, DischargeDisposition

T = TypeVar("T")


class Weighted(Generic[T]):
    """Draws from fixed weights with one random number (rng.choices rebuilds its tables on every call)."""

    def __init__(self, weights: Mapping[T, float]) -> None:
        self.values = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))
        self.total = self.cumulative[-1]

    def __call__(self, rng: random.Random) -> T:
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


@dataclass(frozen=True)
class NamePool:
    female: tuple[str, ...]
    male: tuple[str, ...]
    family: tuple[str, ...]


def _pool(female: str, male: str, family: str) -> NamePool:
    return NamePool(tuple(female.split()), tuple(male.split()), tuple(family.split()))


NAMES: dict[str, NamePool] = {
    "anglo": _pool(
        "Mary Patricia Linda Barbara Elizabeth Jennifer Susan Margaret Dorothy Nancy Karen Betty Helen Sandra "
        "Donna Carol Ruth Sharon Michelle Laura Sarah Kimberly Deborah Judith Janet Joyce Diane Alice Evelyn "
        "Jean Cheryl Martha Frances Ann Joan Shirley Brenda Pamela Emily Rebecca Kathleen Carolyn Virginia",
        "James John Robert Michael William David Richard Charles Joseph Thomas Christopher Daniel Paul Mark "
        "Donald George Kenneth Steven Edward Brian Ronald Anthony Kevin Jason Gary Timothy Larry Jeffrey Frank "
        "Scott Eric Stephen Raymond Gregory Walter Dennis Harold Roger Gerald Douglas Arthur Eugene Wayne",
        "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Thomas Moore Martin Thompson "
        "White Clark Lewis Walker Young Allen King Wright Scott Hill Green Adams Baker Nelson Carter Mitchell "
        "Roberts Turner Phillips Campbell Parker Evans Edwards Collins Stewart Morris Murphy Cook Rogers Morgan "
        "Cooper Peterson Reed Bailey Kelly Howard Ward Cox Richardson Wood Watson Bennett Gray Hughes Price "
        "Sanders Myers Long Ross Foster Sullivan Russell O'Brien Fitzgerald Kowalski Novak Schmidt Olsen "
        "Larsen Becker Hoffman Keller Lindqvist Doyle Gallagher McCarthy",
    ),
    "african_american": _pool(
        "Gloria Denise Yolanda Tamika Latoya Keisha Bernice Loretta Jacqueline Tanisha Ebony Regina Darlene "
        "Geraldine Ernestine Odessa Minnie Hattie Beatrice Wanda Valerie Angela Felicia Cynthia",
        "Darnell Tyrone Jerome Cornelius Reginald Marcus Andre Terrence Willie Leroy Curtis Otis Clarence "
        "Alvin Lamar Dwayne Rodney Cedric Calvin Isaiah Maurice Roosevelt Lionel Earl",
        "Washington Jefferson Jackson Harris Robinson Coleman Freeman Simmons Banks Bryant Gaines Hayes Holmes "
        "Jenkins Mosley Pierce Randolph Wallace Whitaker Boyd Greene Franklin Dixon Hunter Booker Tate",
    ),
    "hispanic": _pool(
        "María Guadalupe Rosa Carmen Ana Juana Margarita Teresa Luz Elena Gloria Yolanda Esperanza Dolores "
        "Beatriz Silvia Marisol Lucía Patricia Alejandra Graciela Leticia Consuelo Josefina Araceli Maricela",
        "José Juan Luis Carlos Jesús Miguel Francisco Antonio Manuel Jorge Pedro Ricardo Roberto Rafael "
        "Alejandro Fernando Eduardo Héctor Raúl Ramón Javier Arturo Sergio Alfredo Ernesto Guillermo",
        "García Rodríguez Martínez Hernández López González Pérez Sánchez Ramírez Torres Flores Rivera Gómez "
        "Díaz Cruz Morales Reyes Gutiérrez Ortiz Ramos Castillo Mendoza Vargas Romero Herrera Medina Aguilar "
        "Castro Jiménez Ruiz Chávez Vásquez Salazar Estrada Domínguez Navarro Figueroa Cabrera Soto",
    ),
    "vietnamese": _pool(
        "Lan Mai Hoa Huong Thu Linh Ngoc Thanh Hanh Phuong Trang Kim Hien Loan",
        "Minh Tuan Hung Dung Quang Long Khoa Hieu Son Binh Duc Thang Vinh Phuc",
        "Nguyen Tran Le Pham Hoang Phan Vu Vo Dang Bui Do Ho Ngo Duong Ly Truong",
    ),
    "chinese": _pool(
        "Mei Hui Xiu Ying Jing Fang Yan Lan Ling Xiaoping Yuling Shu",
        "Wei Jian Ming Hao Jun Tao Qiang Lei Bo Gang Yong Zhiwei",
        "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Lin Guo",
    ),
    "haitian": _pool(
        "Marie Rose Yvette Mireille Nadège Fabienne Guerline Esther Roseline Islande",
        "Jean Pierre Jacques Wilner Frantz Réginald Emmanuel Joseph Ronel Fritz",
        "Joseph Pierre Jean-Baptiste Louis Charles Etienne Desir Toussaint Saint-Fleur Celestin Augustin",
    ),
    "russian": _pool(
        "Olga Tatiana Natalia Svetlana Irina Galina Lyudmila Elena Valentina Nina",
        "Sergei Vladimir Alexei Dmitri Nikolai Yuri Mikhail Igor Boris Viktor",
        # Masculine forms; the feminine adds "a" (Ivanov, Ivanova).
        "Ivanov Petrov Smirnov Kuznetsov Popov Volkov Sokolov Morozov Lebedev Novikov",
    ),
    "arabic": _pool(
        "Fatima Aisha Layla Mariam Nour Huda Samira Rania Salma Yasmin",
        "Mohammed Ahmed Ali Omar Khaled Youssef Hassan Ibrahim Tariq Samir",
        "Haddad Khalil Mansour Nasser Saleh Hamdan Aziz Farah Karam Sabbagh",
    ),
}


def person_name(rng: random.Random, group: str, female: bool) -> tuple[str, str]:
    pool = NAMES[group]
    given = rng.choice(pool.female if female else pool.male)
    family = rng.choice(pool.family)
    if group == "russian" and female:
        family += "a"
    return given, family


def ascii_name(text: str) -> str:
    """For user names and e-mail addresses: José Pérez-Núñez -> jose.perez-nunez."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.lower().replace("'", "").replace(" ", "-")


# Name origin for a preferred language other than English.
GROUP_BY_LANGUAGE = {
    "es": "hispanic",
    "vi": "vietnamese",
    "zh": "chinese",
    "ht": "haitian",
    "ru": "russian",
    "ar": "arabic",
}
ENGLISH_SPEAKER_GROUPS = Weighted(
    {
        "anglo": 60,
        "african_american": 22,
        "hispanic": 11,
        "chinese": 2,
        "vietnamese": 2,
        "arabic": 2,
        "russian": 1,
    }
)
PATIENT_LANGUAGES = {"en": 72, "es": 20, "vi": 2.5, "zh": 2.5, "ht": 1, "ru": 1, "ar": 1}

# Fictional towns, each served by one of the two clinic teams (index into TEAM_NAMES).
TEAM_NAMES = ("North Clinic", "Southside", "Behavioral Health")
NORTH, SOUTH, BEHAVIORAL = 0, 1, 2
STATE = "OR"
TOWNS: dict[tuple[str, str, int], float] = {
    ("Riverside", "97901", NORTH): 30,
    ("Millbrook", "97903", NORTH): 12,
    ("Cedar Hollow", "97905", NORTH): 8,
    ("South Riverside", "97902", SOUTH): 25,
    ("Port Ellis", "97911", SOUTH): 15,
    ("Willow Bend", "97913", SOUTH): 10,
}
STREETS = (
    "Maple Avenue",
    "Oak Street",
    "River Road",
    "Elm Street",
    "Church Street",
    "Mill Road",
    "Pine Street",
    "Washington Street",
    "Park Avenue",
    "Lake Drive",
    "Cedar Lane",
    "Hillside Terrace",
    "Franklin Street",
    "Union Street",
    "Bridge Street",
    "Orchard Way",
    "Meadow Lane",
    "Spring Street",
    "Chestnut Street",
    "Harbor View Road",
    "Ferry Landing",
    "Birch Court",
    "Sycamore Drive",
    "Railroad Avenue",
)
CONTACT_TIMES = (
    "weekday mornings",
    "weekday afternoons",
    "after 5 pm",
    "mornings before 10",
    "any time",
    "late mornings",
    "weekdays after lunch",
    "evenings or Saturdays",
)
CLINICS = ("Riverside North Clinic", "Southside Family Health Center")
BEHAVIORAL_CLINIC = "Riverside Behavioral Health Center"
HOSPITALS = ("Riverside General Hospital", "St. Brendan's Medical Center", "Millbrook Community Hospital")
SPECIALISTS = {
    "diabetes": "Riverside Endocrinology",
    "heart_failure": "Riverside Heart & Vascular",
    "copd": "Riverside Pulmonary Associates",
    "ckd": "Riverside Kidney Care",
    "depression": BEHAVIORAL_CLINIC,
    "hypertension": "",
}

# ICD-10-CM codes with their official short-form displays.
ICD10: dict[str, str] = {
    "E11.9": "Type 2 diabetes mellitus without complications",
    "E11.65": "Type 2 diabetes mellitus with hyperglycemia",
    "E11.22": "Type 2 diabetes mellitus with diabetic chronic kidney disease",
    "I50.22": "Chronic systolic (congestive) heart failure",
    "I50.32": "Chronic diastolic (congestive) heart failure",
    "I50.9": "Heart failure, unspecified",
    "J44.9": "Chronic obstructive pulmonary disease, unspecified",
    "J44.1": "Chronic obstructive pulmonary disease with (acute) exacerbation",
    "F32.9": "Major depressive disorder, single episode, unspecified",
    "F33.1": "Major depressive disorder, recurrent, moderate",
    "I10": "Essential (primary) hypertension",
    # ICD-10-CM presumes hypertension causes coexisting CKD or heart failure: combination codes.
    "I11.0": "Hypertensive heart disease with heart failure",
    "I12.9": "Hypertensive chronic kidney disease with stage 1 through stage 4 chronic kidney disease, "
    "or unspecified chronic kidney disease",
    "I13.0": "Hypertensive heart and chronic kidney disease with heart failure and stage 1 through stage 4 "
    "chronic kidney disease, or unspecified chronic kidney disease",
    "N18.30": "Chronic kidney disease, stage 3 unspecified",
    "N18.31": "Chronic kidney disease, stage 3a",
    "N18.32": "Chronic kidney disease, stage 3b",
    "N18.4": "Chronic kidney disease, stage 4 (severe)",
}
DIABETES_CODES = {"E11.9": 65, "E11.65": 35}
HEART_FAILURE_CODES = {"I50.22": 40, "I50.32": 40, "I50.9": 20}
COPD_CODES = {"J44.9": 80, "J44.1": 20}
DEPRESSION_CODES = {"F32.9": 45, "F33.1": 55}
CKD_CODES = {"N18.30": 30, "N18.31": 25, "N18.32": 25, "N18.4": 20}
SHORT_NAMES = {
    "diabetes": "type 2 diabetes",
    "heart_failure": "heart failure",
    "copd": "COPD",
    "ckd": "chronic kidney disease",
    "depression": "depression",
    "hypertension": "hypertension",
}

INPATIENT_REASONS = {
    "diabetes": ("Hyperglycemia with dehydration", "Diabetic foot infection", "Hypoglycemia with fall"),
    "heart_failure": ("Acute on chronic heart failure", "Heart failure exacerbation with volume overload"),
    "copd": ("COPD exacerbation", "COPD exacerbation with pneumonia"),
    "ckd": ("Acute kidney injury on chronic kidney disease", "Hyperkalemia"),
    "depression": ("Major depressive episode with suicidal ideation",),
    "hypertension": ("Hypertensive urgency", "Chest pain, myocardial infarction ruled out"),
}
GENERAL_INPATIENT_REASONS = (
    "Community-acquired pneumonia",
    "Sepsis, urinary source",
    "Fall with hip fracture",
    "Cellulitis of the lower leg",
)
ED_REASONS = (
    "Shortness of breath",
    "Chest pain",
    "Dizziness",
    "Fall at home",
    "Elevated blood sugar",
    "Cough and fever",
    "Swelling of the legs",
    "Medication refill, ran out",
    "Anxiety and palpitations",
    "Back pain",
)

CONTACT_METHODS = {
    ContactMethod.PHONE: 58,
    ContactMethod.TEXT: 20,
    ContactMethod.PORTAL: 9,
    ContactMethod.MAIL: 7,
    ContactMethod.EMAIL: 4,
    ContactMethod.IN_PERSON: 2,
}

DISCHARGE_DISPOSITIONS = {
    DischargeDisposition.HOME: 50,
    DischargeDisposition.HOME_HEALTH: 27,
    DischargeDisposition.SNF: 13,
    DischargeDisposition.REHAB: 6,
    DischargeDisposition.AMA: 4,
}

RELATIONSHIPS = {
    ContactRelationship.SPOUSE: 35,
    ContactRelationship.CHILD: 35,
    ContactRelationship.SIBLING: 10,
    ContactRelationship.FRIEND: 8,
    ContactRelationship.NEIGHBOUR: 5,
    ContactRelationship.OTHER: 5,
    ContactRelationship.GUARDIAN: 2,
}

PAYERS = {
    "medicare": (("Medicare", "Original Medicare (Parts A and B)"),),
    "medicare_advantage": (
        ("Bluewater Medicare Advantage", "Bluewater Advantage HMO"),
        ("Bluewater Medicare Advantage", "Bluewater Advantage PPO"),
        ("Summit Senior Health", "Summit Senior Choice HMO"),
    ),
    "medicaid": (
        ("CommunityFirst Health Plan", "CommunityFirst Medicaid Managed Care"),
        ("Cascade Valley Medicaid", "Cascade Valley Health Plan"),
    ),
    "dual": (("Bluewater Medicare Advantage", "Bluewater Dual Complete (HMO D-SNP)"),),
    "commercial": (
        ("Northstar Health Insurance", "Northstar Choice PPO"),
        ("Keystone Mutual Health", "Keystone Gold HMO"),
        ("Evergreen Employers Trust", "Evergreen Standard PPO"),
    ),
}
MEDIGAP = ("Keystone Mutual Health", "Keystone Medicare Supplement Plan G")

REFERRAL_SOURCES = {
    "complex_cm": {"pcp": 30, "health_plan": 20, "risk_list": 25, "specialist": 12, "hospital": 8, "self": 5},
    "ccm": {"pcp": 60, "risk_list": 25, "health_plan": 10, "specialist": 5},
    "behavioural": {"pcp": 45, "self": 15, "community": 12, "health_plan": 10, "specialist": 18},
}
ON_HOLD_NOTES = (
    "Admitted to a skilled nursing facility for rehab; resume on return home",
    "Travelling out of state to stay with family for six weeks",
    "Patient asked to pause while caring for a spouse after surgery",
    "Inpatient stay; hold until discharge",
)
DECLINED_NOTES = (
    "Patient prefers to manage with the primary care team; information left for the future",
    "Not interested at this time; agreed to a call back in three months",
    "Family coordinates care and feels supported",
    "Declined after the first call; no reason given",
)
INELIGIBLE_NOTES = (
    "Coverage not eligible for the programme",
    "Lives outside the service area",
    "Already enrolled in the health plan's care management programme",
    "Enrolled in hospice",
)
CLOSURE_REASONS = {
    "goals_met": 50,
    "unable_to_reach": 12,
    "patient_declined": 10,
    "transferred": 12,
    "moved": 6,
    "deceased": 5,
    "other": 5,
}
OTHER_CLOSURE_REASONS = ("Entered long-term care", "Enrolled in the health plan's programme instead")


# Identifiers: unique per patient index, shaped like the real ones, never sequential-looking.


def _scrambled(index: int, radices: tuple[int, ...], multiplier: int) -> list[int]:
    """Digits of a bijective shuffle of `index` (the multiplier is coprime to the space): ids that are unique
    per patient without looking sequential."""
    space = 1
    for r in radices:
        space *= r
    value = (index * multiplier + 104_729) % space
    digits = []
    for r in reversed(radices):
        value, digit = divmod(value, r)
        digits.append(digit)
    return digits[::-1]


_DIGITS, _LETTERS = "0123456789", "ACDEFGHJKMNPQRTUVWXY"  # the MBI leaves out S, L, O, I, B and Z
_BOTH = _DIGITS + _LETTERS
_MBI_CHARSETS = (
    "123456789",
    _LETTERS,
    _BOTH,
    _DIGITS,
    _LETTERS,
    _BOTH,
    _DIGITS,
    _LETTERS,
    _LETTERS,
    _DIGITS,
    _DIGITS,
)


def medicare_id(index: int) -> str:
    """An identifier shaped like an MBI (11 characters), unique per patient index."""
    digits = _scrambled(index, tuple(len(c) for c in _MBI_CHARSETS), 1_000_003)
    return "".join(charset[d] for charset, d in zip(_MBI_CHARSETS, digits, strict=True))


def member_number(index: int, multiplier: int) -> str:
    return "".join(map(str, _scrambled(index, (10,) * 9, multiplier)))
