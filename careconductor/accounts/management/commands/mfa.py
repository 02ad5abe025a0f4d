from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careconductor.accounts.actions import do_reset_second_factor
from careconductor.accounts.models import User


class Command(BaseCommand):
    help = "Second-factor help desk: `mfa reset USERNAME` removes a user's authenticator and recovery codes."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        reset = sub.add_parser(
            "reset", help="For a lost phone and lost codes; the user sets up anew at log-in"
        )
        reset.add_argument("username")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"There is no user {opts['username']!r}.")
        do_reset_second_factor(None, user)
        self.stdout.write(
            f"Removed {user.username}'s second-factor devices; they set up a new one at next log-in."
        )
