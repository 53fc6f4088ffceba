"""`?format=csv`: any API response as a flat CSV a spreadsheet opens directly."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from rest_framework.renderers import BaseRenderer

# Cells a spreadsheet would run as a formula are prefixed with a quote (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """One row from a nested representation: `a.b` columns for nested objects,
    `; `-joined lists of plain values, JSON for lists of objects."""
    row: dict[str, Any] = {}
    if not isinstance(data, dict):
        return {prefix or "value": _cell(data)}
    for key, value in data.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            row.update(flatten(value, name))
        else:
            row[name] = _cell(value)
    return row


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        if any(isinstance(item, dict | list) for item in value):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        # Joined first, then escaped like any text: the first item starts the cell.
        value = "; ".join("" if item is None else str(item) for item in value)
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _rows(data: Any, view: Any) -> list[dict[str, Any]]:
    """Rows of a successful response, shaped by the view's hooks when it has them."""
    whole = getattr(view, "csv_rows", None)
    if whole is not None and isinstance(data, dict):
        rows = whole(data)
        if rows is not None:
            return [flatten(row) for row in rows]
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        items: Iterable[Any] = data["results"]
    elif isinstance(data, list):
        items = data
    else:
        items = [data]
    to_row = getattr(view, "csv_row", None)
    rows = []
    for item in items:
        if to_row is not None and isinstance(item, dict):
            item = to_row(item)
        rows.append(flatten(item))
    return rows


def _paging_headers(data: Any, response: Any) -> None:
    """A CSV holds one page: say how many rows match in all (`X-Total-Count`) and where
    the next and previous pages are (`Link`, RFC 8288), as the JSON body would."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        return
    if "count" in data:
        response["X-Total-Count"] = str(data["count"])
    links = []
    # The change feed always gives `next` (its cursor), but only `has_more` says more follow.
    if data.get("next") and data.get("has_more", True):
        links.append(f'<{data["next"]}>; rel="next"')
    if data.get("previous"):
        links.append(f'<{data["previous"]}>; rel="prev"')
    if links:
        response["Link"] = ", ".join(links)


class FlatCSVRenderer(BaseRenderer):
    """Renders the rows of a list (the current page, with paging headers) or a single record.

    A view may define `csv_row(item) -> dict` to turn one representation into
    spreadsheet columns (e.g. one column per actor's stance), or `csv_rows(data)`
    to split a single response into rows (None: not handled); otherwise nested
    objects become dotted columns. Columns are the union of all rows' keys, in
    first-seen order.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        context = renderer_context or {}
        view = context.get("view")
        response = context.get("response")
        if data is None:
            return b""
        failed = response is not None and response.status_code >= 400
        # An error body ({"field": ["message"]}) is flattened as it is, without the view's hooks.
        rows = [flatten(data)] if failed else _rows(data, view)
        columns: dict[str, None] = {}
        for row in rows:
            columns.update(dict.fromkeys(row))
        buffer = io.StringIO()
        # A byte-order mark makes Excel read the file as UTF-8 (accents, Cyrillic).
        buffer.write("\ufeff")
        writer = csv.DictWriter(buffer, fieldnames=list(columns), restval="", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
        if response is not None and not failed:
            basename = getattr(view, "basename", None) or "export"
            response["Content-Disposition"] = f'attachment; filename="{basename}.csv"'
            _paging_headers(data, response)
        return buffer.getvalue().encode("utf-8")
