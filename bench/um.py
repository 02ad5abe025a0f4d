"""Utilisation management at a health plan's scale (issue 21): the UM worklist with 100,000 open requests, and the
yearly CMS-0057-F figures over a year of 1,000,000 decided requests.

    CARECONDUCTOR_HOME=/tmp/bench-um .venv/bin/python bench/um.py
    CARECONDUCTOR_HOME=/tmp/bench-um-pg DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_um \\
      .venv/bin/python bench/um.py --fresh

The database is that of the data folder (SQLite) or DATABASE_URL (PostgreSQL; `--fresh` drops and creates it, so
its name must contain "bench"). A database without the demo gets one (`--patients`, default 2,000: the members the
requests are about). Then, once, requests are bulk-inserted straight into the tables (not through the intake
action: that is measured by the tests, and a million actions would take hours): `--open` open requests (default
100,000; received over the last 7 days, standard and expedited, in every open status, one service line each) and
`--decided` decided ones (default 1,000,000; received and decided over the last year, approved, partially
approved or denied, a few appealed). Run again, nothing more is inserted.

Timed `--repeat` times each (default 10) after one warm-up, in one process: (a) um.queries.worklist(the demo's UM
nurse), the 100 most urgent rows and the count; (b) GET /um/ through django.test.Client (middleware, policy,
audit of the rows shown, template); (c) um.metrics.figures (the yearly figures over every decided request);
(d) GET /um/metrics.json. Prints the medians, p95 and query counts as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _postgres import recreate_postgres  # bench/ is on sys.path when a benchmark runs

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5_000


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careconductor.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


def _ensure_demo(patients: int) -> None:
    from django.core.management import call_command

    from careconductor.accounts.models import Organization
    from careconductor.demo.generator import ORGANIZATION_NAME, build_demo

    call_command("migrate", interactive=False, verbosity=0)
    if not Organization.objects.filter(name=ORGANIZATION_NAME).exists():
        build_demo(patients=patients, out=sys.stderr)


def _insert(open_count: int, decided_count: int, seed: int = 21) -> dict[str, float]:
    """The bench's requests, unless there are as many already. Returns the seconds each kind took."""
    from django.db import transaction

    from careconductor.accounts.choices import Role
    from careconductor.accounts.models import User
    from careconductor.core import clock
    from careconductor.patients.models import Patient
    from careconductor.um import rules
    from careconductor.um.models import AuthRequest, RequestedService

    linda = User.objects.filter(role=Role.UM_REVIEWER).order_by("pk").first()
    samuel = User.objects.filter(username="samuel.osei").first()
    assert linda is not None and samuel is not None, "the demo's UM staff are missing"
    org_id = linda.organization_id
    members = list(Patient.objects.filter(organization_id=org_id).values_list("pk", flat=True))
    rng = random.Random(seed)
    now = clock.now()
    took: dict[str, float] = {}
    have_open = AuthRequest.objects.filter(waiting_due_at__isnull=False).count()
    have_decided = AuthRequest.objects.filter(decided_at__isnull=False).count()
    open_statuses = [s.value for s in rules.OPEN]

    def common(received: dt.datetime, urgency: rules.Urgency) -> dict[str, Any]:
        return {
            "organization_id": org_id,
            "patient_id": rng.choice(members),
            "source": "fhir-pas",
            "setting": "outpatient",
            "urgency": urgency.value,
            "plan_type": rules.PlanType.MEDICARE_ADVANTAGE.value,
            "pend_rule": rules.PendRule.CLOCK_RUNS.value,
            "received_at": received,
            "due_at": received
            + (dt.timedelta(hours=72) if urgency == rules.Urgency.EXPEDITED else dt.timedelta(days=7)),
            "requesting_provider": "Dr Bench",
            "servicing_provider": "Bench Imaging",
            "place_of_service": "22",
            "diagnoses": ["M25.561"],
            "clinical_notes": "bench",
            "received_by_id": linda.pk,
        }

    started = time.perf_counter()
    for first in range(have_open, open_count, BATCH):
        rows = []
        for _ in range(first, min(first + BATCH, open_count)):
            urgency = rules.Urgency.EXPEDITED if rng.random() < 0.2 else rules.Urgency.STANDARD
            fields = common(now - dt.timedelta(minutes=rng.randint(0, 7 * 24 * 60)), urgency)
            status = rng.choice(open_statuses)
            rows.append(
                AuthRequest(
                    **fields,
                    status=status,
                    waiting_due_at=fields["due_at"],
                    reviewer_id=None if status == "received" else linda.pk,
                )
            )
        with transaction.atomic():
            made = AuthRequest.objects.bulk_create(rows, batch_size=BATCH)
            RequestedService.objects.bulk_create(
                (RequestedService(request=r, code="73721", description="MRI knee", units=1, start=now.date()) for r in made),
                batch_size=BATCH,
            )  # fmt: skip
        print(f"  open requests: {min(first + BATCH, open_count):,}", file=sys.stderr, flush=True)
    took["insert_open_s"] = time.perf_counter() - started
    started = time.perf_counter()
    decisions = ["approved"] * 80 + ["partially-approved"] * 5 + ["denied"] * 15
    for first in range(have_decided, decided_count, BATCH):
        rows = []
        for _ in range(first, min(first + BATCH, decided_count)):
            urgency = rules.Urgency.EXPEDITED if rng.random() < 0.2 else rules.Urgency.STANDARD
            received = now - dt.timedelta(minutes=rng.randint(10 * 24 * 60, 365 * 24 * 60))
            decided = received + dt.timedelta(
                minutes=rng.randint(30, 72 * 60 if urgency == "expedited" else 7 * 24 * 60)
            )
            decision = rng.choice(decisions)
            status = decision
            if decision == "denied" and rng.random() < 0.3:
                status = "appeal-approved" if rng.random() < 0.5 else "appeal-denied"
            rows.append(
                AuthRequest(
                    **common(received, urgency), status=status, decision=decision, decided_at=decided,
                    decided_by_id=samuel.pk, reviewer_id=linda.pk, reason="" if decision == "approved" else "criteria-not-met",
                )
            )  # fmt: skip
        with transaction.atomic():
            AuthRequest.objects.bulk_create(rows, batch_size=BATCH)
        if (first // BATCH) % 20 == 0:
            print(f"  decided requests: {min(first + BATCH, decided_count):,}", file=sys.stderr, flush=True)
    took["insert_decided_s"] = time.perf_counter() - started
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return took


def _time(label: str, run: Callable[[], object], repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    print(f"timing {label} ({repeat} times)", file=sys.stderr, flush=True)
    run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            run()
        times.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1), "queries": len(queries)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=2_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--decided", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--fresh", action="store_true", help="drop and create the PostgreSQL database first")
    args = parser.parse_args()
    if "CARECONDUCTOR_HOME" not in os.environ:
        sys.exit("Set CARECONDUCTOR_HOME to the bench's data folder.")
    if args.fresh and os.environ.get("DATABASE_URL"):
        recreate_postgres(os.environ["DATABASE_URL"])
    _setup_django()
    from django.db import connection
    from django.test import Client

    from careconductor.accounts.choices import Role
    from careconductor.accounts.models import User
    from careconductor.privacy import audit, policy
    from careconductor.um import metrics, queries
    from careconductor.um.models import AuthRequest

    _ensure_demo(args.patients)
    took = _insert(args.open, args.decided)
    linda = User.objects.filter(role=Role.UM_REVIEWER).order_by("pk").first()
    assert linda is not None
    client = Client()
    client.force_login(linda)

    def page(url: str) -> Callable[[], object]:
        def run() -> object:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return run

    def worklist() -> object:
        with policy.deciding_once(), audit.batched_reads():
            return queries.worklist(linda)

    _rows, total = worklist()  # type: ignore[misc]
    found = metrics.figures(linda)
    result = {
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "database": connection.vendor,
        "open_requests": AuthRequest.objects.filter(waiting_due_at__isnull=False).count(),
        "decided_requests": AuthRequest.objects.filter(decided_at__isnull=False).count(),
        **{k: round(v, 1) for k, v in took.items()},
        "worklist_total": total,
        "worklist": _time("um.queries.worklist", worklist, args.repeat),
        "worklist_page": _time("GET /um/", page("/um/"), args.repeat),
        "figures": _time("um.metrics.figures", lambda: metrics.figures(linda), max(3, args.repeat // 3)),
        "figures_json_page": _time(
            "GET /um/metrics.json", page("/um/metrics.json"), max(3, args.repeat // 3)
        ),
        "years": [(f.year, f.decided) for f in found],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
