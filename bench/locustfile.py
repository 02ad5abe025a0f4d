"""The users of bench/load.py's load test (issue 23): case managers through a working day and patients checking
in on the portal. Run by bench/load.py, which builds the data and writes the facts file this reads
(LOAD_FACTS: log-ins, each case manager's own patients and cases, bearer tokens); by hand, against a server
on that data:

    LOAD_FACTS=/path/to/data/bench-load.json locust -f bench/locustfile.py --headless -u 50 -r 10 -t 60s \\
      --host http://127.0.0.1:8000 --csv /tmp/load --only-summary

Each simulated person logs in through the log-in form (one session each), then between think times of
LOAD_THINK seconds (default "1,5": uniform between 1 and 5 s) does one task, drawn by weight:

  case manager (4 in 5 users)          patient (1 in 5)
    worklist                      5      portal home                 2
    chart of one of their patients 5      blood pressure check-in     3
    log a contact (form, POST)    2        (the form, then its POST)
    FHIR read Patient/<id>        2      readings page               1
    FHIR search Observation       2
    FHIR create Observation       1

The FHIR calls carry the case manager's own bearer token, as an app acting for them would. Every answer is
checked: its status (a POST's redirect and where it leads), and a form's CSRF token is read from the page and
sent back with the POST, as a browser does. Redirects are not followed: each row is one request.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re
from pathlib import Path
from typing import Any

from locust import FastHttpUser, between, events, task
from locust.exception import StopUser

FACTS = json.loads(Path(os.environ["LOAD_FACTS"]).read_text())
THINK = between(*(float(s) for s in os.environ.get("LOAD_THINK", "1,5").split(",")))
FHIR = "application/fhir+json"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CONTACT_AT = re.compile(r'name="contact_at"[^>]* value="([^"]+)"')
_staff = itertools.count()
_patients = itertools.count()
# Every request's start (epoch s), name, ms and whether it failed, for bench/load.py's exact percentiles
# (locust's own round times over 100 ms to 10 ms).
TIMES = open(os.environ["LOAD_TIMES"], "a") if os.environ.get("LOAD_TIMES") else None  # noqa: SIM115


@events.request.add_listener
def _record(name: str, response_time: float, exception: Any, start_time: float, **_: Any) -> None:
    if TIMES is not None:
        TIMES.write(f"{start_time:.3f}\t{name}\t{response_time:.1f}\t{int(exception is not None)}\n")


@events.quitting.add_listener
def _close(**_: Any) -> None:
    if TIMES is not None:
        TIMES.close()


def _expect(response: Any, status: int, location: str = "") -> str:
    """Mark the answer failed unless it has `status` (and, for a redirect, goes to `location`); the body."""
    where = response.headers.get("Location", "") if response.headers else ""
    if response.status_code == 0:  # no answer: the connection failed or was closed
        response.failure(f"no answer, expected {status}: {getattr(response, 'error', None)!r}")
    elif response.status_code != status:
        response.failure(f"{response.status_code}, expected {status} {where}".strip())
    elif location and where != location:
        response.failure(f"redirected to {where!r}, expected {location!r}")
    else:
        response.success()
    return str(response.text or "")


def _form_token(response: Any, body: str) -> str:
    found = CSRF.search(body)
    if found is None:
        if response.status_code == 200:
            response.failure("no CSRF token in the form")
        return ""
    return found.group(1)


class _SignedIn(FastHttpUser):
    abstract = True
    wait_time = THINK

    def log_in(self, username: str, landing: str) -> None:
        with self.client.get("/login/", name="log-in form", catch_response=True) as r:
            token = _form_token(r, _expect(r, 200))
        form = {
            "username": username,
            "password": FACTS["password"],
            "next": landing,
            "csrfmiddlewaretoken": token,
        }
        with self.client.post("/login/", data=form, name="log in (POST)", allow_redirects=False, catch_response=True) as r:  # fmt: skip
            _expect(r, 302, landing)
            if r.status_code != 302:
                raise StopUser()

    def page(self, url: str, name: str) -> str:
        with self.client.get(url, name=name, catch_response=True, allow_redirects=False) as r:
            return _expect(r, 200)

    def submit(self, form_url: str, post_url: str, data: dict[str, str], name: str, landing: str) -> None:
        """The form page, then its POST with the page's CSRF token: a redirect to `landing`."""
        with self.client.get(form_url, name=f"{name} form", catch_response=True, allow_redirects=False) as r:
            body = _expect(r, 200)
            token = _form_token(r, body)
        if not token:
            return
        if "contact_at" in data and (moment := CONTACT_AT.search(body)):
            data["contact_at"] = moment.group(1)  # now, in the organisation's time zone, as the form offers
        data["csrfmiddlewaretoken"] = token
        with self.client.post(post_url, data=data, name=f"{name} (POST)", allow_redirects=False, catch_response=True) as r:  # fmt: skip
            _expect(r, 302, landing)


