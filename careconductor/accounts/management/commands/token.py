from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careconductor.accounts.actions import DEFAULT_SCOPES, do_create_token, do_revoke_token
from careconductor.accounts.models import ApiToken, User
from careconductor.core.errors import ActionRefused


class Command(BaseCommand):
    help = "Manage API bearer tokens: `token create USERNAME`, `token list USERNAME`, `token revoke PREFIX`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser(
            "create", help="Print a new token for a user (shown once; only its hash is kept)"
        )
        create.add_argument("username")
        create.add_argument("--name", default="")
        create.add_argument(
            "--scope", action="append", dest="scopes", help=f"default {' '.join(DEFAULT_SCOPES)}"
        )
        create.add_argument("--days", type=int, default=90, help="lifetime in days; 0 = no expiry")
        listing = sub.add_parser("list", help="List a user's tokens")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke", help="Revoke a token by the prefix that `list` shows")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **opts: Any) -> None:
        verb = opts["verb"]
        if verb == "revoke":
            token = ApiToken.objects.filter(prefix=opts["prefix"], revoked_at__isnull=True).first()
            if token is None:
                raise CommandError(f"No token in force starts with {opts['prefix']!r}.")
            do_revoke_token(token.user, token)
            self.stdout.write(f"Revoked {token.prefix}…")
            return
        user = User.objects.filter(username=opts["username"]).first()
        if user is None:
            raise CommandError(f"There is no user {opts['username']!r}.")
        if verb == "list":
            for t in user.api_tokens.order_by("created_at"):
                state = (
                    "revoked"
                    if t.revoked_at
                    else f"expires {t.expires_at:%Y-%m-%d}"
                    if t.expires_at
                    else "no expiry"
                )
                self.stdout.write(f"{t.prefix}…  {t.name or '-'}  {' '.join(t.scopes)}  {state}")
            return
        try:
            _, secret = do_create_token(
                user, name=opts["name"], scopes=opts["scopes"] or DEFAULT_SCOPES, days=opts["days"] or None
            )
        except ActionRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(secret)
