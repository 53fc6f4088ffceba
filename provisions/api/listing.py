"""Points as the API shows them, each built as JSON by the database in one query.

A page of 100 points carries about 1,200 current stances with their sources. Building a
model instance per row, or even joining plain rows in Python dictionaries, was most of a
request's time; here every nested list of a point (its sources, lineage both ways,
territories, current stances with their sources) is one correlated subquery that
aggregates JSON, so a page is one query and its nested JSON goes to the response as
the database wrote it (`orjson.Fragment`), never parsed. The same builder serves a
point's detail (a list of one, with the change log's latest entry read in the same
query for its ETag) and the CSV (stances without their details, `exports`).

The representation is the serializer's (`ProvisionSerializer`, which writes and `as_of`
still use); a test checks every field of every listed point against it, on SQLite and
PostgreSQL. The current stance is `actors.stances.current_in_sql`'s rule (latest by date
taken, then id, per actor and subject), written here as SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from django.db import connection
from django.db.models import F, QuerySet, Subquery, TextField
from django.db.models.expressions import RawSQL
from rest_framework import serializers

from history.models import Change
from provisions.models import Provision

# The point's own columns, in the representation's order around the nested lists.
POINT_COLUMNS = ("id", "plan_pk", "version_id", "number", "title", "text", "text_basis", "note", "topics", "status")
TIMESTAMP_COLUMNS = ("created_at", "updated_at")
NESTED = ("sources", "derives_from", "derived_into", "territories", "positions")
POINT = '"provisions_provision"."id"'  # the outer point, as the ORM names its table


class _Dialect:
    """JSON construction in PostgreSQL's words (`json`, not `jsonb`: keys keep their order)."""

    def object(self, *pairs: tuple[str, str]) -> str:
        return "json_build_object(" + ", ".join(f"'{key}', {value}" for key, value in pairs) + ")"

    def array(self, value: str, rows: str, order: str) -> str:
        """A JSON array of `value` over `rows` (FROM … WHERE …), in `order`; `[]` when none."""
        return f"coalesce((SELECT json_agg({value} ORDER BY {order}) FROM {rows}), '[]'::json)"

    def flag(self, column: str) -> str:
        return column

    def text(self, json: str) -> str:
        # As text: psycopg would otherwise parse it into Python objects for orjson to redo.
        return f"({json})::text"


class _SQLiteDialect(_Dialect):
    """The same in SQLite's words. Its aggregates take no ORDER BY (before 3.44), so each
    array reads an ordered subquery; `json()` marks text as JSON where it is nested."""

    def object(self, *pairs: tuple[str, str]) -> str:
        return "json_object(" + ", ".join(f"'{key}', {value}" for key, value in pairs) + ")"

    def array(self, value: str, rows: str, order: str) -> str:
        return (
            f"json(coalesce((SELECT json_group_array(json(item)) FROM "
            f"(SELECT {value} AS item FROM {rows} ORDER BY {order})), '[]'))"
        )

    def flag(self, column: str) -> str:
        return f"json(CASE WHEN {column} THEN 'true' ELSE 'false' END)"

    def text(self, json: str) -> str:
        return json


