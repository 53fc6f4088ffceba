from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The analysts' pages and feeds: reads of every app, no models of its own."""

    name = "dashboard"
