from django.apps import AppConfig
from django.db.models.signals import pre_save


class CoreConfig(AppConfig):
    name = "careconductor.core"
    label = "core"

    def ready(self) -> None:
        from .lengths import refuse_text_too_long

        # Every model's save, this project's only (the function checks the sender's module).
        pre_save.connect(refuse_text_too_long, dispatch_uid="core.lengths")
