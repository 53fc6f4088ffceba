"""Page-number pagination that refuses bad paging input instead of guessing."""

from typing import Any

from django.conf import settings
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from .params import as_id


def _positive_int(raw: str, name: str, maximum: int | None = None) -> int:
    upper = f" to {maximum}" if maximum else " or more"
    message = f"{name} must be a whole number from 1{upper}."
    value = as_id(raw)  # ASCII digits only, as every integer parameter (`api.params`)
    if value is None or value < 1 or (maximum is not None and value > maximum):
        raise ValidationError({name: [message]})
    return value


class CountedRows:
    """A QuerySet to page whose size is already known (`api.concurrency.until_next_write`):
    the paginator takes `count()` from here and slices the QuerySet for the page alone."""

    def __init__(self, rows: Any, count: int) -> None:
        self.rows = rows
        self._count = count

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: Any) -> Any:
        return list(self.rows[index])


class PagePagination(PageNumberPagination):
    """`page` and `page_size` (1 to API_MAX_PAGE_SIZE); CSV exports default to the largest page."""

    page_size_query_param = "page_size"

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        return settings.API_MAX_PAGE_SIZE

    def get_page_size(self, request: Any) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            accepted = getattr(request, "accepted_renderer", None)
            return self.max_page_size if getattr(accepted, "format", "") == "csv" else self.page_size
        return _positive_int(raw, self.page_size_query_param, self.max_page_size)

    def get_page_number(self, request: Any, paginator: Any) -> int:
        raw = request.query_params.get(self.page_query_param)
        if raw is None or raw == "":
            return 1
        if raw in self.last_page_strings:
            # The paginator itself knows no "last": give it the number (1 for an empty list).
            return paginator.num_pages
        return _positive_int(raw, self.page_query_param)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number, from 1, or `last`. A page past the last one gives 404.",
                "schema": {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "enum": ["last"]}]},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1 to {self.max_page_size} (default {self.page_size}; "
                f"{self.max_page_size} for CSV).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
