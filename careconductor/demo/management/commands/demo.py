from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careconductor.demo.generator import DEFAULT_PATIENTS, DEFAULT_SEED, DemoError, build_demo


def _positive(raw: str) -> int:
    try:
        value = int(raw.replace("_", "").replace(",", ""))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a whole number") from exc
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


class Command(BaseCommand):
    help = (
        "Build the synthetic demo organisation (Riverside Health Partners): staff of every role, patients, "
        "conditions, coverage, encounters and cases. Same seed, same data. Does nothing if it already exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--patients",
            type=_positive,
            default=DEFAULT_PATIENTS,
            help=f"how many patients (default {DEFAULT_PATIENTS}; 100000 takes about 1.5 minutes)",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            build_demo(patients=opts["patients"], seed=opts["seed"], out=self.stdout)
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
