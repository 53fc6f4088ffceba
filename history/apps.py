from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "history"
    verbose_name = "Change history"

    def ready(self) -> None:
        from . import recording  # noqa: F401  (connects the history signal)
