from __future__ import annotations

from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "careconductor.directory"
    label = "directory"
    verbose_name = "Community resource directory"
