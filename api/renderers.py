"""`?format=csv`: any API response as a flat CSV a spreadsheet opens directly.

A CSV holds one page, so its columns must not depend on the page: a view whose rows
vary in shape (one column per actor with a stance, one per field of each record type)
gives the renderer the columns of the whole query (`csv_columns`). The file name says
what was asked for (`provisions-version-28-point-draft-actor-ukraine-page-2.csv`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from typing import Any

from django.db.models import Model
from django.utils.text import slugify
from rest_framework.renderers import BaseRenderer

# Query parameters that do not choose rows (how many, in what form) stay out of file names.
_NOT_IN_FILE_NAME = frozenset({"format", "page", "page_size", "ordering"})
_MAX_FILE_NAME = 150

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
    if type(value) is str:  # the common case first
        return "'" + value if value.startswith(_FORMULA_STARTS) else value
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


def wants_csv(request: Any) -> bool:
    """Whether the request was answered with this renderer (`?format=csv` or `Accept: text/csv`)."""
    return getattr(getattr(request, "accepted_renderer", None), "format", "") == FlatCSVRenderer.format


def _name_part(value: Any) -> str:
    """A filter value as it reads in a file name: a record by its slug or label, else the value."""
    if isinstance(value, Model):
        value = getattr(value, "slug", None) or getattr(value, "label", None) or value.pk
    return slugify(str(value))


def csv_filename(request: Any, view: Any) -> str:
    """`<resource>[-<id>][-<parameter>-<value>…][-page-<n>].csv`, in safe characters only
    (lower-case ASCII letters, digits and hyphens). Records chosen by id are named by their
    slug or label, from the filterset's validated values."""
    parts = [getattr(view, "basename", None) or "export"]
    kwargs = dict(getattr(view, "kwargs", None) or {})
    if "pk" in kwargs:
        parts.append(str(kwargs.pop("pk")))
    action = getattr(view, "action", None)
    if action not in (None, "list", "retrieve"):
        parts.append(action)  # e.g. versions-3-compare-1
    parts += [str(value) for value in kwargs.values()]
    cleaned = _filter_values(request, view)
    params = getattr(request, "query_params", {})
    for name in params:
        if name in _NOT_IN_FILE_NAME:
            continue
        value = cleaned.get(name, params.get(name))
        if value in (None, ""):
            continue
        parts += [name, _name_part(value)]
    page = params.get("page", "") if params else ""
    if page not in ("", "1"):
        parts += ["page", page]
    stem = "-".join(slugify(part) for part in parts if slugify(part))
    stem = re.sub(r"-{2,}", "-", stem)[:_MAX_FILE_NAME].strip("-") or "export"
    return f"{stem}.csv"


def _filter_values(request: Any, view: Any) -> dict[str, Any]:
    """The view's filterset's validated values (records rather than ids), or {} without one.
    Only for the name: the response already passed the same validation."""
    filterset_class = getattr(view, "filterset_class", None)
    if filterset_class is None or request is None:
        return {}
    if not any(name in filterset_class.base_filters for name in request.query_params):
        return {}  # nothing to resolve: spare validating a filterset
    filterset = filterset_class(request.query_params, queryset=filterset_class._meta.model._default_manager.none())
    return filterset.form.cleaned_data if filterset.is_valid() else {}


class FlatCSVRenderer(BaseRenderer):
    """Renders the rows of a list (the current page, with paging headers) or a single record.

    A view may define `csv_row(item) -> dict` to turn one representation into
    spreadsheet columns (e.g. one column per actor's stance), or `csv_rows(data)`
    to split a single response into rows (None: not handled); otherwise nested
    objects become dotted columns. `csv_columns(data) -> list | None` fixes the
    columns for the whole query (the same on every page); without it, columns are
    the union of the rows' keys, in first-seen order.
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
        fixed = None if failed else getattr(view, "csv_columns", lambda data: None)(data)
        if fixed is not None:
            columns = list(fixed)
        else:
            seen: dict[str, None] = {}
            for row in rows:
                seen.update(dict.fromkeys(row))
            columns = list(seen)
        buffer = io.StringIO()
        # A byte-order mark makes Excel read the file as UTF-8 (accents, Cyrillic).
        buffer.write("\ufeff")
        if fixed is not None:
            # A column the view did not announce would be lost: a bug, not a choice.
            unknown = set().union(*rows) - set(columns)
            if unknown:
                raise ValueError(f"CSV rows have columns outside {columns}: {sorted(unknown)}")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([row.get(column, "") for column in columns] for row in rows)
        if response is not None and not failed:
            filename = csv_filename(context.get("request"), view)
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            _paging_headers(data, response)
        return buffer.getvalue().encode("utf-8")
