from django.apps import AppConfig


class EditorsConfig(AppConfig):
    """The Editors group and its permissions over every app, and the commands that manage editors."""

    name = "editors"
