"""The base of every app's API views: read for anyone, write for editors, ETags, CSV,
and the documentation every record viewset shares."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets

from history.writing import delete_recorded

from .as_of import AS_OF_DESCRIPTION, AS_OF_PARAM
from .concurrency import ConditionalModelMixin

FORMAT_PARAM = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "csv"],
    description="`csv` for a flat CSV a spreadsheet opens: the current page (default page size 500), with "
    '`X-Total-Count` (rows on all pages) and `Link: <url>; rel="next"` headers. Another value is a 400.',
)
AS_OF = OpenApiParameter(AS_OF_PARAM, OpenApiTypes.DATE, description=AS_OF_DESCRIPTION)


def documented(noun: str, *, as_of: bool = False) -> Any:
    """Summaries and the `format` / `as_of` parameters for a record viewset's operations."""
    list_params = [FORMAT_PARAM, *([AS_OF] if as_of else [])]
    detail_params = [AS_OF] if as_of else []
    return extend_schema_view(
        list=extend_schema(summary=f"List {noun}", parameters=list_params),
        retrieve=extend_schema(summary=f"One of the {noun} (with an ETag)", parameters=detail_params),
        create=extend_schema(summary=f"Create one of the {noun} (editors)"),
        update=extend_schema(summary=f"Replace one of the {noun} (editors; If-Match)"),
        partial_update=extend_schema(summary=f"Change fields of one of the {noun} (editors; If-Match)"),
        destroy=extend_schema(summary=f"Delete one of the {noun} (editors; If-Match)"),
    )


class RecordViewSet(ConditionalModelMixin, viewsets.ModelViewSet):
    """Read for anyone, write for editors (model permissions), ETags, CSV."""

    # Any id reaches the view, so a malformed one is a JSON 404 rather than an unmatched URL.
    lookup_value_regex = "[^/]+"

    def perform_destroy(self, instance: Any) -> None:
        delete_recorded(instance, user=self.request.user)
