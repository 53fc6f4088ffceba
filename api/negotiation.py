"""Content negotiation that names the `format` parameter when it asks for an unknown format."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.settings import api_settings

# Formats that hold rows of records: an OPTIONS answer (the endpoint's description) has none.
ROWS_ONLY_FORMATS = {"csv"}


class StrictFormatNegotiation(DefaultContentNegotiation):
    """DRF answers an unknown `?format=` with a bare 404 "Not found."; this makes it a
    400 that names the parameter and the formats the endpoint offers.

    OPTIONS is answered in JSON (or the browsable page): `?format=csv` on it is a 400
    rather than a CSV renderer failing on a description it cannot lay out in rows."""

    def select_renderer(self, request: Request, renderers: list[Any], format_suffix: str | None = None) -> Any:
        if request.method == "OPTIONS":
            param = api_settings.URL_FORMAT_OVERRIDE or "format"
            asked = format_suffix or request.query_params.get(param)
            if asked in ROWS_ONLY_FORMATS:
                raise ValidationError({param: [f"OPTIONS describes the endpoint in JSON: leave out {param}={asked}."]})
            renderers = [renderer for renderer in renderers if renderer.format not in ROWS_ONLY_FORMATS]
        return super().select_renderer(request, renderers, format_suffix)

    def filter_renderers(self, renderers: list[Any], format: str) -> list[Any]:
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            offered = ", ".join(dict.fromkeys(renderer.format for renderer in renderers))
            param = api_settings.URL_FORMAT_OVERRIDE or "format"
            raise ValidationError({param: [f"Unknown format “{format}”: use one of {offered}."]})
        return matching
