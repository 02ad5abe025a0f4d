from __future__ import annotations

import getpass
import secrets
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Role
from careconductor.accounts.models import Organization, StaffProfile, User
from careconductor.core.errors import ActionRefused


class Command(BaseCommand):
    help = "Create a user with a role. Without --password, asks for one (or makes one and prints it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password")
        parser.add_argument(
            "--organization", help="Organisation name; created if missing. Default: the only one."
        )
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--patient",
            metavar="MRN",
            help="With --role patient: the patient (by MRN) whose own log-in this is",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        org_name = self._organization_name(opts["organization"])
        if bool(opts["patient"]) != (opts["role"] == Role.PATIENT):
            raise CommandError("A patient's log-in needs --patient MRN, and only role patient takes it.")
        password = opts["password"]
        generated = False
        if not password:
            if sys.stdin.isatty():
                password = getpass.getpass("Password: ")
                if getpass.getpass("Password (again): ") != password:
                    raise CommandError("The passwords do not match.")
            else:
                password, generated = secrets.token_urlsafe(12), True
        try:
            # One transaction, so a refused user leaves no new organisation behind.
            with transaction.atomic():
                org = Organization.objects.get_or_create(name=org_name)[0]
                user = do_create_user(
                    opts["username"],
                    Role(opts["role"]),
                    org,
                    password,
                    first_name=opts["first_name"],
                    last_name=opts["last_name"],
                    email=opts["email"],
                )
                if opts["patient"]:
                    self._link(user, opts["patient"])
                else:
                    # Staff need a profile (team, discipline, capacity); the administrator completes it on
                    # the Staff screen.
                    StaffProfile.objects.create(user=user, discipline="")
        except ActionRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Created {user.username} ({Role(user.role).label}) in {org.name}.")
        if generated:
            self.stdout.write(f"Password: {password}")

    def _link(self, user: User, mrn: str) -> None:
        from careconductor.patients.actions import do_link_portal_user
        from careconductor.patients.choices import MRN_SYSTEM
        from careconductor.patients.models import Patient

        patient = Patient.objects.filter(
            organization_id=user.org_id, identifiers__system=MRN_SYSTEM, identifiers__value=mrn
        ).first()
        if patient is None:
            raise ActionRefused(f"No patient with MRN {mrn} in {user.organization}.")
        do_link_portal_user(None, patient, user)

    def _organization_name(self, name: str | None) -> str:
        """The organisation to create the user in (created with the user if missing); checked before
        asking for a password."""
        if name:
            return name
        orgs = list(Organization.objects.all()[:2])
        if len(orgs) == 1:
            return orgs[0].name
        if not orgs:
            return "My organisation"
        raise CommandError("There are several organisations: name one with --organization.")
