"""The provisions list as the API shows it, read as plain rows: one query per relation.

A page of 100 points carries about 1,200 current stances with their sources. Building a
model instance per row, prefetching through Django's machinery and serializing with DRF's
generic fields was most of a request's time; the list reads the columns it shows as
values, joins them in dictionaries and hands orjson plain data. The representation is
the serializer's (`ProvisionSerializer`, which a point's detail still uses); a test
checks every field of every listed point against it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from rest_framework import serializers

from actors.models import Position
from provisions.models import Lineage, Provision, Source, TerritorialDisposition

POINT_COLUMNS = ("id", "plan_pk", "version_id", "number", "title", "text", "text_basis", "note", "topics", "status")
TIMESTAMP_COLUMNS = ("created_at", "updated_at")
STANCE_COLUMNS = (
    "id",
    "provision_id",
    "actor_id",
    "actor__slug",
    "actor__name",
    "actor__short_code",
    "stance",
    "summary",
    "taken_on",
    "attributed_to",
)


def point_rows(points: list[dict[str, Any]], url_around_id: tuple[str, str]) -> list[dict[str, Any]]:
    """The representation of each point row (`POINT_COLUMNS` and the timestamps, as
    `values()` gives them), in order. Six queries whatever the number of points."""
    ids = [point["id"] for point in points]
    on_page = set(ids)
    own_sources: dict[int, list[int]] = defaultdict(list)
    for provision_id, source_id in Provision.sources.through.objects.filter(provision_id__in=ids).values_list(
        "provision_id", "source_id"
    ):
        own_sources[provision_id].append(source_id)

    back: dict[int, list[dict[str, Any]]] = defaultdict(list)
    forward: dict[int, list[dict[str, Any]]] = defaultdict(list)
    links = Lineage.objects.filter(provision_id__in=ids) | Lineage.objects.filter(derives_from_id__in=ids)
    columns = ("provision_id", "derives_from_id", "relation", "similarity", "confirmed")
    for later, earlier, relation, similarity, confirmed in links.order_by().values_list(*columns):
        details = {"relation": relation, "similarity": similarity, "confirmed": confirmed}
        if later in on_page:
            back[later].append({"id": earlier, **details})
        if earlier in on_page:
            forward[earlier].append({"id": later, **details})

    territories: dict[int, list[dict[str, Any]]] = defaultdict(list)
    dispositions = (
        TerritorialDisposition.objects.filter(provision_id__in=ids)
        .order_by("territory__name", "id")
        .values_list("provision_id", "territory_id", "territory__slug", "territory__name", "disposition", "note")
    )
    for provision_id, territory_id, slug, name, disposition, note in dispositions:
        territories[provision_id].append(
            {"id": territory_id, "slug": slug, "name": name, "disposition": disposition, "note": note}
        )

    stances: dict[int, list[dict[str, Any]]] = defaultdict(list)
    by_stance: dict[int, list[dict[str, Any]]] = {}
    current = Position.objects.current().filter(provision_id__in=ids).order_by("actor__name", "id")
    for pk, provision_id, actor_id, slug, name, code, stance, summary, taken_on, attributed_to in current.values_list(
        *STANCE_COLUMNS
    ):
        sources: list[dict[str, Any]] = []
        by_stance[pk] = sources
        stances[provision_id].append(
            {
                "id": pk,
                "actor": {"id": actor_id, "slug": slug, "name": name, "short_code": code},
                "stance": stance,
                "summary": summary,
                "taken_on": taken_on.isoformat(),
                "attributed_to": attributed_to,
                "sources": sources,
            }
        )
    # Selected by point, not by stance (a hundred ids to bind, not a thousand); links of
    # the points' earlier stances come along and are skipped.
    cited = sorted(
        link
        for link in Position.sources.through.objects.filter(position__provision_id__in=ids).values_list(
            "position_id", "source_id"
        )
        if link[0] in by_stance
    )
    briefs = {
        row["id"]: {**row, "published_on": row["published_on"].isoformat() if row["published_on"] else None}
        for row in Source.objects.filter(id__in={s for _, s in cited}).values(
            "id", "publisher", "title", "url", "published_on"
        )
    }
    for position_id, source_id in cited:
        by_stance[position_id].append(briefs[source_id])

    before, after = url_around_id
    timestamp = serializers.DateTimeField()
    return [
        {
            "id": point["id"],
            "url": f"{before}{point['id']}{after}",
            "plan": point["plan_pk"],
            "version": point["version_id"],
            "number": point["number"],
            "title": point["title"],
            "text": point["text"],
            "text_basis": point["text_basis"],
            "note": point["note"],
            "sources": sorted(own_sources[point["id"]]),
            "topics": point["topics"],
            "status": point["status"],
            "derives_from": sorted(back[point["id"]], key=lambda link: link["id"]),
            "derived_into": sorted(forward[point["id"]], key=lambda link: link["id"]),
            "territories": territories[point["id"]],
            "positions": stances[point["id"]],
            "created_at": timestamp.to_representation(point["created_at"]),
            "updated_at": timestamp.to_representation(point["updated_at"]),
        }
        for point in points
    ]
