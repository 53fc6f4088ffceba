"""The points list as spreadsheet rows (`?format=csv`).

A CSV row shows a few columns of each point: the live list reads them through the JSON
list's own builder (`listing.point_rows`, stances without their summaries and sources,
one query a page) and turns each into a row here (`row_from_representation`), as the
as-of path does with the serializer's representation; a test checks both agree. Columns
are fixed for the whole query: every principal party, then every other actor with a
stance on any matching point, so the pages of one export line up.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from actors.models import Actor, Position

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


def stance_label(short_code: str, slug: str) -> str:
    """An actor's stance column is `stance.<short code>` (its slug when it has none)."""
    return f"stance.{short_code or slug}"


def _ordered(actors: Iterable[tuple[int, str, str, bool, int, str]]) -> list[str]:
    """(id, short_code, slug, is_principal, matrix_order, name) rows as stance columns: principal
    parties in matrix order, then the others by name, each label once."""
    rows = sorted(actors, key=lambda a: (not a[3], a[4] if a[3] else 0, a[5], a[0]))
    return list(dict.fromkeys(stance_label(a[1], a[2]) for a in rows))


def stance_columns_of_query(points: QuerySet) -> list[str]:
    """The stance columns for every point of `points` (the whole filtered query, not a page),
    in one query. An actor has a current stance
    on a point exactly when it has any stance on it, so no "current" window over all
    positions is needed."""
    # (Unordered: the page order means nothing inside the subquery.)
    on_a_point = Position.objects.filter(actor_id=OuterRef("pk"), provision_id__in=points.order_by().values("pk"))
    actors = list(
        Actor.objects.filter(Q(is_principal=True) | Exists(on_a_point)).values_list(
            "id", "short_code", "slug", "is_principal", "matrix_order", "name"
        )
    )
    return _ordered(actors)


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


def row_from_representation(item: dict[str, Any]) -> dict[str, Any]:
    """A point's row from its JSON representation: live from `listing.point_rows` (stances
    without their details), as of a date from the serializer's."""
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
