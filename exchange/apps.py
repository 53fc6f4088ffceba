from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = "Imports, webhooks and snapshots"

    def ready(self) -> None:
        from history.recording import changes_recorded

        from . import tasks  # noqa: F401  registers the tasks the services queue by name
        from .services import on_changes_recorded

        # The one place where the change log feeds webhooks.
        changes_recorded.connect(on_changes_recorded, dispatch_uid="exchange.webhooks")
