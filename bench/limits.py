"""The limits the API is measured against: the same content, one SQL query, orjson.

Each view answers what an API endpoint answers (the same points with their stances,
sources, territories and lineage; the same change-feed entries), but built by one
PostgreSQL query that nests the JSON itself and serialised with orjson: no framework,
no model instances. What the API costs beyond that is what its machinery costs.
Served only by the benchmark's server (`bench/urls.py`).
"""

from __future__ import annotations

from typing import Any

import orjson
from django.apps import apps
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse

from history.models import RecordedModel

# One point as the API shows it; `{where}` picks the points (a page, or one id).
POINT_SQL = """
WITH page AS (
    SELECT p.id, v.plan_id, p.version_id, p.number, p.title, p.text, p.text_basis, p.note, p.topics::json AS topics,
           p.status, p.created_at, p.updated_at, v.dated, p.sort_key
    FROM provisions_provision p JOIN provisions_version v ON v.id = p.version_id
    {where}
    ORDER BY v.dated, p.version_id, p.sort_key
    {limit}
)
SELECT page.id, page.plan_id, page.version_id, page.number, page.title, page.text, page.text_basis,
       page.note, page.topics, page.status, page.created_at, page.updated_at,
       (SELECT coalesce(json_agg(ps.source_id ORDER BY ps.source_id), '[]')
          FROM provisions_provision_sources ps WHERE ps.provision_id = page.id) AS sources,
       (SELECT coalesce(json_agg(json_build_object('id', l.derives_from_id, 'relation', l.relation,
               'similarity', l.similarity, 'confirmed', l.confirmed) ORDER BY l.derives_from_id), '[]')
          FROM provisions_lineage l WHERE l.provision_id = page.id) AS derives_from,
       (SELECT coalesce(json_agg(json_build_object('id', l.provision_id, 'relation', l.relation,
               'similarity', l.similarity, 'confirmed', l.confirmed) ORDER BY l.provision_id), '[]')
          FROM provisions_lineage l WHERE l.derives_from_id = page.id) AS derived_into,
       (SELECT coalesce(json_agg(json_build_object('id', t.id, 'slug', t.slug, 'name', t.name,
               'disposition', d.disposition, 'note', d.note) ORDER BY t.name, d.id), '[]')
          FROM provisions_territorialdisposition d JOIN provisions_territory t ON t.id = d.territory_id
          WHERE d.provision_id = page.id) AS territories,
       (SELECT coalesce(json_agg(json_build_object(
                   'id', c.id,
                   'actor', json_build_object('id', a.id, 'slug', a.slug, 'name', a.name,
                                              'short_code', a.short_code),
                   'stance', c.stance, 'summary', c.summary, 'taken_on', c.taken_on,
                   'attributed_to', c.attributed_to,
                   'sources', (SELECT coalesce(json_agg(json_build_object('id', s.id, 'publisher', s.publisher,
                                   'title', s.title, 'url', s.url, 'published_on', s.published_on)
                                   ORDER BY s.id), '[]')
                               FROM actors_position_sources pos JOIN provisions_source s ON s.id = pos.source_id
                               WHERE pos.position_id = c.id))
               ORDER BY a.name, c.id), '[]')
          FROM (SELECT DISTINCT ON (po.actor_id) po.*
                  FROM actors_position po WHERE po.provision_id = page.id
                  ORDER BY po.actor_id, po.taken_on DESC, po.id DESC) c
          JOIN actors_actor a ON a.id = c.actor_id) AS positions
       {count}
FROM page
ORDER BY page.dated, page.version_id, page.sort_key
"""

LIST_SQL = POINT_SQL.format(
    where="", limit="LIMIT %s OFFSET %s", count=", (SELECT count(*) FROM provisions_provision) AS total"
)
DETAIL_SQL = POINT_SQL.format(where="WHERE p.id = %s", limit="", count="")


def _points(sql: str, params: list[Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        row["plan"] = row.pop("plan_id")
        row["version"] = row.pop("version_id")
        row["url"] = f"/provisions/{row['id']}/"
    return rows


def _json(data: Any) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), content_type="application/json")


def provisions_list(request: HttpRequest) -> HttpResponse:
    """The API's `/provisions/?page_size=N` (first page unless `page`)."""
    size = int(request.GET.get("page_size", 100))
    page = int(request.GET.get("page", 1))
    rows = _points(LIST_SQL, [size, (page - 1) * size])
    total = rows[0].pop("total") if rows else 0
    for row in rows[1:]:
        del row["total"]
    return _json({"count": total, "next": None, "previous": None, "results": rows})


def provision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rows = _points(DETAIL_SQL, [pk])
    if not rows:
        raise Http404
    return _json(rows[0])


def _feed_sql() -> str:
    """One query over the change log joined to every history table: each entry's `data`
    is its history row's own columns (and its many-to-many ids), as in `history.feed`."""
    joins, datas = [], []
    for index, model in enumerate(m for m in apps.get_models() if issubclass(m, RecordedModel)):
        history = model.history.model
        alias = f"h{index}"
        own = [(f.name, f.column) for f in model._meta.concrete_fields if f.name != "sort_key"]
        m2m = []
        for field in getattr(history, "_history_m2m_fields", []):
            table = history._meta.get_field(f"{history._meta.model_name}_{field.name}").related_model._meta.db_table
            target = f"{field.related_model._meta.model_name}_id"
            m2m.append(
                f"'{field.name}', (SELECT coalesce(json_agg(m.{target} ORDER BY m.{target}), '[]') "
                f"FROM {table} m WHERE m.history_id = {alias}.history_id)"
            )
        pairs = ", ".join([f"'{name}', {alias}.{column}" for name, column in own] + m2m)
        joins.append(
            f"LEFT JOIN {history._meta.db_table} {alias} "
            f"ON c.record_type = '{model._meta.label_lower}' AND {alias}.history_id = c.history_id"
        )
        datas.append(f"CASE WHEN {alias}.history_id IS NOT NULL THEN json_build_object({pairs}) END")
    return (
        "SELECT c.id, c.record_type, c.object_id AS record_id, c.action, c.changed_at, "
        "c.changed_fields::json AS changed_fields, "
        f"CASE WHEN c.action = 'deleted' THEN NULL ELSE coalesce({', '.join(datas)}) END AS data "
        f"FROM history_change c {' '.join(joins)} WHERE c.id > %s ORDER BY c.id LIMIT %s"
    )


_FEED_SQL: str | None = None


def changes_page(request: HttpRequest) -> HttpResponse:
    """The API's `/changes/?after=&page_size=`."""
    global _FEED_SQL
    if _FEED_SQL is None:
        _FEED_SQL = _feed_sql()
    after = int(request.GET.get("after", 0))
    size = int(request.GET.get("page_size", 100))
    with connection.cursor() as cursor:
        cursor.execute(_FEED_SQL, [after, size + 1])
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    more = len(rows) > size
    rows = rows[:size]
    cursor_id = rows[-1]["id"] if rows else after
    return _json({"results": rows, "next_cursor": str(cursor_id), "has_more": more})