class CaseManager(_SignedIn):
    weight = 4

    def on_start(self) -> None:
        me = FACTS["staff"][next(_staff) % len(FACTS["staff"])]
        self.cases: list[list[int]] = me["cases"]  # [patient id, case id] of their active cases
        self.fhir = {"Authorization": f"Bearer {me['token']}", "Accept": FHIR}
        self.log_in(me["username"], "/worklist/")

    def _mine(self) -> tuple[int, int]:
        patient, case = random.choice(self.cases)
        return patient, case

    @task(5)
    def worklist(self) -> None:
        self.page("/worklist/", "worklist")

    @task(5)
    def chart(self) -> None:
        patient, _ = self._mine()
        self.page(f"/patients/{patient}/", "chart")

    @task(2)
    def log_contact(self) -> None:
        patient, case = self._mine()
        url = f"/patients/{patient}/contacts/"
        data = {
            "case": str(case),
            "contact_at": "",
            "mode": "phone",
            "direction": "outbound",
            "reached": "yes",
            "party": "patient",
            "minutes": str(random.randint(5, 20)),
            "patient_words": "Picked up the refill; feeling steadier this week.",
            "next_steps": "Call again after the clinic visit.",
        }
        self.submit(f"{url}?case={case}", url, data, "log contact", url)

    @task(2)
    def fhir_read(self) -> None:
        patient, _ = self._mine()
        with self.client.get(f"/fhir/r4/Patient/{patient}", headers=self.fhir, name="FHIR read Patient/<id>", catch_response=True) as r:  # fmt: skip
            _expect(r, 200)

    @task(2)
    def fhir_search(self) -> None:
        patient, _ = self._mine()
        url = f"/fhir/r4/Observation?patient={patient}&_count=20"
        with self.client.get(url, headers=self.fhir, name="FHIR search Observation?patient", catch_response=True) as r:  # fmt: skip
            if '"Bundle"' not in _expect(r, 200) and r.status_code == 200:
                r.failure("not a Bundle")

    @task(1)
    def fhir_create(self) -> None:
        patient, _ = self._mine()
        reading = {
            "resourceType": "Observation",
            "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7", "display": "Body weight"}]},
            "subject": {"reference": f"Patient/{patient}"},
            "effectiveDateTime": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "valueQuantity": {"value": round(random.uniform(60, 95), 1), "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
        }  # fmt: skip
        headers = {**self.fhir, "Content-Type": FHIR}
        with self.client.post("/fhir/r4/Observation", data=json.dumps(reading), headers=headers, name="FHIR create Observation", catch_response=True) as r:  # fmt: skip
            _expect(r, 201)


class Patient(_SignedIn):
    weight = 1

    def on_start(self) -> None:
        self.log_in(FACTS["portal"][next(_patients) % len(FACTS["portal"])], "/portal/")

    @task(2)
    def home(self) -> None:
        self.page("/portal/", "portal home")

    @task(3)
    def blood_pressure(self) -> None:
        url = "/portal/check-in/blood-pressure/"
        data = {"systolic": str(random.randint(112, 132)), "diastolic": str(random.randint(70, 84))}
        self.submit(url, url, data, "portal blood pressure", "/portal/check-in/done/")

    @task(1)
    def readings(self) -> None:
        self.page("/portal/readings/", "portal readings")
