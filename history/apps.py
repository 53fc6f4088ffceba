from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "history"
    verbose_name = "Change history"

    def ready(self) -> None:
        from . import recording  # connects the history signal

        recording.connect_guards()
