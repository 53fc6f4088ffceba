"""Points as the API shows them, each built as JSON by the database in one query.

A page of 100 points carries about 1,200 current stances with their sources. Building a
model instance per row, or even joining plain rows in Python dictionaries, was most of a
request's time; here every nested list of a point (its sources, lineage both ways,
territories, current stances with their sources) is one correlated subquery that
aggregates JSON, so the points of a page are one query, and their nested JSON goes to
the response as the database wrote it (`orjson.Fragment`), never parsed. The same
builder serves a point's detail (a list of one, with the change log's latest entry read
in the same query for its ETag) and the CSV (stances without their details, `exports`).

The representation is the serializer's (`ProvisionSerializer`, which writes and `as_of`
still use); a test checks every field of every listed point against it, on SQLite and
PostgreSQL. The current stance is `actors.stances.current_in_sql`'s rule (latest by date
taken, then id, per actor and subject), written here as SQL.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from typing import Any

import orjson
from django.conf import settings
from django.db import connection
from django.db.models import F, Subquery, TextField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from actors.stances import RECENCY_ORDER, SUBJECT
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

    def real(self, column: str) -> str:
        # float8 is written in the shortest form that reads back exactly.
        return column

    def text(self, json: str) -> str:
        # As text: psycopg would otherwise parse it into Python objects for orjson to redo.
        return f"({json})::text"

    def ids(self) -> str:
        """A subquery of the ids given as the one parameter (`ids_param`)."""
        return "SELECT unnest(%s::bigint[])"

    def ids_param(self, ids: list[int]) -> Any:
        return ids


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

    def real(self, column: str) -> str:
        # SQLite's JSON keeps 15 significant digits; 17 read back as the same float. (`%%`: the
        # statement runs with parameters, so a percent sign is written twice.)
        return f"json(CASE WHEN {column} IS NULL THEN 'null' ELSE printf('%%!.17g', {column}) END)"

    def text(self, json: str) -> str:
        return json

    def ids(self) -> str:
        return "SELECT value FROM json_each(%s)"

    def ids_param(self, ids: list[int]) -> Any:
        return orjson.dumps(ids).decode()


def _dialect(vendor: str) -> _Dialect:
    return _SQLiteDialect() if vendor == "sqlite" else _Dialect()


def _nested_sql(dialect: _Dialect, *, stance_details: bool) -> dict[str, str]:
    """The SQL of each nested list of the point `POINT`."""
    d = dialect

    def link(other: str) -> str:
        return d.object(
            ("id", other),
            ("relation", "l.relation"),
            ("similarity", d.real("l.similarity")),
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
    # Each actor's current stance, by the one rule of `actors.stances` (its subject and recency
    # order), written out in SQL here because this statement is raw.
    partition = ", ".join(f"po.{name}" for name in SUBJECT)
    newest_first = ", ".join(f"po.{name} DESC" for name in RECENCY_ORDER)
    current = (
        "(SELECT po.id, po.actor_id, po.stance, po.summary, po.taken_on, po.attributed_to, row_number() "
        f"OVER (PARTITION BY {partition} ORDER BY {newest_first}) AS recency "
        f"FROM actors_position po WHERE po.provision_id = {POINT}) c "
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


# The statement's columns, in order.
COLUMNS = (*POINT_COLUMNS, *TIMESTAMP_COLUMNS, *(f"{name}_json" for name in NESTED), "change_id", "change_at")


@functools.cache
def _statement(vendor: str, *, stance_details: bool) -> str:
    """The SQL of `point_rows`, built by the ORM once per process: compiling it took longer
    than running it. Its one parameter is the points' ids (`_Dialect.ids`)."""
    dialect = _dialect(vendor)
    nested = {
        f"{name}_json": RawSQL(dialect.text(sql), (), output_field=TextField())
        for name, sql in _nested_sql(dialect, stance_details=stance_details).items()
    }
    latest = Change.objects.order_by("-id")  # as `history.records.last_change` reads it
    points = (
        Provision.objects.filter(pk__in=RawSQL(dialect.ids(), (None,)))
        .annotate(
            plan_pk=F("version__plan_id"),
            change_id=Subquery(latest.values("id")[:1]),
            change_at=Subquery(latest.values("changed_at")[:1]),
            **nested,
        )
        .order_by()
        .values_list(*COLUMNS)
    )
    sql, params = points.query.sql_with_params()
    assert len(params) == 1, params  # only the ids
    return sql


def _datetime(value: Any) -> datetime.datetime | None:
    """A timestamp read by a plain cursor as the ORM gives it: aware (SQLite answers text,
    or a naive datetime where it knows the column's type)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and settings.USE_TZ and timezone.is_naive(value):
        value = timezone.make_aware(value, connection.timezone)
    return value


def point_rows(
    ids: Iterable[int], url_around_id: tuple[str, str], *, parsed: bool = False, stance_details: bool = True
) -> tuple[list[dict[str, Any]], tuple[int, str] | None]:
    """The representation of each point of `ids` (a page already cut), in the order of
    `ids`, from one query; and the change log's latest entry as that query saw it (as
    `history.records.last_change` gives it; None without a point to carry it). Nested lists stay JSON text
    (`orjson.Fragment`) unless `parsed`. Without `stance_details`, a stance carries only
    its id, actor and stance."""
    ids = list(ids)
    place = {pk: n for n, pk in enumerate(ids)}
    with connection.cursor() as cursor:
        sql = _statement(connection.vendor, stance_details=stance_details)
        cursor.execute(sql, [_dialect(connection.vendor).ids_param(ids)])
        rows = sorted(cursor.fetchall(), key=lambda row: place[row[0]])
    nested = orjson.loads if parsed else orjson.Fragment
    before, after = url_around_id
    timestamp = serializers.DateTimeField()
    points = []
    change = None
    for (pk, plan, version, number, title, text, basis, note, topics, status, created, updated,
         sources, derives_from, derived_into, territories, positions, change_id, change_at) in rows:  # fmt: skip
        points.append(
            {
                "id": pk,
                "url": f"{before}{pk}{after}",
                "plan": plan,
                "version": version,
                "number": number,
                "title": title,
                "text": text,
                "text_basis": basis,
                "note": note,
                "sources": nested(sources),
                "topics": orjson.loads(topics),  # JSON text from either database
                "status": status,
                "derives_from": nested(derives_from),
                "derived_into": nested(derived_into),
                "territories": nested(territories),
                "positions": nested(positions),
                "created_at": timestamp.to_representation(_datetime(created)),
                "updated_at": timestamp.to_representation(_datetime(updated)),
            }
        )
        change = (change_id, _datetime(change_at).isoformat()) if change_id is not None else (0, "")
    return points, change
