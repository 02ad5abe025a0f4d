"""The community resource directory search at scale (issue 20: "directory search at 10,000 services under
100 ms").

    CARECONDUCTOR_HOME=/tmp/bench-directory .venv/bin/python bench/directory_search.py --services 10000
    CARECONDUCTOR_HOME=/tmp/bench-directory-pg DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_directory \\
      .venv/bin/python bench/directory_search.py --services 10000

On the database of CARECONDUCTOR_HOME (or DATABASE_URL): migrates, makes an organisation "Bench Region" with an
administrator and a case manager unless there, and imports a synthetic HSDS 3.0 package of `--services` services
(3,000 providers, one or two places each within ~60 km of the demo region's centre, 1-3 needs, English plus a
second language for a third of them, weekday hours, a tenth by phone only) through directory.actions
.do_import_hsds, timed (and imported again, timed: nothing added). Then, each warmed up once and timed
`--repeat` times (default 20), in this process (no network), with the queries of one run:
  (a) queries.search for a typical search from a chart: one need, near a ZIP code, within 10 miles;
  (b) the same with every filter (two needs, 10 miles, Spanish, open now, free, an age);
  (c) no filter at all (every active service, nearest first: the worst case);
  (d) GET /resources/ with (a)'s filters through django.test.Client (session, guard, form, rendering of 50).
It prints the machine, the load average before and after, the database, and p50 / p95 / max ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NS = uuid.UUID("1d6f0f7e-8f1c-4c55-9d0e-6b1f3b7e2a90")
CENTRE = (43.6537, -117.0602)  # the demo's "Riverside" (ZIP 97901)
NEEDS = ["food", "housing", "transport", "utilities", "safety", "financial", "isolation", "behavioural-health",
         "substance-use", "pharmacy", "home-health"]  # fmt: skip


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careconductor.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


def _package(count: int, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    providers = [
        {"id": str(uuid.uuid5(NS, f"org{n}")), "name": f"Bench provider {n}"}
        for n in range(max(1, count * 3 // 10))
    ]
    out = []
    for n in range(count):
        key = f"svc{n}"
        virtual = rng.random() < 0.1
        places = []
        for m in range(0 if virtual else rng.choice((1, 1, 2))):
            places.append(
                {
                    "id": str(uuid.uuid5(NS, f"sal{n}.{m}")),
                    "location": {
                        "id": str(uuid.uuid5(NS, f"loc{n}.{m}")),
                        "name": f"Place {n}.{m}",
                        "location_type": "physical",
                        "latitude": round(CENTRE[0] + rng.uniform(-0.55, 0.55), 5),
                        "longitude": round(CENTRE[1] + rng.uniform(-0.75, 0.75), 5),
                    },
                }
            )
        if virtual:
            places.append(
                {
                    "id": str(uuid.uuid5(NS, f"sal{n}.v")),
                    "location": {"id": str(uuid.uuid5(NS, f"loc{n}.v")), "location_type": "virtual"},
                }
            )
        needs = rng.sample(NEEDS, rng.choice((1, 1, 2, 3)))
        languages = ["en"] + (["es" if rng.random() < 0.7 else "vi"] if rng.random() < 0.33 else [])
        service = {
            "id": str(uuid.uuid5(NS, key)),
            "name": f"Bench service {n}",
            "status": "active" if rng.random() < 0.95 else "inactive",
            "organization": rng.choice(providers),
            "service_at_locations": places,
            "phones": [{"id": str(uuid.uuid5(NS, f"ph{n}")), "number": f"555-{n % 10000:04d}"}],
            "schedules": [
                {"id": str(uuid.uuid5(NS, f"sc{n}")), "freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR",
                 "opens_at": rng.choice(("08:00", "09:00", "10:00")), "closes_at": rng.choice(("16:00", "17:00", "19:00"))}
            ],
            "languages": [{"id": str(uuid.uuid5(NS, f"la{n}{c}")), "code": c} for c in languages],
            "attributes": [
                {"id": str(uuid.uuid5(NS, f"at{n}{x}")), "taxonomy_term": {"code": x, "vocabulary": "careconductor-need"}}
                for x in needs
            ]
            + ([{"id": str(uuid.uuid5(NS, f"free{n}")), "taxonomy_term": {"code": "free", "vocabulary": "careconductor-cost"}}]
               if rng.random() < 0.6 else []),
        }  # fmt: skip
        if rng.random() < 0.1:
            service["minimum_age"] = 60
        out.append(service)
    return out


def _timed(fn: Callable[[], object], repeat: int) -> tuple[list[float], int]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    fn()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        fn()
    return times, len(queries.captured_queries)


def _line(name: str, times: list[float], queries: int, found: int | None = None) -> str:
    times = sorted(times)
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    extra = f", {found} found" if found is not None else ""
    return f"  {name}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms; {queries} queries{extra}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if not os.environ.get("CARECONDUCTOR_HOME"):
        sys.exit("Set CARECONDUCTOR_HOME to a data folder for the benchmark.")
    _setup_django()
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from careconductor.accounts.actions import do_create_user
    from careconductor.accounts.choices import Role
    from careconductor.accounts.models import Organization, User
    from careconductor.core import clock
    from careconductor.directory import queries, rules
    from careconductor.directory.actions import do_import_hsds
    from careconductor.directory.models import Service

    load_before = os.getloadavg()
    call_command("migrate", interactive=False, verbosity=0)
    org, _ = Organization.objects.get_or_create(name="Bench Region")
    admin = User.objects.filter(username="bench-admin").first() or do_create_user(
        "bench-admin", Role.ADMIN, org, "bench-password-2026"
    )
    manager = User.objects.filter(username="bench-cm").first() or do_create_user(
        "bench-cm", Role.CASE_MANAGER, org, "bench-password-2026"
    )
    print(f"machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else connection.pg_version}; "
          f"load average before {load_before[0]:.1f}")  # fmt: skip
    if Service.objects.filter(organization=org).count() < args.services:
        package = _package(args.services)
        started = time.perf_counter()
        report = do_import_hsds(admin, package, source="bench")
        first = time.perf_counter() - started
        started = time.perf_counter()
        again = do_import_hsds(admin, package, source="bench")
        second = time.perf_counter() - started
        print(f"import of {args.services} services: {first:.1f} s ({report.words()}); again: {second:.1f} s "
              f"({again.words()})")  # fmt: skip
    active = Service.objects.filter(organization=org, status="active").count()
    print(f"directory: {Service.objects.filter(organization=org).count()} services, {active} active")
    near = queries.place_of("97901")
    assert near is not None
    typical = rules.Query(needs=frozenset({"food"}), near=near, within_km=10 * rules.KM_PER_MILE)
    monday_noon = dt.datetime.combine(clock.today() - dt.timedelta(days=clock.today().weekday()), dt.time(12))
    everything = rules.Query(
        needs=frozenset({"food", "transport"}), near=near, within_km=10 * rules.KM_PER_MILE, language="es",
        open_now=monday_noon, free_only=True, age=70,
    )  # fmt: skip
    print(f"search ({args.repeat} runs each, after one to warm up):")
    for name, query in (
        ("(a) one need, 10 miles", typical),
        ("(b) every filter", everything),
        ("(c) no filter", rules.Query(near=near)),
    ):
        times, count = _timed(lambda q=query: queries.search(manager, q), args.repeat)
        print(_line(name, times, count, len(queries.search(manager, query))))
    client = Client()
    client.force_login(manager)
    if manager.mfa_required:  # the page asks for the second factor first: the bench's log-in has passed it
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(user=manager, name="bench", defaults={"confirmed": True})
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    answer = client.get("/resources/", {"needs": "food", "postal_code": "97901", "within": "10"})
    assert answer.status_code == 200 and b"services found" in answer.content, answer.status_code
    times, count = _timed(
        lambda: client.get("/resources/", {"needs": "food", "postal_code": "97901", "within": "10"}),
        args.repeat,
    )
    print(_line("(d) GET /resources/ as (a)", times, count))
    print(f"load average after {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
