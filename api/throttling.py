"""Throttling of anonymous API clients and of clients sending invalid tokens."""

from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle


class AnonymousThrottle(AnonRateThrottle):
    """Limits anonymous clients to `settings.API_ANON_RATE` (None: unlimited).

    Read at request time rather than at import, so the rate follows the settings
    (tests turn it off or down without reloading DRF).
    """

    def get_rate(self) -> str | None:
        return getattr(settings, "API_ANON_RATE", None)


class InvalidTokenThrottle(SimpleRateThrottle):
    """Requests with an invalid token, per client address (behind TRUSTED_PROXY_COUNT proxies,
    the forwarded client), at the anonymous rate: a wrong token earns no more than none.
    Used by `api.authentication.ThrottledTokenAuthentication`, which counts only failures."""

    scope = "invalid_token"

    def get_rate(self) -> str | None:
        return getattr(settings, "API_ANON_RATE", None)

    def get_cache_key(self, request: Request, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
