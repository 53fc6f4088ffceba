"""Throttling of anonymous API clients."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle


class AnonymousThrottle(AnonRateThrottle):
    """Limits anonymous clients to `settings.API_ANON_RATE` (None: unlimited).

    Read at request time rather than at import, so the rate follows the settings
    (tests turn it off or down without reloading DRF).
    """

    def get_rate(self) -> str | None:
        return getattr(settings, "API_ANON_RATE", None)
