"""Settings of the benchmark server: the app's own settings plus the baseline endpoint."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# The dashboard pages are measured too; without `collectstatic` there is no manifest to
# hash static names from, and the page's cost is the same without the hashing.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
