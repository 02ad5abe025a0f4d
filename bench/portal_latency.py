"""Latency of the patient portal (issue 8) at scale: median and p95 over repeated warm requests, with query counts.

Usage (the data folder must hold a demo built with the portal scenarios: `careconductor demo --patients 100000`):

    CARECONDUCTOR_HOME=/path/to/data .venv/bin/python bench/portal_latency.py [--repeat 20] [--slowest 3]
    DATABASE_URL=postgres://... CARECONDUCTOR_HOME=/path/to/data .venv/bin/python bench/portal_latency.py

As the demo's portal log-in `patient` (signed in through the log-in form, so the portal guard runs as in
production): the portal pages, and a POST of a normal blood pressure (128/82) to the check-in form, which saves
a reading each time. Then as `casemanager`: that patient's chart (with the self-management card), the staff
portal and messages pages of the patient (opening the messages marks them read) and the worklist.

Requests go through Django's test client in one process (no network, no gunicorn), so the figures are the
application's own time: middleware, the portal guard, policy, queries, audit writes and template rendering.
`--slowest N` prints the N slowest queries of one request of each page. The machine's load average is printed
first; *cpu ms* is the process's own CPU time per request (median), steadier than wall time on a shared machine
(on PostgreSQL it leaves out the server's work).
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
from careconductor.cases.models import Case  # noqa: E402
from careconductor.demo.staff import PASSWORD  # noqa: E402
from careconductor.patients.models import Patient  # noqa: E402

BLOOD_PRESSURE = {"systolic": "128", "diastolic": "82"}


def _client(username: str, form_login: bool) -> Client:
    client = Client()
    if form_login:
        response = client.post("/login/", {"username": username, "password": PASSWORD})
        assert response.status_code == 302, (username, response.status_code, response.content[:300])
    else:
        client.force_login(User.objects.get(username=username))
    return client


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--slowest", type=int, default=0, help="print the N slowest queries of each page")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

    patient = Patient.objects.filter(portal_user__username="patient").first()
    assert patient is not None, "the demo has no portal log-in 'patient' (built before the portal issue?)"
    # (user, signed in through the log-in form, [(label, method, url, data, expected status)])
    pages = [
        (
            "patient",
            True,
            [
                ("portal home", "get", "/portal/", None, 200),
                ("plan", "get", "/portal/plan/", None, 200),
                ("check-in", "get", "/portal/check-in/", None, 200),
                ("readings (charts)", "get", "/portal/readings/", None, 200),
                ("messages", "get", "/portal/messages/", None, 200),
                ("learn", "get", "/portal/learn/", None, 200),
                # Last, so the pages above are timed on the demo's readings.
                (
                    "POST blood pressure 128/82",
                    "post",
                    "/portal/check-in/blood-pressure/",
                    BLOOD_PRESSURE,
                    302,
                ),
            ],
        ),
        (
            "casemanager",
            False,
            [
                ("chart (self-management card)", "get", f"/patients/{patient.pk}/", None, 200),
                ("patient's portal (staff)", "get", f"/patients/{patient.pk}/portal/", None, 200),
                ("patient's messages (staff)", "get", f"/patients/{patient.pk}/messages/", None, 200),
                ("worklist", "get", "/worklist/", None, 200),
            ],
        ),
    ]
    print(f"{Patient.objects.count():,} patients, {Case.objects.count():,} cases, {connection.vendor}")
    print(f"portal patient {patient.pk}")
    print("load average " + " ".join(f"{load:.2f}" for load in os.getloadavg()))
    print(f"{'user':12} {'page':30} {'median ms':>10} {'p95 ms':>8} {'cpu ms':>7} {'queries':>8}")
    for username, form_login, requests in pages:
        client = _client(username, form_login)
        for label, method, url, data, expected in requests:
            send = getattr(client, method)
            response = send(url, data) if data else send(url)  # warm caches
            assert response.status_code == expected, (url, response.status_code)
            if method == "post":
                # A normal reading: the saved page without "What to do now".
                assert response["Location"] == "/portal/check-in/done/", response["Location"]
            times, cpu = [], []
            for _ in range(args.repeat):
                started, cpu_started = time.perf_counter(), time.process_time()
                with CaptureQueriesContext(connection) as queries:
                    response = send(url, data) if data else send(url)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
                assert response.status_code == expected, (url, response.status_code)
            p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
            print(
                f"{username:12} {label:30} {statistics.median(times):10.1f} {p95:8.1f} {statistics.median(cpu):7.1f} {len(queries):8d}"
            )
            if args.slowest:
                slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[: args.slowest]
                for query in slowest:
                    print(f"{'':12} {float(query['time']) * 1000:8.1f} ms  {query['sql'][:300]}")


if __name__ == "__main__":
    main()
