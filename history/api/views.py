"""`/api/v1/changes/`: every create, update and delete of editorial records, in commit order."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from api.filtering import query_text, refuse_unknown_parameters
from api.params import as_id

from ..feed import data_fields, feed_entries, recorded_models
from ..records import changes_after
from .serializers import ChangePageSerializer

DEFAULT_PAGE_SIZE = 100
FEED_PARAMETERS = frozenset({"after", "page_size", "record_type", "format"})
ENTRY_COLUMNS = ("id", "record_type", "record_id", "action", "changed_at", "changed_fields")


def parse_cursor(raw: str) -> int:
    if raw == "":
        return 0
    cursor = as_id(raw)
    if cursor is None:
        raise ValidationError({"after": ["Not a cursor: pass the `next_cursor` of a previous page, or 0."]})
    return cursor


def parse_page_size(raw: str) -> int:
    if raw == "":
        return DEFAULT_PAGE_SIZE
    maximum = settings.API_MAX_PAGE_SIZE
    size = as_id(raw)
    if size is None or not 1 <= size <= maximum:
        raise ValidationError({"page_size": [f"page_size must be a whole number from 1 to {maximum}."]})
    return size


def parse_record_types(raw: str) -> list[str]:
    if raw == "":
        return []
    names = [name.strip().lower() for name in raw.split(",") if name.strip()]
    for name in names:
        try:
            apps.get_model(name)
        except (LookupError, ValueError):
            raise ValidationError({"record_type": [f"Unknown record type “{name}” (use app_label.model)."]}) from None
    return names


class ChangeFeedView(GenericAPIView):
    """Poll from `after=0` and keep `next_cursor`: a consumer that applies every entry in
    order (store `data` by record type and id; drop the id on a deletion) holds an exact
    copy of the data. Changes are numbered in commit order, so none is ever skipped."""

    permission_classes = [AllowAny]
    serializer_class = ChangePageSerializer
    pagination_class = None
    filter_backends: list[Any] = []
    basename = "changes"

    @extend_schema(
        summary="The change feed",
        parameters=[
            OpenApiParameter(
                "after", OpenApiTypes.INT, description="Cursor: return changes after this one (0: from the start)."
            ),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="Entries per page, 1 to 500 (default 100)."),
            OpenApiParameter(
                "record_type",
                OpenApiTypes.STR,
                description="Only these record types, comma-separated (e.g. `provisions.provision,actors.position`); "
                "the cursor still moves past the others.",
            ),
            OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"], description="`csv` for a flat CSV."),
        ],
        responses=ChangePageSerializer,
    )
    def get(self, request: Request) -> Response:
        refuse_unknown_parameters(request, FEED_PARAMETERS)
        cursor = parse_cursor(query_text(request, "after"))
        size = parse_page_size(query_text(request, "page_size"))
        types = parse_record_types(query_text(request, "record_type"))
        changes = changes_after(cursor, size + 1)
        has_more = len(changes) > size
        changes = changes[:size]
        last = changes[-1].id if changes else cursor
        selected = [c for c in changes if not types or c.record_type in types]
        return Response(
            {
                "results": feed_entries(selected),
                "next_cursor": str(last),
                "has_more": has_more,
                "next": replace_query_param(request.build_absolute_uri(), "after", str(last)),
            }
        )

    def csv_columns(self, data: Any) -> list[str]:
        """The same columns on every page: the entry's own, then `data.<field>` for every field of
        every record type asked for (all of them without `record_type`), by type then field."""
        types = parse_record_types(query_text(self.request, "record_type"))
        chosen = [model for model in recorded_models() if not types or model._meta.label_lower in types]
        fields = dict.fromkeys(f"data.{name}" for model in chosen for name in data_fields(model))
        return [*ENTRY_COLUMNS, *fields]

    def csv_row(self, item: dict[str, Any]) -> dict[str, Any]:
        # A deletion's `data` is null: its data columns stay empty.
        return {**item, "data": item["data"] or {}}
