"""Token authentication whose failures are throttled per client address."""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.request import Request

from .throttling import InvalidTokenThrottle


class ThrottledTokenAuthentication(TokenAuthentication):
    """DRF's `Authorization: Token …`, but a client sending wrong tokens is throttled.

    DRF answers an invalid token with a 401 before any throttle runs, so guessing tokens
    was never limited. Each failure now counts against the client's address (as the
    anonymous throttle reads it); past the rate the answer is a 429 with Retry-After.
    """

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        try:
            return super().authenticate(request)
        except AuthenticationFailed:
            throttle = InvalidTokenThrottle()
            if not throttle.allow_request(request, None):
                raise Throttled(wait=throttle.wait(), detail="Too many requests with an invalid token.") from None
            raise
