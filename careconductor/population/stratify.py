"""Risk stratification over the whole population, in batch (issue 22): the facts of every living member of the
organisation are computed with Polars from seven narrow reads (members, their visits of the last 12 months counted
by the database, hospital stays of the last 16 months, active coded conditions and health concerns, LACE and
HOSPITAL scores of the last 12 months, medications taken now counted by the database, the last HbA1c result), not
through the ORM; stratify_rules puts each member in a
tier with the reasons; the results replace the organisation's previous ones in one transaction (bulk_rows).

The reads go through the request's database connection (so a run sees what its transaction sees, on SQLite and
PostgreSQL alike) and bring moments as epoch seconds computed by the database, so no datetime is made per row.
Records with a sensitivity label are left out (stratify_rules)."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from functools import cache
from typing import Any

import polars as pl
from django.db import connection, transaction

from careconductor.accounts.models import User
from careconductor.assessments.choices import FindingDomain
from careconductor.assessments.risk import charlson
from careconductor.careplans.concerns import CONCERNS
from careconductor.core import clock
from careconductor.core.bulk_rows import Table, adapt
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .frames import frame_of
from .models import MemberRisk, StratificationRun
from .registry_actions import do_run_registries
from .registry_rules import conditions_of
from .stratify_rules import MemberFacts, hba1c_gap, tier_of

DAY = 86_400.0
YEAR = 365 * DAY
READMISSION = 30 * DAY
QUOTED_END = 'e."end"'
# Stays are read from this long before the year, so a stay that ended within 30 days before it counts as the one a
# readmission follows (a stay longer than 90 days that began before that is not seen).
LOOKBACK = YEAR + READMISSION + 90 * DAY
ACTIVE = ("active", "recurrence", "relapse")
AMBULATORY = ("AMB", "VR")
# Social needs: the health concerns of these domains, and ICD-10-CM's Z55-Z65 ("persons with potential health
# hazards related to socioeconomic and psychosocial circumstances"). A Z code a concern carries counts as that
# concern's need, so a need found by an assessment and coded is counted once.
SOCIAL_DOMAINS = (
    FindingDomain.HOUSING_INSTABILITY, FindingDomain.HOUSING_QUALITY, FindingDomain.FOOD_INSECURITY,
    FindingDomain.TRANSPORTATION, FindingDomain.UTILITIES, FindingDomain.INTERPERSONAL_SAFETY,
)  # fmt: skip
SOCIAL_CODES = tuple(f"Z{n}" for n in range(55, 66))
NEED_OF_CODE = {c.icd10.replace(".", ""): str(domain) for domain, c in CONCERNS.items() if c.icd10}

EPOCH = {
    "postgresql": "EXTRACT(EPOCH FROM {})::float8",
    "sqlite": "((julianday({}) - 2440587.5) * 86400.0)",
}


def _moment(seconds: float) -> Any:
    """Epoch seconds as the database compares them with a stored moment (Django's own adaptation)."""
    return connection.ops.adapt_datetimefield_value(dt.datetime.fromtimestamp(seconds, dt.UTC))


def member_facts(organization_id: int, now_s: float) -> pl.DataFrame:
    """One row per living, unmerged member of the organisation with the facts stratify_rules reads (codes: the
    distinct active ICD-10-CM codes, for the Charlson index)."""
    epoch = EPOCH[connection.vendor]
    members = frame_of(
        "SELECT id FROM patients_patient WHERE organization_id = %s AND deceased_date IS NULL "
        "AND merged_into_id IS NULL",
        [organization_id],
        {"patient_id": pl.Int64},
    )
    since = now_s - YEAR
    # Visits are counted by the database (a million rows back, not every encounter); the stays come whole, for
    # the readmissions.
    visits = frame_of(
        "SELECT e.patient_id, SUM(CASE WHEN e.encounter_class = 'IMP' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN e.encounter_class = 'EMER' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN e.encounter_class IN ('AMB', 'VR') THEN 1 ELSE 0 END) "
        "FROM patients_encounter e JOIN patients_patient p ON p.id = e.patient_id "
        "WHERE p.organization_id = %s AND e.start >= %s GROUP BY e.patient_id",
        [organization_id, _moment(since)],
        {
            "patient_id": pl.Int64,
            "admissions_12m": pl.Int64,
            "ed_visits_12m": pl.Int64,
            "ambulatory_visits_12m": pl.Int64,
        },
    )
    stays = frame_of(
        f"SELECT e.patient_id, {epoch.format('e.start')}, {epoch.format(QUOTED_END)} "
        "FROM patients_encounter e JOIN patients_patient p ON p.id = e.patient_id "
        "WHERE p.organization_id = %s AND e.encounter_class = 'IMP' AND e.start >= %s",
        [organization_id, _moment(now_s - LOOKBACK)],
        {"patient_id": pl.Int64, "start": pl.Float64, "end": pl.Float64},
    )
    conditions = frame_of(
        "SELECT c.patient_id, c.icd10_code, c.concern_code FROM patients_condition c "
        "JOIN patients_patient p ON p.id = c.patient_id "
        "WHERE p.organization_id = %s AND c.clinical_status IN (%s, %s, %s) AND c.sensitivity = '' "
        "AND (c.icd10_code <> '' OR c.concern_code <> '')",
        [organization_id, *ACTIVE],
        {"patient_id": pl.Int64, "code": pl.Utf8, "concern": pl.Utf8},
    )
    scores = frame_of(
        f"SELECT r.patient_id, r.model, r.value, {epoch.format('r.computed_at')} FROM assessments_riskscore r "
        "JOIN patients_patient p ON p.id = r.patient_id WHERE p.organization_id = %s "
        "AND r.model IN ('lace', 'hospital') "
        f"AND r.value IS NOT NULL AND r.sensitivity = '' AND {epoch.format('r.computed_at')} >= %s",
        [organization_id, now_s - YEAR],
        {"patient_id": pl.Int64, "model": pl.Utf8, "value": pl.Int64, "at": pl.Float64},
    )
    # Medications taken now (started, and not ended before today), counted by the database.
    today = dt.datetime.fromtimestamp(now_s, dt.UTC).date()
    medications = frame_of(
        "SELECT m.patient_id, COUNT(*) FROM medications_medication m JOIN patients_patient p ON p.id = m.patient_id "
        "WHERE p.organization_id = %s AND m.start_date <= %s AND (m.end_date IS NULL OR m.end_date >= %s) "
        "GROUP BY m.patient_id",
        [
            organization_id,
            connection.ops.adapt_datefield_value(today),
            connection.ops.adapt_datefield_value(today),
        ],
        {"patient_id": pl.Int64, "active_medications": pl.Int64},
    )
    hba1c = frame_of(
        f"SELECT r.patient_id, MAX({epoch.format('r.taken_at')}) FROM careplans_reading r "
        "JOIN patients_patient p ON p.id = r.patient_id WHERE p.organization_id = %s AND r.measure = 'hba1c' "
        "GROUP BY r.patient_id",
        [organization_id],
        {"patient_id": pl.Int64, "last_hba1c": pl.Float64},
    ).with_columns(days_since_hba1c=((now_s - pl.col("last_hba1c")) // DAY).cast(pl.Int64))
    # A readmission: an admission in the last 12 months that began within 30 days after the previous stay ended.
    stays = stays.sort(["patient_id", "start"]).with_columns(
        previous_end=pl.col("end").shift(1).over("patient_id")
    )
    readmitted = (
        stays.filter(
            (pl.col("start") >= since)
            & (pl.col("start") >= pl.col("previous_end"))
            & (pl.col("start") - pl.col("previous_end") <= READMISSION)
        )
        .select("patient_id")
        .unique()
        .with_columns(readmitted_30d=pl.lit(True))
    )
    conditions = conditions.with_columns(
        pl.col("code").str.to_uppercase().str.strip_chars().str.replace_all(".", "", literal=True)
    )
    # Diagnoses: every code but the Z codes (factors, not conditions) and the concerns (needs, not diagnoses).
    coded = (
        conditions.filter(
            (pl.col("code") != "") & (pl.col("concern") == "") & ~pl.col("code").str.starts_with("Z")
        )
        .group_by("patient_id")
        .agg(chronic_conditions=pl.col("code").n_unique(), codes=pl.col("code").unique().sort())
    )
    needs = (
        conditions.with_columns(
            need=pl.when(pl.col("concern").is_in([str(d) for d in SOCIAL_DOMAINS]))
            .then(pl.col("concern"))
            .when(pl.col("code").str.contains(f"^({'|'.join(SOCIAL_CODES)})"))
            .then(pl.col("code").replace(NEED_OF_CODE))
        )
        .filter(pl.col("need").is_not_null())
        .group_by("patient_id")
        .agg(social_needs=pl.col("need").n_unique())
    )
    last = (
        scores.sort("at")
        .group_by("patient_id")
        .agg(
            last_lace=pl.col("value").filter(pl.col("model") == "lace").last(),
            last_hospital=pl.col("value").filter(pl.col("model") == "hospital").last(),
        )
    )
    return (
        members.join(visits, on="patient_id", how="left")
        .join(readmitted, on="patient_id", how="left")
        .join(coded, on="patient_id", how="left")
        .join(last, on="patient_id", how="left")
        .join(medications, on="patient_id", how="left")
        .join(needs, on="patient_id", how="left")
        .join(hba1c.select("patient_id", "days_since_hba1c"), on="patient_id", how="left")
        .with_columns(
            pl.col(
                "admissions_12m",
                "ed_visits_12m",
                "ambulatory_visits_12m",
                "chronic_conditions",
                "active_medications",
                "social_needs",
            ).fill_null(0),
            pl.col("readmitted_30d").fill_null(False),
        )
    )


@cache
def _scored(codes: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
    """Members share few code sets: each is scored once (assessments.risk.charlson, clinical.md §4.3) and read
    for its condition words once."""
    return charlson(codes).value or 0, conditions_of(codes)


FACT_COLUMNS = (
    "patient_id", "admissions_12m", "ed_visits_12m", "readmitted_30d", "chronic_conditions", "codes",
    "ambulatory_visits_12m", "last_lace", "active_medications", "last_hospital", "social_needs", "days_since_hba1c",
)  # fmt: skip


def facts_of(frame: pl.DataFrame) -> Iterator[MemberFacts]:
    # Column by column into Python, then zipped: several times faster than a dict per row (iter_rows(named=True)).
    columns = [frame[name].to_list() for name in FACT_COLUMNS]
    for (
        pid,
        admissions,
        ed,
        readmitted,
        chronic,
        codes,
        ambulatory,
        lace,
        medicines,
        hospital,
        needs,
        hba1c,
    ) in zip(*columns, strict=True):
        score, conditions = _scored(tuple(codes)) if codes else (0, ())
        yield MemberFacts(
            patient_id=pid,
            admissions_12m=admissions,
            ed_visits_12m=ed,
            readmitted_30d=readmitted,
            chronic_conditions=chronic,
            charlson=score,
            ambulatory_visits_12m=ambulatory,
            last_lace=lace,
            conditions=conditions,
            active_medications=medicines,
            last_hospital=hospital,
            social_needs=needs,
            days_since_hba1c=hba1c,
        )


FACT_FIELDS = [
    "tier",
    "reasons",
    "admissions_12m",
    "ed_visits_12m",
    "readmitted_30d",
    "chronic_conditions",
    "charlson",
    "ambulatory_visits_12m",
    "last_lace",
    "conditions",
    "active_medications",
    "last_hospital",
    "social_needs",
    "hba1c_gap",
]
JSON_FIELDS = ("reasons", "conditions")


def _kept(organization_id: int) -> dict[int, tuple[Any, ...]]:
    """The previous run's results by patient id, each as the tuple of FACT_FIELDS this run would write (JSON as
    text in one spelling, so equal facts compare equal on both databases)."""
    cast = "::text" if connection.vendor == "postgresql" else ""
    columns = ", ".join(f"{name}{cast}" if name in JSON_FIELDS else name for name in FACT_FIELDS)
    spelled: dict[str, str] = {}
    json_at = [FACT_FIELDS.index(name) for name in JSON_FIELDS]
    kept: dict[int, tuple[Any, ...]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT patient_id, {columns} FROM population_memberrisk WHERE organization_id = %s",
            [organization_id],
        )
        while rows := cursor.fetchmany(100_000):
            for pid, *values in rows:
                for i in json_at:
                    text = values[i]
                    values[i] = spelled.get(text) or spelled.setdefault(text, json.dumps(json.loads(text)))
                kept[pid] = tuple(values)
    return kept


def do_stratify(user: User | None, organization_id: int | None = None) -> StratificationRun:
    """Stratify the organisation's members now: an administrator's, or the nightly job's (user None, with the
    organisation named). The previous results are compared with the new ones: only the members whose facts or
    tier changed are written again (computed_at: since when their facts are as they are), those no longer living
    members are removed. Then the organisation's registries run on them; one audit event for the run (and one per
    registry)."""
    if user is not None:
        organization_id = policy.require_admin(user, "Only an administrator runs the stratification.")
    if organization_id is None:
        raise ValueError("Name the organisation to stratify.")
    started, now = time.perf_counter(), clock.now()
    frame = member_facts(organization_id, now.timestamp())
    tiers: dict[str, int] = {}
    table = Table(
        MemberRisk, f"organization_id patient_id {' '.join(FACT_FIELDS)} computed_at", now,
        ready="reasons conditions computed_at",
    )  # fmt: skip
    at = adapt(MemberRisk._meta.get_field("computed_at"), now)
    words: dict[tuple[str, ...], str] = {}  # reasons and conditions as JSON text, each set encoded once
    with transaction.atomic(), connection.cursor() as cursor:
        kept = _kept(organization_id)
        changed: list[int] = []
        for facts in facts_of(frame):
            tier, reasons = tier_of(facts)
            tiers[str(tier)] = tiers.get(str(tier), 0) + 1
            values = (
                tier, words.get(reasons) or words.setdefault(reasons, json.dumps(list(reasons))),
                facts.admissions_12m, facts.ed_visits_12m, facts.readmitted_30d, facts.chronic_conditions,
                facts.charlson, facts.ambulatory_visits_12m, facts.last_lace,
                words.get(facts.conditions) or words.setdefault(facts.conditions, json.dumps(list(facts.conditions))),
                facts.active_medications, facts.last_hospital, facts.social_needs, hba1c_gap(facts),
            )  # fmt: skip
            before = kept.pop(facts.patient_id, None)
            if before == values:
                continue
            if before is not None:
                changed.append(facts.patient_id)
            table.add(organization_id=organization_id, patient_id=facts.patient_id, computed_at=at,
                      **dict(zip(FACT_FIELDS, values, strict=True)))  # fmt: skip
        gone = [*changed, *kept]  # changed rows are written anew; members who died or were merged leave
        for start in range(0, len(gone), 10_000):
            MemberRisk.objects.filter(
                organization_id=organization_id, patient_id__in=gone[start : start + 10_000]
            ).delete()
        table.flush(cursor)
        run = StratificationRun.objects.create(
            organization_id=organization_id,
            started_at=now,
            seconds=round(time.perf_counter() - started, 2),
            members=frame.height,
            changed=table.inserted,
            tiers=dict(sorted(tiers.items(), reverse=True)),
            run_by=user,
        )
        audit.record(
            user,
            AuditAction.CREATE,
            object_type="StratificationRun",
            object_id=str(run.pk),
            detail=f"{frame.height} members stratified ({run.changed} new or changed, {len(kept)} removed): "
            + ", ".join(f"tier {t}: {n}" for t, n in run.tiers.items()),
        )
        # The registries read the new tiers: each run again on them, in the same transaction.
        do_run_registries(organization_id)
    return run
