"""Representations of actors, positions and events; writes through the actors services."""

from __future__ import annotations

from typing import Any

from api.serializers import TIMESTAMPS, RecordedSerializer, ids_of
from provisions.models import Source

from ..models import Actor, Event, Position
from ..services import position_record


class ActorSerializer(RecordedSerializer):
    """A state, person, organization or bloc; a person is linked to the party they speak for."""

    class Meta:
        model = Actor
        fields = [
            "id",
            "name",
            "slug",
            "kind",
            "short_code",
            "role",
            "represents",
            "is_principal",
            "matrix_order",
            "description",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "name": {"help_text": "Name of the state, person, organization or bloc."},
            "slug": {"help_text": "Short unique name, also accepted by the `actor` filters."},
            "kind": {"help_text": "State, person, organization or bloc."},
            "represents": {"help_text": "For a person: id of the party they speak for."},
            "is_principal": {"help_text": "A principal party: a column of the dashboard's stance matrix."},
            "matrix_order": {"help_text": "Position of its column in the stance matrix."},
            "description": {"help_text": "Who they are."},
            **TIMESTAMPS,
        }


class PositionSerializer(RecordedSerializer):
    """An actor's stance on a point or on a version as a whole, as of a date, with its sources."""

    sources = ids_of(Source, "Ids of the sources reporting the stance (at least one).", loaded="source_list")

    class Meta:
        model = Position
        fields = [
            "id",
            "actor",
            "version",
            "provision",
            "stance",
            "summary",
            "taken_on",
            "taken_on_precision",
            "attribution",
            "attributed_to",
            "sources",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "actor": {"help_text": "Id of the actor taking the stance."},
            "version": {
                "required": False,
                "help_text": "Id of the version the stance is about (implied by `provision` when given).",
            },
            "provision": {"help_text": "Id of the point the stance is about; null for the version as a whole."},
            "stance": {"help_text": "The stance, from the controlled vocabulary."},
            "summary": {"help_text": "What the actor said or did, in a sentence or two."},
            "taken_on": {"help_text": "When the stance was taken (or first reported); not in the future."},
            "taken_on_precision": {"help_text": "How much of the date is known: day, month or approximate."},
            "attribution": {
                "help_text": "`stated`: the party or a person speaking for it said so; "
                "`attributed`: someone else attributes it (see `attributed_to`)."
            },
            "attributed_to": {"help_text": "Who reports it; for an attributed stance, who attributes it (required)."},
            **TIMESTAMPS,
        }

    def create(self, validated_data: dict[str, Any]) -> Position:
        # The service keeps earlier stances and checks the subject and the sources.
        return position_record(user=self._user(), **validated_data)


class EventSerializer(RecordedSerializer):
    """A dated happening (a call, a meeting, a round of talks), its actors and its sources."""

    actors = ids_of(Actor, "Ids of the actors involved.", required=False, loaded="actor_list")
    sources = ids_of(Source, "Ids of the sources reporting the event (at least one).", loaded="source_list")

    class Meta:
        model = Event
        fields = [
            "id",
            "title",
            "occurred_on",
            "date_precision",
            "kind",
            "location",
            "description",
            "version",
            "actors",
            "sources",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "title": {"help_text": "What happened, in a line."},
            "occurred_on": {"help_text": "When it happened; not in the future."},
            "date_precision": {
                "help_text": "How much of the date is known: day, month (stored as the 1st) or approximate."
            },
            "kind": {"help_text": "Call, meeting, negotiation round, statement, publication or other."},
            "location": {"help_text": "Where it happened."},
            "description": {"help_text": "What happened, in detail."},
            "version": {"help_text": "Id of the version discussed, if any."},
            **TIMESTAMPS,
        }
