"""The `careconductor` console script: Django's management commands under one name.

careconductor serve | demo | migrate | createuser | token create | ...
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careconductor.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:] if argv is None else argv
    execute_from_command_line(["careconductor", *args])


if __name__ == "__main__":
    main()
