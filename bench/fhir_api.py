"""Latency of the FHIR R4 API at scale, and the rate of transaction imports.

    .venv/bin/python bench/fhir_api.py --patients 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_fhir .venv/bin/python bench/fhir_api.py --patients 100000

A child process with a new, empty CARECONDUCTOR_HOME (DEBUG off) applies the migrations and builds the demo at the
size given (`careconductor.demo.generator.build_demo`, as `careconductor demo --patients N` does, not timed here);
with DATABASE_URL set, the PostgreSQL database it names is dropped and created again first and dropped after, so
its name must contain "bench". `--keep DIR` keeps the data folder (and the PostgreSQL database) for another run,
which then skips the build.

It then creates a bearer token (user/*.*) for the demo's admin and for its case manager and requests, through
Django's test client in the same process (as bench/page_latency.py does: no network, the application's own
time - bearer authentication, access policy, queries, audit writes, rendering to FHIR JSON):

    Patient read, Patient search by family-name prefix (_count=20), Patient search by a one-year birthdate
    range (_count=20), EpisodeOfCare search by patient, Condition search by code (_count=20) and
    Patient/$everything

each warmed up, then repeated (200 times by default), printing the median and p95 in milliseconds and the
queries of one request. Then it POSTs transaction Bundles of 100 entries (50 Patients and 50 Conditions that
refer to them by urn:uuid) as the admin and prints resources per second. Types not registered are skipped with
a note.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from _postgres import recreate_postgres  # bench/ is on sys.path when a benchmark runs

ROOT = Path(__file__).resolve().parent.parent


def _child(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careconductor.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from careconductor.accounts.actions import do_create_token
    from careconductor.accounts.models import User
    from careconductor.cases.models import Case
    from careconductor.demo.generator import build_demo
    from careconductor.fhir.registry import mapper_for
    from careconductor.patients.models import Condition, Patient

    settings.ALLOWED_HOSTS = ["*"]
    assert not settings.DEBUG, "run the benchmark with DEBUG off (unset CARECONDUCTOR_DEBUG)"
    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    rows = build_demo(patients=args.patients, seed=args.seed, out=sys.stderr)
    if rows:
        print(
            f"# demo built in {time.perf_counter() - started:.1f} s ({sum(rows.values()):,} rows)", flush=True
        )
    print(
        f"# {connection.vendor}, {Patient.objects.count():,} patients, {Case.objects.count():,} cases, "
        f"{Condition.objects.count():,} conditions; {platform.platform()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        flush=True,
    )

    manager = User.objects.get(username="casemanager")
    admin = User.objects.get(username="admin")
    case = Case.objects.filter(primary_case_manager=manager, status="active").order_by("pk").first()
    assert case is not None, "the demo's case manager has no active case"
    patient = case.patient
    code = "E11.9"  # the most common code in the demo
    year = patient.birth_date.year
    requests = [
        ("Patient", "Patient read", f"Patient/{patient.pk}"),
        ("Patient", "Patient search family prefix", f"Patient?family={patient.family_name[:3]}&_count=20"),
        (
            "Patient",
            "Patient search birthdate range",
            f"Patient?birthdate=ge{year}-01-01&birthdate=lt{year + 1}-01-01&_count=20",
        ),
        ("EpisodeOfCare", "EpisodeOfCare search by patient", f"EpisodeOfCare?patient={patient.pk}"),
        ("Condition", f"Condition search code={code}", f"Condition?code={code}&_count=20"),
        ("Patient", "Patient/$everything", f"Patient/{patient.pk}/$everything"),
    ]
    print(
        f"# patient {patient.pk} (family prefix {patient.family_name[:3]!r}, born {year}), repeat {args.repeat}"
    )
    print(
        f"{'user':12} {'request':38} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'entries':>8} {'total':>8}"
    )
    results: list[dict[str, Any]] = []
    for user in (manager, admin):
        _, secret = do_create_token(user, name="bench", scopes=("user/*.*",))
        client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        for resource_type, label, path in requests:
            if mapper_for(resource_type) is None:
                print(f"{user.username:12} {label:38} skipped: {resource_type} is not registered")
                continue
            url = "/fhir/r4/" + path
            for _ in range(3):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code, response.content[:300])
            times = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            body = json.loads(response.content)
            entries = len(body.get("entry", [])) if body["resourceType"] == "Bundle" else 1
            total = body.get("total", "")
            p95 = statistics.quantiles(times, n=20)[-1]
            median = statistics.median(times)
            print(
                f"{user.username:12} {label:38} {median:10.1f} {p95:8.1f} {len(queries):8d} {entries:8d} {total!s:>8}",
                flush=True,
            )
            results.append({"user": user.username, "request": label, "median": median, "p95": p95})

    # --- transaction import --------------------------------------------------------------------------------------
    if mapper_for("Condition") is None:
        print("# transaction import: Condition is not registered; bundles hold 100 Patients instead")
    _, secret = do_create_token(admin, name="bench import", scopes=("user/*.*",))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    before = Patient.objects.count(), Condition.objects.count()
    took = []
    for b in range(args.bundles):
        bundle = _bundle(b, with_conditions=mapper_for("Condition") is not None)
        body = json.dumps(bundle)
        began = time.perf_counter()
        response = client.post("/fhir/r4/", body, content_type="application/fhir+json")
        took.append(time.perf_counter() - began)
        assert response.status_code == 200, response.content[:1000]
    added = (Patient.objects.count() - before[0]) + (Condition.objects.count() - before[1])
    assert added == 100 * args.bundles, added
    seconds = sum(took)
    print(
        f"# transaction import: {args.bundles} bundles of 100 entries, {added:,} resources in {seconds:.2f} s: "
        f"{added / seconds:,.0f} resources/s (bundle median {statistics.median(took) * 1000:.0f} ms, "
        f"max {max(took) * 1000:.0f} ms)",
        flush=True,
    )


GIVEN = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun"]
FAMILY = [
    "Abbott",
    "Baptiste",
    "Castillo",
    "Dumont",
    "Eriksen",
    "Fontaine",
    "Gallo",
    "Haas",
    "Ibarra",
    "Joshi",
]
CODES = [("E11.9", "Type 2 diabetes mellitus without complications"), ("I10", "Essential hypertension"),
         ("I50.22", "Chronic systolic heart failure"), ("J44.9", "Chronic obstructive pulmonary disease")]  # fmt: skip


def _bundle(number: int, *, with_conditions: bool) -> dict[str, Any]:
    entries = []
    for i in range(50 if with_conditions else 100):
        ref = f"urn:uuid:{uuid.uuid4()}"
        entries.append(
            {
                "fullUrl": ref,
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": "urn:bench:import", "value": f"{number}-{i}"}],
                    "name": [
                        {
                            "use": "official",
                            "family": FAMILY[i % 10] + "-Import",
                            "given": [GIVEN[number % 10]],
                        }
                    ],
                    "gender": ("female", "male")[i % 2],
                    "birthDate": f"19{40 + i % 50:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    "telecom": [{"system": "phone", "value": f"(503) 555-{i:04d}"}],
                },
                "request": {"method": "POST", "url": "Patient"},
            }
        )
        if with_conditions:
            code, display = CODES[i % len(CODES)]
            entries.append(
                {
                    "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                    "resource": {
                        "resourceType": "Condition",
                        "code": {
                            "coding": [
                                {
                                    "system": "http://hl7.org/fhir/sid/icd-10-cm",
                                    "code": code,
                                    "display": display,
                                }
                            ],
                            "text": display,
                        },
                        "subject": {"reference": ref},
                        "onsetDateTime": "2020-06-01",
                    },
                    "request": {"method": "POST", "url": "Condition"},
                }
            )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--bundles", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", metavar="DIR", help="data folder to keep (reused if it holds a demo)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    database_url = os.environ.get("DATABASE_URL")
    reuse = bool(args.keep and Path(args.keep, "secret_key").exists())
    with tempfile.TemporaryDirectory(prefix="cc-bench-fhir-") as scratch:
        home = args.keep or scratch
        Path(home).mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CARECONDUCTOR_DEBUG")}
        env |= {"CARECONDUCTOR_HOME": home, "DJANGO_SETTINGS_MODULE": "careconductor.settings"}
        if database_url:
            env["DATABASE_URL"] = database_url
            if not reuse:
                recreate_postgres(database_url)
        try:
            subprocess.run(
                [sys.executable, __file__, "--child", "--patients", str(args.patients), "--repeat", str(args.repeat),
                 "--bundles", str(args.bundles), "--seed", str(args.seed)],
                env=env,
                check=True,
            )  # fmt: skip
        finally:
            if database_url and not args.keep:
                recreate_postgres(database_url, drop_only=True)


if __name__ == "__main__":
    main()
