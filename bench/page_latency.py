"""Latency of the main staff pages at scale: median and p95 over repeated warm requests, with query counts.

Usage (the data folder must hold a demo; build one with `careconductor demo --patients 100000`):

    CARECONDUCTOR_HOME=/path/to/data .venv/bin/python bench/page_latency.py [--repeat 20] [--only chart ...]
    DATABASE_URL=postgres://... .venv/bin/python bench/page_latency.py

`--only` times the pages whose label contains one of the words given (`--only "case " chart`). The machine's
load average is printed first: other jobs on the machine show in the p95s. *cpu ms* is the process's own CPU time
per request (median), steadier than wall time on a shared machine; on PostgreSQL it leaves out the server's work.

Requests go through Django's test client in one process (no network, no gunicorn), so the figures are the
application's own time: middleware, policy, queries, audit writes and template rendering.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careconductor.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from careconductor.accounts.models import User  # noqa: E402
from careconductor.assessments.models import Assessment  # noqa: E402
from careconductor.cases.models import Case  # noqa: E402
from careconductor.patients.models import Patient  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--only", nargs="*", default=[], help="time only pages whose label contains one of these"
    )
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

    manager = User.objects.get(username="casemanager")
    case = Case.objects.filter(primary_case_manager=manager, status="active").order_by("pk").first()
    assert case is not None, "the demo's case manager has no active case"
    # The demo's assessment scenarios: a patient with a PHQ-9 series, and the item-9 assessment.
    series = Assessment.objects.filter(questionnaire__slug="phq-9", status="completed").order_by("pk").first()
    assert series is not None, "the demo has no PHQ-9 (built before the assessments issue?)"
    pages = {
        "casemanager": [
            ("case list (own open cases)", "/cases/"),
            ("patient list", "/patients/"),
            ("patient search 'ma'", "/patients/?q=ma"),
            ("chart", f"/patients/{case.patient_id}/"),
            ("case detail", f"/cases/{case.pk}/"),
            ("assessments (patient)", f"/patients/{series.patient_id}/assessments/"),
            ("assessment result", f"/assessments/{series.pk}/"),
            ("PHQ-9 history (trend)", f"/patients/{series.patient_id}/assessments/history/phq-9/"),
        ],
        "supervisor": [
            ("case list (team)", "/cases/"),
            ("unassigned referrals", "/cases/?status=referred&case_manager=0"),
            ("caseloads", "/cases/caseloads/"),
            ("assignment suggestion", f"/cases/{case.pk}/assign/"),
        ],
        "admin": [
            ("patient list (organisation)", "/patients/"),
            ("patient search 'garcia'", "/patients/?q=garcia"),
        ],
    }
    print(f"{Patient.objects.count():,} patients, {Case.objects.count():,} cases, {connection.vendor}")
    print("load average " + " ".join(f"{load:.2f}" for load in os.getloadavg()))
    print(f"{'user':12} {'page':30} {'median ms':>10} {'p95 ms':>8} {'cpu ms':>7} {'queries':>8}")
    for username, urls in pages.items():
        client = Client()
        client.force_login(User.objects.get(username=username))
        for label, url in urls:
            if args.only and not any(word in label for word in args.only):
                continue
            client.get(url)  # warm caches
            times, cpu = [], []
            for _ in range(args.repeat):
                started, cpu_started = time.perf_counter(), time.process_time()
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(url)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
            print(
                f"{username:12} {label:30} {statistics.median(times):10.1f} {p95:8.1f} {statistics.median(cpu):7.1f} {len(queries):8d}"
            )


if __name__ == "__main__":
    main()
