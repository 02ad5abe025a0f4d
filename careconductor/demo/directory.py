"""The demo's community resource directory (issue 20): the starter directory shipped with the product
(careconductor/directory/starter_directory.json, clearly fictional services around the demo's towns) imported as
the administrator, most services checked in the last months and one never verified."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Protocol

from careconductor.accounts.models import Organization, User
from careconductor.core import clock
from careconductor.directory.actions import do_import_hsds, do_verify_service
from careconductor.directory.models import Service

STARTER = Path(__file__).resolve().parents[1] / "directory" / "starter_directory.json"


class Out(Protocol):
    def write(self, text: str, /) -> object: ...


def add_directory(org: Organization, out: Out) -> int:
    admin = User.objects.filter(organization=org, role="admin", is_active=True).order_by("pk").first()
    if admin is None or Service.objects.filter(organization=org).exists():
        return 0
    report = do_import_hsds(admin, json.loads(STARTER.read_text(encoding="utf-8")), source=STARTER.name)
    today = clock.today()
    for n, service in enumerate(Service.objects.filter(organization=org).order_by("name")):
        if n % 7 != 6:  # every seventh never checked: the directory says "Not verified"
            do_verify_service(admin, service, on=today - dt.timedelta(days=10 + 17 * n))
    out.write(
        f"Community resource directory: {report.services_added} fictional services around the demo's towns "
        "(food, housing, rides, utilities, safety, behavioural health …). Log in as casemanager: Resources, or a "
        "patient's chart.\n"
    )
    return report.services_added
