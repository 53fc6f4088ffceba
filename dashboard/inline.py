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

from django.db.models import Aggregate, F, Field, JSONField, Model, OuterRef, QuerySet, Subquery
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


def _json_of(model: type[Model], prefix: str = "", related: Iterable[str] = ()) -> JSONObject:
    columns: dict[str, Any] = {field.attname: F(prefix + field.attname) for field in _fields(model)}
    for name in related:
        target = model._meta.get_field(name).related_model
        columns[name] = _json_of(target, f"{prefix}{name}__")
    return JSONObject(**columns)


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
    built = [_instance(model, row, tuple(related)) for row in rows or []]
    return sorted(built, key=key) if key is not None else built


def _instance(model: type[Model], row: dict[str, Any], related: tuple[str, ...]) -> Model:
    instance = model(**{field.attname: field.to_python(row.get(field.attname)) for field in _fields(model)})
    instance._state.adding = False
    for name in related:
        target = model._meta.get_field(name).related_model
        setattr(instance, name, _instance(target, row[name], ()) if row.get(name) else None)
    return instance


# --- Sources, through a many-to-many field -------------------------------------------------


def inline_sources(relation: Any) -> Subquery:
    """For each row of the owner's query, its sources through the many-to-many `relation`
    (e.g. `Position.sources`), as `inline_rows` gives them."""
    owner = relation.field.m2m_field_name()  # the through table's key to the owner, e.g. "position"
    return inline_rows(relation.through.objects.all(), owner, related=("source",))


def sources_from(rows: list[dict[str, Any]] | None) -> list[Source]:
    """The `Source` instances of `inline_sources`' JSON, in `Source`'s own order (latest
    publication first, undated last, then publisher and title)."""
    sources = [_instance(Source, row["source"], ()) for row in rows or []]
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
