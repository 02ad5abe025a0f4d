from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Apply migrations, collect static files and serve CareConductor with gunicorn."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("CARECONDUCTOR_WORKERS", "2")),
            help="gunicorn worker processes (default 2, or CARECONDUCTOR_WORKERS)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        from gunicorn.app.base import BaseApplication

        from careconductor.wsgi import application

        bind = f"{opts['host']}:{opts['port']}"
        options = {
            "bind": bind,
            "workers": opts["workers"],
            "threads": 4,
            "worker_class": "gthread",
            "accesslog": "-",
            "timeout": 60,
            "control_socket_disable": True,
        }

        class Server(BaseApplication):
            def load_config(self) -> None:
                for key, value in options.items():
                    if key in self.cfg.settings:
                        self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        db = settings.DATABASES["default"]
        where = (
            db["NAME"] if db["ENGINE"].endswith("sqlite3") else f"PostgreSQL {db.get('HOST')}/{db['NAME']}"
        )
        self.stdout.write(f"CareConductor is running at http://{bind}/  (data: {where}; Ctrl+C stops it)")
        Server().run()
