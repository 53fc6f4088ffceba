"""Settings of the benchmark server: the app's own settings plus the baseline endpoint."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
