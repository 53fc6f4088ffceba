"""API views of plans, versions (with comparison), points, territories and sources.

Views declare queryset, serializer and filters; reads come from QuerySets built
here once (pinned by query-count tests), writes from the serializers' services.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from django.db.models import F, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from actors.models import Actor, Position
from api.as_of import AS_OF_PARAM, AsOfMixin
from api.concurrency import until_next_write
from api.filtering import FORMAT_PARAM, accepted_parameters, refuse_unknown_parameters
from api.pagination import CountedRows
from api.params import as_id, resolve_id_or_slug
from api.renderers import wants_csv
from api.views import RecordViewSet, documented
from history.records import as_of

from ..as_of import provisions_as_of, territories_as_of
from ..models import ControlObservation, Lineage, Plan, Provision, Source, TerritorialDisposition, Territory, Version
from ..points import PointFilter
from ..selectors import compare_versions, in_date_order
from . import exports
from .filters import ProvisionFilter, SourceFilter, TerritoryFilter, VersionFilter
from .listing import point_rows
from .serializers import (
    ComparisonSerializer,
    PlanSerializer,
    ProvisionSerializer,
    SourceSerializer,
    TerritorySerializer,
    VersionSerializer,
    point_url_around_id,
)

CHANGE_KINDS = ("added", "removed", "changed", "unchanged", "unknown")


@documented("sources")
class SourceViewSet(RecordViewSet):
    """Documents facts come from: reports, statements, posts, texts."""

    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    filterset_class = SourceFilter
    search_fields = ("publisher", "title", "notes")
    ordering_fields = {"id": ("id",), "published_on": ("published_on",), "publisher": ("publisher",)}


@documented("plans")
class PlanViewSet(RecordViewSet):
    """Peace plans; their dated texts are versions."""

    queryset = Plan.objects.all()
    serializer_class = PlanSerializer
    search_fields = ("name", "description")
    ordering_fields = {"id": ("id",), "name": ("name",)}


@documented("versions")
class VersionViewSet(RecordViewSet):
    """Dated texts of a plan: drafts, revisions, leaks, counter-proposals."""

    queryset = Version.objects.prefetch_related("sources").latest_first()
    serializer_class = VersionSerializer
    filterset_class = VersionFilter
    search_fields = ("label", "summary")
    ordering_fields = {"id": ("id",), "dated": ("dated",), "label": ("label",)}

    @extend_schema(
        summary="Compare two versions point by point",
        description="Points added, removed, changed (with a word-level diff of the text) and unchanged, "
        "following lineage rather than point numbers: a point renumbered from 21 to 14 is `changed`. "
        "The earlier-dated version is the old one, whichever order the ids come in.",
        parameters=[
            OpenApiParameter(
                "other_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Id of the other version."
            )
        ],
        responses=ComparisonSerializer,
        filters=False,
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"compare/(?P<other_id>[^/]+)",
        filter_backends=[],
        pagination_class=None,
    )
    def compare(self, request: Request, pk: str | None = None, other_id: str | None = None) -> Response:
        refuse_unknown_parameters(request, {FORMAT_PARAM})
        version = self.get_object()
        other_pk = as_id(other_id)
        if other_pk is None:
            raise NotFound("No such version.")
        other = get_object_or_404(Version, pk=other_pk)
        if other.pk == version.pk:
            raise ValidationError({"other_id": ["Compare two different versions."]})
        old, new = in_date_order(version, other)
        comparison = compare_versions(old, new)

        def entry(change: Any) -> dict[str, Any]:
            return {
                "kind": change.kind,
                "old": change.old,
                "new": change.new,
                "changed_fields": change.changed_fields,
                "diff": change.diff if change.kind == "changed" else [],
            }

        data = {
            "old_version": old,
            "new_version": new,
            "counts": comparison.counts,
            **{kind: [entry(c) for c in comparison.of_kind(kind)] for kind in CHANGE_KINDS},
        }
        return Response(ComparisonSerializer(data).data)

    def csv_rows(self, data: Any) -> list[dict[str, Any]] | None:
        """The comparison as one row per point, the diff marked [-removed-] {+added+}."""
        if getattr(self, "action", None) != "compare" or "counts" not in data:
            return None
        rows = []
        for kind in CHANGE_KINDS:
            for change in data[kind]:
                new = change["new"] or {}
                rows.append(
                    {
                        "kind": kind,
                        "old_numbers": "; ".join(p["number"] for p in change["old"]),
                        "new_number": new.get("number", ""),
                        "old_titles": "; ".join(p["title"] for p in change["old"]),
                        "new_title": new.get("title", ""),
                        "changed_fields": "; ".join(change["changed_fields"]),
                        "diff": "".join(_marked(segment) for segment in change["diff"]),
                    }
                )
        return rows


def _marked(segment: dict[str, str]) -> str:
    if segment["op"] == "insert":
        return "{+" + segment["text"] + "+}"
    if segment["op"] == "delete":
        return "[-" + segment["text"] + "-]"
    return segment["text"]


def attach_stance_details(points: list[Provision]) -> None:
    """Give every stance on these points its actor and its `source_list`, in three queries for the page.

    A page of 100 points carries over a thousand stances by a few dozen actors: Django's
    many-to-many prefetch cloned a QuerySet per stance, and `select_related("actor")`
    built one actor instance per stance. Reading each table once is cheap.
    """
    all_stances = [p for point in points for p in getattr(point, "stances", ())]
    without_actor = [p for p in all_stances if not Position.actor.is_cached(p)]
    if without_actor:
        actors = Actor.objects.only(*ACTOR_COLUMNS).in_bulk({p.actor_id for p in without_actor})
        for position in without_actor:
            position.actor = actors[position.actor_id]
    stances = [p for p in all_stances if not hasattr(p, "source_list")]
    if not stances:
        return
    # Selected by point, not by stance: a hundred ids to bind instead of a thousand. Links
    # of the points' earlier stances come along and are skipped below.
    by_stance: dict[int, list[Source]] = {p.pk: [] for p in stances}
    links = [
        link
        for link in Position.sources.through.objects.filter(
            position__provision_id__in={p.provision_id for p in stances}
        ).values_list("position_id", "source_id")
        if link[0] in by_stance
    ]
    sources = Source.objects.only("id", "publisher", "title", "url", "published_on").in_bulk({s for _, s in links})
    for position_id, source_id in sorted(links):
        by_stance[position_id].append(sources[source_id])
    for position in stances:
        position.source_list = by_stance[position.pk]


def api_provisions() -> QuerySet:
    """Points with everything their representation shows, in a fixed number of queries,
    under the names of `provisions.points` (the as-of path attaches the same)."""
    # `only()`: a page of 100 points carries over a thousand stances, and building model
    # instances (timestamps parsed, every column set) was most of the request's time.
    current = (
        Position.objects.current().filter(provision__isnull=False).only(*STANCE_COLUMNS).order_by("actor__name", "id")
    )
    links = Lineage.objects.only(*LINK_COLUMNS)
    return (
        Provision.objects.annotate(plan_pk=F("version__plan_id"))
        .prefetch_related(
            Prefetch(
                "dispositions",
                queryset=TerritorialDisposition.objects.select_related("territory")
                .only(*DISPOSITION_COLUMNS)
                .order_by("territory__name", "id"),
                to_attr="dispositions_list",
            ),
            Prefetch("lineage_links", links.order_by("derives_from_id"), to_attr="derives_from_list"),
            Prefetch("lineage_successors", links.order_by("provision_id"), to_attr="derived_into_list"),
            Prefetch("positions", queryset=current, to_attr="stances"),
            Prefetch("sources", queryset=Source.objects.only("id"), to_attr="source_list"),
        )
        .in_order()
    )


# The columns the point representation shows (StanceSerializer, PointTerritorySerializer,
# the lineage serializers), plus the keys the prefetch joins on.
STANCE_COLUMNS = (
    "id",
    "actor_id",
    "version_id",
    "provision_id",
    "stance",
    "summary",
    "taken_on",
    "taken_on_precision",
    "attribution",
    "attributed_to",
)
ACTOR_COLUMNS = ("id", "slug", "name", "short_code")
DISPOSITION_COLUMNS = (
    "id",
    "provision_id",
    "territory_id",
    "disposition",
    "note",
    "territory__id",
    "territory__slug",
    "territory__name",
)
LINK_COLUMNS = ("id", "provision_id", "derives_from_id", "relation", "similarity", "confirmed")


class PastPoints(Sequence):
    """The points of an "as of" list whose filter only reads the points' own columns,
    rebuilt from history a page at a time.

    The paginator counts them in SQL and slices them: the slice's ids are read in point
    order (version, then number) from history, and only those points are rebuilt with
    their stances, territories, sources and lineage (`provisions_as_of`), so a page costs
    the same whatever the size of the record. Iterating (to search or sort in Python)
    rebuilds them all, as before.
    """

    def __init__(self, moment: datetime, lookups: dict[str, Any], attach: Callable[[datetime, list], None]) -> None:
        self.moment = moment
        self.rows = as_of(Provision, moment).filter(**lookups).order_by("version_id", "sort_key", "id")
        self.attach = attach

    def count(self) -> int:
        return self.rows.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: Any) -> Any:
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        ids = list(self.rows.values_list("id", flat=True)[index])
        points = provisions_as_of(self.moment, provision_ids=ids)
        self.attach(self.moment, points)
        place = {pk: n for n, pk in enumerate(ids)}
        return sorted(points, key=lambda point: place[point.pk])

    def __iter__(self) -> Iterator[Provision]:
        return iter(self[:])


@documented("points (provisions)", as_of=True)
class ProvisionViewSet(AsOfMixin, RecordViewSet):
    """The points of each version, with lineage, territories and each actor's current stance."""

    queryset = Provision.objects.none()  # for the schema and permissions; see get_queryset
    serializer_class = ProvisionSerializer
    # `url` is absolute (built from the request's host) and derived from the id alone.
    etag_host_dependent_fields = ("url",)
    filterset_class = ProvisionFilter
    search_fields = ("number", "title", "text")
    search_description = "Search in the point's number, title and text (the same rule as `q`)"
    ordering_fields = {
        "id": ("id",),
        "number": ("version__dated", "version_id", "sort_key"),
        "title": ("title",),
        "status": ("status",),
        "updated_at": ("updated_at",),
    }

    def get_queryset(self) -> QuerySet:
        if self._plain_rows:
            return Provision.objects.in_order()  # rows built as JSON by the database (`listing`)
        return api_provisions()

    @property
    def _plain_rows(self) -> bool:
        """Live (not as of a date) JSON or CSV reads: rows from `listing`, without the serializer.
        (Writes, `as_of` and the browsable API build instances for the serializer.)"""
        request = getattr(self, "request", None)
        if request is None or AS_OF_PARAM in request.query_params or request.method not in ("GET", "HEAD"):
            return False
        renderer = getattr(getattr(request, "accepted_renderer", None), "format", "")
        return renderer == "json" or (renderer == "csv" and getattr(self, "action", None) == "list")

    def representation_and_change(self) -> tuple[Any, tuple[int, str]]:
        """A live point in JSON: the list's one-query builder (a list of one), with the change
        log's latest entry read in the same query (one snapshot) for the ETag's cache key."""
        if not self._plain_rows:
            return super().representation_and_change()
        pk = as_id(str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, "")))
        # A detail takes no filter, search or ordering: only the first backend's check applies
        # (an unknown parameter is a 400); building the filterset cost more than the query.
        refuse_unknown_parameters(self.request, accepted_parameters(self))
        rows, change = point_rows([pk], self._url_around_id(), parsed=True) if pk is not None else ([], None)
        if not rows or change is None:
            raise NotFound("No Provision matches the given query.")
        return rows[0], change

    def _url_around_id(self) -> tuple[str, str]:
        return point_url_around_id(self.request)  # as the serializer builds `url`

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], Provision | list):
            attach_stance_details(args[0] if isinstance(args[0], list) else [args[0]])
        return super().get_serializer(*args, **kwargs)

    def list_as_of(self, moment: datetime, filters: dict[str, Any]) -> Sequence[Provision]:
        # The live list's predicate (`ProvisionFilter.point_filter`), applied to the points read
        # from history; criteria on the point's own columns narrow the read in SQL first.
        point_filter = self.point_filter
        if not point_filter.needs_loaded_rows and not wants_csv(self.request):
            # Only stored columns decide: count and page in SQL, rebuild only the page's points.
            # (Not for CSV: its stance columns come from the whole result, `exports`.)
            return PastPoints(moment, point_filter.stored_lookups(), self._attach_past)
        points = provisions_as_of(moment, **point_filter.stored_lookups())
        self._attach_past(moment, points)
        return [point for point in points if point_filter.matches(point)]

    @property
    def point_filter(self) -> Any:
        filterset = self.filterset_class(self.request.query_params, queryset=Provision.objects.none())
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return filterset.point_filter()

    def object_as_of(self, moment: datetime, pk: int) -> Provision | None:
        points = provisions_as_of(moment, provision_ids=[pk])
        self._attach_past(moment, points)
        return points[0] if points else None

    def _attach_past(self, moment: datetime, points: list[Provision]) -> None:
        """Give "as of" points the lineage links and plan the live QuerySet loads."""
        ids = [point.pk for point in points]
        # Versions as they are now (like actors' names), attached so `ordering=number` needs no query per point.
        versions = Version.objects.in_bulk({p.version_id for p in points})
        # Lineage links as recorded then, read through the history module like the rest.
        back: dict[int, list[Lineage]] = {pk: [] for pk in ids}
        forward: dict[int, list[Lineage]] = {pk: [] for pk in ids}
        for link in sorted(as_of(Lineage, moment).filter(provision_id__in=ids), key=lambda lk: lk.derives_from_id):
            back[link.provision_id].append(link)
        for link in sorted(as_of(Lineage, moment).filter(derives_from_id__in=ids), key=lambda lk: lk.provision_id):
            forward[link.derives_from_id].append(link)
        for point in points:
            version = versions.get(point.version_id)
            if version is not None:
                point.version = version
            point.plan_pk = version.plan_id if version is not None else None
            point.derives_from_list = back[point.pk]
            point.derived_into_list = forward[point.pk]

    def search_queryset(self, queryset: QuerySet, text: str) -> QuerySet:
        """`search` is the points' one text rule, the same as `q` (`PointFilter`)."""
        return PointFilter(text=text).apply(queryset)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Live, the list reads the page's ids, then their rows as JSON in one query
        (`listing`), for CSV without the stances' details; as of a date and in the browsable
        API, instances for the serializer."""
        if not self._plain_rows:
            return super().list(request, *args, **kwargs)
        points = self.filter_queryset(self.get_queryset())
        if not wants_csv(request):
            page = self.paginate_queryset(points.values_list("pk", flat=True))
            return self.get_paginated_response(point_rows(page, self._url_around_id())[0])
        # CSV: the same columns on every page, from the whole result (`exports`). An export
        # pages through one result: its columns and size hold until the next write.
        self._csv_stance_columns, total = until_next_write(
            self, request, "csv-columns-and-count", lambda: (exports.stance_columns_of_query(points), points.count())
        )
        page = self.paginate_queryset(CountedRows(points.values_list("pk", flat=True), total))
        rows, _ = point_rows(page, self._url_around_id(), parsed=True, stance_details=False)
        return self.get_paginated_response([exports.row_from_representation(row) for row in rows])

    def paginate_queryset(self, queryset: Any) -> Any:
        if isinstance(queryset, list) and wants_csv(self.request):
            # The as-of list, whole: its stance columns, before it is cut to one page.
            self._csv_stance_columns = exports.stance_columns_of_points(queryset)
        return super().paginate_queryset(queryset)

    def csv_columns(self, data: Any) -> list[str] | None:
        """The same columns on every page of a query: principal parties, then other actors with a stance."""
        stance_columns = getattr(self, "_csv_stance_columns", None)
        return exports.columns(stance_columns) if stance_columns is not None else None

    def csv_row(self, item: dict[str, Any]) -> dict[str, Any]:
        """One spreadsheet row per point: one `stance.<actor>` column per actor."""
        if self._plain_rows:
            return item  # already a row (`list`)
        return exports.row_from_representation(item)


@documented("territories", as_of=True)
class TerritoryViewSet(AsOfMixin, RecordViewSet):
    """Oblasts, regions, places and facilities the plans name, with who holds how much of each."""

    queryset = Territory.objects.prefetch_related(
        Prefetch(
            "control_observations",
            queryset=ControlObservation.objects.order_by("-observed_on", "-id"),
            to_attr="observations_list",
        )
    )
    serializer_class = TerritorySerializer
    filterset_class = TerritoryFilter
    search_fields = ("name", "description")
    ordering_fields = {"id": ("id",), "name": ("name",)}

    def list_as_of(self, moment: datetime, filters: dict[str, Any]) -> list[Territory]:
        parent = resolve_id_or_slug(Territory, filters["parent"], "parent") if "parent" in filters else None
        territories = territories_as_of(moment)
        return [
            t
            for t in territories
            if ("kind" not in filters or t.kind == filters["kind"]) and (parent is None or t.parent_id == parent.pk)
        ]

    def object_as_of(self, moment: datetime, pk: int) -> Territory | None:
        return next((t for t in self.list_as_of(moment, {}) if t.pk == pk), None)

    def csv_row(self, item: dict[str, Any]) -> dict[str, Any]:
        """Observations as readable text, newest first: `2025-11-15: UA 12.00%, RU 88.00% (source 3)`."""
        row = {key: value for key, value in item.items() if key != "observations"}
        row["observations"] = [
            f"{o['observed_on']}: UA {o['ukraine_share'] or '?'}%, RU {o['russia_share'] or '?'}% "
            f"(source {o['source']})"
            for o in item["observations"]
        ]
        return row
