"""The `careconductor` console script: Django's management commands under one name.

careconductor serve | demo | migrate | createuser | token create | ...
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careconductor.settings")
    import django
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else argv
    if args:
        django.setup()
        from careconductor.core.first_run import prepare_database

        if (refusal := prepare_database(args[0])) is not None:
            sys.exit(refusal)
    execute_from_command_line(["careconductor", *args])


if __name__ == "__main__":
    main()