def _nested_sql(dialect: _Dialect, *, stance_details: bool) -> dict[str, str]:
    """The SQL of each nested list of the point `POINT`."""
    d = dialect

    def link(other: str) -> str:
        return d.object(
            ("id", other),
            ("relation", "l.relation"),
            ("similarity", "l.similarity"),
            ("confirmed", d.flag("l.confirmed")),
        )

    actor = d.object(("id", "a.id"), ("slug", "a.slug"), ("name", "a.name"), ("short_code", "a.short_code"))
    if stance_details:
        cited = d.array(
            d.object(
                ("id", "s.id"),
                ("publisher", "s.publisher"),
                ("title", "s.title"),
                ("url", "s.url"),
                ("published_on", "s.published_on"),
            ),
            "actors_position_sources ps JOIN provisions_source s ON s.id = ps.source_id WHERE ps.position_id = c.id",
            "s.id",
        )
        stance = d.object(
            ("id", "c.id"),
            ("actor", actor),
            ("stance", "c.stance"),
            ("summary", "c.summary"),
            ("taken_on", "c.taken_on"),
            ("attributed_to", "c.attributed_to"),
            ("sources", cited),
        )
    else:  # what a spreadsheet row shows of a stance (`exports.row_from_representation`)
        stance = d.object(("id", "c.id"), ("actor", actor), ("stance", "c.stance"))
    # Each actor's current stance: the latest by date taken, then id (`actors.stances`).
    current = (
        "(SELECT po.*, row_number() OVER (PARTITION BY po.actor_id, po.version_id "
        f"ORDER BY po.taken_on DESC, po.id DESC) AS recency FROM actors_position po WHERE po.provision_id = {POINT}) c "
        "JOIN actors_actor a ON a.id = c.actor_id WHERE c.recency = 1"
    )
    return {
        "sources": d.array(
            "ps.source_id", f"provisions_provision_sources ps WHERE ps.provision_id = {POINT}", "ps.source_id"
        ),
        "derives_from": d.array(
            link("l.derives_from_id"), f"provisions_lineage l WHERE l.provision_id = {POINT}", "l.derives_from_id"
        ),
        "derived_into": d.array(
            link("l.provision_id"), f"provisions_lineage l WHERE l.derives_from_id = {POINT}", "l.provision_id"
        ),
        "territories": d.array(
            d.object(
                ("id", "t.id"),
                ("slug", "t.slug"),
                ("name", "t.name"),
                ("disposition", "dp.disposition"),
                ("note", "dp.note"),
            ),
            "provisions_territorialdisposition dp JOIN provisions_territory t ON t.id = dp.territory_id "
            f"WHERE dp.provision_id = {POINT}",
            "t.name, dp.id",
        ),
        "positions": d.array(stance, current, "a.name, c.id"),
    }


def _nested_columns(*, stance_details: bool) -> dict[str, RawSQL]:
    dialect = _SQLiteDialect() if connection.vendor == "sqlite" else _Dialect()
    return {
        f"{name}_json": RawSQL(dialect.text(sql), (), output_field=TextField())
        for name, sql in _nested_sql(dialect, stance_details=stance_details).items()
    }


def with_change_log(points: QuerySet) -> QuerySet:
    """`points` carrying the change log's latest entry (`history.records.last_change`) on every
    row, read in the same query, so a representation and the write it reflects agree."""
    latest = Change.objects.order_by("-id")
    return points.annotate(
        change_id=Subquery(latest.values("id")[:1]), change_at=Subquery(latest.values("changed_at")[:1])
    )


def point_rows(
    points: QuerySet,
    url_around_id: tuple[str, str],
    *,
    parsed: bool = False,
    stance_details: bool = True,
    extra: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The representation of each point of `points` (already filtered and cut to a page),
    in their order, from one query. Nested lists stay JSON text (`orjson.Fragment`) unless
    `parsed`. Without `stance_details`, a stance carries only its id, actor and stance.
    `extra`: annotations of `points` to pass along (`with_change_log`), under their names."""
    rows = points.annotate(plan_pk=F("version__plan_id"), **_nested_columns(stance_details=stance_details)).values(
        *POINT_COLUMNS, *TIMESTAMP_COLUMNS, *(f"{name}_json" for name in NESTED), *extra
    )
    nested = orjson.loads if parsed else orjson.Fragment
    before, after = url_around_id
    timestamp = serializers.DateTimeField()
    return [
        {
            "id": row["id"],
            "url": f"{before}{row['id']}{after}",
            "plan": row["plan_pk"],
            "version": row["version_id"],
            "number": row["number"],
            "title": row["title"],
            "text": row["text"],
            "text_basis": row["text_basis"],
            "note": row["note"],
            "sources": nested(row["sources_json"]),
            "topics": row["topics"],
            "status": row["status"],
            "derives_from": nested(row["derives_from_json"]),
            "derived_into": nested(row["derived_into_json"]),
            "territories": nested(row["territories_json"]),
            "positions": nested(row["positions_json"]),
            "created_at": timestamp.to_representation(row["created_at"]),
            "updated_at": timestamp.to_representation(row["updated_at"]),
            **{name: row[name] for name in extra},
        }
        for row in rows
    ]


def points_in_order(ids: Iterable[int], url_around_id: tuple[str, str], **options: Any) -> list[dict[str, Any]]:
    """`point_rows` of the points `ids` (a page already cut), in the order of `ids`."""
    ids = list(ids)
    place = {pk: n for n, pk in enumerate(ids)}
    rows = point_rows(Provision.objects.filter(pk__in=ids), url_around_id, **options)
    return sorted(rows, key=lambda row: place[row["id"]])
