"""API views of actors, positions (with `as_of`) and events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.as_of import AsOfMixin
from api.params import resolve_id_or_slug
from api.views import RecordViewSet, documented

from ..as_of import positions_as_of
from ..models import Actor, Event, Position
from ..stances import current_of
from .filters import ActorFilter, EventFilter, PositionFilter
from .serializers import ActorSerializer, EventSerializer, PositionSerializer


@documented("actors")
class ActorViewSet(RecordViewSet):
    """States, people, organizations and blocs taking part."""

    queryset = Actor.objects.all()
    serializer_class = ActorSerializer
    filterset_class = ActorFilter
    search_fields = ("name", "role", "description")
    ordering_fields = {"id": ("id",), "name": ("name",), "matrix_order": ("matrix_order", "name")}


@documented("positions", as_of=True)
class PositionViewSet(AsOfMixin, RecordViewSet):
    """Stances of actors on points or whole versions, dated; earlier stances stay on record."""

    queryset = Position.objects.prefetch_related("sources")
    serializer_class = PositionSerializer
    filterset_class = PositionFilter
    search_fields = ("summary", "attributed_to")
    ordering_fields = {"id": ("id",), "taken_on": ("taken_on",), "stance": ("stance",)}

    def list_as_of(self, moment: datetime, filters: dict[str, Any]) -> list[Position]:
        # Actor, subject and version pick whole histories, so "current" stays right;
        # stance and dates are checked after "current" is decided, as in the live filter.
        query: dict[str, Any] = {}
        if "actor" in filters:
            query["actor_id"] = resolve_id_or_slug(Actor, filters["actor"], "actor").pk
        for name in ("provision", "version"):
            if name in filters:
                query[f"{name}_id"] = filters[name].pk
        positions = positions_as_of(moment, **query)
        if "current" in filters:
            latest = {p.pk for p in current_of(positions)}
            positions = [p for p in positions if (p.pk in latest) is filters["current"]]
        after, before = filters.get("taken_on_after"), filters.get("taken_on_before")
        return [
            p
            for p in positions
            if ("stance" not in filters or p.stance == filters["stance"])
            and (after is None or p.taken_on >= after)
            and (before is None or p.taken_on <= before)
        ]

    def object_as_of(self, moment: datetime, pk: int) -> Position | None:
        found = positions_as_of(moment, id=pk)
        return found[0] if found else None


@documented("events")
class EventViewSet(RecordViewSet):
    """Dated happenings: calls, meetings, negotiation rounds, statements, leaks."""

    queryset = Event.objects.with_relations()
    serializer_class = EventSerializer
    filterset_class = EventFilter
    search_fields = ("title", "description", "location")
    ordering_fields = {"id": ("id",), "occurred_on": ("occurred_on",), "title": ("title",)}
