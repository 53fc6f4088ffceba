"""Stances and events as they stood at a past moment, read through `history.records`.

Each function runs a fixed number of queries whatever the amount of data; actors' and
sources' names are read as they are now. Rows carry the vocabulary of `provisions.points`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from history.records import as_of, m2m_as_of
from provisions.models import Source

from .models import Actor, Event, Position


def positions_as_of(moment: datetime, **filters: Any) -> list[Position]:
    """Every position on record at `moment` (filters use Position's field names),
    latest first, each with `.actor` and `.source_list`."""
    positions = list(as_of(Position, moment).filter(**filters))
    actors = Actor.objects.select_related("represents").in_bulk({p.actor_id for p in positions})
    source_ids = m2m_as_of(Position, "sources", positions)
    sources = Source.objects.in_bulk({pk for ids in source_ids.values() for pk in ids})
    for position in positions:
        position.actor = actors[position.actor_id]
        position.source_list = [sources[pk] for pk in source_ids[position.pk] if pk in sources]
    return sorted(positions, key=lambda p: (p.taken_on, p.pk), reverse=True)


def events_as_of(moment: datetime) -> list[Event]:
    """Events on record then, newest first, each with `.actor_list` and `.source_list`."""
    events = list(as_of(Event, moment))
    actor_ids = m2m_as_of(Event, "actors", events)
    source_ids = m2m_as_of(Event, "sources", events)
    actors = Actor.objects.in_bulk({pk for ids in actor_ids.values() for pk in ids})
    sources = Source.objects.in_bulk({pk for ids in source_ids.values() for pk in ids})
    for event in events:
        event.actor_list = [actors[pk] for pk in actor_ids[event.pk] if pk in actors]
        event.source_list = [sources[pk] for pk in source_ids[event.pk] if pk in sources]
    return sorted(events, key=lambda e: (e.occurred_on, e.pk), reverse=True)
