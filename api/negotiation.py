"""Content negotiation that names the `format` parameter when it asks for an unknown format."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.settings import api_settings


class StrictFormatNegotiation(DefaultContentNegotiation):
    """DRF answers an unknown `?format=` with a bare 404 "Not found."; this makes it a
    400 that names the parameter and the formats the endpoint offers."""

    def filter_renderers(self, renderers: list[Any], format: str) -> list[Any]:
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            offered = ", ".join(dict.fromkeys(renderer.format for renderer in renderers))
            param = api_settings.URL_FORMAT_OVERRIDE or "format"
            raise ValidationError({param: [f"Unknown format “{format}”: use one of {offered}."]})
        return matching
