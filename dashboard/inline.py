"""Related rows read inside their owner's query, as a JSON array: one query where a
prefetch takes two (the owners, then the related rows).

    points = Provision.objects.annotate(dispositions_json=inline_rows(
        TerritorialDisposition.objects.all(), "provision", related=("territory",)))
    point.dispositions_list = instances(TerritorialDisposition, point.dispositions_json, related=("territory",))

gives the same instances a prefetch would (their own fields and the named foreign keys);
the order is the caller's to set (`key`), as a JSON aggregate keeps none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from django.db.models import Aggregate, F, Field, JSONField, Model, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import JSONObject

from provisions.models import Source

BOOKKEEPING = {"created_at", "updated_at"}  # not shown by any page, left out of the JSON


class JSONRows(Aggregate):
    """The aggregated values as one JSON array (SQLite's JSON_GROUP_ARRAY, PostgreSQL's JSONB_AGG)."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra)


def _fields(model: type[Model]) -> list[Field]:
    return [field for field in model._meta.concrete_fields if field.attname not in BOOKKEEPING]


def json_columns(model: type[Model], prefix: str = "", related: Iterable[str] = ()) -> dict[str, Any]:
    """The keys and expressions of a row of `model` as a JSON object (`instance` reads it back),
    with the `related` foreign keys' rows nested."""
    columns: dict[str, Any] = {field.attname: F(prefix + field.attname) for field in _fields(model)}
    for name in related:
        target = model._meta.get_field(name).related_model
        columns[name] = _json_of(target, f"{prefix}{name}__")
    return columns


def _json_of(model: type[Model], prefix: str = "", related: Iterable[str] = ()) -> JSONObject:
    return JSONObject(**json_columns(model, prefix, related))


def inline_rows(rows: QuerySet, owner: str, *, related: Iterable[str] = ()) -> Subquery:
    """For each row of the owner's query, the `rows` pointing to it by the foreign key `owner`,
    as a JSON array of their fields (with the `related` foreign keys' rows nested); NULL when none."""
    related = tuple(related)
    array = (
        rows.filter(**{owner: OuterRef("pk")})
        .order_by()
        .values(owner)
        .annotate(rows=JSONRows(_json_of(rows.model, related=related)))
        .values("rows")
    )
    return Subquery(array, output_field=JSONField())


def instances(
    model: type[Model],
    rows: list[dict[str, Any]] | None,
    *,
    related: Iterable[str] = (),
    key: Callable[[Any], Any] | None = None,
) -> list[Any]:
    """Model instances from `inline_rows`' JSON (values as the database's JSON gives them,
    dates as text), the `related` foreign keys set, sorted by `key` if given."""
    built = [instance(model, row, related=related) for row in rows or []]
    return sorted(built, key=key) if key is not None else built


def instance(model: type[Model], row: dict[str, Any], *, related: Iterable[str] = ()) -> Any:
    """One model instance from a JSON row of `json_columns`, the `related` foreign keys set."""
    built = model(**{field.attname: field.to_python(row.get(field.attname)) for field in _fields(model)})
    built._state.adding = False
    for name in related:
        target = model._meta.get_field(name).related_model
        setattr(built, name, instance(target, row[name]) if row.get(name) else None)
    return built


# --- Sources, through a many-to-many field -------------------------------------------------


def inline_sources(relation: Any) -> Subquery:
    """For each row of the owner's query, its sources through the many-to-many `relation`
    (e.g. `Position.sources`), as `inline_rows` gives them."""
    owner = relation.field.m2m_field_name()  # the through table's key to the owner, e.g. "position"
    return inline_rows(relation.through.objects.all(), owner, related=("source",))


def sources_from(rows: list[dict[str, Any]] | None) -> list[Source]:
    """The `Source` instances of `inline_sources`' JSON, in `Source`'s own order (latest
    publication first, undated last, then publisher and title)."""
    sources = [instance(Source, row["source"]) for row in rows or []]
    sources.sort(key=lambda s: (s.publisher, s.title))
    sources.sort(key=lambda s: s.published_on or date.min, reverse=True)
    return sources


def inline_ids(relation: Any) -> Subquery:
    """For each row of the owner's query, the ids it holds through the many-to-many `relation`
    (e.g. `Event.actors`), as a JSON array; NULL when none."""
    owner = relation.field.m2m_field_name()
    target = relation.field.m2m_reverse_field_name()
    array = (
        relation.through.objects.filter(**{owner: OuterRef("pk")})
        .order_by()
        .values(owner)
        .annotate(ids=JSONRows(F(f"{target}_id")))
        .values("ids")
    )
    return Subquery(array, output_field=JSONField())


# --- Rows of several tables, in one query -----------------------------------------------


def rows_together(parts: dict[str, tuple[QuerySet, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Rows of several querysets in one query (a UNION ALL of one JSON object per row), for
    reads every page makes that would each take a query of their own.

    `parts`: name -> (rows, the JSON object's keys and expressions, e.g. `json_columns(model)`).
    Gives name -> the rows' JSON objects (values as `instance` reads them), in no set order.
    """
    selects = [
        rows.order_by()
        .annotate(row_part=Value(name), row_json=JSONObject(**columns))
        .values_list("row_part", "row_json")
        for name, (rows, columns) in parts.items()
    ]
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in parts}
    union = selects[0].union(*selects[1:], all=True) if len(selects) > 1 else selects[0]
    for name, row in union:
        found[name].append(row)
    return found
