"""The points list as spreadsheet rows (`?format=csv`), read as values straight from the database.

The JSON list builds a hundred points with over a thousand stances and their sources; a
CSV row shows a few columns of each, so it reads just those (five queries a page) instead
of running the serializer and flattening its output. Columns are fixed for the whole
query: every principal party, then every other actor with a stance on any matching point,
so the pages of one export line up. The as-of path builds the same rows from the
representation (`row_from_representation`); a test checks both agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from rest_framework import serializers

from actors.models import Actor, Position
from actors.stances import RECENCY_ORDER

from ..models import Lineage, TerritorialDisposition

POINT_COLUMNS = (
    "id",
    "url",
    "plan",
    "version",
    "number",
    "title",
    "text",
    "topics",
    "status",
    "derives_from",
    "derived_into",
    "territories",
)
POINT_VALUES = ("id", "version_id", "version__plan_id", "number", "title", "text", "topics", "status", "updated_at")
_TIMESTAMP = serializers.DateTimeField()


def stance_label(short_code: str, slug: str) -> str:
    """An actor's stance column is `stance.<short code>` (its slug when it has none)."""
    return f"stance.{short_code or slug}"


def _ordered(actors: Iterable[tuple[int, str, str, bool, int, str]]) -> list[str]:
    """(id, short_code, slug, is_principal, matrix_order, name) rows as stance columns: principal
    parties in matrix order, then the others by name, each label once."""
    rows = sorted(actors, key=lambda a: (not a[3], a[4] if a[3] else 0, a[5], a[0]))
    return list(dict.fromkeys(stance_label(a[1], a[2]) for a in rows))


def stance_columns_of_query(points: QuerySet) -> tuple[list[str], dict[int, str]]:
    """The stance columns for every point of `points` (the whole filtered query, not a page),
    in one query, and the column of each of those actors by id. An actor has a current stance
    on a point exactly when it has any stance on it, so no "current" window over all
    positions is needed."""
    # (Unordered: the page order means nothing inside the subquery.)
    on_a_point = Position.objects.filter(actor_id=OuterRef("pk"), provision_id__in=points.order_by().values("pk"))
    actors = list(
        Actor.objects.filter(Q(is_principal=True) | Exists(on_a_point)).values_list(
            "id", "short_code", "slug", "is_principal", "matrix_order", "name"
        )
    )
    return _ordered(actors), {a[0]: stance_label(a[1], a[2]) for a in actors}


def stance_columns_of_points(points: Iterable[Any]) -> list[str]:
    """The same columns for points already loaded with their `.stances` (as of a date)."""
    actors = {
        (a.pk, a.short_code, a.slug, a.is_principal, a.matrix_order, a.name)
        for point in points
        for a in (stance.actor for stance in point.stances)
    }
    principal = Actor.objects.principal().values_list(
        "id", "short_code", "slug", "is_principal", "matrix_order", "name"
    )
    return _ordered({*actors, *principal})


def columns(stance_columns: list[str]) -> list[str]:
    return [*POINT_COLUMNS, *stance_columns, "updated_at"]


def point_rows(
    points: list[dict[str, Any]], url_around_id: tuple[str, str], labels: dict[int, str]
) -> list[dict[str, Any]]:
    """Spreadsheet rows of `points` (dicts of POINT_VALUES), in their order, in three plain
    indexed queries. `labels`: the stance column of every actor with a stance on them
    (`stance_columns_of_query`)."""
    ids = [point["id"] for point in points]
    derives_from: dict[int, list[int]] = defaultdict(list)
    derived_into: dict[int, list[int]] = defaultdict(list)
    links = list(
        Lineage.objects.filter(Q(provision_id__in=ids) | Q(derives_from_id__in=ids)).values_list(
            "provision_id", "derives_from_id"
        )
    )
    for later, earlier in sorted(links):
        derived_into[earlier].append(later)
    for later, earlier in sorted(links, key=lambda link: link[1]):
        derives_from[later].append(earlier)
    territories: dict[int, list[str]] = defaultdict(list)
    for point_id, name, disposition in (
        TerritorialDisposition.objects.filter(provision_id__in=ids)
        .order_by("territory__name", "id")
        .values_list("provision_id", "territory__name", "disposition")
    ):
        territories[point_id].append(f"{name}: {disposition}")
    # Every stance on these points, oldest first by the current-stance rule's own order
    # (`actors.stances.recency`: date taken, then id), so the current one is written last:
    # a plain indexed read, no window over the positions.
    stances: dict[int, dict[str, str]] = defaultdict(dict)
    on_points = Position.objects.filter(provision_id__in=ids).order_by(*RECENCY_ORDER)
    for point_id, actor_id, stance in on_points.values_list("provision_id", "actor_id", "stance"):
        stances[point_id][labels[actor_id]] = stance
    before, after = url_around_id
    return [
        {
            "id": point["id"],
            "url": f"{before}{point['id']}{after}",
            "plan": point["version__plan_id"],
            "version": point["version_id"],
            "number": point["number"],
            "title": point["title"],
            "text": point["text"],
            "topics": point["topics"],
            "status": point["status"],
            "derives_from": derives_from[point["id"]],
            "derived_into": derived_into[point["id"]],
            "territories": territories[point["id"]],
            **stances[point["id"]],
            "updated_at": _TIMESTAMP.to_representation(point["updated_at"]),
        }
        for point in points
    ]


def row_from_representation(item: dict[str, Any]) -> dict[str, Any]:
    """The same row from a point's JSON representation (the as-of path)."""
    row = {name: item[name] for name in ("id", "url", "plan", "version", "number", "title", "text", "topics")}
    row["status"] = item["status"]
    row["derives_from"] = [link["id"] for link in item["derives_from"]]
    row["derived_into"] = [link["id"] for link in item["derived_into"]]
    row["territories"] = [f"{t['name']}: {t['disposition']}" for t in item["territories"]]
    for position in item["positions"]:
        actor = position["actor"]
        row[stance_label(actor["short_code"], actor["slug"])] = position["stance"]
    row["updated_at"] = item["updated_at"]
    return row
