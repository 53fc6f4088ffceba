"""Who the client is, behind the proxies TRUSTED_PROXY_COUNT says are in front of the app."""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle


def client_ip(request: HttpRequest) -> str:
    """The client's address exactly as the API throttle reads it: REMOTE_ADDR, or behind N
    trusted proxies the X-Forwarded-For entry N places from the right (REST_FRAMEWORK
    NUM_PROXIES, set from TRUSTED_PROXY_COUNT). The login throttle (django-axes) asks here,
    so both throttles count the same client."""
    return BaseThrottle().get_ident(request)
